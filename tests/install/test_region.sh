#!/bin/sh
# The README's region example, compiled against the build and run as the
# README says: with LIBPROF_START=manual its prof_start(NULL) starts the
# session that LIBPROF_OUT configures; without LIBPROF_OUT it prints why
# it is not profiling, and still runs.
#   usage: test_region.sh README LIBPROF_BUILD_DIR PUBLIC_INCLUDE_DIR
set -u
readme=$1 build=$2 inc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }
awk '/<!-- region-example/ {want = 1; next}
     want && /^```c/ {on = 1; next}
     on && /^```/ {exit}
     on {print}' "$readme" > "$tmp/app.c"
check grep -q prof_start "$tmp/app.c"
cc -O1 -g -o "$tmp/app" "$tmp/app.c" -I"$inc" -L"$build" -lprof \
   -Wl,-rpath,"$build" || { echo "FAIL: the example does not compile"; exit 1; }
cd "$tmp"
LIBPROF_START=manual LIBPROF_OUT="$tmp/region.json" LIBPROF_HZ=1000 \
  ./app > out.txt 2> err.txt
check [ $? -eq 0 ]
check test -s "$tmp/region.json"
check grep -q '"work"' "$tmp/region.json"
check grep -q '^libprof: [0-9]* samples' err.txt
env -u LIBPROF_OUT ./app > out2.txt 2> err2.txt
check [ $? -eq 0 ]
check grep -q 'not profiling: no output path: set LIBPROF_OUT' err2.txt
check grep -q '^[0-9]' out2.txt
LIBPROF_START=bogus LIBPROF_OUT="$tmp/bogus.json" ./app > /dev/null 2> err3.txt
check grep -q 'LIBPROF_START="bogus" is invalid: expected load or manual' err3.txt
check [ ! -e "$tmp/bogus.json" ]
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
