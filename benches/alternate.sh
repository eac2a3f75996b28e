#!/usr/bin/env bash
# Times commands against each other on this machine: each round runs every command once,
# in turn (so a slow spell of the machine touches them all), and prints the median wall
# time and peak RSS of N rounds per command, with every run's time.
#
#   bash benches/alternate.sh 5 "glibc=target/release/examples/convert IN OUT" \
#                               "cli=target/release/iterable convert IN OUT"
set -euo pipefail
rounds=$1
shift
declare -A times rss
for _ in $(seq "$rounds"); do
  for spec in "$@"; do
    label=${spec%%=*}
    tmp=$(mktemp)
    /usr/bin/time -o "$tmp" -f "%e %M" ${spec#*=} >/dev/null 2>&1
    read -r wall peak < "$tmp"
    rm -f "$tmp"
    times[$label]+="$wall "
    rss[$label]+="$peak "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for spec in "$@"; do
  label=${spec%%=*}
  t=$(echo "${times[$label]}" | median)
  m=$(echo "${rss[$label]}" | median)
  echo "$label: ${t} s, $((m / 1024)) MiB peak  [${times[$label]% }]"
done
