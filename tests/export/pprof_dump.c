/* pprof profile -> text (see pprof_dump.h). Strings are printed resolved,
 * so the dump reads like the profile it describes. */
#include "pprof_dump.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "export/proto/profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;

static unsigned char *gunzip(const unsigned char *in, size_t len,
                             size_t *outlen) {
  z_stream z = {0};
  size_t cap = 1 << 16, n = 0;
  unsigned char *out = malloc(cap);
  if (out == NULL || inflateInit2(&z, 15 + 16) != Z_OK) {
    free(out);
    return NULL;
  }
  z.next_in = (unsigned char *)in;
  z.avail_in = (uInt)len;
  int r;
  do {
    if (n == cap) {
      unsigned char *o = realloc(out, cap *= 2);
      if (o == NULL)
        break;
      out = o;
    }
    z.next_out = out + n;
    z.avail_out = (uInt)(cap - n);
    r = inflate(&z, Z_NO_FLUSH);
    n = cap - z.avail_out;
  } while (r == Z_OK);
  inflateEnd(&z);
  if (r != Z_STREAM_END) {
    free(out);
    return NULL;
  }
  *outlen = n;
  return out;
}

static const char *S(const Profile *p, int64_t i) {
  return i >= 0 && (size_t)i < p->n_string_table ? p->string_table[i]
                                                  : "<bad string index>";
}

static void dump_header(const Profile *p, FILE *out) {
  for (size_t i = 0; i < p->n_sample_type; i++)
    fprintf(out, "sample_type %s/%s\n", S(p, p->sample_type[i]->type),
            S(p, p->sample_type[i]->unit));
  if (p->period_type)
    fprintf(out, "period_type %s/%s\n", S(p, p->period_type->type),
            S(p, p->period_type->unit));
  fprintf(out, "period %lld\ntime_nanos %lld\nduration_nanos %lld\n",
          (long long)p->period, (long long)p->time_nanos,
          (long long)p->duration_nanos);
  fprintf(out, "default_sample_type %s\n", S(p, p->default_sample_type));
  for (size_t i = 0; i < p->n_comment; i++)
    fprintf(out, "comment %s\n", S(p, p->comment[i]));
  fprintf(out, "string_table[0] \"%s\"\n", S(p, 0));
  for (size_t i = 0; i < p->n_mapping; i++) {
    const Perftools__Profiles__Mapping *m = p->mapping[i];
    fprintf(out, "mapping %llu 0x%llx-0x%llx off 0x%llx %s build_id %s "
            "flags %d%d%d%d\n", (unsigned long long)m->id,
            (unsigned long long)m->memory_start,
            (unsigned long long)m->memory_limit,
            (unsigned long long)m->file_offset, S(p, m->filename),
            S(p, m->build_id), m->has_functions, m->has_filenames,
            m->has_line_numbers, m->has_inline_frames);
  }
}

static void dump_tables(const Profile *p, FILE *out) {
  for (size_t i = 0; i < p->n_function; i++) {
    const Perftools__Profiles__Function *f = p->function[i];
    fprintf(out, "function %llu %s system=%s file=%s start=%lld\n",
            (unsigned long long)f->id, S(p, f->name), S(p, f->system_name),
            S(p, f->filename), (long long)f->start_line);
  }
  for (size_t i = 0; i < p->n_location; i++) {
    const Perftools__Profiles__Location *l = p->location[i];
    fprintf(out, "location %llu mapping %llu address 0x%llx:",
            (unsigned long long)l->id, (unsigned long long)l->mapping_id,
            (unsigned long long)l->address);
    for (size_t k = 0; k < l->n_line; k++)
      fprintf(out, " [function %llu line %lld]",
              (unsigned long long)l->line[k]->function_id,
              (long long)l->line[k]->line);
    fprintf(out, "\n");
  }
}

static void dump_samples(const Profile *p, FILE *out) {
  for (size_t i = 0; i < p->n_sample; i++) {
    const Perftools__Profiles__Sample *s = p->sample[i];
    fprintf(out, "sample values");
    for (size_t k = 0; k < s->n_value; k++)
      fprintf(out, " %lld", (long long)s->value[k]);
    fprintf(out, " locations");
    for (size_t k = 0; k < s->n_location_id; k++)
      fprintf(out, " %llu", (unsigned long long)s->location_id[k]);
    for (size_t k = 0; k < s->n_label; k++) {
      const Perftools__Profiles__Label *l = s->label[k];
      if (l->str)
        fprintf(out, " %s=\"%s\"", S(p, l->key), S(p, l->str));
      else
        fprintf(out, " %s=%lld", S(p, l->key), (long long)l->num);
    }
    fprintf(out, "\n");
  }
}

int pprof_dump(const unsigned char *buf, size_t len, FILE *out) {
  size_t n = 0;
  unsigned char *raw = gunzip(buf, len, &n);
  if (raw == NULL)
    return -1;
  Profile *p = perftools__profiles__profile__unpack(NULL, n, raw);
  free(raw);
  if (p == NULL)
    return -1;
  dump_header(p, out);
  dump_tables(p, out);
  dump_samples(p, out);
  perftools__profiles__profile__free_unpacked(p, NULL);
  return 0;
}
