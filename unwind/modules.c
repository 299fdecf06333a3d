/* See modules.h: why every module keeps a private image of its file. */
#include "unwind/modules.h"
#include "base/forklock.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unwind/range.h"

struct prof__modules {
  struct prof__module **all; /* every module ever seen, by id          */
  uint32_t nall, capall;
  struct prof__module **active; /* loaded now, sorted by lo            */
  uint32_t nactive;
  unsigned long long adds, subs; /* link-map change counters            */
  int have_counts;
  char exe[4096];
};

/* What the dl_iterate_phdr callback copies out; files are opened after
 * the loader lock is released. */
struct prof__desc {
  char *name;
  uint64_t bias;
  ElfW(Phdr) ph[32];
  int nph;
  unsigned char build_id[64];
  int build_id_len;
};

struct prof__scan {
  struct prof__modules *ms;
  struct prof__desc *d;
  size_t n, cap;
  int unchanged;
  int failed;
};

static int prof__note_build_id(const unsigned char *p, size_t len,
                               unsigned char *out, int *outlen) {
  size_t off = 0;
  while (off + sizeof(ElfW(Nhdr)) <= len) {
    const ElfW(Nhdr) *nh = (const void *)(p + off);
    size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
    size_t body = off + sizeof(*nh);
    if (!prof__range_in(body, (uint64_t)name + desc, 0, len))
      return -1;
    if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
        memcmp(p + body, "GNU", 4) == 0 && nh->n_descsz <= 64) {
      memcpy(out, p + body + name, nh->n_descsz);
      *outlen = (int)nh->n_descsz;
      return 0;
    }
    off = body + name + desc;
  }
  return -1;
}

static void prof__desc_build_id(struct prof__desc *d) {
  d->build_id_len = 0;
  for (int i = 0; i < d->nph; i++)
    if (d->ph[i].p_type == PT_NOTE &&
        prof__note_build_id((const void *)(d->bias + d->ph[i].p_vaddr),
                            d->ph[i].p_memsz, d->build_id,
                            &d->build_id_len) == 0)
      return;
}

static int prof__scan_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  struct prof__scan *sc = arg;
  if (sc->n == 0 && size >= offsetof(struct dl_phdr_info, dlpi_subs) +
                                 sizeof(info->dlpi_subs)) {
    if (sc->ms->have_counts && info->dlpi_adds == sc->ms->adds &&
        info->dlpi_subs == sc->ms->subs) {
      sc->unchanged = 1;
      return 1;
    }
    sc->ms->adds = info->dlpi_adds;
    sc->ms->subs = info->dlpi_subs;
    sc->ms->have_counts = 1;
  }
  if (sc->n == sc->cap) {
    size_t cap = sc->cap ? sc->cap * 2 : 64;
    void *p = realloc(sc->d, cap * sizeof(*sc->d));
    if (!p) {
      sc->failed = 1;
      return 1;
    }
    sc->d = p;
    sc->cap = cap;
  }
  struct prof__desc *d = &sc->d[sc->n];
  d->name = strdup(info->dlpi_name ? info->dlpi_name : "");
  if (!d->name) {
    sc->failed = 1;
    return 1;
  }
  d->bias = info->dlpi_addr;
  d->nph = info->dlpi_phnum < 32 ? info->dlpi_phnum : 32;
  memcpy(d->ph, info->dlpi_phdr, (size_t)d->nph * sizeof(ElfW(Phdr)));
  prof__desc_build_id(d);
  sc->n++;
  return 0;
}

int prof__image_has_build_id(const unsigned char *img, size_t len,
                             const unsigned char *want, int wantlen) {
  if (len < sizeof(ElfW(Ehdr)) || memcmp(img, ELFMAG, SELFMAG) != 0)
    return 0;
  if (!wantlen)
    return 1;
  const ElfW(Ehdr) *eh = (const void *)img;
  if (eh->e_phentsize < sizeof(ElfW(Phdr)) ||
      (eh->e_phoff | eh->e_phentsize) % _Alignof(ElfW(Phdr)) != 0 ||
      !prof__range_in(eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize,
                      0, len))
    return 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    const ElfW(Phdr) *ph =
        (const void *)(img + eh->e_phoff + (size_t)i * eh->e_phentsize);
    unsigned char id[64];
    int idlen = 0;
    if (ph->p_type == PT_NOTE && ph->p_offset % _Alignof(ElfW(Nhdr)) == 0 &&
        prof__range_in(ph->p_offset, ph->p_filesz, 0, len) &&
        prof__note_build_id(img + ph->p_offset, ph->p_filesz, id, &idlen) == 0)
      return idlen == wantlen && memcmp(id, want, (size_t)idlen) == 0;
  }
  return 0;
}

