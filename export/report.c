/* prof_report(): the top functions of a profile file, by self weight.
 *
 * A function is a (name, runtime) pair, so an inlined copy of f counts as
 * f, and a script function and a C function of the same name stay apart.
 * self = weight of the samples whose leaf frame is the function; total =
 * weight of the samples whose stack contains it, counted once per sample
 * even when it recurses. Percentages are of the selected threads' weight.
 * Thread-safe (no shared state). Not AS-safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "export/writers.h"
#include "libprof.h"

struct prof__rfunc {
  const char *name;    /* in the model */
  const char *runtime;
  uint64_t self, total;
  size_t stamp;        /* last sample that counted its total, + 1 */
};

struct prof__report {
  const struct prof__model *m;
  struct prof__rfunc *funcs;
  size_t nfuncs;
  uint32_t *frame_func; /* frame index -> function index */
  struct prof__hash_table tab;
  uint64_t weight, count;
  size_t nthreads;
};

static int prof__report_funcs(struct prof__report *r) {
  const struct prof__model *m = r->m;
  r->funcs = calloc(m->nframes + 1, sizeof(*r->funcs));
  r->frame_func = calloc(m->nframes + 1, sizeof(*r->frame_func));
  if (r->funcs == NULL || r->frame_func == NULL)
    return PROF_ENOMEM;
  for (size_t i = 0; i < m->nframes; i++) {
    const struct prof__model_frame *f = &m->frames[i];
    uint64_t h = prof__hash_str(prof__hash_str(PROF__HASH_SEED, f->name),
                                f->runtime);
    struct prof__hash_iter it;
    uint32_t fi = UINT32_MAX;
    for (prof__hash_find(&r->tab, h, &it); it.index != UINT32_MAX;
         prof__hash_next(&it))
      if (strcmp(r->funcs[it.index].name, f->name) == 0 &&
          strcmp(r->funcs[it.index].runtime, f->runtime) == 0) {
        fi = it.index;
        break;
      }
    if (fi == UINT32_MAX) {
      fi = (uint32_t)r->nfuncs;
      if (prof__hash_insert(&r->tab, h, fi) != 0)
        return PROF_ENOMEM;
      r->funcs[r->nfuncs++] = (struct prof__rfunc){f->name, f->runtime, 0,
                                                   0, 0};
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
    r->funcs[r->frame_func[st->frames[st->nframes - 1]]].self +=
        s->weight_ns;
    for (uint32_t k = 0; k < st->nframes; k++) {
      struct prof__rfunc *f = &r->funcs[r->frame_func[st->frames[k]]];
      if (f->stamp != stamp) { /* once per sample, even if recursive */
        f->stamp = stamp;
        f->total += s->weight_ns;
      }
    }
  }
}

static int prof__thread_matches(const struct prof__model_thread *t,
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
  return c ? c : strcmp(x->runtime, y->runtime);
}

static double prof__pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void prof__report_print(const struct prof__report *r, FILE *fp,
                               int top, const char *thread) {
  const struct prof__model *m = r->m;
  fprintf(fp, "%llu samples, %.3f ms %s, %zu thread%s%s%s\n",
          (unsigned long long)r->count, (double)r->weight / 1e6,
          m->weight_kind ? m->weight_kind : "cpu", r->nthreads,
          r->nthreads == 1 ? "" : "s", thread ? " matching " : "",
          thread ? thread : "");
  if (m->counters.dropped || m->counters.truncated)
    fprintf(fp, "dropped %llu, truncated %llu of %llu samples taken\n",
            (unsigned long long)m->counters.dropped,
            (unsigned long long)m->counters.truncated,
            (unsigned long long)m->counters.samples);
  fprintf(fp, "%12s %7s %12s %7s  %s\n", "self ms", "self%", "total ms",
          "total%", "function");
  for (size_t i = 0; i < r->nfuncs && i < (size_t)top; i++) {
    const struct prof__rfunc *f = &r->funcs[i];
    if (f->total == 0)
      break;
    int native = strcmp(f->runtime, PROF__RUNTIME_NATIVE) == 0;
    fprintf(fp, "%12.3f %6.2f%% %12.3f %6.2f%%  %s%s%s%s\n",
            (double)f->self / 1e6, prof__pct(f->self, r->weight),
            (double)f->total / 1e6, prof__pct(f->total, r->weight), f->name,
            native ? "" : " [", native ? "" : f->runtime, native ? "" : "]");
  }
}

/* Fills r from the selected threads; PROF_EINVAL when none matches. */
static int prof__report_build(struct prof__report *r, const char *thread) {
  size_t serial = 0;
  int rc = prof__report_funcs(r);
  for (size_t i = 0; rc == 0 && i < r->m->nthreads; i++)
    if (prof__thread_matches(&r->m->threads[i], thread)) {
      prof__report_thread(r, &r->m->threads[i], &serial);
      r->nthreads++;
    }
  if (rc == 0 && thread != NULL && r->nthreads == 0)
    rc = PROF_EINVAL;
  if (rc == 0)
    qsort(r->funcs, r->nfuncs, sizeof(*r->funcs), prof__rfunc_cmp);
  return rc;
}

int prof_report(const char *in, void *out, int top, const char *thread,
                char *errbuf, unsigned errlen) {
  struct prof__report r = {0};
  FILE *fp = out;
  if (in == NULL || fp == NULL) {
    prof__errf(errbuf, errlen, "prof_report: no input file or stream");
    return PROF_EINVAL;
  }
  int rc = prof__read_profile(in, (struct prof__model **)&r.m, errbuf,
                              errlen);
  if (rc != 0)
    return rc;
  rc = prof__report_build(&r, thread);
  if (rc == PROF_EINVAL)
    prof__errf(errbuf, errlen, "%s: no thread named or numbered \"%s\"", in,
               thread);
  else if (rc != 0)
    prof__errf(errbuf, errlen, "%s: out of memory", in);
  if (rc == 0) {
    prof__report_print(&r, fp, top > 0 ? top : 20, thread);
    if (fflush(fp) != 0 || ferror(fp)) {
      prof__errf(errbuf, errlen, "cannot write the report");
      rc = PROF_EIO;
    }
  }
  free(r.funcs);
  free(r.frame_func);
  prof__hash_free(&r.tab);
  prof__model_free((struct prof__model *)r.m);
  return rc;
}
