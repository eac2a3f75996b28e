#!/usr/bin/env bash
# Seeds each target's corpus (fuzz/corpus/<target>/) from testdata/ and the peer's
# conformance fixtures, and from testdata/people.csv converted into every format and
# codec by the `iterable` command (built first, debug).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
cargo build -q -p iterable-cli
BIN="$ROOT/target/debug/iterable"
for src in fuzz/fuzz_targets/read_*.rs; do
  target="$(basename "$src" .rs)"
  ext="$(sed -n 's/.*read_all("\([^"]*\)".*/\1/p' "$src")"
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  "$BIN" convert testdata/people.csv "$corpus/people.$ext" 2>/dev/null || true
  for f in testdata/*."$ext" testdata/hostile/*."$ext" ../shared/conformance/*/*/*."$ext"; do
    [ -f "$f" ] && cp "$f" "$corpus/$(echo "$f" | tr '/' '_')"
  done
  echo "$target: $(ls "$corpus" | wc -l) seeds"
done
