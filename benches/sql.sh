#!/usr/bin/env bash
# Times `iterable sql "SELECT count(*) AS rows, avg(amount) AS avg_amount FROM 'data.csv'"`
# on the peer data (1,000,000 rows) beside duckdb (`SELECT count(*), avg(amount) FROM
# read_csv(...)`) and polars (`scan_csv(...).select(len, mean)`), each a whole process,
# in one run of the shared harness: 3 repetitions, medians, peak RSS. Writes
# benches/results/SQL.md. ~1 min after the release build.
#
#   bash benches/sql.sh
set -euo pipefail
source "$(dirname "$0")/peer_env.sh" data.csv

RES="$OUT/sql.json"
rm -f "$RES"
"$PY" "$BENCH/run_peers.py" --results "$RES" --inputs data.csv --benches cmd \
  --cmd "iterable_sql=$BIN sql \"SELECT count(*) AS rows, avg(amount) AS avg_amount FROM '{path}'\"" \
  --cmd "duckdb_sql=$PY $ROOT/benches/sql_peer.py duckdb {path}" \
  --cmd "polars_sql=$PY $ROOT/benches/sql_peer.py polars {path}"
"$PY" "$BENCH/make_report.py" --results "$RES" --out "$OUT/SQL.md" --findings /dev/null \
  --manifest "$PEERBENCH_DIR/data/MANIFEST.json"
# Keep machine paths out of what is committed.
sed -i -e "s#$ROOT/\.\./shared#../shared#g" -e "s#$ROOT/#./#g" -e "s#$PEERBENCH_DIR#\$PEERBENCH_DIR#g" "$RES" "$OUT/SQL.md"
echo "report: $OUT/SQL.md"
