/* DWARF unwinding of snapshots with libunwind's remote API.
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL) rather than linked: Debian's
 * libunwind.so.8 exports the _Unwind_* exception ABI, and a host that
 * found those ahead of libgcc_s would get libunwind's exception unwinder.
 * Loaded locally, its symbols never enter the host's global scope. */
#include <dlfcn.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

#include "libprof.h"
#include "unwind/unwind.h"

typedef unw_addr_space_t (*prof__unw_create_fn)(unw_accessors_t *, int);
typedef void (*prof__unw_destroy_fn)(unw_addr_space_t);
typedef int (*prof__unw_init_fn)(unw_cursor_t *, unw_addr_space_t, void *);
typedef int (*prof__unw_step_fn)(unw_cursor_t *);
typedef int (*prof__unw_get_reg_fn)(unw_cursor_t *, int, unw_word_t *);
typedef int (*prof__unw_caching_fn)(unw_addr_space_t, unw_caching_policy_t);
typedef int (*prof__unw_search_fn)(unw_addr_space_t, unw_word_t,
                                   unw_dyn_info_t *, unw_proc_info_t *, int,
                                   void *);
typedef void (*prof__unw_flush_fn)(unw_addr_space_t, unw_word_t, unw_word_t);

struct prof__unwinder {
  enum prof__unwind_mode mode;
  void *lib;
  prof__unw_create_fn create;
  prof__unw_destroy_fn destroy;
  prof__unw_init_fn init_remote;
  prof__unw_step_fn step;
  prof__unw_get_reg_fn get_reg;
  prof__unw_caching_fn caching;
  prof__unw_search_fn search;
  prof__unw_flush_fn flush;
  unw_addr_space_t as;
  struct prof__modules *ms;
  const struct prof__sample *cur; /* the snapshot being unwound */
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

static int prof__find_proc_info(unw_addr_space_t as, unw_word_t ip,
                                unw_proc_info_t *pi, int need, void *arg) {
  struct prof__unwinder *u = arg;
  const struct prof__module *m = prof__modules_find(u->ms, ip);
  unw_dyn_info_t di;
  if (!m || prof__fill_table(m, &di) != 0)
    return -UNW_ENOINFO;
  return u->search(as, ip, &di, pi, need, arg);
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
static int prof__access_mem(unw_addr_space_t as, unw_word_t addr,
                            unw_word_t *val, int write, void *arg) {
  struct prof__unwinder *u = arg;
  uint64_t v;
  if (write)
    return -UNW_EINVAL;
  if (prof__snapshot_read(u->cur, addr, &v) == 0) {
    *val = v;
    return 0;
  }
  const struct prof__module *m = prof__modules_find(u->ms, addr);
  if (m && prof__module_read(m, addr, &v, sizeof(v)) == 0) {
    *val = v;
    return 0;
  }
  return -UNW_EINVAL;
}

static int prof__access_reg(unw_addr_space_t as, unw_regnum_t reg,
                            unw_word_t *val, int write, void *arg) {
  struct prof__unwinder *u = arg;
  if (write || reg < 0 || reg >= PROF__ARCH_NREGS)
    return -UNW_EBADREG;
  *val = u->cur->regs.r[reg];
  return 0;
}

static int prof__access_fpreg(unw_addr_space_t as, unw_regnum_t reg,
                              unw_fpreg_t *val, int write, void *arg) {
  return -UNW_EBADREG;
}

static int prof__resume(unw_addr_space_t as, unw_cursor_t *c, void *arg) {
  return -UNW_EINVAL;
}

static unw_accessors_t prof__accessors = {
    .find_proc_info = prof__find_proc_info,
    .put_unwind_info = prof__put_unwind_info,
    .get_dyn_info_list_addr = prof__get_dyn_info_list_addr,
    .access_mem = prof__access_mem,
    .access_reg = prof__access_reg,
    .access_fpreg = prof__access_fpreg,
    .resume = prof__resume,
};

static void *prof__sym(struct prof__unwinder *u, const char *name, int *ok) {
  char full[96];
  strcpy(full, PROF__ARCH_UNW_PREFIX);
  strcat(full, name);
  void *p = dlsym(u->lib, full);
  if (!p)
    *ok = 0;
  return p;
}

static int prof__load_libunwind(struct prof__unwinder *u) {
  u->lib = dlopen(PROF__ARCH_UNW_LIB, RTLD_NOW | RTLD_LOCAL);
  if (!u->lib)
    return PROF_EUNWIND;
  int ok = 1;
  u->create = (prof__unw_create_fn)prof__sym(u, "create_addr_space", &ok);
  u->destroy = (prof__unw_destroy_fn)prof__sym(u, "destroy_addr_space", &ok);
  u->init_remote = (prof__unw_init_fn)prof__sym(u, "init_remote", &ok);
  u->step = (prof__unw_step_fn)prof__sym(u, "step", &ok);
  u->get_reg = (prof__unw_get_reg_fn)prof__sym(u, "get_reg", &ok);
  u->caching = (prof__unw_caching_fn)prof__sym(u, "set_caching_policy", &ok);
  u->search = (prof__unw_search_fn)prof__sym(u, "dwarf_search_unwind_table",
                                             &ok);
  u->flush = (prof__unw_flush_fn)prof__sym(u, "flush_cache", &ok);
  if (!ok)
    return PROF_EUNWIND;
  u->as = u->create(&prof__accessors, 0);
  if (!u->as)
    return PROF_ENOMEM;
  u->caching(u->as, UNW_CACHE_GLOBAL);
  return 0;
}

int prof__unwinder_new(struct prof__unwinder **out,
                       enum prof__unwind_mode mode, struct prof__modules *ms) {
  struct prof__unwinder *u = calloc(1, sizeof(*u));
  if (!u)
    return PROF_ENOMEM;
  u->mode = mode;
  u->ms = ms;
  int err = mode == PROF__UNWIND_DWARF ? prof__load_libunwind(u) : 0;
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
  if (u->as)
    u->destroy(u->as);
  /* The library stays loaded: libunwind keeps process-wide state (its
   * memory pools) that a later session would reuse. */
  free(u);
}

/* The slow path: libunwind steps from the interrupted registers. */
static int prof__unwind_libunwind(struct prof__unwinder *u, uint64_t *pcs,
                                  uint64_t *sps, int max,
                                  enum prof__unwind_status *status) {
  unw_cursor_t c;
  int n = 0, r;
  *status = PROF__UNWIND_FAILED;
  if (u->init_remote(&c, u->as, u) < 0) {
    pcs[0] = prof__arch_pc(&u->cur->regs);
    sps[0] = prof__arch_sp(&u->cur->regs);
    return 1;
  }
  do {
    unw_word_t ip = 0, sp = 0;
    u->get_reg(&c, UNW_REG_IP, &ip);
    u->get_reg(&c, UNW_REG_SP, &sp);
    pcs[n] = ip;
    sps[n++] = sp;
    if (n == max) {
      *status = PROF__UNWIND_DEPTH;
      return n;
    }
    r = u->step(&c);
  } while (r > 0);
  if (r == 0)
    *status = PROF__UNWIND_COMPLETE;
  return n;
}

int prof__unwind(struct prof__unwinder *u, const struct prof__sample *smp,
                 uint64_t *pcs, uint64_t *sps, int max,
                 enum prof__unwind_status *status) {
  if (u->mode == PROF__UNWIND_FP)
    return prof__unwind_fp(smp, pcs, sps, max, status);
  u->cur = smp;
  return prof__unwind_libunwind(u, pcs, sps, max, status);
}
