/* Deriving unwind rules from libunwind by probing (see rules.h).
 *
 * Why probe rather than interpret .eh_frame ourselves: libunwind stays the
 * reference, and its answer is not always the textbook one. For a return
 * address it selects the FDE with pc-1 but applies the CFI rows up to pc,
 * skips a DW_CFA_restore_state that sits exactly at pc, and ends the chain
 * on an undefined RBP as well as on an undefined return address. A rule
 * read off libunwind's own step carries all of that, and an expression
 * whose result is an affine function of SP (the PLT's CFA expression) is
 * exact too, for the one PC it was probed at. A second interpreter would
 * have to copy each of those behaviours and would drift from it.
 *
 * How: a separate address space (UNW_CACHE_NONE, so no lock and no cache
 * shared with the real walks) whose accessors serve registers we choose,
 * any word of a synthetic stack window as a tag that encodes its address,
 * and everything else from the module images, as the real accessors do.
 * The step is run twice with SP, FP and all other registers moved by
 * different amounts. The CFA moving with SP or with FP, by a constant,
 * gives the CFA rule; the tags read back as the new PC and FP give where
 * they were loaded from. Anything else (a CFA that moves with another
 * register or not at all, as with a memory load; a PC or FP that is not a
 * tag; disagreement between the runs; no unwind info, where libunwind
 * falls back to value-dependent guessing; a signal frame, after which
 * libunwind would look the next PC up without the -1) is COMPLEX.
 *
 * A return address is probed in place: the synthetic frame 0 is the entry
 * of prof__probe_anchor (CFA = SP+8, return address at SP), whose return
 * address slot holds the PC under test. So the probed step runs with
 * libunwind's caller-frame semantics, not frame 0's. */
#include <stdlib.h>
#include <string.h>

#include "unwind/rules.h"

#define PROF__PROBE_BASE 0x200000000000ull /* synthetic stack: 2^45      */
#define PROF__PROBE_WINDOW 0x100000ull     /* +- 1 MiB around SP         */
#define PROF__PROBE_TAG 0x300000000000ull  /* tag values: TAG + off+2^31 */
#define PROF__PROBE_TAG_SPAN 0x100000000ull
#define PROF__PROBE_DSP 0x10000ull    /* how far SP moves between runs    */
#define PROF__PROBE_DFP 0x30000ull    /* ... FP                           */
#define PROF__PROBE_DOTHER 0x50000ull /* ... every other register         */

struct prof__prober {
  const struct prof__unw_api *api;
  struct prof__modules *ms;
  unw_addr_space_t as;
  /* the current run */
  uint64_t sp, fp, other, pc;   /* registers of the probed frame         */
  uint64_t slot, slot_val;      /* the anchor's return-address slot      */
  int via_anchor;
  int asked;                    /* find_proc_info calls since reset      */
  uint64_t asked_ip;            /* ... the first one's ip                */
  int asked_ok;                 /* ... and whether it found an FDE       */
};

/* One run's outcome. */
struct prof__probe_obs {
  int ret;                /* the probed unw_step's return              */
  uint64_t sp, fp;        /* the probed frame's registers              */
  uint64_t pc, cfa, fp1;  /* caller's PC, the CFA, caller's FP         */
  uint64_t pc_at, fp_at;  /* where those two were loaded from, or 0    */
  int fp_ok;
  int asked_ok;           /* the FDE was found with the expected ip     */
  uint64_t next_ip;       /* ip the following step looked up           */
  int next_asked;
};

/* The entry of this function is the synthetic frame 0 of caller probes;
 * its address is taken, so it exists out of line with an FDE. */
__attribute__((noinline)) static void prof__probe_anchor(void) {
  __asm__ volatile("");
}

static uint64_t prof__probe_tag(const struct prof__prober *p, uint64_t addr) {
  return PROF__PROBE_TAG + (addr - p->sp) + (PROF__PROBE_TAG_SPAN >> 1);
}

/* The stack address a tag stands for; 0 if v is no tag. */
static uint64_t prof__probe_untag(const struct prof__prober *p, uint64_t v) {
  if (v < PROF__PROBE_TAG || v - PROF__PROBE_TAG >= PROF__PROBE_TAG_SPAN)
    return 0;
  return p->sp + (v - PROF__PROBE_TAG) - (PROF__PROBE_TAG_SPAN >> 1);
}

