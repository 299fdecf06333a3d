/* Per-PC unwind rules: the collector's fast path in front of libunwind.
 *
 * Why: every libunwind step costs ~0.5 us (two rt_sigprocmask calls with
 * caching on), so a depth-30 stack cost 20-40 us of collector CPU. Almost
 * every frame of compiled code follows one small rule, which depends only
 * on the PC: "CFA = SP+k or FP+k, return address at CFA+a, saved FP at
 * CFA+b or unchanged". Cached per PC (what async-profiler calls frame
 * descriptors), a step is a hash lookup and two bounds-checked loads.
 *
 * Where the rules come from: libunwind itself, by probing (probe.c). The
 * prober runs libunwind's own step on synthetic registers and synthetic
 * stack memory, twice with different SP/FP, and reads the rule off the
 * results. So a rule is libunwind's answer by construction, including its
 * quirks (which PC selects the FDE, which CFI rows apply at a return
 * address, "undefined RBP ends the chain"), and anything the probe cannot
 * express (expressions that load memory, signal frames, CFA based on
 * another register, no unwind info) is marked COMPLEX, which sends the
 * whole sample back to libunwind.
 *
 * Collector thread only; nothing here runs in the signal handler. */
#ifndef PROF_UNWIND_RULES_H
#define PROF_UNWIND_RULES_H

#include <libunwind.h>
#include <stdint.h>

#include "arch/arch.h"
#include "sigpath/unwind_rule.h"
#include "unwind/modules.h"

/* Which libunwind semantics a rule was taken with. Frame 0 looks up the
 * FDE with the interrupted PC; every other frame (after a non-signal
 * frame) with its return address minus one, while libunwind still applies
 * the CFI rows up to the return address itself. The two can differ, so
 * they are cached apart. */
#define PROF__RULE_FRAME0 0u
#define PROF__RULE_CALLER 1u

/* Rule table key: module id (stable, never reused, see modules.h), offset
 * of the PC from the module's load bias, kind. Keying by module id means a
 * library loaded later at a dlclosed library's address never sees its
 * predecessor's rules. Returns 0 if the PC does not fit the key. */
static inline uint64_t prof__rule_key(uint32_t module_id, uint64_t offset,
                                      unsigned kind) {
  if (module_id >= (1u << 23) || offset >= ((uint64_t)1 << 39))
    return 0;
  return (uint64_t)1 << 63 | (uint64_t)module_id << 40 | offset << 1 | kind;
}
static inline uint32_t prof__rule_key_module(uint64_t key) {
  return (uint32_t)(key >> 40) & ((1u << 23) - 1);
}

/* ---- the table (rules.c) ---------------------------------------------- */

struct prof__rules;

PROF__HIDDEN struct prof__rules *prof__rules_new(void);
PROF__HIDDEN void prof__rules_free(struct prof__rules *t);
/* The rule for key, or NULL. */
PROF__HIDDEN const struct prof__rule *
prof__rules_find(const struct prof__rules *t, uint64_t key);
/* Adds or replaces; on ENOMEM the rule is simply not cached (-1). The
 * table flushes itself when it reaches its size limit. */
PROF__HIDDEN int prof__rules_put(struct prof__rules *t, uint64_t key,
                                 const struct prof__rule *r);
/* Drops the rules of every module that ms marks unloaded (memory only:
 * their keys can never match again). */
PROF__HIDDEN void prof__rules_sweep(struct prof__rules *t,
                                    const struct prof__modules *ms);
PROF__HIDDEN uint32_t prof__rules_count(const struct prof__rules *t);

/* ---- libunwind, shared by the slow path (dwarf.c) and probe.c --------- */

struct prof__unw_api {
  void *lib;
  unw_addr_space_t (*create)(unw_accessors_t *, int);
  void (*destroy)(unw_addr_space_t);
  int (*init_remote)(unw_cursor_t *, unw_addr_space_t, void *);
  int (*step)(unw_cursor_t *);
  int (*get_reg)(unw_cursor_t *, int, unw_word_t *);
  int (*caching)(unw_addr_space_t, unw_caching_policy_t);
  int (*search)(unw_addr_space_t, unw_word_t, unw_dyn_info_t *,
                unw_proc_info_t *, int, void *);
  void (*flush)(unw_addr_space_t, unw_word_t, unw_word_t);
};

/* Loads libunwind with dlopen(RTLD_LOCAL) into *a (dwarf.c says why
 * locally). 0, or PROF_EUNWIND. The library stays loaded. */
PROF__HIDDEN int prof__unw_load_api(struct prof__unw_api *a);

/* Accessors that both address spaces (the unwinder's and the prober's)
 * leave unsupported: no floating-point registers, no resuming. */
PROF__HIDDEN int prof__unw_no_fpreg(unw_addr_space_t as, unw_regnum_t reg,
                                    unw_fpreg_t *val, int write, void *arg);
PROF__HIDDEN int prof__unw_no_resume(unw_addr_space_t as, unw_cursor_t *c,
                                     void *arg);

/* find_proc_info over the module images: the module's PT_GNU_EH_FRAME
 * binary-search table, as UNW_INFO_FORMAT_REMOTE_TABLE. arg is handed on
 * to the search (it is the accessors' arg). Defined in dwarf.c. */
PROF__HIDDEN int prof__unw_find_proc_info(const struct prof__unw_api *api,
                                          struct prof__modules *ms,
                                          unw_addr_space_t as, unw_word_t ip,
                                          unw_proc_info_t *pi, int need,
                                          void *arg);

/* ---- the prober (probe.c) --------------------------------------------- */

struct prof__prober;

/* Creates a prober over api (not owned) and ms. NULL if probing cannot
 * work here (no x86_64-style pushed return address, ENOMEM, the synthetic
 * stack range is mapped, or the self-check fails); the caller then stays
 * on libunwind alone. */
PROF__HIDDEN struct prof__prober *prof__prober_new(
    const struct prof__unw_api *api, struct prof__modules *ms);
PROF__HIDDEN void prof__prober_free(struct prof__prober *p);

/* Derives libunwind's rule for pc with the given kind. Always fills *out
 * (COMPLEX when anything does not fit the rule form). */
PROF__HIDDEN void prof__probe_rule(struct prof__prober *p, uint64_t pc,
                                   unsigned kind, struct prof__rule *out);

/* The address range [*lo, *hi) of the FDE that covers pc, as libunwind
 * finds it in the module images; 0, or -1 if no FDE covers pc (code
 * without unwind information, such as Go's). */
PROF__HIDDEN int prof__probe_fde(struct prof__prober *p, uint64_t pc,
                                 uint64_t *lo, uint64_t *hi);

/* Calls fn once for each FDE range of module m, in the order of its
 * .eh_frame_hdr search table (ascending start), until fn returns
 * non-zero. 0, or -1 if m has no usable search table. (fde.c) */
typedef int (*prof__fde_fn)(void *arg, uint64_t lo, uint64_t hi);
PROF__HIDDEN int prof__module_fdes(struct prof__prober *p,
                                   const struct prof__module *m,
                                   prof__fde_fn fn, void *arg);

#endif
