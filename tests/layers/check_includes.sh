#!/bin/sh
# Compiles one-line files against each layer's include view: every include
# of a lower layer must compile, every include of a higher one must not.
#   usage: check_includes.sh CC LAYERS_DIR PUBLIC_INCLUDE_DIR
set -u
cc=$1 views=$2 pub=$3
pass=0 fail=0
try() { # layer header expect(ok|refused)
  printf '#include "%s"\n' "$2" > "$tmp/t.c"
  if "$cc" -fsyntax-only -D_GNU_SOURCE -I "$views/$1" -I "$pub" "$tmp/t.c" \
       2>/dev/null; then got=ok; else got=refused; fi
  if [ "$got" = "$3" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1 including $2: $got, expected $3"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
try arch base/common.h ok
try sigpath arch/arch.h ok
try sigpath sigpath/sample.h ok
try sigpath unwind/unwind.h refused
try sigpath profiler/session.h refused
try unwind sigpath/sample.h ok
try unwind profiler/config.h refused
try unwind export/model.h refused
try export base/hash.h ok
try export sigpath/sample.h refused
try export profiler/session.h refused
try base arch/arch.h refused
try tools libprof.h ok
try tools profiler/session.h refused
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