static int prof__probe_mem(unw_addr_space_t as, unw_word_t addr,
                           unw_word_t *val, int write, void *arg) {
  struct prof__prober *p = arg;
  if (write)
    return -UNW_EINVAL;
  if (p->via_anchor && addr == p->slot) {
    *val = p->slot_val;
    return 0;
  }
  if (addr + PROF__PROBE_WINDOW - p->sp < 2 * PROF__PROBE_WINDOW) {
    *val = prof__probe_tag(p, addr);
    return 0;
  }
  if (addr - PROF__PROBE_TAG < PROF__PROBE_TAG_SPAN)
    return -UNW_EINVAL; /* a tag used as an address: nothing there */
  const struct prof__module *m = prof__modules_find(p->ms, addr);
  uint64_t v;
  if (!m || prof__module_read(m, addr, &v, sizeof(v)) != 0)
    return -UNW_EINVAL;
  *val = v;
  return 0;
}

static int prof__probe_reg(unw_addr_space_t as, unw_regnum_t reg,
                           unw_word_t *val, int write, void *arg) {
  struct prof__prober *p = arg;
  if (write || reg < 0 || reg >= PROF__ARCH_NREGS)
    return -UNW_EBADREG;
  if (reg == PROF__ARCH_REG_SP)
    *val = p->via_anchor ? p->slot : p->sp;
  else if (reg == PROF__ARCH_REG_PC)
    *val = p->via_anchor ? (uint64_t)(uintptr_t)prof__probe_anchor : p->pc;
  else if (reg == PROF__ARCH_REG_FP)
    *val = p->fp;
  else
    *val = p->other + (uint64_t)reg * 0x1000;
  return 0;
}

/* Records which ip libunwind asked for: that shows which PC selects the
 * FDE, and, one step later, whether libunwind subtracts 1 from the next
 * PC (it does not after a signal frame). */
static int prof__probe_find(unw_addr_space_t as, unw_word_t ip,
                            unw_proc_info_t *pi, int need, void *arg) {
  struct prof__prober *p = arg;
  int first = p->asked++ == 0;
  if (first)
    p->asked_ip = ip;
  if (ip + 1 - PROF__PROBE_TAG <= PROF__PROBE_TAG_SPAN)
    return -UNW_ENOINFO;
  int r = prof__unw_find_proc_info(p->api, p->ms, as, ip, pi, need, arg);
  if (first)
    p->asked_ok = r == 0;
  return r;
}

static void prof__probe_put(unw_addr_space_t as, unw_proc_info_t *pi,
                            void *arg) {}

static int prof__probe_dyn(unw_addr_space_t as, unw_word_t *a, void *arg) {
  return -UNW_ENOINFO;
}

static unw_accessors_t prof__probe_accessors = {
    .find_proc_info = prof__probe_find,
    .put_unwind_info = prof__probe_put,
    .get_dyn_info_list_addr = prof__probe_dyn,
    .access_mem = prof__probe_mem,
    .access_reg = prof__probe_reg,
    .access_fpreg = prof__unw_no_fpreg,
    .resume = prof__unw_no_resume,
};

/* Sets the registers of run r (0 or 1): SP, FP and the rest each move by
 * their own distance, so the CFA's movement names its base register. */
static void prof__probe_setup(struct prof__prober *p, uint64_t pc,
                              unsigned kind, int r) {
  p->sp = PROF__PROBE_BASE + 2 * PROF__PROBE_WINDOW + r * PROF__PROBE_DSP;
  p->fp = p->sp + 0x8000 + r * (PROF__PROBE_DFP - PROF__PROBE_DSP);
  p->other = p->sp + 0x20000 + r * (PROF__PROBE_DOTHER - PROF__PROBE_DSP);
  p->pc = pc;
  p->via_anchor = kind == PROF__RULE_CALLER;
  p->slot = p->sp - 8;
  p->slot_val = pc;
}

/* Steps through the anchor frame; 0 if libunwind arrived at pc with the
 * expected SP, as the anchor's entry rule says it must. */
