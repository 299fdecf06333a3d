/* prof_report() / prof_report_ex(): the top functions of a profile file,
 * by self weight, after a header and (with several threads) a table of
 * the threads; or the top-down tree (report_tree.c).
 *
 * A function is a (name, runtime) pair, so an inlined copy of f counts as
 * f, and a script function and a C function of the same name stay apart;
 * the name is pprof's short form for C++ (names.c) unless full names are
 * asked for, and with PROF_REPORT_LINES a row is a function at one line.
 * Files with counts but no time unit (collapsed stacks) are shown in
 * samples, or in milliseconds at the rate the caller gives.
 * self = weight of the samples whose leaf frame is the function; total =
 * weight of the samples whose stack contains it, counted once per sample
 * even when it recurses. Percentages are of the selected threads' weight.
 * Thread-safe (no shared state). Not AS-safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/names.h"
#include "export/report.h"
#include "export/writers.h"

/* The row key of frame f: display name and runtime, and in lines mode its
 * file and line. Native names are shortened unless FULL_NAMES. */
static const char *prof__report_name(struct prof__report *r, size_t i) {
  const struct prof__model_frame *f = &r->m->frames[i];
  if ((r->o->flags & PROF_REPORT_FULL_NAMES) ||
      strcmp(f->runtime, PROF__RUNTIME_NATIVE) != 0 ||
      strpbrk(f->name, "<([") == NULL)
    return f->name;
  r->names[i] = prof__short_name(f->name);
  return r->names[i];
}

static int prof__report_same(const struct prof__rfunc *x, const char *name,
                             const struct prof__model_frame *f, int lines) {
  return strcmp(x->name, name) == 0 && strcmp(x->runtime, f->runtime) == 0 &&
         (!lines || (x->line == f->line &&
                     (x->file == f->file ||
                      (x->file && f->file && strcmp(x->file, f->file) == 0))));
}

static int prof__report_funcs(struct prof__report *r) {
  const struct prof__model *m = r->m;
  int lines = (r->o->flags & PROF_REPORT_LINES) != 0;
  r->funcs = calloc(m->nframes + 1, sizeof(*r->funcs));
  r->frame_func = calloc(m->nframes + 1, sizeof(*r->frame_func));
  r->names = calloc(m->nframes + 1, sizeof(*r->names));
  if (r->funcs == NULL || r->frame_func == NULL || r->names == NULL)
    return PROF_ENOMEM;
  for (size_t i = 0; i < m->nframes; i++) {
    const struct prof__model_frame *f = &m->frames[i];
    const char *name = prof__report_name(r, i);
    if (name == NULL)
      return PROF_ENOMEM;
    uint64_t h = prof__hash_str(prof__hash_str(PROF__HASH_SEED, name),
                                f->runtime);
    if (lines)
      h = prof__hash_u64(prof__hash_str(h, f->file ? f->file : ""), f->line);
    struct prof__hash_iter it;
    uint32_t fi = UINT32_MAX;
    for (prof__hash_find(&r->tab, h, &it); it.index != UINT32_MAX;
         prof__hash_next(&it))
      if (prof__report_same(&r->funcs[it.index], name, f, lines)) {
        fi = it.index;
        break;
      }
    if (fi == UINT32_MAX) {
      fi = (uint32_t)r->nfuncs;
      if (prof__hash_insert(&r->tab, h, fi) != 0)
        return PROF_ENOMEM;
      r->funcs[r->nfuncs++] = (struct prof__rfunc){
          name, f->runtime, lines ? f->file : NULL, lines ? f->line : 0,
          0, 0, 0, 0, 0};
    }
    r->frame_func[i] = fi;
  }
  return 0;
}

static void prof__report_thread(struct prof__report *r,
                                const struct prof__model_thread *t,
                                size_t *serial) {
  for (size_t i = 0; i < t->nsamples; i++) {
    const struct prof__model_sample *s = &t->samples[i];
    const struct prof__model_stack *st = &r->m->stacks[s->stack];
    size_t stamp = ++*serial;
    r->weight += s->weight_ns;
    r->count += s->count;
    if (st->nframes == 0)
      continue;
    struct prof__rfunc *leaf =
        &r->funcs[r->frame_func[st->frames[st->nframes - 1]]];
    leaf->self += s->weight_ns;
    leaf->self_n += s->count;
    for (uint32_t k = 0; k < st->nframes; k++) {
      struct prof__rfunc *f = &r->funcs[r->frame_func[st->frames[k]]];
      if (f->stamp != stamp) { /* once per sample, even if recursive */
        f->stamp = stamp;
        f->total += s->weight_ns;
        f->total_n += s->count;
      }
    }
  }
}

