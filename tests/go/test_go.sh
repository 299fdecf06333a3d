#!/bin/sh
# Runs `go test` in go/ against an install of this build, as a Go program
# would use libprof: the package finds it through pkg-config. Offline and
# with a private GOCACHE/GOPATH, so nothing outside the build is touched.
#   usage: test_go.sh BUILD_DIR SOURCE_DIR
set -eu
src=$2
. "$src/tools/ci/go_env.sh" "$1"
cd "$src/go"
go vet ./...
go test -count=1 -v ./... 2>&1 | tee "$tmp/out"
pass=$(grep -c '^--- PASS' "$tmp/out" || true)
fail=$(grep -c '^--- FAIL' "$tmp/out" || true)
echo "$pass passed, $fail failed"
grep -q '^ok' "$tmp/out" && [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
