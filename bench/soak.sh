#!/usr/bin/env bash
# The 10-minute soak: the host of the soak_60s test (tests/soak/soak.c:
# dlopen churn, thread churn, fork, crossings, start/stop cycles at 1 kHz)
# for 600 s, under the same driver, watchdog and checks, printing its
# figures (samples per CPU-second, drops, RSS after each stop, fds).
# Builds nothing.
#
#   bench/soak.sh BUILD_DIR [SECONDS] [--reset-signals] [--without=PARTS]
#
# --reset-signals adds the host that resets signals in mid-session (needs
# libprof to survive it); --without=dlopen,threads,fork,crossings leaves
# parts out.
set -u

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR [SECONDS] [--reset-signals] [--without=PARTS]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
secs=600
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  secs=$1
  shift
fi
soak=$build/tests/soak/soak
plugin=$build/tests/core/libchurn_plugin.so
for f in "$soak" "$plugin"; do
  [ -f "$f" ] || { echo "$0: $f is not built" >&2; exit 2; }
done
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/../tests/soak/run_soak.py" "$soak" "$plugin" \
  --seconds "$secs" "$@"
