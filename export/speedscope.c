/* speedscope writer: https://www.speedscope.app/file-format-schema.json
 *
 * One "sampled" profile per thread. shared.frames holds functions, not
 * the model's per-PC frames (see funcs.h): speedscope keys its sandwich
 * rows on frame entries, so one function must be one entry. The schema
 * allows extra properties, and speedscope ignores them, so libprof keeps
 * what the schema has no field for in extra ones (docs/formats.md):
 *   frame:    "runtime", "inlined": true, "synthetic": true, "address",
 *             "module";
 *   profile:  "libprof": {"tid", "thread", "counts"};
 *   file:     "libprof": {session metadata, counters, modules}.
 * No value is ever null: absent information is left out.
 * Streams straight to the file (no JSON tree in memory), so a profile
 * of a million samples costs one pass. Never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "export/funcs.h"
#include "base/hash.h"
#include "export/out.h"
#include "export/writers.h"
#include "libprof.h"

/* Whether a function of another runtime has the same name as fn i: a
 * script's main and C's main. speedscope's sandwich view shows names
 * only, so such managed names get " [runtime]" (the reader strips it).
 * Returns a malloc'd flag per function, or NULL on ENOMEM. */
static uint8_t *prof__ss_clashes(const struct prof__fn_map *fm) {
  struct prof__hash_table tab = {0};
  uint8_t *clash = calloc(fm->nfn + 1, 1);
  for (uint32_t i = 0; clash != NULL && i < fm->nfn; i++) {
    const struct prof__model_frame *f = &fm->fn[i];
    uint64_t h = prof__hash_str(PROF__HASH_SEED, f->name);
    struct prof__hash_iter it;
    for (prof__hash_find(&tab, h, &it); it.index != UINT32_MAX;
         prof__hash_next(&it)) {
      const struct prof__model_frame *g = &fm->fn[it.index];
      if (strcmp(g->name, f->name) == 0 &&
          strcmp(g->runtime ? g->runtime : "", f->runtime ? f->runtime : ""))
        clash[i] = clash[it.index] = 1;
    }
    if (prof__hash_insert(&tab, h, i) != 0) {
      free(clash);
      clash = NULL;
    }
  }
  prof__hash_free(&tab);
  return clash;
}

static void prof__ss_frame(struct prof__out *o,
                           const struct prof__model_frame *f, int clash) {
  prof__out_str(o, "{\"name\":");
  char *named = NULL;
  /* An empty runtime gets no suffix: the reader could not strip " []". */
  int suffix = clash && f->runtime != NULL && f->runtime[0] &&
               strcmp(f->runtime, PROF__RUNTIME_NATIVE) != 0;
  if (suffix && asprintf(&named, "%s [%s]", f->name, f->runtime) < 0) {
    named = NULL;
    o->err = PROF_ENOMEM;
  }
  prof__out_json_str(o, named ? named : f->name);
  free(named);
  prof__out_json_kv_str(o, "file", f->file);
  if (f->line != 0)
    prof__out_json_kv_u64(o, "line", f->line);
  prof__out_json_kv_str(o, "runtime", f->runtime);
  if (f->flags & PROF__FRAME_INLINED)
    prof__out_str(o, ",\"inlined\":true");
  if (f->flags & PROF__FRAME_SYNTHETIC)
    prof__out_str(o, ",\"synthetic\":true");
  if (f->address != 0) {
    /* A string: JavaScript numbers lose bits above 2^53. */
    prof__out_str(o, ",\"address\":\"");
    prof__out_hex(o, f->address);
    prof__out_ch(o, '"');
  }
  if (f->module >= 0) {
    prof__out_str(o, ",\"module\":");
    prof__out_i64(o, f->module);
  }
  prof__out_ch(o, '}');
}

static void prof__ss_module(struct prof__out *o,
                            const struct prof__model_module *mod) {
  prof__out_str(o, "{\"path\":");
  prof__out_json_str(o, mod->path ? mod->path : "");
  prof__out_json_kv_str(o, "build_id", mod->build_id);
  prof__out_str(o, ",\"start\":\"");
  prof__out_hex(o, mod->start);
  prof__out_str(o, "\",\"limit\":\"");
  prof__out_hex(o, mod->limit);
  prof__out_str(o, "\",\"file_offset\":\"");
  prof__out_hex(o, mod->file_offset);
  prof__out_str(o, "\"}");
}

