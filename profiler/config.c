/* LIBPROF_* parsing. Every bad value is reported by name, with what the
 * variable accepts, before anything starts: a profiler that fails at exit
 * would lose the whole run. */
#include "profiler/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/export.h"
#include "profiler/fork.h"
#include "sigpath/sampler.h"
#include "unwind/unwind.h"

const char *const prof__mode_names[] = {"cpu", "timer", "itimer", "wall"};

struct prof__cfgctx {
  char *err;
  size_t errlen;
};

static int prof__bad(struct prof__cfgctx *x, const char *var, const char *val,
                     const char *accepts) {
  snprintf(x->err, x->errlen,
           "libprof: %s=\"%.*s%s\" is invalid: expected %s; profiling is off",
           var, PROF__CUT(val), accepts);
  return PROF_ECONFIG;
}

static const char *prof__env(const char *name) {
  const char *v = secure_getenv(name);
  return v && v[0] ? v : NULL;
}

/* Strict decimal integer in [lo, hi]: no sign tricks, no trailing text. */
static int prof__parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static int prof__int_opt(struct prof__cfgctx *x, int given, const char *var,
                         long lo, long hi, long dflt, const char *accepts,
                         int *out) {
  if (given) {
    if (given < lo || given > hi) {
      char v[32];
      snprintf(v, sizeof(v), "%d", given);
      return prof__bad(x, var, v, accepts);
    }
    *out = given;
    return 0;
  }
  const char *s = prof__env(var);
  long v = dflt;
  if (s && prof__parse_int(s, lo, hi, &v) != 0)
    return prof__bad(x, var, s, accepts);
  *out = (int)v;
  return 0;
}

static int prof__name_opt(struct prof__cfgctx *x, const char *given,
                          const char *var, const char *const *names, int n,
                          int dflt, const char *accepts, int *out) {
  const char *s = given ? given : prof__env(var);
  *out = dflt;
  if (!s)
    return 0;
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return 0;
    }
  return prof__bad(x, var, s, accepts);
}

