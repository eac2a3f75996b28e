#!/usr/bin/env bash
# Reads of the peer data by the `iterable` CLI built at an earlier revision and at the
# working tree, beside polars, in one run of the shared harness (so the two builds meet
# the same machine state), and writes benches/results/BEFORE_AFTER.md. A change that
# must not slow the readers is checked with it:
#
#   bash benches/before_after.sh 9c8d11a          # before = that revision, after = here
#   PEER_INPUTS=data.csv PEER_REPEAT=7 bash benches/before_after.sh HEAD~1
set -euo pipefail
BASE="${1:?usage: before_after.sh REVISION}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
export PEERBENCH_DIR="${PEERBENCH_DIR:-$ROOT/target/peerbench}"
mkdir -p "$PEERBENCH_DIR"
PY="$PEERBENCH_DIR/venv/bin/python"
OUT="$ROOT/benches/results"
mkdir -p "$OUT"
BEFORE_SRC="$ROOT/target/before-src"

# The earlier revision in a worktree of its own (kept between runs of the same
# revision, so its build stays fresh), built into its own target folder.
WANT="$(git -C "$ROOT" rev-parse "$BASE^{commit}")"
if [ "$(git -C "$BEFORE_SRC" rev-parse HEAD 2>/dev/null)" != "$WANT" ]; then
  rm -rf "$BEFORE_SRC"
  git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add --detach "$BEFORE_SRC" "$WANT" >/dev/null
fi
(cd "$BEFORE_SRC" && CARGO_TARGET_DIR="$ROOT/target/before" cargo build --release --locked -p iterable-cli)
(cd "$ROOT" && cargo build --release --locked -p iterable-cli)
BEFORE="$ROOT/target/before/release/iterable"
AFTER="$ROOT/target/release/iterable"

[ -x "$PY" ] || bash "$BENCH/run_all.sh" setup
[ -f "$PEERBENCH_DIR/data/MANIFEST.json" ] || bash "$BENCH/run_all.sh" data

RES="$OUT/before_after.json"
rm -f "$RES"
INPUTS="${PEER_INPUTS:-data.csv,data.jsonl,data.csv.gz,data.parquet}"
"$PY" "$BENCH/run_peers.py" --append --results "$RES" --inputs "$INPUTS" \
  --benches polars_read,cmd --repeat "${PEER_REPEAT:-3}" \
  --cmd "before_$(git -C "$ROOT" rev-parse --short "$BASE")=$BEFORE count {path}" \
  --cmd "after_$(git -C "$ROOT" rev-parse --short HEAD)=$AFTER count {path}"
"$PY" "$BENCH/make_report.py" --results "$RES" --out "$OUT/BEFORE_AFTER.md" --findings /dev/null \
  --manifest "$PEERBENCH_DIR/data/MANIFEST.json"
sed -i -e "s#$ROOT/\.\./shared#../shared#g" -e "s#$ROOT/#./#g" -e "s#$PEERBENCH_DIR#\$PEERBENCH_DIR#g" "$RES" "$OUT/BEFORE_AFTER.md"
echo "report: $OUT/BEFORE_AFTER.md"
