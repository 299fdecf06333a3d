#!/usr/bin/env bash
# Runs every benchmark binary present in a build tree and prints all tables
# (markdown, ready for docs/PERFORMANCE.md). Builds nothing.
#
#   bench/run.sh BUILD_DIR
#
# Knobs (environment): BENCH_SAMPLES (20000 samples per cell), BENCH_REPS
# (5 repetitions, the median is shown), BENCH_CROSS_PAIRS, BENCH_CROSS_REPS,
# BENCH_CALLGRIND=0 to skip the instruction counts, BENCH_KEEP=1 to keep
# the profiles sample_cost and crossing write (/tmp/libprof-bench-*).
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
bin=$build/bench
[ -d "$bin" ] || bin=$build

# A LIBPROF_OUT in the caller's environment would start a session when
# libprof loads, and every prof_start of the benchmarks would fail.
for v in $(env | sed -n 's/^\(LIBPROF_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset CPUPROFILE LD_PRELOAD

status=0
runnable() { [ -f "$1" ] && [ -x "$1" ]; }

run_one() { # name [args...]: runs $bin/name, notes a failure, goes on
  local name=$1
  shift
  "$bin/$name" "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "**$name exited with status $rc**"
    status=1
  fi
}

echo "# libprof benchmarks"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "$(nproc) CPUs, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "- compiler: $(${CC:-cc} --version 2>/dev/null | head -1)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null)
if [ -n "$src" ] && git -C "$src" rev-parse --short HEAD >/dev/null 2>&1; then
  dirty=$(git -C "$src" status --porcelain --untracked-files=no | wc -l)
  echo "- source: $src at $(git -C "$src" rev-parse --short HEAD)" \
       "($dirty files modified since)"
fi
echo "- build type: $(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)"

if runnable "$bin/sample_cost"; then
  run_one sample_cost
else
  echo; echo "(sample_cost not built)"
fi

# Instructions per crossing pair under callgrind, which counts the same
# every time: a small and a large run of the same binary, so start-up, exit
# and the first crossing's slice allocation cancel in the difference. Two
# counts: everything the program executes (the benchmark's loop and calls
# included), and only inside prof_enter_*/prof_leave_* and what they call
# (the trivial context hook), which the goal is about.
callgrind_ir() { # kind pairs [callgrind options] -> total Ir
  local kind=$1 pairs=$2 out
  shift 2
  out=$(mktemp /tmp/libprof-bench-cg.XXXXXX)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" \
    "$bin/crossing" --pairs "$pairs" "$kind" >/dev/null 2>&1
  sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out"
  rm -f "$out"
}

per_pair() { # kind [callgrind options] -> instructions per pair, or ""
  local small=1000 large=101000 a b
  a=$(callgrind_ir "$1" $small "${@:2}")
  b=$(callgrind_ir "$1" $large "${@:2}")
  [ -n "$a" ] && [ -n "$b" ] || return 0
  awk -v a="$a" -v b="$b" -v d=$((large - small)) \
    'BEGIN { printf "%.1f", (b - a) / d }'
}

# The handler's own instructions per sample for (c), from callgrind's
# inclusive count of libprof's signal handler (prof__on_signal): the
# user-space part only (the kernel's signal delivery and process_vm_readv
# are not counted), but exact, where the timings of (c) move with the load.
handler_ir() { # plain|cross -> instructions per sample, or ""
  local n=2000 out
  out=$(mktemp /tmp/libprof-bench-cg.XXXXXX)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin/crossing" --samples $n "$1" >/dev/null 2>&1
  callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null |
    awk -v n=$n '/:prof__on_signal / { gsub(",", "", $1); printf "%.0f", $1 / n; exit }'
  rm -f "$out"
}

callgrind_usable() { # says why not, if not
  if [ "${BENCH_CALLGRIND:-1}" = 0 ] || ! command -v valgrind >/dev/null ||
     ! command -v callgrind_annotate >/dev/null; then
    echo "(skipped: valgrind not installed or BENCH_CALLGRIND=0)"
    return 1
  fi
}

handler_ir_table() {
  echo
  echo "## crossing (c), instructions: the handler's user-space instructions per sample (issue 3)"
  echo
  callgrind_usable || return 0
  local plain cross
  plain=$(handler_ir plain)
  cross=$(handler_ir cross)
  if [ -z "$plain" ] || [ -z "$cross" ]; then
    echo "(callgrind found no prof__on_signal)"
    status=1
    return
  fi
  echo "callgrind, inclusive Ir of prof__on_signal / 2000 samples, kernel work excluded."
  echo
  echo "| sample | instructions per sample |"
  echo "|---|---:|"
  echo "| native only, 30 frames | $plain |"
  echo "| 3 crossings + 20 managed frames, same stack | $cross |"
  echo "| difference | $((cross - plain)) |"
}

if runnable "$bin/crossing"; then
  run_one crossing
  echo
  echo "## crossing (b): instructions per crossing pair (issue 3)"
  echo
  if callgrind_usable; then
    echo "valgrind --tool=callgrind, (Ir(N=101000) - Ir(N=1000)) / 100000."
    echo "Goal: <= 40 instructions per pair, inside the crossing functions."
    echo
    echo "| pair | whole loop iteration | inside prof_enter/leave (hook included) | goal <= 40 |"
    echo "|---|---:|---:|---|"
    for kind in native managed; do
      all=$(per_pair "$kind")
      lib=$(per_pair "$kind" --toggle-collect='prof_enter_*' \
              --toggle-collect='prof_leave_*')
      if [ -z "$all" ] || [ -z "$lib" ]; then
        echo "| $kind | callgrind failed | | |"
        status=1
        continue
      fi
      verdict=$(awk -v x="$lib" 'BEGIN { print (x <= 40 ? "MET" : "MISSED") }')
      echo "| prof_enter_$kind + prof_leave_$kind | $all | $lib | $verdict |"
    done
  fi
  handler_ir_table
else
  echo; echo "(crossing not built)"
fi

# The other benchmarks (trigger modes, symbolization, unwinding, ...):
# every other executable of the bench directory, in name order. Helpers
# that other binaries run (*_gperf, *_host, *_child, *_helper) are skipped.
# A benchmark that needs arguments gets them here (see its bench/*.cmake).
if [ "$bin" = "$build/bench" ]; then
  for f in "$bin"/*; do
    runnable "$f" || continue
    name=$(basename "$f")
    case $name in
      sample_cost|crossing|*_gperf|*_host|*_child*|*_helper*) continue ;;
      *.so|*.so.*|*.a|*.o|*.sh|*.cmake|*.txt) continue ;;
    esac
    args=()
    case $name in
      bench_symbolize) args=("$build/libprof.so") ;; # LIBPROF_SO [SECONDS]
    esac
    echo
    echo "## $name"
    echo
    run_one "$name" "${args[@]}"
  done
fi

# The Go cgo provider's cost per C->Go callback (needs the go toolchain).
bash "$(dirname "$0")/go_callback.sh" "$build" || status=1
exit $status
