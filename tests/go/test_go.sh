#!/bin/sh
# Runs `go test` in go/ against an install of this build, as a Go program
# would use libprof: the package finds it through pkg-config. Offline and
# with a private GOCACHE/GOPATH, so nothing outside the build is touched.
#   usage: test_go.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
command -v go >/dev/null || { echo "test_go: no go toolchain (golang-go)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -n 1)
export PKG_CONFIG_PATH="$libdir/pkgconfig" LD_LIBRARY_PATH="$libdir"
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath"
export GOTOOLCHAIN=local CGO_ENABLED=1
cd "$src/go"
go vet ./...
go test -count=1 -v ./... 2>&1 | tee "$tmp/out"
pass=$(grep -c '^--- PASS' "$tmp/out" || true)
fail=$(grep -c '^--- FAIL' "$tmp/out" || true)
echo "$pass passed, $fail failed"
grep -q '^ok' "$tmp/out" && [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
