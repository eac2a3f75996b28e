# Sourced by the peer bench scripts: the paths they share, the release CLI built, the
# peers' Python environment made once, and the peer data files asked for generated.
#
#   source "$(dirname "$0")/peer_env.sh" data.csv,data.jsonl
# sets ROOT, BENCH, PEERBENCH_DIR (exported), PY, OUT, DATA and BIN.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
export PEERBENCH_DIR="${PEERBENCH_DIR:-$ROOT/target/peerbench}"
PY="$PEERBENCH_DIR/venv/bin/python"
OUT="$ROOT/benches/results"
DATA="$PEERBENCH_DIR/data"
mkdir -p "$OUT" "$PEERBENCH_DIR"

cargo build --release -p iterable-cli
BIN="$ROOT/target/release/iterable"

if [ ! -x "$PY" ]; then
  python3 -m venv "$PEERBENCH_DIR/venv"
  "$PY" -m pip install -q -r "$BENCH/requirements.txt"
fi
missing=0
for file in ${1//,/ }; do
  [ -f "$DATA/$file" ] || missing=1
done
[ "$missing" = 0 ] || "$PY" "$BENCH/gen_data.py" --rows 1000000 --out "$DATA" --only "$1"