static int prof__probe_enter(struct prof__prober *p, unw_cursor_t *c) {
  unw_word_t ip = 0, sp = 0;
  if (p->api->step(c) <= 0 || p->api->get_reg(c, UNW_REG_IP, &ip) < 0 ||
      p->api->get_reg(c, UNW_REG_SP, &sp) < 0)
    return -1;
  return ip == p->pc && sp == p->sp ? 0 : -1;
}

static int prof__probe_run(struct prof__prober *p, uint64_t pc,
                           unsigned kind, int r, struct prof__probe_obs *o) {
  unw_cursor_t c;
  unw_word_t v;
  memset(o, 0, sizeof(*o));
  prof__probe_setup(p, pc, kind, r);
  if (p->api->init_remote(&c, p->as, p) < 0)
    return -1;
  if (kind == PROF__RULE_CALLER && prof__probe_enter(p, &c) != 0)
    return -1;
  p->asked = p->asked_ok = 0;
  o->sp = p->sp;
  o->fp = p->fp;
  o->ret = p->api->step(&c);
  o->asked_ok = p->asked >= 1 && p->asked_ok &&
                p->asked_ip == (kind == PROF__RULE_CALLER ? pc - 1 : pc);
  if (o->ret <= 0)
    return 0;
  if (p->api->get_reg(&c, UNW_REG_IP, &v) < 0)
    return -1;
  o->pc = v;
  o->pc_at = prof__probe_untag(p, v);
  if (p->api->get_reg(&c, UNW_REG_SP, &v) < 0)
    return -1;
  o->cfa = v;
  o->fp_ok = p->api->get_reg(&c, PROF__ARCH_REG_FP, &v) >= 0;
  o->fp1 = v;
  o->fp_at = prof__probe_untag(p, v);
  if (r == 0) { /* whether a frame is a signal frame does not vary */
    p->asked = 0;
    p->api->step(&c); /* only to see which ip it looks up */
    o->next_asked = p->asked >= 1;
    o->next_ip = p->asked_ip;
  }
  return 0;
}

static int prof__fits(int64_t v, int64_t lim) { return v >= -lim && v < lim; }

/* The CFA rule: which base moved the CFA by exactly its own distance. */
static int prof__probe_cfa(const struct prof__probe_obs *o,
                           struct prof__rule *out) {
  uint64_t moved = o[1].cfa - o[0].cfa;
  int64_t k;
  if (moved == PROF__PROBE_DSP) {
    k = (int64_t)(o[0].cfa - o[0].sp);
  } else if (moved == PROF__PROBE_DFP) {
    k = (int64_t)(o[0].cfa - o[0].fp);
    out->flags |= PROF__RULE_FP_BASE;
  } else {
    return -1;
  }
  if (!prof__fits(k, (int64_t)1 << 31))
    return -1;
  out->cfa_off = (int32_t)k;
  return 0;
}

/* Where the return address and the caller's FP come from, the same
 * offset from the CFA in both runs. */
static int prof__probe_saves(const struct prof__probe_obs *o,
                             struct prof__rule *out) {
  int64_t a = (int64_t)(o[0].pc_at - o[0].cfa);
  if (!o[0].pc_at || !o[1].pc_at ||
      (int64_t)(o[1].pc_at - o[1].cfa) != a || !prof__fits(a, 1 << 15))
    return -1;
  out->ra_off = (int16_t)a;
  if (!o[0].fp_ok || !o[1].fp_ok)
    return -1;
  if (o[0].fp1 == o[0].fp && o[1].fp1 == o[1].fp)
    return 0; /* unchanged */
  int64_t b = (int64_t)(o[0].fp_at - o[0].cfa);
  if (!o[0].fp_at || !o[1].fp_at ||
      (int64_t)(o[1].fp_at - o[1].cfa) != b || !prof__fits(b, 1 << 15))
    return -1;
  out->fp_off = (int16_t)b;
  out->flags |= PROF__RULE_FP_SAVED;
  return 0;
}

