#include "test_symbols_util.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "export/proto/profile.pb-c.h"

extern char **environ;

int sym_run(const char *out, char *const argv[], char *const extra_env[]) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    setenv("LD_PRELOAD", SYM_LIBPROF, 1);
    setenv("LIBPROF_OUT", out, 1);
    setenv("LIBPROF_MODE", "itimer", 1);
    setenv("LIBPROF_HZ", "250", 1);
    setenv("LIBPROF_QUIET", "1", 1);
    setenv("LIBPROF_FORMAT", "speedscope,d3,pprof", 1);
    unsetenv("LIBPROF_DEBUG_DIRS");
    for (char *const *e = extra_env; e && *e; e++)
      putenv(*e);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int sym_load_frames(json_t *root, struct sym_profile *p) {
  json_t *frames = json_object_get(json_object_get(root, "shared"), "frames");
  p->nframes = json_array_size(frames);
  p->frames = calloc(p->nframes + 1, sizeof(*p->frames));
  if (!p->frames)
    return -1;
  for (size_t i = 0; i < p->nframes; i++) {
    json_t *f = json_array_get(frames, i);
    p->frames[i].name = json_string_value(json_object_get(f, "name"));
    p->frames[i].file = json_string_value(json_object_get(f, "file"));
    p->frames[i].line = (long)json_integer_value(json_object_get(f, "line"));
    p->frames[i].inlined = json_is_true(json_object_get(f, "inlined"));
    if (!p->frames[i].name)
      p->frames[i].name = "";
  }
  return 0;
}

/* A new stack of room for n frames (filled by the caller), or NULL. */
static int *sym_new_stack(struct sym_profile *p, size_t n, double w) {
  int *fr = calloc(n + 1, sizeof(int));
  void *q = realloc(p->stacks, (p->nstacks + 1) * sizeof(*p->stacks));
  if (q)
    p->stacks = q;
  if (!fr || !q) {
    free(fr);
    return NULL;
  }
  p->stacks[p->nstacks++] = (struct sym_stack){fr, n, w};
  p->total += w;
  return fr;
}

static int sym_add_stack(struct sym_profile *p, json_t *sample, double w) {
  size_t n = json_array_size(sample);
  int *fr = sym_new_stack(p, n, w);
  for (size_t i = 0; fr && i < n; i++) {
    fr[i] = (int)json_integer_value(json_array_get(sample, i));
    if (fr[i] < 0 || (size_t)fr[i] >= p->nframes)
      fr[i] = 0;
  }
  return fr ? 0 : -1;
}

int sym_load(const char *path, struct sym_profile *p) {
  memset(p, 0, sizeof(*p));
  json_error_t err;
  json_t *root = json_load_file(path, 0, &err);
  if (!root) {
    fprintf(stderr, "cannot read %s: %s\n", path, err.text);
    return -1;
  }
  p->json = root;
  if (sym_load_frames(root, p) != 0)
    return -1;
  json_t *profiles = json_object_get(root, "profiles");
  for (size_t i = 0; i < json_array_size(profiles); i++) {
    json_t *pr = json_array_get(profiles, i);
    json_t *samples = json_object_get(pr, "samples");
    json_t *weights = json_object_get(pr, "weights");
    for (size_t k = 0; k < json_array_size(samples); k++)
      if (sym_add_stack(p, json_array_get(samples, k),
                        json_number_value(json_array_get(weights, k))) != 0)
        return -1;
  }
  return 0;
}

/* ---- pprof: per-location lines (speedscope merges a function's PCs) --- */

typedef Perftools__Profiles__Profile sym_pb;

