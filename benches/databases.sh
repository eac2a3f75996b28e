#!/usr/bin/env bash
# PostgreSQL reads and writes of the peer data (1,000,000 rows of data.csv from
# ../shared/bench/gen_data.py) by the `iterable` CLI, beside psql's \copy, connectorx
# and iterabledata, against one throwaway server on 127.0.0.1, 3 runs each, medians.
# Prints a Markdown table (wall seconds, peak RSS) for BENCHMARKS.md.
#
#   bash benches/databases.sh        # needs Debian's postgresql; builds the CLI in release
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
export PEERBENCH_DIR="${PEERBENCH_DIR:-$ROOT/target/peerbench}"
PY="$PEERBENCH_DIR/venv/bin/python"
DATA="$PEERBENCH_DIR/data/data.csv"
REPS="${REPS:-3}"

cargo build --release -p iterable-cli
BIN="$ROOT/target/release/iterable"
[ -x "$PY" ] && [ -f "$DATA" ] || bash "$BENCH/run_all.sh" setup data
"$PY" -m pip install -q connectorx psycopg2-binary "psycopg[binary]" psycopg-pool

PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
WORK="$(mktemp -d /tmp/iterable-dbbench-XXXX)"
RUNAS=()
if [ "$(id -u)" = 0 ]; then chown nobody: "$WORK"; RUNAS=(runuser -u nobody --); fi
"${RUNAS[@]}" "$PGBIN/initdb" -D "$WORK/data" -U bench -E UTF8 --locale=C -N --auth=trust >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
  -o "-h 127.0.0.1 -p $PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB" start >/dev/null
trap '"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null; rm -rf "$WORK"' EXIT
URL="postgresql://bench@127.0.0.1:$PORT/postgres"
PSQL=("$PGBIN/psql" -q -X -h 127.0.0.1 -p "$PORT" -U bench -d postgres)
COLUMNS="id bigint, name text, email text, amount double precision, qty bigint, created timestamptz, comment text, tags text"
"${PSQL[@]}" -c "CREATE TABLE peer ($COLUMNS)"
"${PSQL[@]}" -c "\\copy peer FROM '$DATA' CSV HEADER"
"${PSQL[@]}" -c "VACUUM ANALYZE peer"

# One timed run: prints "seconds peak_kib".
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }; cat "$WORK/time"; }
# The median of $REPS runs of a command, after `before` (a setup command, untimed).
measure() {
  local name="$1" before="$2"; shift 2
  local runs=()
  for _ in $(seq "$REPS"); do
    eval "$before"
    runs+=("$(timed "$@")")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p" | {
    read -r s kib; printf '| %s | %s | %s MiB |\n' "$name" "$s" "$(( kib / 1024 ))"; }
}

echo "| PostgreSQL, 1,000,000 rows of data.csv | wall s | peak RSS |"
echo "|---|---:|---:|"
measure "read: \`iterable convert postgres://…?table=peer out.parquet\`" "rm -f $WORK/out.parquet" \
  "$BIN" convert "$URL?table=peer" "$WORK/out.parquet"
measure "read: \`iterable count postgres://…?table=peer\`" ":" "$BIN" count "$URL?table=peer"
# The floor any client meets: the server's binary COPY of the table, read by psql and dropped.
measure "read: \`psql \\copy peer TO /dev/null (FORMAT binary)\` (the server's floor)" ":" \
  "${PSQL[@]}" -c "\\copy peer TO '/dev/null' (FORMAT binary)"
measure "read: connectorx \`read_sql(return_type=\"arrow\")\`" ":" "$PY" "$ROOT/benches/db_peers.py" cx-arrow "$URL" peer
measure "read: connectorx to Arrow, then pyarrow \`write_table\` (zstd)" "rm -f $WORK/cx.parquet" \
  "$PY" "$ROOT/benches/db_peers.py" cx-parquet "$URL" peer "$WORK/cx.parquet"
measure "read: iterabledata postgres source (psycopg2)" ":" "$PY" "$ROOT/benches/db_peers.py" iterabledata-read "$URL" peer
measure "write: \`psql \\copy peer2 FROM data.csv\`" "${PSQL[*]} -c 'DROP TABLE IF EXISTS peer2; CREATE TABLE peer2 ($COLUMNS)'" \
  "${PSQL[@]}" -c "\\copy peer2 FROM '$DATA' CSV HEADER"
measure "write: \`iterable convert data.csv postgres://…?table=peer3&mode=replace\`" ":" \
  "$BIN" convert "$DATA" "$URL?table=peer3&mode=replace"
if [ "${SKIP_SLOW:-0}" != 1 ]; then
  # iterabledata 1.0.23's PostgreSQL ingestion imports `psycopg.pool`, which psycopg 3
  # does not have (its pool is the psycopg_pool package): the row says so when it fails.
  measure "write: iterabledata \`to_db\` (psycopg 3)" "${PSQL[*]} -c 'DROP TABLE IF EXISTS peer4'" \
    "$PY" "$ROOT/benches/db_peers.py" iterabledata-write "$DATA" "$URL" peer4 \
    || echo "| write: iterabledata \`to_db\` (psycopg 3) | fails: $(tail -1 "$WORK/err") | |"
fi
