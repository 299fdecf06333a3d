/* speedscope writer: https://www.speedscope.app/file-format-schema.json
 *
 * One "sampled" profile per thread; shared.frames is the model's frame
 * table in model order, so frame indices are the model's. The schema
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

#include "export/out.h"
#include "export/writers.h"
#include "libprof.h"

static void prof__ss_key(struct prof__out *o, const char *key) {
  prof__out_json_str(o, key);
  prof__out_ch(o, ':');
}

static void prof__ss_frame(struct prof__out *o,
                           const struct prof__model_frame *f) {
  prof__out_str(o, "{\"name\":");
  prof__out_json_str(o, f->name);
  if (f->file != NULL) {
    prof__out_str(o, ",\"file\":");
    prof__out_json_str(o, f->file);
  }
  if (f->line != 0) {
    prof__out_str(o, ",\"line\":");
    prof__out_u64(o, f->line);
  }
  prof__out_str(o, ",\"runtime\":");
  prof__out_json_str(o, f->runtime);
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
  prof__out_ch(o, '{');
  prof__ss_key(o, "path");
  prof__out_json_str(o, mod->path ? mod->path : "");
  if (mod->build_id != NULL) {
    prof__out_str(o, ",\"build_id\":");
    prof__out_json_str(o, mod->build_id);
  }
  prof__out_str(o, ",\"start\":\"");
  prof__out_hex(o, mod->start);
  prof__out_str(o, "\",\"limit\":\"");
  prof__out_hex(o, mod->limit);
  prof__out_str(o, "\",\"file_offset\":\"");
  prof__out_hex(o, mod->file_offset);
  prof__out_str(o, "\"}");
}

static void prof__ss_u64_field(struct prof__out *o, const char *key,
                               uint64_t v) {
  prof__out_ch(o, ',');
  prof__ss_key(o, key);
  prof__out_u64(o, v);
}

static void prof__ss_str_field(struct prof__out *o, const char *key,
                               const char *v) {
  if (v == NULL)
    return;
  prof__out_ch(o, ',');
  prof__ss_key(o, key);
  prof__out_json_str(o, v);
}

/* The file-level "libprof" object: what a reader needs to rebuild the
 * model for the other formats (pprof mappings, period, counters). */
static void prof__ss_meta(struct prof__out *o, const struct prof__model *m) {
  const struct prof__model_counters *c = &m->counters;
  prof__out_str(o, "\"libprof\":{\"version\":\"" PROF_VERSION_STRING "\"");
  prof__ss_str_field(o, "program", m->program);
  prof__out_str(o, ",\"pid\":");
  prof__out_i64(o, m->pid);
  prof__ss_str_field(o, "mode", m->mode);
  prof__ss_str_field(o, "weight_kind", m->weight_kind);
  prof__ss_u64_field(o, "hz", m->hz);
  prof__ss_u64_field(o, "start_unix_ns", m->start_unix_ns);
  prof__ss_u64_field(o, "duration_ns", m->duration_ns);
  prof__out_str(o, ",\"counters\":{\"samples\":");
  prof__out_u64(o, c->samples);
  prof__ss_u64_field(o, "dropped", c->dropped);
  prof__ss_u64_field(o, "truncated", c->truncated);
  prof__ss_u64_field(o, "unwind_failed", c->unwind_failed);
  prof__ss_u64_field(o, "misuse", c->misuse);
  prof__out_str(o, "},\"modules\":[");
  for (size_t i = 0; i < m->nmodules; i++) {
    prof__out_str(o, i ? ",\n" : "\n");
    prof__ss_module(o, &m->modules[i]);
  }
  prof__out_str(o, "]},\n");
}

static void prof__ss_samples(struct prof__out *o, const struct prof__model *m,
                             const struct prof__model_thread *t) {
  prof__out_str(o, "\"samples\":[");
  for (size_t i = 0; i < t->nsamples; i++) {
    const struct prof__model_stack *s = &m->stacks[t->samples[i].stack];
    prof__out_str(o, i ? ",\n[" : "\n[");
    for (uint32_t k = 0; k < s->nframes; k++) {
      if (k)
        prof__out_ch(o, ',');
      prof__out_u64(o, s->frames[k]);
    }
    prof__out_ch(o, ']');
  }
  prof__out_str(o, "],\n\"weights\":[");
  for (size_t i = 0; i < t->nsamples; i++) {
    if (i)
      prof__out_ch(o, ',');
    prof__out_u64(o, t->samples[i].weight_ns);
  }
  prof__out_str(o, "],\n");
}

static int prof__ss_profile(struct prof__out *o, const struct prof__model *m,
                            const struct prof__model_thread *t) {
  uint64_t total = 0;
  char *label = prof__thread_label(t);
  if (label == NULL)
    return PROF_ENOMEM;
  for (size_t i = 0; i < t->nsamples; i++)
    total += t->samples[i].weight_ns;
  prof__out_str(o, "{\"type\":\"sampled\",\"name\":");
  prof__out_json_str(o, label);
  free(label);
  prof__out_str(o, ",\"unit\":\"nanoseconds\",\"startValue\":0,"
                   "\"endValue\":");
  prof__out_u64(o, total);
  prof__out_str(o, ",\n");
  prof__ss_samples(o, m, t);
  prof__out_str(o, "\"libprof\":{\"tid\":");
  prof__out_i64(o, t->tid);
  prof__out_str(o, ",\"thread\":");
  prof__out_json_str(o, t->name);
  prof__out_str(o, ",\"counts\":[");
  for (size_t i = 0; i < t->nsamples; i++) {
    if (i)
      prof__out_ch(o, ',');
    prof__out_u64(o, t->samples[i].count);
  }
  prof__out_str(o, "]}}");
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
  struct prof__out *o = malloc(sizeof(*o));
  int rc = 0;
  if (o == NULL)
    return PROF_ENOMEM;
  prof__out_init(o, fp);
  prof__out_str(o, "{\"$schema\":\"" PROF__SPEEDSCOPE_SCHEMA "\",\n"
                   "\"exporter\":\"libprof@" PROF_VERSION_STRING "\",\n"
                   "\"name\":");
  prof__out_json_str(o, prof__program_name(m));
  prof__out_str(o, ",\n\"activeProfileIndex\":0,\n");
  prof__ss_meta(o, m);
  prof__out_str(o, "\"shared\":{\"frames\":[");
  for (size_t i = 0; i < m->nframes; i++) {
    prof__out_str(o, i ? ",\n" : "\n");
    prof__ss_frame(o, &m->frames[i]);
  }
  prof__out_str(o, "]},\n\"profiles\":[\n");
  for (size_t i = 0; i < m->nthreads && rc == 0; i++) {
    if (i)
      prof__out_str(o, ",\n");
    rc = prof__ss_profile(o, m, &m->threads[i]);
  }
  if (m->nthreads == 0)
    prof__ss_empty_profile(o, m);
  prof__out_str(o, "]}\n");
  int frc = prof__out_flush(o);
  free(o);
  return rc ? rc : frc;
}
