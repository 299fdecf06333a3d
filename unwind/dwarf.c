/* DWARF unwinding of snapshots with libunwind's remote API.
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL) rather than linked: Debian's
 * libunwind.so.8 exports the _Unwind_* exception ABI, and a host that
 * found those ahead of libgcc_s would get libunwind's exception unwinder.
 * Loaded locally, its symbols never enter the host's global scope.
 *
 * libunwind is the reference, but at ~0.5 us a step it is slow; most
 * samples are walked instead by per-PC rules taken from it (rules.h,
 * probe.c), and only frames the rules cannot express send a sample back
 * here, whole. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

#include "libprof.h"
#include "unwind/rules.h"
#include "unwind/unwind.h"

struct prof__unwinder {
  enum prof__unwind_mode mode;
  struct prof__unw_api api;
  unw_addr_space_t as;
  struct prof__modules *ms;
  const struct prof__sample *cur; /* the snapshot being unwound */
  struct prof__rules *rules;      /* NULL: libunwind only */
  struct prof__prober *prober;
  int fast;                       /* use the rules (default on) */
  uint32_t nmodules;              /* module count the caches match */
  const struct prof__module *last; /* module of the last rule lookup */
  struct prof__unwind_stats stats;
};

/* eh_frame_hdr encodings (LSB spec): the binary-search table libunwind
 * can use remotely is datarel|sdata4 pairs. */
#define PROF__PE_OMIT 0xff
#define PROF__PE_UDATA4 0x03
#define PROF__PE_SDATA4 0x0b
#define PROF__PE_PCREL 0x10
#define PROF__PE_DATAREL 0x30

static int prof__fill_table(const struct prof__module *m, unw_dyn_info_t *di) {
  unsigned char h[12];
  if (!m->eh_frame_hdr || prof__module_read(m, m->eh_frame_hdr, h, 12) != 0)
    return -1;
  int ptr_ok = (h[1] & 0x0f) == PROF__PE_SDATA4 ||
               (h[1] & 0x0f) == PROF__PE_UDATA4;
  if (h[0] != 1 || !ptr_ok || h[2] != PROF__PE_UDATA4 ||
      h[3] != (PROF__PE_DATAREL | PROF__PE_SDATA4))
    return -1;
  uint32_t count;
  memcpy(&count, h + 8, 4);
  memset(di, 0, sizeof(*di));
  di->start_ip = m->text_lo;
  di->end_ip = m->text_hi;
  di->format = UNW_INFO_FORMAT_REMOTE_TABLE;
  di->u.rti.segbase = m->eh_frame_hdr;
  di->u.rti.table_data = m->eh_frame_hdr + 12;
  di->u.rti.table_len = (unw_word_t)count * 8 / sizeof(unw_word_t);
  return 0;
}

int prof__unw_find_proc_info(const struct prof__unw_api *api,
                             struct prof__modules *ms, unw_addr_space_t as,
                             unw_word_t ip, unw_proc_info_t *pi, int need,
                             void *arg) {
  const struct prof__module *m = prof__modules_find(ms, ip);
  unw_dyn_info_t di;
  if (!m || prof__fill_table(m, &di) != 0)
    return -UNW_ENOINFO;
  return api->search(as, ip, &di, pi, need, arg);
}

static int prof__find_proc_info(unw_addr_space_t as, unw_word_t ip,
                                unw_proc_info_t *pi, int need, void *arg) {
  struct prof__unwinder *u = arg;
  return prof__unw_find_proc_info(&u->api, u->ms, as, ip, pi, need, arg);
}

/* With UNW_INFO_FORMAT_TABLE results libunwind frees unwind_info itself. */
static void prof__put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi,
                                  void *arg) {}

static int prof__get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *a,
                                        void *arg) {
  return -UNW_ENOINFO;
}

/* Stack words come from the snapshot, everything else from the module
 * images; live memory is never read, since the stack has moved on and a
 * module may be gone. */
static int prof__read_word(struct prof__unwinder *u, uint64_t addr,
                           uint64_t *val) {
  if (prof__snapshot_read(u->cur, addr, val) == 0)
    return 0;
  const struct prof__module *m = prof__modules_find(u->ms, addr);
  return m && prof__module_read(m, addr, val, 8) == 0 ? 0 : -1;
}