/* The file-level "libprof" object: what a reader needs to rebuild the
 * model for the other formats (pprof mappings, period, counters). */
static void prof__ss_meta(struct prof__out *o, const struct prof__model *m) {
  const struct prof__model_counters *c = &m->counters;
  prof__out_str(o, "\"libprof\":{\"version\":\"" PROF_VERSION_STRING "\"");
  prof__out_json_kv_str(o, "program", m->program);
  prof__out_str(o, ",\"pid\":");
  prof__out_i64(o, m->pid);
  prof__out_json_kv_str(o, "mode", m->mode);
  prof__out_json_kv_str(o, "weight_kind", m->weight_kind);
  prof__out_json_kv_u64(o, "hz", m->hz);
  prof__out_json_kv_u64(o, "start_unix_ns", m->start_unix_ns);
  prof__out_json_kv_u64(o, "duration_ns", m->duration_ns);
  prof__out_str(o, ",\"counters\":{\"samples\":");
  prof__out_u64(o, c->samples);
  prof__out_json_kv_u64(o, "dropped", c->dropped);
  prof__out_json_kv_u64(o, "truncated", c->truncated);
  prof__out_json_kv_u64(o, "unwind_failed", c->unwind_failed);
  prof__out_json_kv_u64(o, "misuse", c->misuse);
  prof__out_str(o, "},\"modules\":[");
  for (size_t i = 0; i < m->nmodules; i++) {
    prof__out_str(o, i ? ",\n" : "\n");
    prof__ss_module(o, &m->modules[i]);
  }
  prof__out_str(o, "]},\n");
}

/* One entry of a profile: samples whose stacks are equal as functions. */
struct prof__ss_entry {
  uint32_t stack; /* the first such model stack */
  uint64_t count, weight_ns;
};

static uint64_t prof__ss_fn_hash(const struct prof__fn_map *fm,
                                 const struct prof__model_stack *s) {
  uint64_t h = prof__hash_u64(PROF__HASH_SEED, s->nframes);
  for (uint32_t k = 0; k < s->nframes; k++)
    h = prof__hash_u64(h, fm->of_frame[s->frames[k]]);
  return h;
}

static int prof__ss_fn_eq(const struct prof__fn_map *fm,
                          const struct prof__model_stack *a,
                          const struct prof__model_stack *b) {
  if (a->nframes != b->nframes)
    return 0;
  for (uint32_t k = 0; k < a->nframes; k++)
    if (fm->of_frame[a->frames[k]] != fm->of_frame[b->frames[k]])
      return 0;
  return 1;
}

/* Thread t's samples with stacks that differ only in merged frames
 * summed, first-seen order (the model already merged equal stacks, so
 * when no frames were merged this is a copy). NULL on ENOMEM. */
static struct prof__ss_entry *
prof__ss_entries(const struct prof__model *m, const struct prof__fn_map *fm,
                 const struct prof__model_thread *t, size_t *n) {
  struct prof__ss_entry *e = malloc((t->nsamples + 1) * sizeof(*e));
  struct prof__hash_table tab = {0};
  int merge = fm->nfn != m->nframes;
  *n = 0;
  for (size_t i = 0; e != NULL && i < t->nsamples; i++) {
    const struct prof__model_sample *s = &t->samples[i];
    const struct prof__model_stack *st = &m->stacks[s->stack];
    uint64_t h = merge ? prof__ss_fn_hash(fm, st) : 0;
    struct prof__hash_iter it = {.index = UINT32_MAX};
    if (merge)
      for (prof__hash_find(&tab, h, &it); it.index != UINT32_MAX &&
           !prof__ss_fn_eq(fm, &m->stacks[e[it.index].stack], st);
           prof__hash_next(&it))
        ;
    if (it.index != UINT32_MAX) {
      e[it.index].count += s->count;
      e[it.index].weight_ns += s->weight_ns;
      continue;
    }
    if (merge && prof__hash_insert(&tab, h, (uint32_t)*n) != 0) {
      free(e);
      e = NULL;
      break;
    }
    e[(*n)++] = (struct prof__ss_entry){s->stack, s->count, s->weight_ns};
  }
  prof__hash_free(&tab);
  return e;
}