static int prof__parse_signal(const char *s) {
  static const struct { const char *name; int sig; } names[] = {
      {"SIGPROF", SIGPROF}, {"SIGVTALRM", SIGVTALRM}, {"SIGALRM", SIGALRM},
      {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(s, names[i].name) == 0 || strcmp(s, names[i].name + 3) == 0)
      return names[i].sig;
  long v;
  if (strncmp(s, "SIGRTMIN+", 9) == 0 &&
      prof__parse_int(s + 9, 0, SIGRTMAX - SIGRTMIN, &v) == 0)
    return SIGRTMIN + (int)v;
  if (prof__parse_int(s, 1, SIGRTMAX, &v) != 0)
    return -1;
  int ok = v == SIGPROF || v == SIGVTALRM || v == SIGALRM || v == SIGUSR1 ||
           v == SIGUSR2 || (v >= SIGRTMIN && v <= SIGRTMAX);
  return ok ? (int)v : -1;
}

static int prof__signal_opt(struct prof__cfgctx *x, int given, int *out) {
  static const char accepts[] =
      "SIGPROF, SIGVTALRM, SIGALRM, SIGUSR1, SIGUSR2, SIGRTMIN+N or their "
      "numbers";
  char buf[16];
  const char *s = prof__env("LIBPROF_SIGNAL");
  if (given) {
    snprintf(buf, sizeof(buf), "%d", given);
    s = buf;
  }
  *out = SIGPROF;
  if (s && (*out = prof__parse_signal(s)) < 0)
    return prof__bad(x, "LIBPROF_SIGNAL", s, accepts);
  return 0;
}

int prof__config_expand_out(const char *in, pid_t pid, char *out,
                            size_t len) {
  size_t j = 0;
  for (const char *p = in; *p; p++) {
    char tmp[24];
    if (p[0] == '%' && p[1] == 'p') {
      snprintf(tmp, sizeof(tmp), "%ld", (long)pid);
      p++;
    } else {
      tmp[0] = *p, tmp[1] = '\0';
      p += p[0] == '%' && p[1] == '%';
    }
    size_t n = strlen(tmp);
    if (j + n + 1 > len) {
      out[j] = '\0';
      return -1;
    }
    memcpy(out + j, tmp, n);
    j += n;
  }
  out[j] = '\0';
  return 0;
}

static int prof__out_opt(struct prof__cfgctx *x, const struct prof_options *o,
                         struct prof__config *c) {
  const char *s = o && o->out ? o->out : prof__env("LIBPROF_OUT");
  if (!s || !s[0])
    return PROF_ENOOUT;
  c->out_from_env = !(o && o->out);
  /* Kept so that a fork child can expand %p with its own pid. */
  snprintf(c->out_pattern, sizeof(c->out_pattern), "%s", s);
  if (prof__config_expand_out(s, getpid(), c->out, sizeof(c->out)) != 0)
    return prof__bad(x, "LIBPROF_OUT", s, "a path shorter than 4096 bytes");
  prof__out_adjust(c); /* an exec'd program writes its own file */
  return 0;
}

int prof__config_check_out(const struct prof__config *c, char *err,
                           size_t errlen) {
  char why[512];
  int r = prof__export_check(c->out, c->formats, why, sizeof(why));
  if (r != 0)
    snprintf(err, errlen, "libprof: %s=\"%.*s%s\": %s; profiling is off",
             c->out_from_env ? "LIBPROF_OUT" : "prof_options.out",
             PROF__CUT(c->out_pattern), why);
  return r;
}

static int prof__format_opt(struct prof__cfgctx *x, const char *given,
                            struct prof__config *c) {
  const char *s = given ? given : prof__env("LIBPROF_FORMAT");
  const char *bad = NULL;
  if (s && prof__format_parse(s, &c->formats, &bad) != 0)
    return prof__bad(x, "LIBPROF_FORMAT", s,
                     "a comma list of speedscope, d3, collapsed, pprof, html, "
                     "svg");
  if (!s) {
    c->formats = prof__format_from_path(c->out);
    if (!c->formats)
      c->formats = PROF__FMT_SPEEDSCOPE;
  }
  return 0;
}

/* A tri-state option (1 on, -1 off, 0 = its variable) over a 0/1
 * variable. */
static int prof__bool_opt(struct prof__cfgctx *x, int given, const char *var,
                          int dflt, int *out) {
  static const char *const bools[] = {"0", "1"};
  if (given) {
    *out = given > 0;
    return 0;
  }
  return prof__name_opt(x, NULL, var, bools, 2, dflt, "0 or 1", out);
}

static int prof__path_opt(struct prof__cfgctx *x, const char *given,
                          const char *var, char *out, size_t len) {
  const char *s = given ? given : prof__env(var);
  if (s && strlen(s) >= len)
    return prof__bad(x, var, s, "a path shorter than 4096 bytes");
  snprintf(out, len, "%s", s ? s : "");
  return 0;
}

/* LIBPROF_SEED (or a non-zero seed option) fixes the sampling periods'
 * generator (reproducible runs); unset, every run draws its own seed from
 * the clocks and the pid. */
static int prof__seed_opt(struct prof__cfgctx *x, long long given,
                          struct prof__config *c) {
  const char *s = prof__env("LIBPROF_SEED");
  long v = given > 0 ? (long)given : 0;
  if (given < 0) {
    char b[32];
    snprintf(b, sizeof(b), "%lld", given);
    return prof__bad(x, "LIBPROF_SEED", b,
                     "an integer from 0 to 9223372036854775807");
  }
  if (!given && s && prof__parse_int(s, 0, LONG_MAX, &v) != 0)
    return prof__bad(x, "LIBPROF_SEED", s,
                     "an integer from 0 to 9223372036854775807");
  c->seed = given || s ? (uint64_t)v
                       : prof__now_ns(CLOCK_MONOTONIC) * 0x9e3779b97f4a7c15u ^
                             prof__now_ns(CLOCK_REALTIME) ^
                             (uint64_t)getpid() << 40;
  return 0;
}

static int prof__misc_opts(struct prof__cfgctx *x, const struct prof_options *o,
                           struct prof__config *c) {
  static const char *const unwinds[] = {"dwarf", "fp"};
  static const char *const weights[] = {"samples", "ns"};
  static const char *const forks[] = {"follow", "stop"};
  static const char *const starts[] = {"load", "manual"};
  int stack = 0, start;
  int err = prof__int_opt(x, o->stack_bytes, "LIBPROF_STACK_BYTES", 1024,
                          262144, 16384, "an integer from 1024 to 262144",
                          &stack);
  c->stack_bytes = (size_t)stack;
  if (!err)
    err = prof__name_opt(x, o->unwind, "LIBPROF_UNWIND", unwinds, 2, 0,
                         "dwarf or fp", &c->unwind);
  if (!err)
    err = prof__name_opt(x, o->collapsed_weight, "LIBPROF_COLLAPSED_WEIGHT",
                         weights, 2, 0, "samples or ns", &c->collapsed_ns);
  if (!err)
    err = prof__bool_opt(x, o->keep_internals, "LIBPROF_KEEP_INTERNALS", 0,
                         &c->keep_internals);
  if (!err)
    err = prof__name_opt(x, o->fork, "LIBPROF_FORK", forks, 2, 0,
                         "follow or stop", &c->fork_stop);
  if (!err)
    err = prof__path_opt(x, o->log, "LIBPROF_LOG", c->log, sizeof(c->log));
  if (!err)
    err = prof__path_opt(x, o->debug_dirs, "LIBPROF_DEBUG_DIRS",
                         c->debug_dirs, sizeof(c->debug_dirs));
  if (!err)
    err = prof__path_opt(x, o->cache_dir, "LIBPROF_CACHE_DIR", c->cache_dir,
                         sizeof(c->cache_dir));
  if (!err)
    err = prof__bool_opt(x, o->python, "LIBPROF_PYTHON", 1, &c->python);
  if (!err)
    err = prof__bool_opt(x, o->jitter, "LIBPROF_JITTER", 1, &c->jitter);
  if (!err)
    err = prof__seed_opt(x, o->seed, c);
  if (!err) /* used at load (session.c); a bad value is reported here */
    err = prof__name_opt(x, NULL, "LIBPROF_START", starts, 2, 0,
                         "load or manual", &start);
  c->quiet = o->quiet ? o->quiet > 0 : prof__env("LIBPROF_QUIET") != NULL;
  return err;
}

/* The caller's options as this library's struct: the first `size` bytes
 * (0: this first version's size), the rest 0 (see libprof.h). */
static int prof__options_copy(struct prof__cfgctx *x,
                              const struct prof_options *o,
                              struct prof_options *full) {
  memset(full, 0, sizeof(*full));
  if (!o)
    return 0;
  size_t n = o->size ? o->size : sizeof(*full);
  const unsigned char *p = (const unsigned char *)o;
  for (size_t i = sizeof(*full); i < n; i++)
    if (p[i] != 0) {
      snprintf(x->err, x->errlen, "libprof: struct prof_options of %zu bytes "
               "sets fields this libprof (%zu bytes) does not know; "
               "profiling is off", n, sizeof(*full));
      return PROF_EINVAL;
    }
  memcpy(full, o, n < sizeof(*full) ? n : sizeof(*full));
  return 0;
}

int prof__config_load(const struct prof_options *opts,
                      struct prof__config *c, char *err, size_t errlen) {
  struct prof__cfgctx x = {err, errlen};
  struct prof_options full, *o = &full;
  int mode = 0;
  memset(c, 0, sizeof(*c));
  err[0] = '\0';
  int r = prof__options_copy(&x, opts, &full);
  if (!r)
    r = prof__out_opt(&x, o, c);
  if (!r)
    r = prof__int_opt(&x, o->hz, "LIBPROF_HZ", 1, 100000, 100,
                      "an integer from 1 to 100000", &c->hz);
  if (!r)
    r = prof__name_opt(&x, o->mode, "LIBPROF_MODE", prof__mode_names, 4, 0,
                       "cpu, timer, itimer or wall", &mode);
  if (!r)
    r = prof__int_opt(&x, o->max_depth, "LIBPROF_MAX_DEPTH", 1, 4096, 256,
                      "an integer from 1 to 4096", &c->max_depth);
  if (!r)
    r = prof__signal_opt(&x, o->signal, &c->signal);
  if (!r)
    r = prof__format_opt(&x, o->format, c);
  if (!r)
    r = prof__misc_opts(&x, o, c);
  if (!r)
    r = prof__config_check_out(c, err, errlen);
  c->mode = (enum prof__mode)mode;
  return r;
}
