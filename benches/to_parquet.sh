#!/usr/bin/env bash
# Times `iterable convert` of the peer data (1,000,000 rows) from CSV and from JSON Lines
# into Parquet, beside polars (`read_csv`/`read_ndjson` then `write_parquet`) and duckdb
# (`COPY ... TO ... (FORMAT parquet)`), in one run of the shared harness: whole process,
# 3 repetitions, medians, peak RSS. Writes benches/results/TO_PARQUET.md. ~3 min.
#
#   bash benches/to_parquet.sh
set -euo pipefail
source "$(dirname "$0")/peer_env.sh" data.csv,data.jsonl

RES="$OUT/to_parquet.json"
rm -f "$RES"
for src in data.csv data.jsonl; do
  "$PY" "$BENCH/run_peers.py" --append --results "$RES" --inputs none \
    --write-to parquet --write-src "$src" --benches polars_write,duckdb_write \
    --cmd-write "iterable_convert=$BIN convert {src} {out}"
done
"$PY" "$BENCH/make_report.py" --results "$RES" --out "$OUT/TO_PARQUET.md" --findings /dev/null \
  --manifest "$PEERBENCH_DIR/data/MANIFEST.json"
# Keep machine paths out of what is committed.
sed -i -e "s#$ROOT/\.\./shared#../shared#g" -e "s#$ROOT/#./#g" -e "s#$PEERBENCH_DIR#\$PEERBENCH_DIR#g" "$RES" "$OUT/TO_PARQUET.md"
echo "report: $OUT/TO_PARQUET.md"
