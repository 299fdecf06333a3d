/* `libprof record`, after the run: names every profile the program and
 * its subprocesses wrote, removes the subprocesses' empty ones, and
 * prints the table of the busiest readable profile. See record.h.
 *
 * Subprocesses inherit LD_PRELOAD and LIBPROF_OUT, so every process the
 * program starts (a wrapper script's commands, forked workers) profiles
 * itself: with %p in -o each writes its own pid's file; without it the
 * first process writes -o and the others write "<stem>.<pid>.<ext>"
 * (docs/formats.md). A process that ran too briefly to be sampled (sed,
 * a shell that only waits) writes a profile with no samples; those are
 * removed, so a wrapper script leaves only the profiles worth opening.
 * Only files whose pid part is a number and that were modified during
 * this run are touched. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libprof.h"
#include "tools/record.h"

#define PROF_RECORD_MAX_FORMATS 6
#define PROF_RECORD_PID_MARK 987654321L /* stands for "any pid" */

static const char *const prof_record_formats[PROF_RECORD_MAX_FORMATS] = {
    "speedscope", "d3", "collapsed", "pprof", "html", "svg"};

/* Samples in a profile: the first number of prof_report's header, or -1
 * when the file cannot be read (an HTML page). */
static long long prof_record_samples(const char *path) {
  char *buf = NULL, err[512];
  size_t len = 0;
  long long n = -1;
  FILE *mem = open_memstream(&buf, &len);
  if (mem == NULL)
    return -1;
  int rc = prof_report(path, mem, 1, NULL, err, sizeof(err));
  fclose(mem);
  if (rc == 0 && buf != NULL && sscanf(buf, "%lld samples", &n) != 1)
    n = -1;
  free(buf);
  return n;
}

/* The glob pattern of a subprocess's file for one format's path. */
static int prof_record_pattern(const struct prof_record_opts *o,
                               const char *fmt, char *pat, size_t len) {
  char p[4200];
  if (prof_output_path(o->out, o->format, fmt, PROF_RECORD_PID_MARK, p,
                       sizeof(p)) != 0)
    return -1;
  char mark[24];
  snprintf(mark, sizeof(mark), "%ld", PROF_RECORD_PID_MARK);
  char *at = strstr(p, mark);
  if (at != NULL) { /* %p in -o */
    snprintf(pat, len, "%.*s*%s", (int)(at - p), p, at + strlen(mark));
    return 0;
  }
  const char *slash = strrchr(p, '/');
  const char *base = slash ? slash + 1 : p;
  const char *dot = base[0] ? strchr(base + 1, '.') : NULL;
  size_t stem = dot ? (size_t)(dot - p) : strlen(p);
  snprintf(pat, len, "%.*s.*%s", (int)stem, p, dot ? dot : "");
  return 0;
}

/* The pid a matched file name carries where the pattern has '*', or 0. */
static long prof_record_pid_of(const char *pat, const char *path) {
  const char *star = strchr(pat, '*');
  size_t pre = (size_t)(star - pat), post = strlen(star + 1);
  size_t n = strlen(path);
  if (n <= pre + post)
    return 0;
  long pid = 0;
  for (size_t i = pre; i < n - post; i++) {
    if (path[i] < '0' || path[i] > '9' || pid > 100000000L)
      return 0;
    pid = pid * 10 + (path[i] - '0');
  }
  return pid;
}

struct prof_record_proc {
  long pid;
  char *paths[PROF_RECORD_MAX_FORMATS]; /* NULL where not written */
  long long samples;                    /* from a readable one, or -1 */
};

struct prof_record_run {
  struct prof_record_proc *procs; /* [0] is the program itself */
  size_t n;
};

static struct prof_record_proc *prof_record_proc(struct prof_record_run *r,
                                                 long pid) {
  for (size_t i = 0; i < r->n; i++)
    if (r->procs[i].pid == pid)
      return &r->procs[i];
  struct prof_record_proc *np = realloc(r->procs, (r->n + 1) * sizeof(*np));
  if (np == NULL)
    return NULL;
  r->procs = np;
  memset(&np[r->n], 0, sizeof(*np));
  np[r->n].pid = pid;
  np[r->n].samples = -1;
  return &np[r->n++];
}