static int prof__access_mem(unw_addr_space_t as, unw_word_t addr,
                            unw_word_t *val, int write, void *arg) {
  uint64_t v;
  if (write || prof__read_word(arg, addr, &v) != 0)
    return -UNW_EINVAL;
  *val = v;
  return 0;
}

static int prof__access_reg(unw_addr_space_t as, unw_regnum_t reg,
                            unw_word_t *val, int write, void *arg) {
  struct prof__unwinder *u = arg;
  if (write || reg < 0 || reg >= PROF__ARCH_NREGS)
    return -UNW_EBADREG;
  *val = u->cur->regs.r[reg];
  return 0;
}

int prof__unw_no_fpreg(unw_addr_space_t as, unw_regnum_t reg,
                       unw_fpreg_t *val, int write, void *arg) {
  return -UNW_EBADREG;
}

int prof__unw_no_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg) {
  return -UNW_EINVAL;
}

static unw_accessors_t prof__accessors = {
    .find_proc_info = prof__find_proc_info,
    .put_unwind_info = prof__put_unwind_info,
    .get_dyn_info_list_addr = prof__get_dyn_info_list_addr,
    .access_mem = prof__access_mem,
    .access_reg = prof__access_reg,
    .access_fpreg = prof__unw_no_fpreg,
    .resume = prof__unw_no_resume,
};

static void *prof__sym(void *lib, const char *name, int *ok) {
  char full[96];
  strcpy(full, PROF__ARCH_UNW_PREFIX);
  strcat(full, name);
  void *p = dlsym(lib, full);
  if (!p)
    *ok = 0;
  return p;
}

/* The first successful load, kept for the process: the library stays
 * loaded anyway (prof__unwinder_free), and a fork child must not dlopen:
 * a fork taken while another thread was inside dlopen leaves the child's
 * link map marked inconsistent, and glibc's next dlopen there asserts and
 * kills the child. The child inherits this copy instead. */
static struct prof__unw_api prof__unw_loaded;
static _Atomic int prof__unw_have;

int prof__unw_load_api(struct prof__unw_api *a) {
  if (atomic_load(&prof__unw_have)) {
    *a = prof__unw_loaded;
    return 0;
  }
  a->lib = dlopen(PROF__ARCH_UNW_LIB, RTLD_NOW | RTLD_LOCAL);
  if (!a->lib)
    return PROF_EUNWIND;
  int ok = 1;
  *(void **)&a->create = prof__sym(a->lib, "create_addr_space", &ok);
  *(void **)&a->destroy = prof__sym(a->lib, "destroy_addr_space", &ok);
  *(void **)&a->init_remote = prof__sym(a->lib, "init_remote", &ok);
  *(void **)&a->step = prof__sym(a->lib, "step", &ok);
  *(void **)&a->get_reg = prof__sym(a->lib, "get_reg", &ok);
  *(void **)&a->caching = prof__sym(a->lib, "set_caching_policy", &ok);
  *(void **)&a->search = prof__sym(a->lib, "dwarf_search_unwind_table", &ok);
  *(void **)&a->flush = prof__sym(a->lib, "flush_cache", &ok);
  if (!ok)
    return PROF_EUNWIND;
  prof__unw_loaded = *a; /* racing loads store the same values */
  atomic_store(&prof__unw_have, 1);
  return 0;
}

static int prof__load_libunwind(struct prof__unwinder *u) {
  int err = prof__unw_load_api(&u->api);
  if (err)
    return err;
  u->as = u->api.create(&prof__accessors, 0);
  if (!u->as)
    return PROF_ENOMEM;
  u->api.caching(u->as, UNW_CACHE_GLOBAL);
  u->nmodules = prof__modules_count(u->ms);
  /* The fast path is an optimisation: without it (no memory, or a
   * libunwind that fails the prober's self-check) every sample simply
   * goes through libunwind. */
  u->rules = prof__rules_new();
  u->prober = u->rules ? prof__prober_new(&u->api, u->ms) : NULL;
  u->fast = u->prober != NULL;
  return 0;
}

