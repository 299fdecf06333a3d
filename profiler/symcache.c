/* See symcache.h. */
#include "profiler/symcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct prof__symslot {
  struct prof__dbg d; /* d.idlen == 0: empty slot */
  char *dirs;         /* LIBPROF_DEBUG_DIRS it was found with ("" unset) */
  uint64_t used;      /* when it was given back: the eviction order      */
};

static pthread_mutex_t prof__symcache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prof__symslot prof__symcache[PROF__SYMCACHE_SLOTS];
static uint64_t prof__symcache_clock;

static void prof__dbg_close(struct prof__dbg *d) {
  prof__dwlines_free(d->lines);
  prof__symtab_free(d->dbgtab);
  prof__debuginfo_close(&d->di);
  memset(d, 0, sizeof(*d));
}

static int prof__slot_is(const struct prof__symslot *s,
                         const struct prof__dbg *d, const char *dirs) {
  return s->d.idlen == d->idlen && d->idlen > 0 &&
         memcmp(s->d.id, d->id, (size_t)d->idlen) == 0 &&
         strcmp(s->dirs, dirs) == 0;
}

/* Moves the matching entry into d. Returns 0, or -1 when there is none. */
static int prof__symcache_take(const char *dirs, struct prof__dbg *d) {
  int found = -1;
  if (pthread_mutex_trylock(&prof__symcache_lock) != 0)
    return -1;
  for (int i = 0; i < PROF__SYMCACHE_SLOTS && found < 0; i++) {
    struct prof__symslot *s = &prof__symcache[i];
    if (!prof__slot_is(s, d, dirs))
      continue;
    *d = s->d;
    free(s->dirs);
    memset(s, 0, sizeof(*s));
    found = 0;
  }
  pthread_mutex_unlock(&prof__symcache_lock);
  return found;
}

void prof__dbg_open(const struct prof__module *m, const char *dirs,
                    char *const *roots, struct prof__dbg *d) {
  memset(d, 0, sizeof(*d));
  if (m->build_id_len > 0 && (size_t)m->build_id_len <= sizeof(d->id)) {
    memcpy(d->id, m->build_id, (size_t)m->build_id_len);
    d->idlen = m->build_id_len;
    if (prof__symcache_take(dirs ? dirs : "", d) == 0)
      return;
  }
  prof__debuginfo_open(m, roots, &d->di);
  if (d->di.dw)
    d->lines = prof__dwlines_new(d->di.dw);
  if (d->di.sep.data)
    d->dbgtab = prof__symtab_new(d->di.sep.data, d->di.sep.len);
}

/* Whether d may outlive the session: it has DWARF (what costs), and no
 * part of it reads the module cache's image (self.elf without a path is
 * elf_memory() over that image). */
static int prof__dbg_keepable(struct prof__dbg *d) {
  if (d->idlen == 0 || !d->di.dw || !d->lines)
    return 0;
  if (d->di.self.elf && !d->di.self.path) {
    if (dwarf_getelf(d->di.dw) == d->di.self.elf)
      return 0;
    elf_end(d->di.self.elf); /* only used to find the debug file */
    memset(&d->di.self, 0, sizeof(d->di.self));
  }
  d->di.source = d->di.sep.path ? d->di.sep.path : d->di.self.path;
  return 1;
}

/* Puts d into a slot (an empty one, else the oldest, whose entry is
 * moved to *old for closing outside the lock). Returns 0, or -1. */
static int prof__symcache_put(const char *dirs, struct prof__dbg *d,
                              struct prof__dbg *old) {
  char *copy = strdup(dirs);
  if (!copy || pthread_mutex_trylock(&prof__symcache_lock) != 0) {
    free(copy);
    return -1;
  }
  struct prof__symslot *s = &prof__symcache[0];
  for (int i = 0; i < PROF__SYMCACHE_SLOTS; i++) {
    struct prof__symslot *t = &prof__symcache[i];
    if (prof__slot_is(t, d, dirs)) { /* another session's copy came back */
      s = NULL;
      break;
    }
    if (s->d.idlen != 0 && (t->d.idlen == 0 || t->used < s->used))
      s = t;
  }
  if (s) {
    *old = s->d;
    free(s->dirs);
    *s = (struct prof__symslot){*d, copy, ++prof__symcache_clock};
  }
  pthread_mutex_unlock(&prof__symcache_lock);
  if (!s)
    free(copy);
  return s ? 0 : -1;
}

void prof__dbg_release(const char *dirs, struct prof__dbg *d) {
  struct prof__dbg old = {0};
  if (prof__dbg_keepable(d) &&
      prof__symcache_put(dirs ? dirs : "", d, &old) == 0)
    memset(d, 0, sizeof(*d));
  prof__dbg_close(d);
  if (old.idlen)
    prof__dbg_close(&old);
}