int prof__report_thread_matches(const struct prof__model_thread *t,
                                const char *sel) {
  char tid[32];
  if (sel == NULL)
    return 1;
  snprintf(tid, sizeof(tid), "%lld", (long long)t->tid);
  if (strcmp(sel, t->name) == 0 || strcmp(sel, tid) == 0)
    return 1;
  char *label = prof__thread_label(t);
  int eq = label != NULL && strcmp(label, sel) == 0;
  free(label);
  return eq;
}

static int prof__rfunc_cmp(const void *a, const void *b) {
  const struct prof__rfunc *x = a, *y = b;
  if (x->self != y->self)
    return x->self > y->self ? -1 : 1;
  if (x->total != y->total)
    return x->total > y->total ? -1 : 1;
  int c = strcmp(x->name, y->name);
  if (c == 0)
    c = strcmp(x->runtime, y->runtime);
  return c ? c : (x->line > y->line) - (x->line < y->line);
}

static double prof__pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

int prof__report_prec(const struct prof__report *r) {
  return r->counts && r->o->hz == 0 ? 0 : 3;
}

double prof__report_value(const struct prof__report *r, uint64_t ns,
                          uint64_t n) {
  if (!r->counts)
    return (double)ns / 1e6;
  if (r->o->hz > 0)
    return (double)n * 1e3 / (double)r->o->hz;
  return (double)n;
}

/* "1234 samples, 12.345 ms cpu, 2 threads", and how to read the numbers
 * when the file has no time unit. */
static void prof__report_header(const struct prof__report *r, FILE *fp) {
  const struct prof__model *m = r->m;
  const char *sel = r->o->thread;
  if (r->counts && r->o->hz == 0)
    fprintf(fp, "%llu samples, %zu thread%s%s%s\n"
            "(the file holds sample counts, no time: numbers are samples; "
            "--hz N shows milliseconds at N samples per second)\n",
            (unsigned long long)r->count, r->nthreads,
            r->nthreads == 1 ? "" : "s", sel ? " matching " : "",
            sel ? sel : "");
  else
    fprintf(fp, "%llu samples, %.3f ms %s, %zu thread%s%s%s\n",
            (unsigned long long)r->count,
            prof__report_value(r, r->weight, r->count),
            r->counts ? "at the --hz rate" : m->weight_kind ? m->weight_kind
                                                            : "cpu",
            r->nthreads, r->nthreads == 1 ? "" : "s", sel ? " matching " : "",
            sel ? sel : "");
  if (m->counters.dropped || m->counters.truncated)
    fprintf(fp, "dropped %llu, truncated %llu of %llu samples taken\n",
            (unsigned long long)m->counters.dropped,
            (unsigned long long)m->counters.truncated,
            (unsigned long long)m->counters.samples);
}

/* The threads, busiest first, when more than one is selected. */
static void prof__report_threads(const struct prof__report *r, FILE *fp) {
  const struct prof__model *m = r->m;
  const char *unit = r->counts && r->o->hz == 0 ? "samples" : "ms";
  if (r->nthreads < 2)
    return;
  fprintf(fp, "%12s %7s %9s  %s\n", unit, "%", "samples", "thread");
  for (size_t i = 0; i < m->nthreads; i++) {
    const struct prof__model_thread *t = &m->threads[i];
    uint64_t w = 0, n = 0;
    if (!prof__report_thread_matches(t, r->o->thread))
      continue;
    for (size_t k = 0; k < t->nsamples; k++) {
      w += t->samples[k].weight_ns;
      n += t->samples[k].count;
    }
    fprintf(fp, "%12.*f %6.2f%% %9llu  %s (%lld)\n",
            prof__report_prec(r), prof__report_value(r, w, n), prof__pct(w, r->weight),
            (unsigned long long)n, t->name, (long long)t->tid);
  }
}

