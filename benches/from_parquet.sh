#!/usr/bin/env bash
# Times Parquet into CSV and into JSON Lines (the peer data, 1,000,000 rows): `iterable
# convert` beside polars (`read_parquet` then `write_csv` / `write_ndjson`) and duckdb
# (`COPY (SELECT * FROM 'data.parquet') TO ...`), whole process, alternating runs,
# medians of 3, peak RSS. Writes benches/results/FROM_PARQUET.md. ~1 min.
#
#   bash benches/from_parquet.sh
set -euo pipefail
source "$(dirname "$0")/peer_env.sh" data.parquet
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/peer.py" <<'PY'
import sys
tool, src, out = sys.argv[1:4]
if tool == "polars":
    import polars as pl
    df = pl.read_parquet(src)
    df.write_csv(out) if out.endswith(".csv") else df.write_ndjson(out)
else:
    import duckdb
    fmt = "csv" if out.endswith(".csv") else "json"
    duckdb.connect().execute(f"COPY (SELECT * FROM '{src}') TO '{out}' (FORMAT {fmt})")
PY

# One timed run: prints "wall_s rss_kib".
run() {
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null
  cat "$WORK/time"
}

REPORT="$OUT/FROM_PARQUET.md"
{
  echo "# Parquet into text: iterable beside polars and duckdb"
  echo
  echo "\`bash benches/from_parquet.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores; data.parquet of the peer data"
  echo "(1,000,000 rows); whole process, medians of 3 alternating runs, peak RSS."
  echo
  echo "| job | tool | wall s (median) | runs | peak RSS MiB |"
  echo "|---|---|---:|---|---:|"
} > "$REPORT"
for ext in csv jsonl; do
  declare -A walls=() rss=()
  for rep in 1 2 3; do
    for tool in iterable polars duckdb; do
      out="$WORK/out-$tool.$ext"
      if [ "$tool" = iterable ]; then
        read -r w m < <(run "$BIN" convert "$DATA/data.parquet" "$out")
      else
        read -r w m < <(run "$PY" "$WORK/peer.py" "$tool" "$DATA/data.parquet" "$out")
      fi
      walls[$tool]="${walls[$tool]:-} $w"
      rss[$tool]="$m"
      rm -f "$out"
    done
  done
  for tool in iterable polars duckdb; do
    median=$(printf '%s\n' ${walls[$tool]} | sort -n | sed -n 2p)
    echo "| data.parquet -> $ext | $tool | $median |${walls[$tool]} | $(( ${rss[$tool]} / 1024 )) |" >> "$REPORT"
  done
  unset walls rss
done
cat "$REPORT"
