#!/bin/sh
# C->Go callback cost with and without the libprof cgo provider
# (docs/go.md; the promise: at most 0.5 us more per callback). Builds
# bench/go twice against an install of BUILD_DIR, runs each REPS times
# alternately and prints the medians as a markdown table.
#   usage: bench/go_callback.sh BUILD_DIR [REPS]
set -eu
reps=${2:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
command -v go >/dev/null || { echo "(go_callback: no go toolchain)"; exit 0; }
. "$src/tools/ci/go_env.sh" "$1"
cd "$src/bench/go"
go build -o "$tmp/plain" .
go build -tags provider -o "$tmp/provider" .
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for i in $(seq "$reps"); do
  "$tmp/plain" >>"$tmp/plain.txt"
  "$tmp/provider" >>"$tmp/provider.txt"
done
p=$(median <"$tmp/plain.txt")
q=$(median <"$tmp/provider.txt")
echo
echo "## Go: C->Go callback cost (median of $reps runs of 2,000,000)"
echo
echo "| no provider | libprof provider | difference |"
echo "|---|---|---|"
echo "| $p ns | $q ns | $(awk -v p="$p" -v q="$q" 'BEGIN {printf "%.1f", q - p}') ns |"
