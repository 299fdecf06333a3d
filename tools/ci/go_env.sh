# Sourced by the Go test and benchmark scripts: installs the build in
# $1 into a temporary prefix ($tmp, removed on exit) and sets the
# environment a Go program using libprof needs: pkg-config finds the
# install, the loader finds the library, and Go works offline with a
# private cache (nothing outside $tmp is written).
command -v go >/dev/null || { echo "no go toolchain (golang-go)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$1" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -n 1)
export PKG_CONFIG_PATH="$libdir/pkgconfig" LD_LIBRARY_PATH="$libdir"
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath"
export GOTOOLCHAIN=local CGO_ENABLED=1 GOENV=off
