#!/bin/sh
# The signal path's promise, checked: every symbol that the objects of the
# signal-path library (sigpath/) leave undefined is either defined by one
# of those objects or on the allowlist of async-signal-safe functions
# (tools/ci/sigsafe.allow). A call to malloc, a lock, stdio, or a TLS
# access that is not initial-exec (it needs __tls_get_addr) shows up here
# as an undefined symbol, and the check fails naming it.
#   usage: check_sigsafe.sh OBJECT...
set -eu
allow="$(dirname "$0")/sigsafe.allow"
defined=$(nm --defined-only "$@" | awk 'NF == 3 {print $3}' | sort -u)
undef=$(nm -u "$@" | awk 'NF == 2 {print $2}' | sort -u)
allowed=$(grep -v '^#' "$allow" | awk 'NF {print $1}' | sort -u)
bad=$(printf '%s\n' "$undef" |
      grep -v -x -F -e "$defined" -e "$allowed" -e '' || true)
if [ -n "$bad" ]; then
  echo "check_sigsafe: the signal path reaches functions that are not on"
  echo "the async-signal-safe allowlist ($allow):"
  printf '  %s\n' $bad
  echo "0 passed, 1 failed"
  exit 1
fi
echo "check_sigsafe: $(printf '%s\n' "$undef" | grep -c .) external symbols, all allowed"
echo "1 passed, 0 failed"
