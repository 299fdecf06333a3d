/* One unwind rule: how to step out of the frame at one PC (unwind/rules.h
 * explains where rules come from). Defined at the signal path's layer
 * because the cgo traceback (sigpath/cgo.h) applies rules inside the
 * signal handler; unwind/ derives them and applies them in the collector. */
#ifndef PROF_SIGPATH_UNWIND_RULE_H
#define PROF_SIGPATH_UNWIND_RULE_H

#include <stdint.h>

/* Rule flags. */
#define PROF__RULE_FP_BASE 0x1u   /* CFA = FP + cfa_off (else SP + cfa_off) */
#define PROF__RULE_FP_SAVED 0x2u  /* caller's FP at CFA + fp_off          */
#define PROF__RULE_OUTERMOST 0x4u /* libunwind's step ends the chain here */
#define PROF__RULE_COMPLEX 0x8u   /* not expressible: use libunwind       */

struct prof__rule {
  int32_t cfa_off;
  int16_t ra_off; /* return address at CFA + ra_off */
  int16_t fp_off;
  uint8_t flags;  /* PROF__RULE_* */
};

#endif
