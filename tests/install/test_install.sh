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
# Only the public API is exported from the shared library, plus the libc
# functions libprof interposes on purpose (threads, dlclose, exec, signal
# dispositions, _exit).
bad=$(nm -D --defined-only "$libdir/libprof.so" | awk '{print $3}' |
      grep -v -E '^(prof_[a-z_]+|pthread_create|pthread_exit|pthread_setname_np|dlclose|fork|vfork|posix_spawnp?|f?exec[lv]?[pe]*|_{0,2}sigaction|signal|bsd_signal|ssignal|_{0,2}sysv_signal|sigset|_exit|_Exit|_init|_fini|__bss_start|_edata|_end)$' || true)
if [ -n "$bad" ]; then echo "unexpected exports: $bad"; exit 1; fi

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -o "$tmp/pc_consumer" "$src/consumer/consumer.c" $(pkg-config --cflags --libs libprof)
LD_LIBRARY_PATH="$libdir" "$tmp/pc_consumer" "$tmp/pc.json"
echo "ok   pkg-config consumer"

cmake -S "$src/consumer" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cb" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/cb/consumer" "$tmp/cm.json"
echo "ok   find_package consumer"
echo "2 passed, 0 failed"
