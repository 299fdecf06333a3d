/* libprof — in-process sampling CPU profiler for mixed native/managed code.
 *
 * One public header. Every declaration states:
 *   - thread safety ("thread-safe" = may be called from any thread at once),
 *   - async-signal safety ("AS-safe" = may be called from a signal handler),
 *   - ownership of any pointer it takes or returns.
 * Nothing in this API aborts the host: errors are negative PROF_E* codes,
 * explained by prof_strerror().
 */
#ifndef LIBPROF_H
#define LIBPROF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PROF_EXTERN __attribute__((visibility("default")))
#else
#define PROF_EXTERN
#endif

#define PROF_VERSION_MAJOR 0
#define PROF_VERSION_MINOR 1
#define PROF_VERSION_PATCH 0
#define PROF_VERSION_STRING "0.1.0"

/* Error codes. Always negative; 0 is success. */
enum prof_error {
  PROF_EINVAL = -1,      /* an argument is out of its documented range */
  PROF_ENOMEM = -2,      /* an allocation failed; nothing was changed */
  PROF_EBUSY = -3,       /* profiling is already running */
  PROF_ENOTRUNNING = -4, /* prof_stop() without a running session */
  PROF_EVERSION = -5,    /* hook contract version is not 0 */
  PROF_ETOOMANY = -6,    /* PROF_MAX_RUNTIMES runtimes are registered */
  PROF_EOUTPUT = -7,     /* the output path cannot be written */
  PROF_ESIGNAL = -8,     /* the sampling signal is taken or invalid */
  PROF_ETRIGGER = -9,    /* no sampling trigger could be created */
  PROF_EUNWIND = -10,    /* the DWARF unwinder (libunwind) cannot be loaded */
  PROF_EFORMAT = -11,    /* unknown output format, or malformed input file */
  PROF_ECONFIG = -12,    /* a LIBPROF_* environment variable is invalid */
  PROF_EIO = -13,        /* reading or writing a file failed */
  PROF_ESTATE = -14,     /* call not allowed now (e.g. inside the collector) */
  PROF_ENOOUT = -15      /* prof_start: no output path configured */
};

/* Returns a static English description of err. Thread-safe, AS-safe.
 * Unknown codes give "unknown libprof error". Never returns NULL. */
PROF_EXTERN const char *prof_strerror(int err);

/* Returns PROF_VERSION_STRING of the loaded library. Thread-safe, AS-safe. */
PROF_EXTERN const char *prof_version(void);

/* ---------------------------------------------------------------------------
 * Runtime hooks. Same field order and meaning as the argument structs of Go's
 * runtime.SetCgoTraceback, so the layouts are ABI-compatible with it.
 * ------------------------------------------------------------------------- */
struct prof_context_arg {
  uintptr_t context;
};

struct prof_traceback_arg {
  uintptr_t context;     /* 0: the thread is running managed code now */
  uintptr_t sig_context; /* the signal handler's ucontext_t *          */
  uintptr_t *buf;        /* write up to max PCs here, innermost first  */
  uintptr_t max;
};

struct prof_symbolizer_arg {
  uintptr_t pc;      /* in: a PC from traceback; 0 = end of batch   */
  const char *file;  /* out: source file, or NULL                   */
  uintptr_t lineno;  /* out: line, or 0                              */
  const char *func;  /* out: function name, or NULL                  */
  uintptr_t entry;   /* out: function entry PC, or 0                 */
  uintptr_t more;    /* out: non-zero = call again for this pc       */
  uintptr_t data;    /* the runtime's scratch; kept across `more`    */
};

/* At least this many runtimes can be registered at once. */
#define PROF_MAX_RUNTIMES 16

