#!/usr/bin/env bash
# Times the `iterable` CLI beside iterabledata, polars and duckdb on the peer data
# (1,000,000 rows from ../shared/bench/gen_data.py), in one run of the shared harness,
# and writes the table to benches/results/PEERS.md. Takes ~25 min on 2 cores.
#
#   bash benches/peers.sh            # everything: release build, venv, data, measurements, report
#   PEERBENCH_DIR=/big/disk bash benches/peers.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
export PEERBENCH_DIR="${PEERBENCH_DIR:-$ROOT/target/peerbench}"
mkdir -p "$PEERBENCH_DIR"
PY="$PEERBENCH_DIR/venv/bin/python"
OUT="$ROOT/benches/results"
mkdir -p "$OUT"

cargo build --release -p iterable-cli
BIN="$ROOT/target/release/iterable"

[ -x "$PY" ] && [ -f "$PEERBENCH_DIR/data/MANIFEST.json" ] && [ -f "$PEERBENCH_DIR/data-200k/MANIFEST.json" ] \
  || bash "$BENCH/run_all.sh" setup data

RES="$OUT/peers.json"
rm -f "$RES"
# PEER_INPUTS narrows the read inputs (e.g. PEER_INPUTS=data.csv,data.jsonl for a quick run).
INPUTS="${PEER_INPUTS:-data.csv,data.tsv,data.jsonl,data.json,data.csv.gz,data.jsonl.gz,data.jsonl.zst,data.csv.bz2,data.csv.xz,data.parquet}"
# Reads: ours (every row materialised as a Row) beside iterabledata's sync reader and
# polars/duckdb full reads; data.parquet (written by the harness with pyarrow) is read by
# all of them. Writing: CSV into .jsonl.gz below, and CSV and JSON Lines into Parquet
# at the end (also alone: benches/to_parquet.sh).
"$PY" "$BENCH/run_peers.py" --append --results "$RES" --inputs "$INPUTS" \
  --benches iter_sync,polars_read,duckdb_arrow,cmd \
  --cmd "iterable_count=$BIN count {path}"
# iterabledata's per-row async reader costs ~150 us a row: measured on the 200k-row copy.
"$PY" "$BENCH/run_peers.py" --append --results "$RES" --data-dir "$PEERBENCH_DIR/data-200k" --slow-s 0 \
  --inputs data.csv --benches iter_async
# Eight .csv.gz files at once, and CSV -> JSON Lines in gzip.
"$PY" "$BENCH/run_peers.py" --append --results "$RES" --inputs none \
  --benches iter_async_bulk_gather8,iter_sync_seq8,iter_write,polars_write,duckdb_write \
  --cmd-gather "iterable_count8=$BIN count {paths}" \
  --cmd-write "iterable_convert=$BIN convert {src} {out}"
# CSV and JSON Lines into Parquet (the text-to-columnar road), beside polars and duckdb.
for src in data.csv data.jsonl; do
  "$PY" "$BENCH/run_peers.py" --append --results "$RES" --inputs none \
    --write-to parquet --write-src "$src" --benches polars_write,duckdb_write \
    --cmd-write "iterable_convert=$BIN convert {src} {out}"
done
"$PY" "$BENCH/make_report.py" --results "$RES" --out "$OUT/PEERS.md" --findings /dev/null \
  --manifest "$PEERBENCH_DIR/data/MANIFEST.json"
# Keep machine paths out of what is committed.
sed -i -e "s#$ROOT/\.\./shared#../shared#g" -e "s#$ROOT/#./#g" -e "s#$PEERBENCH_DIR#\$PEERBENCH_DIR#g" "$RES" "$OUT/PEERS.md"
echo "report: $OUT/PEERS.md"
