/* The bottom layer's one small header (in the spirit of libuv's
 * uv-common.h): visibility and attribute macros shared by every folder.
 * Every layer may include base/; base/ includes nothing of libprof's. */
#ifndef PROF_BASE_COMMON_H
#define PROF_BASE_COMMON_H

/* Internal symbols: never exported from libprof.so. */
#define PROF__HIDDEN __attribute__((visibility("hidden")))

/* Marks a function that the signal handler may call. It must use only
 * async-signal-safe operations: no malloc, locks, stdio, or lazy TLS. */
#define PROF__SIGSAFE

/* Paths the fast path does not take: out of line and out of the way. */
#define PROF__COLD __attribute__((cold, noinline))

#define PROF__STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

/* Code that reads memory the program owns and sanitizers watch (another
 * frame's redzones, a page only just proven readable): no sanitizer may
 * instrument it, since its checks would report the host's own state or
 * fault on the shadow of a wild address. gcc knows only the address and
 * thread sanitizers by name. */
#if defined(__clang__)
#define PROF__NO_SANITIZE                                                     \
  __attribute__((no_sanitize("address", "memory", "thread", "hwaddress"),    \
                 disable_sanitizer_instrumentation, noinline))
#else
#define PROF__NO_SANITIZE                                                     \
  __attribute__((no_sanitize("address", "thread", "hwaddress"), noinline))
#endif

#endif