/* Registers a managed runtime. version must be 0.
 *  traceback  (required) runs INSIDE the SIGPROF handler: it must be AS-safe,
 *             must not allocate, lock or block. Arg: struct prof_traceback_arg.
 *  context    (optional, may be NULL) runs on the crossing thread from
 *             prof_enter_native (context == 0 in: store a non-zero value) and
 *             prof_leave_native (context != 0 in: release it).
 *  symbolizer (optional) runs in libprof's collector thread, never
 *             concurrently with itself; may allocate. The strings it returns
 *             must stay valid until it is called with pc == 0.
 *  name       copied; shown on every frame of this runtime ("native" is
 *             reserved). NULL or "" gives PROF_EINVAL.
 * Returns a runtime id >= 0, or PROF_EVERSION, PROF_EINVAL, PROF_ETOOMANY.
 * May be called before or after prof_start(). Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_runtime_register(int version, const char *name,
                                      void (*traceback)(void *),
                                      void (*context)(void *),
                                      void (*symbolizer)(void *));

/* Unregisters runtime id, so that the code of its hooks may be unloaded
 * (dlclose) as soon as this returns: by then no signal handler is inside
 * or can still enter its traceback hook, and neither the collector nor
 * the crossing functions will call its context or symbolizer hook again.
 * Samples already taken keep their managed frames named: before it
 * returns, the collector drains every sample taken so far and calls the
 * symbolizer (on the collector thread, as always) for each distinct PC of
 * the runtime in the running session, then once with pc == 0; the copies
 * of the names it gave are written at prof_stop. Its frames keep the
 * runtime's name; its id is not reused before the running session ends.
 * Threads may still be inside its crossings: their samples from then on
 * have no frames of it (marked truncated), their leaves balance, and the
 * context of a pending prof_leave_native is not released (no hook is
 * called). An enter with id afterwards counts as misuse (unknown runtime).
 * libprof never calls a hook after this returns; running the runtime's
 * own code after unloading it is the program's business.
 * Waits for samples in flight and for the collector (milliseconds);
 * serialized with prof_start/prof_stop. Returns 0, PROF_EINVAL (id not
 * registered), or PROF_ESTATE (called from a hook on libprof's collector
 * thread, e.g. inside a symbolizer). Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_runtime_unregister(int id);

/* Language crossings. Called on the crossing thread, in matched pairs:
 *   prof_enter_managed: native code is about to run managed code,
 *   prof_leave_managed: ...and that managed code has returned;
 *   prof_enter_native:  managed code is about to call native code,
 *   prof_leave_native:  ...and that native call has returned.
 * The first crossing on a thread allocates that thread's context slice
 * (outside any signal handler). Misuse (unmatched leave, unknown runtime id,
 * nesting beyond capacity) never crashes: it is counted in the summary and
 * the affected samples are marked truncated.
 * Thread-safe (each thread touches only its own slice). Not AS-safe. */
PROF_EXTERN void prof_enter_managed(int runtime);
PROF_EXTERN void prof_leave_managed(int runtime);
PROF_EXTERN void prof_enter_native(int runtime);
PROF_EXTERN void prof_leave_native(int runtime);

/* ---------------------------------------------------------------------------
 * Go: libprof as the cgo traceback, context and symbolizer provider
 * (docs/go.md). The three hooks take exactly the arguments that Go's
 * runtime.SetCgoTraceback(0, traceback, context, symbolizer) passes (the
 * structs above); the Go package in go/ registers them from its init. They
 * serve Go's own profiler and crash tracebacks and need no libprof session.
 * ------------------------------------------------------------------------- */

/* Prepares the hooks: the module list, libunwind (loaded privately), the
 * Go boundary of the executable, the symbolizer's private stack, and a
 * thread that derives unwind rules for the executable's C code and then
 * for every C function a traceback meets (the hooks only read what it
 * publishes). Call once before SetCgoTraceback, outside signal handlers;
 * later calls return the first call's result. 0, or PROF_EUNWIND,
 * PROF_ENOMEM. Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_cgo_init(void);

/* Go's traceback hook (arg: struct prof_traceback_arg *). Writes the C
 * frames from sig_context, or from a context of prof_cgo_context, or
 * (both 0) from its caller, up to Go code or max frames, then a 0 if
 * there is room; buf[0] is the interrupted PC, the others point into
 * their call instructions. Before prof_cgo_init: no frames.
 * AS-safe: no lock, no allocation, bounded time, errno kept; garbage in
 * the registers ends the walk instead of faulting. Thread-safe. */
PROF_EXTERN void prof_cgo_traceback(void *arg);

/* Go's context hook (arg: struct prof_context_arg *). context == 0:
 * records the C caller of the C->Go callback in a fixed pool and stores
 * its handle (0 if the pool is full or the caller's frame cannot be
 * stepped yet); context != 0: releases that handle.
 * AS-safe, lock-free, bounded time, errno kept. Thread-safe. */
PROF_EXTERN void prof_cgo_context(void *arg);