/* Maps the module's file privately; keeps it only if it is the same
 * object the host loaded (same build-id), so a library replaced on disk
 * cannot give wrong unwind tables or names. */
static void prof__module_map_file(struct prof__module *m) {
  int fd = open(m->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  struct stat st;
  void *p = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(ElfW(Ehdr)))
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return;
  if (!prof__image_has_build_id(p, (size_t)st.st_size, m->build_id,
                                m->build_id_len)) {
    munmap(p, (size_t)st.st_size);
    return;
  }
  m->image = p;
  m->image_len = (size_t)st.st_size;
}

/* The vdso has no file; it is never unmapped, so a copy is exact. */
static void prof__module_copy_vdso(struct prof__module *m) {
  size_t len = m->hi - m->bias;
  unsigned char *copy = malloc(len);
  if (!copy)
    return;
  memcpy(copy, (const void *)m->bias, len);
  m->image = copy;
  m->image_len = len;
}

static void prof__module_set_segs(struct prof__module *m,
                                  const struct prof__desc *d) {
  m->lo = UINT64_MAX;
  m->text_lo = UINT64_MAX;
  for (int i = 0; i < d->nph; i++) {
    const ElfW(Phdr) *ph = &d->ph[i];
    if (ph->p_type == PT_GNU_EH_FRAME) {
      m->eh_frame_hdr = d->bias + ph->p_vaddr;
      m->eh_frame_hdr_len = ph->p_memsz;
    }
    if (ph->p_type != PT_LOAD || m->nseg == PROF__MODULE_MAX_SEGS)
      continue;
    struct prof__module_seg *s = &m->seg[m->nseg++];
    *s = (struct prof__module_seg){ph->p_vaddr, ph->p_memsz, ph->p_offset,
                                   ph->p_filesz, ph->p_flags};
    uint64_t a = d->bias + ph->p_vaddr, b = a + ph->p_memsz;
    m->lo = a < m->lo ? a : m->lo;
    m->hi = b > m->hi ? b : m->hi;
    if ((ph->p_flags & PF_X) && a < m->text_lo) {
      m->text_lo = a;
      m->text_offset = ph->p_offset;
    }
    if ((ph->p_flags & PF_X) && b > m->text_hi)
      m->text_hi = b;
  }
}

static struct prof__module *prof__module_new(struct prof__modules *ms,
                                             struct prof__desc *d) {
  struct prof__module *m = calloc(1, sizeof(*m));
  if (!m)
    return NULL;
  int is_exe = ms->nall == 0 || d->name[0] == '\0';
  m->is_vdso = strncmp(d->name, "linux-vdso", 10) == 0 ||
               strncmp(d->name, "linux-gate", 10) == 0;
  m->path = is_exe && ms->exe[0] ? strdup(ms->exe) : d->name;
  if (m->path != d->name)
    free(d->name);
  d->name = NULL;
  m->bias = d->bias;
  m->build_id_len = d->build_id_len;
  memcpy(m->build_id, d->build_id, sizeof(m->build_id));
  prof__module_set_segs(m, d);
  if (m->is_vdso)
    prof__module_copy_vdso(m);
  else
    prof__module_map_file(m);
  return m;
}

static int prof__same(const struct prof__module *m,
                      const struct prof__desc *d, const char *exe) {
  const char *name = d->name[0] ? d->name : exe;
  return m->bias == d->bias && strcmp(m->path, name) == 0 &&
         m->build_id_len == d->build_id_len &&
         memcmp(m->build_id, d->build_id, (size_t)d->build_id_len) == 0;
}