static void prof__ss_samples(struct prof__out *o, const struct prof__model *m,
                             const struct prof__fn_map *fm,
                             const struct prof__ss_entry *e, size_t n) {
  prof__out_str(o, "\"samples\":[");
  for (size_t i = 0; i < n; i++) {
    const struct prof__model_stack *s = &m->stacks[e[i].stack];
    prof__out_str(o, i ? ",\n[" : "\n[");
    for (uint32_t k = 0; k < s->nframes; k++) {
      if (k)
        prof__out_ch(o, ',');
      prof__out_u64(o, fm->of_frame[s->frames[k]]);
    }
    prof__out_ch(o, ']');
  }
  prof__out_str(o, "],\n\"weights\":[");
  for (size_t i = 0; i < n; i++) {
    if (i)
      prof__out_ch(o, ',');
    prof__out_u64(o, e[i].weight_ns);
  }
  prof__out_str(o, "],\n");
}

static int prof__ss_profile(struct prof__out *o, const struct prof__model *m,
                            const struct prof__fn_map *fm,
                            const struct prof__model_thread *t) {
  uint64_t total = 0;
  size_t n = 0;
  char *label = prof__thread_label(t);
  struct prof__ss_entry *e = label ? prof__ss_entries(m, fm, t, &n) : NULL;
  if (e == NULL) {
    free(label);
    return PROF_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    total += e[i].weight_ns;
  prof__out_str(o, "{\"type\":\"sampled\",\"name\":");
  prof__out_json_str(o, label);
  free(label);
  prof__out_str(o, ",\"unit\":\"nanoseconds\",\"startValue\":0,"
                   "\"endValue\":");
  prof__out_u64(o, total);
  prof__out_str(o, ",\n");
  prof__ss_samples(o, m, fm, e, n);
  prof__out_str(o, "\"libprof\":{\"tid\":");
  prof__out_i64(o, t->tid);
  prof__out_str(o, ",\"thread\":");
  prof__out_json_str(o, t->name);
  prof__out_str(o, ",\"counts\":[");
  for (size_t i = 0; i < n; i++) {
    if (i)
      prof__out_ch(o, ',');
    prof__out_u64(o, e[i].count);
  }
  prof__out_str(o, "]}}");
  free(e);
  return 0;
}

/* speedscope shows nothing for a file without profiles, and
 * activeProfileIndex 0 must name one: an empty model gets one empty
 * profile named after the program. */
static void prof__ss_empty_profile(struct prof__out *o,
                                   const struct prof__model *m) {
  prof__out_str(o, "{\"type\":\"sampled\",\"name\":");
  prof__out_json_str(o, prof__program_name(m));
  prof__out_str(o, ",\"unit\":\"nanoseconds\",\"startValue\":0,"
                   "\"endValue\":0,\"samples\":[],\"weights\":[]}");
}

int prof__write_speedscope(const struct prof__model *m, FILE *fp) {
  struct prof__fn_map fm;
  struct prof__out *o = malloc(sizeof(*o));
  if (o == NULL || prof__fn_map_build(m, &fm) != 0) {
    free(o);
    return PROF_ENOMEM;
  }
  int rc = 0;
  prof__out_init(o, fp);
  prof__out_str(o, "{\"$schema\":\"" PROF__SPEEDSCOPE_SCHEMA "\",\n"
                   "\"exporter\":\"libprof@" PROF_VERSION_STRING "\",\n"
                   "\"name\":");
  prof__out_json_str(o, prof__program_name(m));
  prof__out_str(o, ",\n\"activeProfileIndex\":0,\n");
  prof__ss_meta(o, m);
  prof__out_str(o, "\"shared\":{\"frames\":[");
  uint8_t *clash = prof__ss_clashes(&fm);
  if (clash == NULL)
    o->err = PROF_ENOMEM;
  for (uint32_t i = 0; clash != NULL && i < fm.nfn; i++) {
    prof__out_str(o, i ? ",\n" : "\n");
    prof__ss_frame(o, &fm.fn[i], clash[i]);
  }
  free(clash);
  prof__out_str(o, "]},\n\"profiles\":[\n");
  for (size_t i = 0; i < m->nthreads && rc == 0; i++) {
    if (i)
      prof__out_str(o, ",\n");
    rc = prof__ss_profile(o, m, &fm, &m->threads[i]);
  }
  if (m->nthreads == 0)
    prof__ss_empty_profile(o, m);
  prof__out_str(o, "]}\n");
  int frc = prof__out_flush(o);
  free(o);
  prof__fn_map_free(&fm);
  return rc ? rc : frc;
}