/* Go's symbolizer hook (arg: struct prof_symbolizer_arg *): function
 * (demangled), file, line and entry of a PC, one inlined frame per call
 * through `more`, innermost first. Relies on no field but pc: a stale or
 * zeroed `data`/`more` restarts the PC. pc == 0 ends a traceback and
 * clears data. On a signal's alternate stack it runs on a private stack.
 * May allocate (results are cached for the process lifetime); takes a
 * lock with a bounded wait and answers "?" when it cannot get it, so a
 * crash dump never hangs. Thread-safe. Not AS-safe. */
PROF_EXTERN void prof_cgo_symbolizer(void *arg);

/* ---------------------------------------------------------------------------
 * Sessions.
 * ------------------------------------------------------------------------- */

/* Options for prof_start(). A field left 0 / NULL takes the value of its
 * LIBPROF_* environment variable, or the default when that is unset; every
 * variable has its field. The struct grows at its end from version to
 * version: `size` says how much of it the caller knows. Initialise with
 * PROF_OPTIONS_INIT (size = sizeof, every other field 0). size 0 means the
 * size of this first version (0.1), so code that never set it keeps
 * working; fields past `size` take their variable or default; a larger
 * size (a caller built against a newer libprof) is accepted when the
 * fields this library does not know are all 0, else PROF_EINVAL. */
struct prof_options {
  unsigned size;       /* sizeof(struct prof_options), or 0 (see above)  */
  const char *out;     /* LIBPROF_OUT: output path; "%p" = pid           */
  int hz;              /* LIBPROF_HZ: 1..100000, default 100             */
  const char *mode;    /* LIBPROF_MODE: cpu|timer|itimer|wall            */
  const char *format;  /* LIBPROF_FORMAT: comma list, default by ext     */
  int max_depth;       /* LIBPROF_MAX_DEPTH: 1..4096, default 256        */
  int signal;          /* LIBPROF_SIGNAL: default SIGPROF                */
  int quiet;           /* LIBPROF_QUIET: 1 = no summary line, -1 = show  */
  const char *unwind;  /* LIBPROF_UNWIND: dwarf|fp, default dwarf        */
  int stack_bytes;     /* LIBPROF_STACK_BYTES: 1024..262144, 16384       */
  int keep_internals;  /* LIBPROF_KEEP_INTERNALS: 1 keep, -1 hide        */
  const char *collapsed_weight; /* LIBPROF_COLLAPSED_WEIGHT: samples|ns  */
  const char *debug_dirs; /* LIBPROF_DEBUG_DIRS: extra debug-file roots  */
  const char *fork;    /* LIBPROF_FORK: follow|stop                      */
  const char *log;     /* LIBPROF_LOG: file the summary is appended to   */
  int python;          /* LIBPROF_PYTHON: 1 on, -1 off (docs/python.md)  */
  int jitter;          /* LIBPROF_JITTER: 1 random periods, -1 fixed     */
  long long seed;      /* LIBPROF_SEED: > 0 fixes the period generator   */
  const char *cache_dir; /* LIBPROF_CACHE_DIR: on-disk symbol cache       */
};

#define PROF_OPTIONS_INIT {sizeof(struct prof_options)}

/* Starts a profiling session. opts may be NULL (all from environment).
 * Without an output path (opts->out NULL and LIBPROF_OUT unset) it returns
 * PROF_ENOOUT, whose prof_strerror text says what to set. With
 * LIBPROF_START=manual in the environment, LIBPROF_OUT and the other
 * variables configure the session but nothing starts at load: the
 * program's own prof_start(NULL) starts it.
 * An invalid setting prints one line naming it to stderr and returns
 * PROF_ECONFIG / PROF_EOUTPUT without starting anything.
 * Returns 0 or a negative error (PROF_EBUSY if already running).
 * Thread-safe (serialized internally). Not AS-safe.
 *
 * CPython 3.11: if the process has CPython 3.11.1+ (python3.11 itself, or
 * libpython3.11 linked into or dlopen'ed by the program before this call),
 * prof_start turns Python support on: Python frames (runtime "python",
 * with file and line) are merged in call order with the native ones, the
 * program's own C frames around them included. Nothing else to call, and
 * it does not matter whether Py_Initialize ran yet. It replaces
 * PyCode_Type's tp_dealloc for good (to name code objects freed before the
 * profile is written) and reads the interpreter's structures from the
 * signal handler without calling CPython. Another CPython version gets
 * one line on stderr and native frames only. LIBPROF_PYTHON=0 turns it
 * off. See docs/python.md. */
PROF_EXTERN int prof_start(const struct prof_options *opts);

