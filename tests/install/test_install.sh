#!/bin/sh
# Installs the build into a temporary prefix and builds a consumer against
# it twice: with pkg-config and with CMake find_package(libprof).
set -eu
build=$1
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/ | head -n 1)
test -f "$tmp/prefix/include/libprof.h"
test -f "$libdir/libprof.a"
readelf -d "$libdir/libprof.so" | grep -q 'SONAME.*libprof.so.0'
# Exactly the listed symbols are exported (tests/install/exports.txt).
nm -D --defined-only "$libdir/libprof.so" | awk '{print $3}' | sort > "$tmp/exports"
if ! grep -v '^#' "$src/exports.txt" | diff -u - "$tmp/exports"; then
  echo "libprof.so exports differ from tests/install/exports.txt"; exit 1
fi

export PKG_CONFIG_PATH="$libdir/pkgconfig"
# The private dependencies are named through Requires.private, not by hand.
pkg-config --print-requires-private libprof | grep -q '^libdw'
cc -o "$tmp/pc_consumer" "$src/consumer/consumer.c" $(pkg-config --cflags --libs libprof)
LD_LIBRARY_PATH="$libdir" "$tmp/pc_consumer" "$tmp/pc.json"
echo "ok   pkg-config consumer (shared)"
cc -o "$tmp/pcs_consumer" "$src/consumer/consumer.c" -Wl,-Bstatic \
   $(pkg-config --cflags --libs-only-L libprof) -lprof -Wl,-Bdynamic \
   $(pkg-config --static --libs-only-l libprof | sed 's/-lprof//')
! ldd "$tmp/pcs_consumer" | grep -q libprof.so
"$tmp/pcs_consumer" "$tmp/pcs.json"
echo "ok   pkg-config consumer (static)"

cmake -S "$src/consumer" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cb" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/cb/consumer" "$tmp/cm.json"
echo "ok   find_package consumer (libprof::libprof)"
cmake -S "$src/consumer" -B "$tmp/cs" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCONSUMER_STATIC=ON >/dev/null
cmake --build "$tmp/cs" >/dev/null
! ldd "$tmp/cs/consumer" | grep -q libprof.so
"$tmp/cs/consumer" "$tmp/cs.json"
echo "ok   find_package consumer (libprof::prof_static)"

# BUILD_TESTING=OFF: the library and the CLI configure and build without
# the test-only dependencies (CUnit, Python, Node, gperftools).
cmake -S "$src/../.." -B "$tmp/lean" -DBUILD_TESTING=OFF >/dev/null
cmake --build "$tmp/lean" -j2 --target prof prof_static libprof_tool >/dev/null
if grep -E '^(CUNIT_FOUND|NODE|Python3_EXECUTABLE|PROF_GPERF_LIBRARY)[:=]' \
   "$tmp/lean/CMakeCache.txt"; then
  echo "BUILD_TESTING=OFF still looks for test dependencies"; exit 1
fi
echo "ok   BUILD_TESTING=OFF build"
echo "5 passed, 0 failed"