static void prof__probe_classify(const struct prof__probe_obs *o,
                                 struct prof__rule *out) {
  memset(out, 0, sizeof(*out));
  out->flags = PROF__RULE_COMPLEX;
  if (!o[0].asked_ok || !o[1].asked_ok || o[0].ret != o[1].ret ||
      o[0].ret < 0)
    return;
  if (o[0].ret == 0) {
    out->flags = PROF__RULE_OUTERMOST;
    return;
  }
  /* After a signal frame libunwind looks the next PC up without the -1,
   * which the fast walk does not model. */
  if (!o[0].next_asked || o[0].next_ip != o[0].pc - 1)
    return;
  struct prof__rule rule = {0};
  if (prof__probe_cfa(o, &rule) == 0 && prof__probe_saves(o, &rule) == 0)
    *out = rule;
}

/* The synthetic ranges must not hold a module, or the probe would read
 * tags where libunwind expects unwind tables. */
static int prof__probe_ranges_free(const struct prof__prober *p) {
  uint32_t n = prof__modules_count(p->ms);
  for (uint32_t i = 0; i < n; i++) {
    const struct prof__module *m = prof__modules_get(p->ms, i);
    if (!m || m->unloaded)
      continue;
    if ((m->lo < PROF__PROBE_BASE + 4 * PROF__PROBE_WINDOW &&
         m->hi > PROF__PROBE_BASE) ||
        (m->lo < PROF__PROBE_TAG + PROF__PROBE_TAG_SPAN &&
         m->hi > PROF__PROBE_TAG))
      return 0;
  }
  return 1;
}

void prof__probe_rule(struct prof__prober *p, uint64_t pc, unsigned kind,
                      struct prof__rule *out) {
  struct prof__probe_obs o[2];
  memset(out, 0, sizeof(*out));
  out->flags = PROF__RULE_COMPLEX;
  if (!prof__probe_ranges_free(p) || prof__probe_run(p, pc, kind, 0, &o[0]) ||
      prof__probe_run(p, pc, kind, 1, &o[1]))
    return;
  prof__probe_classify(o, out);
}

int prof__probe_fde(struct prof__prober *p, uint64_t pc, uint64_t *lo,
                    uint64_t *hi) {
  unw_proc_info_t pi;
  memset(&pi, 0, sizeof(pi));
  p->via_anchor = 0;
  if (prof__unw_find_proc_info(p->api, p->ms, p->as, pc, &pi, 0, p) != 0 ||
      pc < pi.start_ip || pc >= pi.end_ip)
    return -1;
  *lo = pi.start_ip;
  *hi = pi.end_ip;
  return 0;
}

/* Checks the prober's assumptions about this libunwind once: the anchor's
 * entry must probe as the plain call-site rule, and a real return address
 * (our caller's) must probe as some simple rule with the address at CFA-8,
 * where every x86_64 call leaves it. If not, the fast path stays off. */
__attribute__((noinline)) static int prof__probe_selftest(
    struct prof__prober *p) {
  struct prof__rule r;
  prof__probe_rule(p, (uint64_t)(uintptr_t)prof__probe_anchor,
                   PROF__RULE_FRAME0, &r);
  if (r.flags != 0 || r.cfa_off != 8 || r.ra_off != -8)
    return -1;
  prof__probe_rule(p, (uint64_t)(uintptr_t)__builtin_return_address(0),
                   PROF__RULE_CALLER, &r);
  if ((r.flags & (PROF__RULE_COMPLEX | PROF__RULE_OUTERMOST)) ||
      r.ra_off != -8)
    return -1;
  return 0;
}

struct prof__prober *prof__prober_new(const struct prof__unw_api *api,
                                      struct prof__modules *ms) {
#if !PROF__ARCH_RA_PUSHED
  return NULL; /* the rule form assumes the call pushes the address */
#endif
  struct prof__prober *p = calloc(1, sizeof(*p));
  if (!p)
    return NULL;
  p->api = api;
  p->ms = ms;
  p->as = api->create(&prof__probe_accessors, 0);
  if (!p->as || api->caching(p->as, UNW_CACHE_NONE) < 0 ||
      prof__probe_selftest(p) != 0) {
    prof__prober_free(p);
    return NULL;
  }
  return p;
}

void prof__prober_free(struct prof__prober *p) {
  if (!p)
    return;
  if (p->as)
    p->api->destroy(p->as);
  free(p);
}