/* Stops sampling, drains every sample already taken, and writes the output
 * (temporary file renamed into place). Prints the summary line unless quiet.
 * Returns 0, PROF_ENOTRUNNING, PROF_ESTATE when called from a runtime's
 * symbolizer hook (it runs on the thread prof_stop waits for; prof_start
 * refuses there too), or the error of the write (the session is stopped
 * either way). Thread-safe. Not AS-safe: never from a traceback hook. */
PROF_EXTERN int prof_stop(void);

/* A program linked with libprof that must not start a session at load,
 * even with LIBPROF_OUT in its environment (the `libprof` CLI, which
 * passes LIBPROF_OUT on to the program it records), defines
 *     PROF_EXTERN const int prof_no_autostart = 1;
 * libprof looks for the symbol, never at its value. */

/* Returns 1 while a session is sampling, else 0. Thread-safe, AS-safe. */
PROF_EXTERN int prof_running(void);

/* ---------------------------------------------------------------------------
 * Profile files (used by the `libprof` CLI; work without a session).
 * ------------------------------------------------------------------------- */

/* Converts a profile file to another format. in is read in any format that
 * holds enough (speedscope, d3, collapsed, pprof); format NULL = by out's
 * extension.
 * The output is written to a temporary file and renamed: on error nothing is
 * left at out. errbuf (may be NULL) receives a one-line message.
 * Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_convert(const char *in, const char *out,
                             const char *format, char *errbuf,
                             unsigned errlen);

/* Prints to the stream `out` (a FILE *) a table of the top functions by self
 * weight, with total weight and percentages, from a libprof speedscope file.
 * top <= 0 means 20. thread NULL = all threads, otherwise a thread name or
 * tid. Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_report(const char *in, void *out, int top,
                            const char *thread, char *errbuf,
                            unsigned errlen);

/* prof_report_ex's flags. */
#define PROF_REPORT_TREE 0x1u       /* a top-down call tree, not a table  */
#define PROF_REPORT_LINES 0x2u      /* rows per source line of a function */
#define PROF_REPORT_FULL_NAMES 0x4u /* C++ names whole: no elision of
                                       template arguments and parameters */

struct prof_report_opts {
  int top;            /* table rows; <= 0 means 20                        */
  const char *thread; /* NULL = all threads, else a name, tid or label    */
  unsigned flags;     /* PROF_REPORT_*                                    */
  unsigned hz;        /* for files whose numbers are sample counts with no
                         time unit (collapsed stacks): the rate to turn
                         them into time; 0 = show sample counts           */
};

/* prof_report with options: a header, a table of the threads when there
 * are several, then the functions (or the call tree). Native C++ names are
 * shortened as pprof does (template arguments and parameter lists elided)
 * unless PROF_REPORT_FULL_NAMES. in may be any readable format (speedscope,
 * d3, collapsed, pprof). Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_report_ex(const char *in, void *out,
                               const struct prof_report_opts *opts,
                               char *errbuf, unsigned errlen);

/* The file a session writes `format` ("speedscope", "d3", "collapsed",
 * "pprof", "html" or "svg") to, given its LIBPROF_OUT value `out` and its LIBPROF_FORMAT
 * value `formats` (NULL: implied by out's extension, else speedscope):
 * out itself, or a sibling with that format's extension. "%p" in out
 * becomes pid and "%%" becomes "%", as the session does. Lets a tool find
 * what a profiled child wrote. Returns 0, PROF_EFORMAT (unknown format, or
 * not among formats) or PROF_EINVAL (bad argument, or buf too small).
 * Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_output_path(const char *out, const char *formats,
                                 const char *format, long pid, char *buf,
                                 unsigned len);

/* Checks now what a session would check at start for the same out,
 * formats and pid (see prof_output_path): every file it would write is
 * under PATH_MAX with names under NAME_MAX, and is absent or a regular
 * file (not a directory, device, FIFO, socket or symbolic link), and its
 * directory takes a new file. Lets a tool refuse an output before it runs
 * a program. Returns 0, PROF_EOUTPUT or PROF_EINVAL/PROF_EFORMAT, with a
 * one-line reason in errbuf (may be NULL). Thread-safe. Not AS-safe. */
PROF_EXTERN int prof_output_check(const char *out, const char *formats,
                                  long pid, char *errbuf, unsigned errlen);

#ifdef __cplusplus
}
#endif
#endif /* LIBPROF_H */
