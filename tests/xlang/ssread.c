#include "ssread.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_or(json_t *o, const char *key, const char *dflt) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : dflt;
}

/* libprof writes a managed function "<name> [<runtime>]" when another
 * runtime has a function of the same name (docs/formats.md): the checks
 * here compare plain names and the runtime field. */
static void plain_names(json_t *frames) {
  for (size_t i = 0; i < json_array_size(frames); i++) {
    json_t *f = json_array_get(frames, i);
    const char *name = str_or(f, "name", ""), *rt = str_or(f, "runtime", "");
    size_t nl = strlen(name), rl = strlen(rt);
    if (rl > 0 && nl > rl + 3 && name[nl - 1] == ']' &&
        strncmp(name + nl - rl - 3, " [", 2) == 0 &&
        strncmp(name + nl - rl - 1, rt, rl) == 0)
      json_object_set_new(f, "name", json_stringn(name, nl - rl - 3));
  }
}

static int load_stack(json_t *frames, json_t *sample, double w,
                      struct ss_stack *s) {
  s->n = json_array_size(sample);
  s->frames = calloc(s->n + 1, sizeof(*s->frames));
  s->weight = w;
  for (size_t i = 0; i < s->n; i++) {
    json_t *f = json_array_get(frames, json_integer_value(
                                           json_array_get(sample, i)));
    if (!f)
      return -1;
    s->frames[i].name = str_or(f, "name", "?");
    s->frames[i].runtime = str_or(f, "runtime", "?");
    s->frames[i].file = str_or(f, "file", NULL);
    s->frames[i].inlined = json_is_true(json_object_get(f, "inlined"));
  }
  return 0;
}

int ss_load(const char *path, struct ss_profile *p) {
  json_error_t err;
  json_t *doc = json_load_file(path, 0, &err);
  memset(p, 0, sizeof(*p));
  if (!doc)
    return -1;
  p->doc_ = doc;
  json_t *frames = json_object_get(json_object_get(doc, "shared"), "frames");
  plain_names(frames);
  json_t *profiles = json_object_get(doc, "profiles");
  p->n = json_array_size(profiles);
  p->threads = calloc(p->n + 1, sizeof(*p->threads));
  for (size_t t = 0; t < p->n; t++) {
    json_t *pr = json_array_get(profiles, t);
    json_t *samples = json_object_get(pr, "samples");
    json_t *weights = json_object_get(pr, "weights");
    struct ss_thread *th = &p->threads[t];
    snprintf(th->name, sizeof(th->name), "%s", str_or(pr, "name", "?"));
    th->n = json_array_size(samples);
    th->stacks = calloc(th->n + 1, sizeof(*th->stacks));
    for (size_t i = 0; i < th->n; i++)
      if (load_stack(frames, json_array_get(samples, i),
                     json_number_value(json_array_get(weights, i)),
                     &th->stacks[i]) != 0)
        return -1;
  }
  return 0;
}

void ss_free(struct ss_profile *p) {
  for (size_t t = 0; t < p->n; t++) {
    for (size_t i = 0; i < p->threads[t].n; i++)
      free(p->threads[t].stacks[i].frames);
    free(p->threads[t].stacks);
  }
  free(p->threads);
  json_decref(p->doc_);
  memset(p, 0, sizeof(*p));
}

const struct ss_thread *ss_thread(const struct ss_profile *p, const char *name) {
  size_t len = strlen(name);
  for (size_t t = 0; t < p->n; t++)
    if (strncmp(p->threads[t].name, name, len) == 0 &&
        strncmp(p->threads[t].name + len, " (", 2) == 0)
      return &p->threads[t];
  return NULL;
}

int ss_find(const struct ss_stack *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->frames[i].name, name) == 0)
      return (int)i;
  return -1;
}

const char *ss_join(const struct ss_stack *s, size_t from, char *buf,
                    size_t len) {
  size_t j = 0;
  buf[0] = '\0';
  for (size_t i = from; i < s->n && j + 1 < len; i++)
    j += (size_t)snprintf(buf + j, len - j, "%s%s", i > from ? " > " : "",
                          s->frames[i].name);
  return buf;
}