static int prof__by_lo(const void *a, const void *b) {
  const struct prof__module *x = *(struct prof__module *const *)a;
  const struct prof__module *y = *(struct prof__module *const *)b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Finds or creates the module of d; returns it, or NULL on ENOMEM. */
static struct prof__module *prof__adopt(struct prof__modules *ms,
                                        struct prof__desc *d) {
  for (uint32_t i = 0; i < ms->nactive; i++)
    if (prof__same(ms->active[i], d, ms->exe))
      return ms->active[i];
  if (ms->nall == ms->capall) {
    uint32_t cap = ms->capall ? ms->capall * 2 : 64;
    void *p = realloc(ms->all, cap * sizeof(*ms->all));
    if (!p)
      return NULL;
    ms->all = p;
    ms->capall = cap;
  }
  struct prof__module *m = prof__module_new(ms, d);
  if (!m)
    return NULL;
  m->id = ms->nall;
  ms->all[ms->nall++] = m;
  return m;
}

static void prof__apply_scan(struct prof__modules *ms, struct prof__scan *sc) {
  struct prof__module **act = calloc(sc->n ? sc->n : 1, sizeof(*act));
  uint32_t n = 0;
  for (size_t i = 0; act && i < sc->n; i++) {
    struct prof__module *m = prof__adopt(ms, &sc->d[i]);
    if (m && m->lo < m->hi)
      act[n++] = m;
  }
  if (!act)
    return;
  for (uint32_t i = 0; i < ms->nall; i++)
    ms->all[i]->unloaded = 1;
  for (uint32_t i = 0; i < n; i++)
    act[i]->unloaded = 0;
  qsort(act, n, sizeof(*act), prof__by_lo);
  free(ms->active);
  ms->active = act;
  ms->nactive = n;
}

/* glibc's fork does not reset the loader lock dl_iterate_phdr holds
 * (dl_load_write_lock): a fork while the collector is inside it leaves
 * the child's dl_iterate_phdr, its own and the host's (C++ exceptions),
 * blocked for ever. So libprof iterates only under this lock, which its
 * fork handlers hold across fork (prof__modules_fork_*). */
static pthread_mutex_t prof__dl_lock = PTHREAD_MUTEX_INITIALIZER;

void prof__modules_fork_prepare(void) { pthread_mutex_lock(&prof__dl_lock); }
void prof__modules_fork_parent(void) { pthread_mutex_unlock(&prof__dl_lock); }
void prof__modules_fork_child(int held) {
  prof__fork_relock(&prof__dl_lock, held);
}

void prof__modules_refresh(struct prof__modules *ms) {
  struct prof__scan sc = {ms, NULL, 0, 0, 0, 0};
  pthread_mutex_lock(&prof__dl_lock);
  dl_iterate_phdr(prof__scan_cb, &sc);
  pthread_mutex_unlock(&prof__dl_lock);
  if (!sc.unchanged && !sc.failed)
    prof__apply_scan(ms, &sc);
  if (sc.failed)
    ms->have_counts = 0; /* retry the full scan next time */
  for (size_t i = 0; i < sc.n; i++)
    free(sc.d[i].name);
  free(sc.d);
}

struct prof__modules *prof__modules_new(void) {
  struct prof__modules *ms = calloc(1, sizeof(*ms));
  if (!ms)
    return NULL;
  ssize_t n = readlink("/proc/self/exe", ms->exe, sizeof(ms->exe) - 1);
  ms->exe[n > 0 ? n : 0] = '\0';
  prof__modules_refresh(ms);
  return ms;
}

void prof__modules_free(struct prof__modules *ms) {
  if (!ms)
    return;
  for (uint32_t i = 0; i < ms->nall; i++) {
    struct prof__module *m = ms->all[i];
    if (m->is_vdso)
      free((void *)m->image);
    else if (m->image)
      munmap((void *)m->image, m->image_len);
    free(m->path);
    free(m);
  }
  free(ms->all);
  free(ms->active);
  free(ms);
}

static const struct prof__module *prof__lookup(const struct prof__modules *ms,
                                               uint64_t addr) {
  uint32_t lo = 0, hi = ms->nactive;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (ms->active[mid]->lo <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  const struct prof__module *m = ms->active[lo - 1];
  return addr < m->hi ? m : NULL;
}

const struct prof__module *prof__modules_find(struct prof__modules *ms,
                                              uint64_t addr) {
  const struct prof__module *m = prof__lookup(ms, addr);
  if (m)
    return m;
  prof__modules_refresh(ms);
  return prof__lookup(ms, addr);
}

const struct prof__module *prof__modules_get(const struct prof__modules *ms,
                                             uint32_t id) {
  return id < ms->nall ? ms->all[id] : NULL;
}

uint32_t prof__modules_count(const struct prof__modules *ms) {
  return ms->nall;
}

int prof__module_read(const struct prof__module *m, uint64_t addr, void *buf,
                      size_t len) {
  if (!m->image || addr < m->bias)
    return -1;
  uint64_t va = addr - m->bias;
  for (int i = 0; i < m->nseg; i++) {
    const struct prof__module_seg *s = &m->seg[i];
    if (!prof__range_in(va, len, s->vaddr, s->filesz))
      continue;
    /* The sum may wrap on a corrupt header; the check below keeps any
     * result inside the image. */
    uint64_t off = s->offset + (va - s->vaddr);
    if (!prof__range_in(off, len, 0, m->image_len))
      return -1;
    memcpy(buf, m->image + off, len);
    return 0;
  }
  return -1;
}

void prof__module_build_id_hex(const struct prof__module *m, char *buf,
                               size_t buflen) {
  static const char hex[] = "0123456789abcdef";
  size_t j = 0;
  for (int i = 0; i < m->build_id_len && j + 2 < buflen; i++) {
    buf[j++] = hex[m->build_id[i] >> 4];
    buf[j++] = hex[m->build_id[i] & 15];
  }
  if (buflen)
    buf[j] = '\0';
}
