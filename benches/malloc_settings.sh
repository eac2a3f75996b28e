#!/usr/bin/env bash
# Converts a file with the release CLI under several glibc allocator settings
# (GLIBC_TUNABLES) and prints, for each, the median wall time, CPU time and peak RSS of
# N runs (the output removed before each, as the peer harness does). The empty setting
# is glibc's defaults as the CLI leaves them (the CLI's own `mallopt` calls come first,
# so a tunable only shows what it does where the CLI sets nothing: compare builds for
# that).
#
#   bash benches/malloc_settings.sh BIN INPUT OUT N "" "glibc.malloc.arena_max=1" ...
set -euo pipefail
BIN=$1 IN=$2 OUT=$3 N=$4
shift 4
median() { printf "%s\n" "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for tunables in "$@"; do
  walls=() cpus=() rss=()
  for _ in $(seq "$N"); do
    rm -f "$OUT"
    read -r wall user sys kb < <({ GLIBC_TUNABLES=$tunables /usr/bin/time -f "%e %U %S %M" \
      "$BIN" convert "$IN" "$OUT" >/dev/null; } 2>&1 | tail -1)
    walls+=("$wall") cpus+=("$(echo "$user + $sys" | bc)") rss+=("$kb")
  done
  echo "wall $(median "${walls[@]}") s, cpu $(median "${cpus[@]}") s, peak $(( $(median "${rss[@]}") / 1024 )) MiB :: ${tunables:-defaults}"
done