int prof__unwinder_new(struct prof__unwinder **out,
                       enum prof__unwind_mode mode, struct prof__modules *ms) {
  struct prof__unwinder *u = calloc(1, sizeof(*u));
  if (!u)
    return PROF_ENOMEM;
  u->mode = mode;
  u->ms = ms;
  int err = prof__load_libunwind(u);
  /* FP mode uses libunwind only where the frame-pointer chain breaks
   * (code built without frame pointers, such as Debian's libc): without
   * it, such samples just stay broken. */
  if (err && mode == PROF__UNWIND_FP)
    err = 0;
  if (err) {
    prof__unwinder_free(u);
    return err;
  }
  *out = u;
  return 0;
}

void prof__unwinder_free(struct prof__unwinder *u) {
  if (!u)
    return;
  prof__prober_free(u->prober);
  prof__rules_free(u->rules);
  if (u->as)
    u->api.destroy(u->as);
  /* The library stays loaded: libunwind keeps process-wide state (its
   * memory pools) that a later session would reuse. */
  free(u);
}

void prof__unwinder_set_fast(struct prof__unwinder *u, int on) {
  u->fast = on && u->prober != NULL;
}

void prof__unwinder_stats(const struct prof__unwinder *u,
                          struct prof__unwind_stats *out) {
  *out = u->stats;
  out->rules = u->rules ? prof__rules_count(u->rules) : 0;
}

/* The slow path: libunwind steps from the interrupted registers. */
static int prof__unwind_libunwind(struct prof__unwinder *u, uint64_t *pcs,
                                  uint64_t *sps, int max,
                                  enum prof__unwind_status *status) {
  unw_cursor_t c;
  int n = 0, r;
  *status = PROF__UNWIND_FAILED;
  if (u->api.init_remote(&c, u->as, u) < 0) {
    pcs[0] = prof__arch_pc(&u->cur->regs);
    sps[0] = prof__arch_sp(&u->cur->regs);
    return 1;
  }
  do {
    unw_word_t ip = 0, sp = 0;
    u->api.get_reg(&c, UNW_REG_IP, &ip);
    u->api.get_reg(&c, UNW_REG_SP, &sp);
    pcs[n] = ip;
    sps[n++] = sp;
    if (n == max) {
      *status = PROF__UNWIND_DEPTH;
      return n;
    }
    r = u->api.step(&c);
  } while (r > 0);
  if (r == 0)
    *status = PROF__UNWIND_COMPLETE;
  return n;
}

/* Outcome of a rule lookup. */
enum prof__lookup {
  PROF__LOOKUP_OK,
  PROF__LOOKUP_NOCODE, /* pc is in no module's executable segments */
  PROF__LOOKUP_NONE    /* no key for it: leave the sample to libunwind */
};

/* The rule of the frame at pc, probing libunwind on a miss. */
static enum prof__lookup prof__rule_of(struct prof__unwinder *u,
                                       uint64_t pc, unsigned kind,
                                       struct prof__rule *r) {
  uint64_t at = kind == PROF__RULE_CALLER ? pc - 1 : pc;
  const struct prof__module *m = u->last;
  /* Consecutive frames are mostly in one module; a loaded module that
   * holds the address is the one prof__modules_find would return. */
  if (!m || m->unloaded || at < m->text_lo || at >= m->text_hi) {
    m = prof__modules_find(u->ms, at);
    if (!m || at < m->text_lo || at >= m->text_hi)
      return PROF__LOOKUP_NOCODE;
    u->last = m;
  }
  uint64_t key = prof__rule_key(m->id, pc - m->bias, kind);
  if (key == 0)
    return PROF__LOOKUP_NONE;
  const struct prof__rule *hit = prof__rules_find(u->rules, key);
  if (hit) {
    *r = *hit;
    return PROF__LOOKUP_OK;
  }
  prof__probe_rule(u->prober, pc, kind, r);
  u->stats.probes++;
  prof__rules_put(u->rules, key, r);
  return PROF__LOOKUP_OK;
}

/* One step by rule r from (pc, sp, fp), as libunwind's step would take it:
 * the same reads (snapshot, then module images), the FP loaded eagerly but
 * only fatal when a later CFA needs it, as libunwind's lazy RBP location
 * is. The CFA must move outward: on a real stack it always does, so a CFA
 * that does not means a corrupt snapshot, and stopping rules out loops. */
