#!/usr/bin/env bash
# Peak RSS of `iterable count` on the 1M-row peer files and on 5M-row versions of
# them (the same rows five times), to show that streaming reads use flat memory
# (median of three runs each).
# Needs the peer data (benches/peers.sh makes it) and a release build.
#
#   bash benches/memory.sh            # prints a markdown table
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PEERBENCH_DIR="${PEERBENCH_DIR:-$ROOT/target/peerbench}"
DATA="$PEERBENCH_DIR/data"
BIG="$PEERBENCH_DIR/data-5m"
cargo build --release -p iterable-cli >&2
BIN="$ROOT/target/release/iterable"
mkdir -p "$BIG"
if [ ! -f "$BIG/data.jsonl.zst" ]; then
  { cat "$DATA/data.csv"; for _ in 1 2 3 4; do tail -n +2 "$DATA/data.csv"; done; } > "$BIG/data.csv"
  for _ in 1 2 3 4 5; do cat "$DATA/data.jsonl"; done > "$BIG/data.jsonl"
  "$BIN" convert "$BIG/data.jsonl" "$BIG/data.json"
  # Compressed like the 1M files: gzip -6 for CSV; five zstd frames of the 1M file.
  gzip -6 -n -c "$BIG/data.csv" > "$BIG/data.csv.gz"
  for _ in 1 2 3 4 5; do cat "$DATA/data.jsonl.zst"; done > "$BIG/data.jsonl.zst"
fi
if [ ! -f "$BIG/data.parquet" ]; then
  # Parquet in row groups of 100,000 rows, as gen_data.py writes the 1M file; the
  # types come from the JSON Lines (int64, float64, utf8).
  "$BIN" convert --row-group-size 100000 "$BIG/data.jsonl" "$BIG/data.parquet"
fi
rss() { # median peak RSS in MiB of three runs of `iterable count FILE`, and the count
  local peaks=() out
  for _ in 1 2 3; do
    out=$( { /usr/bin/time -f "%M" "$BIN" count "$1" > /tmp/iterable-count.$$; } 2>&1 | tail -1)
    peaks+=("$out")
  done
  local median
  median=$(printf "%s\n" "${peaks[@]}" | sort -n | sed -n 2p)
  printf "%s %.1f" "$(tail -1 /tmp/iterable-count.$$)" "$(echo "$median / 1024" | bc -l)"
  rm -f /tmp/iterable-count.$$
}
echo "| input | rows (1M file) | peak RSS MiB | rows (5M file) | peak RSS MiB | growth |"
echo "|---|---:|---:|---:|---:|---:|"
for f in data.csv data.jsonl data.json data.csv.gz data.jsonl.zst data.parquet; do
  read -r n1 m1 <<<"$(rss "$DATA/$f")"
  read -r n5 m5 <<<"$(rss "$BIG/$f")"
  printf "| %s | %s | %s | %s | %s | %+.0f%% |\n" "$f" "$n1" "$m1" "$n5" "$m5" "$(echo "($m5 - $m1) * 100 / $m1" | bc -l)"
done