/* Adds the program's own files and its subprocesses' files. */
static void prof_record_collect(const struct prof_record_opts *o, long pid,
                                long long since_ns,
                                struct prof_record_run *r) {
  char path[4200], pat[4300];
  if (prof_record_proc(r, pid) == NULL)
    return;
  for (int f = 0; f < PROF_RECORD_MAX_FORMATS; f++) {
    const char *fmt = prof_record_formats[f];
    if (prof_output_path(o->out, o->format, fmt, pid, path, sizeof(path)))
      continue;
    r->procs[0].paths[f] = strdup(path);
    glob_t g;
    if (prof_record_pattern(o, fmt, pat, sizeof(pat)) != 0 ||
        glob(pat, 0, NULL, &g) != 0)
      continue;
    for (size_t i = 0; i < g.gl_pathc; i++) {
      struct stat st;
      long cpid = prof_record_pid_of(pat, g.gl_pathv[i]);
      if (cpid <= 0 || cpid == pid || stat(g.gl_pathv[i], &st) != 0 ||
          (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec <
              since_ns)
        continue;
      struct prof_record_proc *p = prof_record_proc(r, cpid);
      if (p != NULL && p->paths[f] == NULL)
        p->paths[f] = strdup(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  for (size_t i = 0; i < r->n; i++)
    for (int f = 0; f < PROF_RECORD_MAX_FORMATS && r->procs[i].samples < 0;
         f++)
      if (r->procs[i].paths[f] != NULL &&
          access(r->procs[i].paths[f], R_OK) == 0)
        r->procs[i].samples = prof_record_samples(r->procs[i].paths[f]);
}

/* Prints "wrote A, B" for one process; returns the readable path with
 * the table's data (NULL when none). */
static const char *prof_record_list(const struct prof_record_proc *p,
                                    const char *who) {
  const char *readable = NULL;
  int any = 0;
  for (int f = 0; f < PROF_RECORD_MAX_FORMATS; f++) {
    if (p->paths[f] == NULL || access(p->paths[f], F_OK) != 0)
      continue;
    fprintf(stderr, "%s%s", any ? ", " : "libprof record: wrote ",
            p->paths[f]);
    if (readable == NULL && f < 4 && prof_record_samples(p->paths[f]) >= 0)
      readable = p->paths[f];
    any = 1;
  }
  if (any)
    fprintf(stderr, " (%s pid %ld, %lld samples)\n", who, p->pid,
            p->samples);
  return readable;
}

/* Removes a subprocess's files when its profile holds no sample. */
static int prof_record_tidy(struct prof_record_proc *p) {
  if (p->samples != 0)
    return 0;
  for (int f = 0; f < PROF_RECORD_MAX_FORMATS; f++)
    if (p->paths[f] != NULL)
      unlink(p->paths[f]);
  return 1;
}

void prof_record_files(const struct prof_record_opts *o, long pid,
                       long long since_ns) {
  struct prof_record_run r = {NULL, 0};
  char err[512];
  prof_record_collect(o, pid, since_ns, &r);
  size_t removed = 0, best = 0;
  for (size_t i = 1; i < r.n; i++) {
    if (prof_record_tidy(&r.procs[i])) {
      removed++;
      r.procs[i].pid = 0;
    } else if (r.procs[i].samples > r.procs[best].samples) {
      best = i;
    }
  }
  const char *table = NULL;
  for (size_t i = 0; !o->quiet && i < r.n; i++) {
    if (i > 0 && r.procs[i].pid == 0)
      continue;
    const char *t = prof_record_list(&r.procs[i], i ? "subprocess" : "program");
    if (i == best)
      table = t;
  }
  for (int f = 0; !o->quiet && r.n > 0 && f < PROF_RECORD_MAX_FORMATS; f++)
    if (r.procs[0].paths[f] != NULL) {
      if (access(r.procs[0].paths[f], F_OK) != 0)
        fprintf(stderr, "libprof record: no profile at %s (profiling did "
                "not start, or the program died before writing it)\n",
                r.procs[0].paths[f]);
      break;
    }
  if (!o->quiet && removed)
    fprintf(stderr, "libprof record: removed %zu empty profile%s of "
            "subprocesses that were never sampled\n", removed,
            removed == 1 ? "" : "s");
  if (!o->quiet && table != NULL) {
    fprintf(stderr, "libprof record: %s:\n", table);
    if (prof_report(table, stderr, 10, NULL, err, sizeof(err)) != 0)
      fprintf(stderr, "libprof record: %s\n", err);
  }
  for (size_t i = 0; i < r.n; i++)
    for (int f = 0; f < PROF_RECORD_MAX_FORMATS; f++)
      free(r.procs[i].paths[f]);
  free(r.procs);
}
