#!/usr/bin/env bash
# MariaDB reads and writes of the peer data (1,000,000 rows of data.csv) by the
# `iterable` CLI, beside the mariadb client's LOAD DATA LOCAL INFILE and connectorx,
# against one throwaway server on 127.0.0.1, 3 runs each, medians. Prints a Markdown
# table for BENCHMARKS.md. Run after benches/databases.sh (same venv, data, binary).
#
#   bash benches/databases_mariadb.sh     # needs Debian's mariadb-server
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
"$PY" -m pip install -q connectorx

WORK="$(mktemp -d /tmp/iterable-mybench-XXXX)"
RUNAS=()
if [ "$(id -u)" = 0 ]; then chown nobody: "$WORK"; RUNAS=(runuser -u nobody --); fi
chmod 755 "$WORK"
(cd "$WORK" && "${RUNAS[@]}" mariadb-install-db --no-defaults --datadir="$WORK/data" \
  --auth-root-authentication-method=normal --skip-test-db >/dev/null)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$WORK" && "${RUNAS[@]}" mariadbd --no-defaults --datadir="$WORK/data" --socket="$WORK/sock" \
  --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin \
  --innodb-buffer-pool-size=512M --innodb-flush-log-at-trx-commit=0 --local-infile=1 \
  --log-error="$WORK/log" --pid-file="$WORK/pid" >/dev/null 2>&1 &)
trap 'kill "$(cat "$WORK/pid")" 2>/dev/null; sleep 2; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do mariadb -h127.0.0.1 -P"$PORT" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
SQL=(mariadb -h127.0.0.1 -P"$PORT" -uroot --local-infile=1 bench)
mariadb -h127.0.0.1 -P"$PORT" -uroot -e "CREATE DATABASE bench"
URL="mysql://root@127.0.0.1:$PORT/bench"
COLUMNS="id BIGINT, name LONGTEXT, email LONGTEXT, amount DOUBLE, qty BIGINT, created LONGTEXT, comment LONGTEXT, tags LONGTEXT"
LOAD="LOAD DATA LOCAL INFILE '$DATA' INTO TABLE %s FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\\n' IGNORE 1 LINES"
"${SQL[@]}" -e "CREATE TABLE peer ($COLUMNS); $(printf "$LOAD" peer)"

timed() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }; cat "$WORK/time"; }
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

echo "| MariaDB $(mariadbd --version | awk '{print $3}'), 1,000,000 rows of data.csv | wall s | peak RSS |"
echo "|---|---:|---:|"
measure "read: \`iterable convert mysql://…?table=peer out.parquet\`" "rm -f $WORK/out.parquet" \
  "$BIN" convert "$URL?table=peer" "$WORK/out.parquet"
measure "read: \`iterable count mysql://…?table=peer\`" ":" "$BIN" count "$URL?table=peer"
measure "read: connectorx \`read_sql(return_type=\"arrow\")\`" ":" "$PY" "$ROOT/benches/db_peers.py" cx-arrow "$URL" peer
measure "write: mariadb client \`LOAD DATA LOCAL INFILE\`" "${SQL[*]} -e 'DROP TABLE IF EXISTS peer2; CREATE TABLE peer2 ($COLUMNS)'" \
  "${SQL[@]}" -e "$(printf "$LOAD" peer2)"
measure "write: \`iterable convert data.csv mysql://…?table=peer3&mode=replace\`" ":" \
  "$BIN" convert "$DATA" "$URL?table=peer3&mode=replace"