static int prof__rule_step(struct prof__unwinder *u, const struct prof__rule *r,
                           uint64_t *pc, uint64_t *sp, uint64_t *fp,
                           int *fp_ok) {
  if ((r->flags & PROF__RULE_FP_BASE) && !*fp_ok)
    return -1;
  uint64_t base = (r->flags & PROF__RULE_FP_BASE) ? *fp : *sp;
  uint64_t cfa = base + (uint64_t)(int64_t)r->cfa_off, ra;
  if (cfa <= *sp || prof__read_word(u, cfa + (uint64_t)(int64_t)r->ra_off,
                                    &ra) != 0)
    return -1;
  if (r->flags & PROF__RULE_FP_SAVED)
    *fp_ok = prof__read_word(u, cfa + (uint64_t)(int64_t)r->fp_off, fp) == 0;
  *pc = ra;
  *sp = cfa;
  return 0;
}

/* The fast path. Returns the frame count, or -1 when a frame needs
 * libunwind (the caller then redoes the whole sample with it). Same
 * output contract as prof__unwind_libunwind.
 *
 * A return address outside every module's code ends the walk as FAILED
 * here, where libunwind would go on guessing frames along RBP: a DWARF
 * rule of a real frame loaded it, so the snapshot is corrupt (or the
 * caller is JIT code, which nothing in libprof supports yet), and the
 * guesses through random words are what turns a corrupt snapshot into
 * hundreds of "frames". Frame 0 outside any code (the thread was
 * running JIT or stub code) is still left to libunwind: its registers
 * come from the kernel, not from the stack. */
static int prof__unwind_rules(struct prof__unwinder *u, uint64_t *pcs,
                              uint64_t *sps, int max,
                              enum prof__unwind_status *status) {
  const struct prof__regs *regs = &u->cur->regs;
  uint64_t pc = prof__arch_pc(regs), sp = prof__arch_sp(regs);
  uint64_t fp = prof__arch_fp(regs);
  int fp_ok = 1, n = 0;
  unsigned kind = PROF__RULE_FRAME0;
  struct prof__rule r;
  *status = PROF__UNWIND_FAILED;
  for (;;) {
    pcs[n] = pc;
    sps[n++] = sp;
    if (n == max) {
      *status = PROF__UNWIND_DEPTH;
      return n;
    }
    enum prof__lookup l = prof__rule_of(u, pc, kind, &r);
    if (l == PROF__LOOKUP_NOCODE && n > 1)
      return n; /* FAILED: see above */
    if (l != PROF__LOOKUP_OK || (r.flags & PROF__RULE_COMPLEX))
      return -1;
    if (r.flags & PROF__RULE_OUTERMOST) {
      *status = PROF__UNWIND_COMPLETE;
      return n;
    }
    if (prof__rule_step(u, &r, &pc, &sp, &fp, &fp_ok) != 0)
      return n;
    kind = PROF__RULE_CALLER;
  }
}

/* A new module record means the link map changed: an address range may
 * now hold other code. Rules are keyed by module id and stay right, but
 * libunwind's own cache is keyed by address and must go; the rules of
 * unloaded modules are dropped to bound memory. */
static void prof__unwinder_sync(struct prof__unwinder *u) {
  uint32_t n = prof__modules_count(u->ms);
  if (n == u->nmodules)
    return;
  u->nmodules = n;
  u->api.flush(u->as, 0, 0);
  if (u->rules)
    prof__rules_sweep(u->rules, u->ms);
}

int prof__unwind(struct prof__unwinder *u, const struct prof__sample *smp,
                 uint64_t *pcs, uint64_t *sps, int max,
                 enum prof__unwind_status *status) {
  if (u->mode == PROF__UNWIND_FP) {
    int n = prof__unwind_fp(smp, pcs, sps, max, status);
    if (*status != PROF__UNWIND_FAILED || !u->as)
      return n;
    u->stats.fp_fallback++; /* the chain broke: DWARF, for the whole stack */
  }
  u->cur = smp;
  prof__unwinder_sync(u);
  if (u->fast) {
    int n = prof__unwind_rules(u, pcs, sps, max, status);
    if (n >= 0) {
      u->stats.fast++;
      return n;
    }
    u->stats.fallback++;
  }
  u->stats.slow++;
  return prof__unwind_libunwind(u, pcs, sps, max, status);
}