static void prof__report_row(const struct prof__report *r, FILE *fp,
                             const struct prof__rfunc *f) {
  int native = strcmp(f->runtime, PROF__RUNTIME_NATIVE) == 0;
  int p = prof__report_prec(r);
  fprintf(fp, "%12.*f %6.2f%% %12.*f %6.2f%%  %s%s%s%s", p,
          prof__report_value(r, f->self, f->self_n),
          prof__pct(f->self, r->weight), p,
          prof__report_value(r, f->total, f->total_n),
          prof__pct(f->total, r->weight), f->name, native ? "" : " [",
          native ? "" : f->runtime, native ? "" : "]");
  if (r->o->flags & PROF_REPORT_LINES) {
    if (f->file != NULL && f->line != 0)
      fprintf(fp, " %s:%u", f->file, f->line);
    else if (f->file != NULL)
      fprintf(fp, " %s", f->file);
  }
  fputc('\n', fp);
}

static void prof__report_print(const struct prof__report *r, FILE *fp) {
  int top = r->o->top > 0 ? r->o->top : 20;
  const char *u = r->counts && r->o->hz == 0 ? "" : " ms";
  prof__report_header(r, fp);
  prof__report_threads(r, fp);
  if (r->o->flags & PROF_REPORT_TREE) {
    prof__report_tree(r, fp);
    return;
  }
  fprintf(fp, "%9s%-3s %7s %9s%-3s %7s  %s\n", "self", u, "self%", "total",
          u, "total%", "function");
  for (size_t i = 0; i < r->nfuncs && i < (size_t)top; i++) {
    if (r->funcs[i].total == 0 && r->funcs[i].total_n == 0)
      break;
    prof__report_row(r, fp, &r->funcs[i]);
  }
}

/* Fills r from the selected threads; PROF_EINVAL when none matches. */
static int prof__report_build(struct prof__report *r) {
  size_t serial = 0;
  int rc = prof__report_funcs(r);
  for (size_t i = 0; rc == 0 && i < r->m->nthreads; i++)
    if (prof__report_thread_matches(&r->m->threads[i], r->o->thread)) {
      prof__report_thread(r, &r->m->threads[i], &serial);
      r->nthreads++;
    }
  if (rc == 0 && r->o->thread != NULL && r->nthreads == 0)
    rc = PROF_EINVAL;
  return rc;
}

static void prof__report_free(struct prof__report *r) {
  for (size_t i = 0; r->names && i < r->m->nframes; i++)
    free(r->names[i]);
  free(r->names);
  free(r->funcs);
  free(r->frame_func);
  prof__hash_free(&r->tab);
  prof__model_free((struct prof__model *)r->m);
}

int prof_report_ex(const char *in, void *out,
                   const struct prof_report_opts *opts, char *errbuf,
                   unsigned errlen) {
  struct prof__report r = {0};
  FILE *fp = out;
  if (in == NULL || fp == NULL || opts == NULL) {
    prof__errf(errbuf, errlen, "prof_report: no input file, options or "
               "stream");
    return PROF_EINVAL;
  }
  r.o = opts;
  int rc = prof__read_profile(in, (struct prof__model **)&r.m, errbuf,
                              errlen);
  if (rc != 0)
    return rc;
  r.counts = r.m->weights_from_counts;
  rc = prof__report_build(&r);
  if (rc == PROF_EINVAL)
    prof__errf(errbuf, errlen, "%s: no thread named or numbered \"%s\"", in,
               opts->thread);
  if (rc == 0) {
    /* The tree keeps the functions in first-seen order; the table sorts. */
    if (!(opts->flags & PROF_REPORT_TREE))
      qsort(r.funcs, r.nfuncs, sizeof(*r.funcs), prof__rfunc_cmp);
    prof__report_print(&r, fp);
    if (fflush(fp) != 0 || ferror(fp)) {
      prof__errf(errbuf, errlen, "cannot write the report");
      rc = PROF_EIO;
    }
  } else if (rc != PROF_EINVAL) {
    prof__errf(errbuf, errlen, "%s: out of memory", in);
  }
  prof__report_free(&r);
  return rc;
}

int prof_report(const char *in, void *out, int top, const char *thread,
                char *errbuf, unsigned errlen) {
  struct prof_report_opts o = {top, thread, 0, 0};
  return prof_report_ex(in, out, &o, errbuf, errlen);
}
