#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (as root, or with sudo):
#   bash run.sh demo   install what is missing, build, profile the bundled
#                      example, write demo.speedscope.json and the flame
#                      graph page demo.html, print a summary
#   bash run.sh test   install what is missing, build, run every test (ctest)
#   bash run.sh bench  install what is missing, build, run the benchmarks
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
build=${LIBPROF_BUILD_DIR:-$root/build}

need_debs() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "run.sh: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build_debs=(build-essential cmake pkg-config python3 libunwind-dev libjansson-dev
            libcunit1-dev libdw-dev libelf-dev libprotobuf-c-dev protobuf-c-compiler
            zlib1g-dev liblzma-dev xz-utils binutils)
test_debs=(libc6-dbg golang-go chromium libgoogle-perftools-dev elfutils
           python3.11 python3.11-dev libpython3.11-dev
           clang libclang-rt-14-dev)  # clang + libFuzzer: tools/ci/fuzz.sh

do_build() {
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)"
}

node_deps() {
  command -v npm >/dev/null || need_debs nodejs npm
  (cd "$root/tests" && npm ci --no-audit --no-fund --loglevel=error)
}

case "${1:-}" in
  demo)
    need_debs "${build_debs[@]}"
    do_build >/dev/null
    out="$root/demo.speedscope.json"
    "$build/tools/libprof" record -o "$out" --format speedscope,html -F 1000 -- \
      "$build/examples/minivm/minivm" "$root/examples/minivm/scripts/demo.mv" 2000
    echo
    echo "Flame graph: file://$root/demo.html (self-contained, opens offline)"
    echo "Profile written to $out: open it at https://www.speedscope.app"
    echo "(or see docs/formats.md for d3-flame-graph, flamegraph.pl and pprof)."
    ;;
  test)
    need_debs "${build_debs[@]}" "${test_debs[@]}"
    node_deps
    do_build
    ctest --test-dir "$build" --output-on-failure --timeout 600
    # Sanitizer builds and fuzzing (docs/testing.md), timed.
    for step in "sanitize.sh address" "sanitize.sh thread" "fuzz.sh"; do
      t0=$(date +%s)
      bash "$root/tools/ci/"$step
      echo "run.sh: $step took $(( $(date +%s) - t0 )) s"
    done
    ;;
  bench)
    need_debs "${build_debs[@]}" libgoogle-perftools-dev valgrind golang-go
    do_build >/dev/null
    bash "$root/bench/run.sh" "$build"
    ;;
  *)
    echo "usage: bash run.sh demo|test|bench" >&2
    exit 2
    ;;
esac