static unsigned char *sym_gunzip(const char *path, size_t *len) {
  gzFile gz = gzopen(path, "rb");
  size_t cap = 1 << 20, n = 0;
  unsigned char *buf = malloc(cap);
  int r = 1;
  while (gz && buf && r > 0) {
    if (n == cap) {
      unsigned char *q = realloc(buf, cap *= 2);
      if (!q)
        break;
      buf = q;
    }
    r = gzread(gz, buf + n, (unsigned)(cap - n));
    n += r > 0 ? (size_t)r : 0;
  }
  if (gz)
    gzclose(gz);
  if (!gz || r != 0) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static const Perftools__Profiles__Function *sym_pb_fn(const sym_pb *pb,
                                                      uint64_t id) {
  for (size_t i = 0; i < pb->n_function; i++)
    if (pb->function[i]->id == id)
      return pb->function[i];
  return NULL;
}

static const char *sym_pb_str(const sym_pb *pb, int64_t i) {
  return i > 0 && (size_t)i < pb->n_string_table ? pb->string_table[i] : NULL;
}

/* One frame per Line of every Location, in location order; a location's
 * lines are innermost first and all but the last are inlined. */
static int sym_pb_frames(const sym_pb *pb, struct sym_profile *p,
                         size_t *first) {
  size_t n = 0;
  for (size_t i = 0; i < pb->n_location; i++)
    n += pb->location[i]->n_line;
  p->frames = calloc(n + 1, sizeof(*p->frames));
  if (!p->frames)
    return -1;
  for (size_t i = 0; i < pb->n_location; i++) {
    const Perftools__Profiles__Location *l = pb->location[i];
    first[i] = p->nframes;
    for (size_t k = 0; k < l->n_line; k++) {
      const Perftools__Profiles__Function *f =
          sym_pb_fn(pb, l->line[k]->function_id);
      struct sym_frame *fr = &p->frames[p->nframes++];
      fr->name = f ? sym_pb_str(pb, f->name) : NULL;
      fr->file = f ? sym_pb_str(pb, f->filename) : NULL;
      fr->line = (long)l->line[k]->line;
      fr->inlined = k + 1 < l->n_line;
      if (!fr->name)
        fr->name = "";
    }
  }
  return 0;
}

static size_t sym_pb_loc(const sym_pb *pb, uint64_t id) {
  for (size_t i = 0; i < pb->n_location; i++)
    if (pb->location[i]->id == id)
      return i;
  return SIZE_MAX;
}

static int sym_pb_stack(const sym_pb *pb, const Perftools__Profiles__Sample *s,
                        const size_t *first, size_t vi,
                        struct sym_profile *p) {
  size_t n = 0, k = 0;
  for (size_t i = 0; i < s->n_location_id; i++) {
    size_t l = sym_pb_loc(pb, s->location_id[i]);
    n += l == SIZE_MAX ? 0 : pb->location[l]->n_line;
  }
  int *fr = sym_new_stack(p, n, vi < s->n_value ? (double)s->value[vi] : 0);
  if (!fr)
    return -1;
  for (size_t i = s->n_location_id; i-- > 0;) { /* leaf first in pprof */
    size_t l = sym_pb_loc(pb, s->location_id[i]);
    for (size_t j = l == SIZE_MAX ? 0 : pb->location[l]->n_line; j-- > 0;)
      fr[k++] = (int)(first[l] + j);
  }
  return 0;
}

int sym_load_pprof(const char *path, struct sym_profile *p) {
  size_t len, vi = 0;
  memset(p, 0, sizeof(*p));
  unsigned char *buf = sym_gunzip(path, &len);
  sym_pb *pb = buf ? perftools__profiles__profile__unpack(NULL, len, buf)
                   : NULL;
  free(buf);
  if (!pb) {
    fprintf(stderr, "cannot read pprof %s\n", path);
    return -1;
  }
  for (size_t i = 0; i < pb->n_sample_type; i++) {
    const char *u = sym_pb_str(pb, pb->sample_type[i]->unit);
    if (u && strcmp(u, "nanoseconds") == 0)
      vi = i;
  }
  size_t *first = calloc(pb->n_location + 1, sizeof(*first));
  int r = first ? sym_pb_frames(pb, p, first) : -1;
  for (size_t i = 0; r == 0 && i < pb->n_sample; i++)
    r = sym_pb_stack(pb, pb->sample[i], first, vi, p);
  free(first);
  p->pb = pb;
  return r;
}

void sym_free(struct sym_profile *p) {
  for (size_t i = 0; i < p->nstacks; i++)
    free((void *)p->stacks[i].frames);
  free(p->stacks);
  free(p->frames);
  json_decref(p->json);
  if (p->pb)
    perftools__profiles__profile__free_unpacked(p->pb, NULL);
  memset(p, 0, sizeof(*p));
}

const struct sym_frame *sym_from_leaf(const struct sym_profile *p,
                                      const struct sym_stack *s, size_t i) {
  return i < s->n ? &p->frames[s->frames[s->n - 1 - i]] : NULL;
}

double sym_share(const struct sym_profile *p,
                 int (*match)(const struct sym_profile *,
                              const struct sym_stack *, const void *),
                 const void *arg) {
  double w = 0;
  for (size_t i = 0; i < p->nstacks; i++)
    if (match(p, &p->stacks[i], arg))
      w += p->stacks[i].weight;
  return p->total > 0 ? w / p->total : 0;
}

const char *sym_any_name(const struct sym_profile *p,
                         int (*bad)(const char *name)) {
  for (size_t i = 0; i < p->nstacks; i++)
    for (size_t k = 0; k < p->stacks[i].n; k++)
      if (bad(p->frames[p->stacks[i].frames[k]].name))
        return p->frames[p->stacks[i].frames[k]].name;
  return NULL;
}

static int sym_by_weight(const void *a, const void *b) {
  const struct sym_stack *x = a, *y = b;
  return (x->weight < y->weight) - (x->weight > y->weight);
}

void sym_dump(const struct sym_profile *p, int max) {
  struct sym_stack *s = malloc((p->nstacks + 1) * sizeof(*s));
  if (!s)
    return;
  memcpy(s, p->stacks, p->nstacks * sizeof(*s));
  qsort(s, p->nstacks, sizeof(*s), sym_by_weight);
  for (size_t i = 0; i < p->nstacks && (int)i < max; i++) {
    fprintf(stderr, "  %5.1f%%", p->total ? 100 * s[i].weight / p->total : 0);
    for (size_t k = 0; k < s[i].n; k++) {
      const struct sym_frame *f = &p->frames[s[i].frames[k]];
      const char *base = f->file ? strrchr(f->file, '/') : NULL;
      fprintf(stderr, " > %s%s@%s:%ld", f->name, f->inlined ? "[i]" : "",
              base ? base + 1 : (f->file ? f->file : ""), f->line);
    }
    fputc('\n', stderr);
  }
  free(s);
}

long sym_marker_line(const char *file, const char *marker) {
  FILE *fp = fopen(file, "r");
  char line[1024];
  long n = 0;
  if (!fp)
    return -1;
  while (fgets(line, sizeof(line), fp)) {
    n++;
    if (strstr(line, marker)) {
      fclose(fp);
      return n;
    }
  }
  fclose(fp);
  return -1;
}

static Elf *sym_elf_open(const char *path, int *fd) {
  elf_version(EV_CURRENT);
  *fd = open(path, O_RDONLY);
  Elf *e = *fd >= 0 ? elf_begin(*fd, ELF_C_READ, NULL) : NULL;
  if (!e && *fd >= 0)
    close(*fd);
  return e;
}

int sym_elf_func(const char *path, const char *name, uint64_t *lo,
                 uint64_t *hi) {
  int fd, found = -1;
  Elf *e = sym_elf_open(path, &fd);
  for (Elf_Scn *scn = NULL; e && found && (scn = elf_nextscn(e, scn));) {
    GElf_Shdr sh;
    Elf_Data *d = gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB
                      ? elf_getdata(scn, NULL) : NULL;
    for (size_t i = 0; d && found && i < sh.sh_size / sh.sh_entsize; i++) {
      GElf_Sym s;
      const char *n = gelf_getsym(d, (int)i, &s)
                          ? elf_strptr(e, sh.sh_link, s.st_name) : NULL;
      if (n && strcmp(n, name) == 0 && GELF_ST_TYPE(s.st_info) == STT_FUNC) {
        *lo = s.st_value;
        *hi = s.st_value + s.st_size;
        found = 0;
      }
    }
  }
  if (e) {
    elf_end(e);
    close(fd);
  }
  return found;
}

int sym_build_id(const char *path, char *buf, size_t len) {
  int fd, r = -1;
  Elf *e = sym_elf_open(path, &fd);
  const unsigned char *id;
  ssize_t n = e ? dwelf_elf_gnu_build_id(e, (const void **)&id) : -1;
  if (n > 0 && (size_t)n * 2 < len) {
    for (ssize_t i = 0; i < n; i++)
      sprintf(buf + 2 * i, "%02x", id[i]);
    r = 0;
  }
  if (e) {
    elf_end(e);
    close(fd);
  }
  return r;
}

int sym_tmpdir(char *buf, size_t len) {
  snprintf(buf, len, "%s/symtest.XXXXXX", SYM_DIR);
  return mkdtemp(buf) ? 0 : -1;
}

static int sym_mkdirs(const char *path) {
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s", path);
  for (char *s = tmp + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
      *s = '/';
    }
  return 0;
}

int sym_copy(const char *from, const char *to) {
  char buf[65536];
  ssize_t n;
  if (sym_mkdirs(to) != 0)
    return -1;
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC,
                                             0755);
  int r = in >= 0 && out >= 0 ? 0 : -1;
  while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
    r = write(out, buf, (size_t)n) == n ? 0 : -1;
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  return r;
}

static int sym_rm_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  return remove(path);
}

void sym_rmtree(const char *dir) {
  nftw(dir, sym_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
