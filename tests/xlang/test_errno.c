/* The signal handler must leave errno as it found it. Nothing else in the
 * suite changes errno inside a sample, so this runtime's traceback hook
 * does (hooks are host code: a failed system call inside one is legal),
 * and the thread checks its own errno marker across a self-sample. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"
#include "trt.h"

#define MARKER 4242     /* no real errno value: nothing sets it by chance */
#define HOOK_ERRNO EDOM /* what the hook leaves behind */

static atomic_int hook_calls;
static int rt;

static void clobbering_traceback(void *p) {
  struct prof_traceback_arg *a = p;
  a->buf[0] = 0;
  errno = HOOK_ERRNO;
  atomic_fetch_add(&hook_calls, 1);
}

static void test_errno_survives_sample(void) {
  int changed = 0;
  prof_enter_managed(rt); /* innermost MANAGED: the hook runs per sample */
  for (int i = 0; i < 100; i++) {
    errno = MARKER + i;
    take_sample(); /* raw tgkill syscall: libc does not touch errno */
    int seen = errno;
    if (seen != MARKER + i && changed++ == 0)
      fprintf(stderr, "\n  errno %d after sample %d, expected %d\n", seen, i,
              MARKER + i);
  }
  prof_leave_managed(rt);
  CU_ASSERT_EQUAL(changed, 0);
  /* Meaningful only if the hook really ran inside those samples. */
  CU_ASSERT_EQUAL(atomic_load(&hook_calls), 100);
}

int main(void) {
  char path[128];
  snprintf(path, sizeof(path), "/tmp/libprof-errno-%d.json", getpid());
  rt = prof_runtime_register(0, "rtErrno", clobbering_traceback, NULL, NULL);
  struct prof_options o = {.out = path, .hz = 1, .quiet = 1};
  if (rt < 0 || prof_start(&o) != 0)
    return 1;
  static const struct cu_test tests[] = {
      {"errno is restored after a sample whose hook set it",
       test_errno_survives_sample},
  };
  int rc = cu_run_suite("errno", tests, CU_COUNT(tests));
  int r = prof_stop();
  unlink(path);
  return rc || r != 0;
}
