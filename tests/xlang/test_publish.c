/* The context slice's publication order, checked at every instruction.
 *
 * A crossing writes its record, then raises len; a leave lowers len, then
 * releases the context (profiler/slice.c). The torn-slice test samples at
 * random points and rewrites every slot with the same record, so a record
 * read before it was written still looks right there. Here the thread
 * single-steps (EFLAGS.TF) through every crossing and the SIGTRAP handler
 * takes a real sample (libprof's own handler, called with the trap's
 * ucontext) at each instruction boundary: of the four crossing functions,
 * their slow paths, the context hook and whatever they call.
 *
 * Records differ from push to push: each NATIVE enter gets a fresh context
 * value, and slots are reused by records of another kind, another context
 * or an unregistered runtime. The traceback hook sees, per sample, the
 * context of every NATIVE record and 0 for an innermost MANAGED one; that
 * sequence must be the slice before or after the crossing, every context
 * it sees must still be live (allocated and not yet released), and a new
 * record may appear only once its context hook has returned its value. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"

#if defined(__x86_64__)

#define TF 0x100
#define MAXREC 8
#define BAD_RT 999 /* never registered: recorded with runtime -1 */
enum { NATIVE, MANAGED };

struct rec {
  int kind, registered;
  uintptr_t ctx;
};

/* The slice as the test believes it is between crossings. */
static struct rec shadow[MAXREC];
static int depth;

/* The crossing being stepped through. */
static volatile int stepping;
static struct rec pending;      /* the record an enter pushes     */
static int pending_enter;       /* 1 enter, 0 leave               */
static volatile uintptr_t last_alloc; /* context hook's value, 0 = not yet */

/* Live contexts, in allocation order (crossings nest). */
static uintptr_t live[MAXREC], next_ctx = 1000;
static int nlive;

/* What the traceback hook saw during one sample. */
static uintptr_t obs[MAXREC * 2];
static int nobs, dead_seen;

/* Results. */
static long steps, checked, retried, bad;
static long in_fn[4];
static uintptr_t fn_lo[4], fn_hi[4];
static struct {
  uintptr_t pc, obs[MAXREC * 2], want[2][MAXREC];
  int nobs, nwant[2], op;
} first_bad;
static int op_index;
#define MAXOPS 64
static const char *op_name[MAXOPS];
static char op_bad[MAXOPS];
static void (*prof_handler)(int, siginfo_t *, void *);

static void context_hook(void *p) {
  struct prof_context_arg *a = p;
  if (a->context == 0) { /* the handler may read live[] at any point */
    live[nlive] = ++next_ctx;
    atomic_signal_fence(memory_order_seq_cst);
    nlive++;
    last_alloc = next_ctx;
    a->context = next_ctx;
    return;
  }
  if (nlive > 0 && live[nlive - 1] == a->context)
    nlive--;
  else
    dead_seen++; /* released out of order or twice */
  /* The field is left as it is: a reused slot keeps a stale value. */
}

static void traceback_hook(void *p) {
  struct prof_traceback_arg *a = p;
  int ok = a->context == 0;
  for (int i = 0; i < nlive; i++)
    ok |= live[i] == a->context;
  dead_seen += !ok;
  if (nobs < MAXREC * 2)
    obs[nobs++] = a->context;
  a->buf[0] = 0;
}

/* The hook calls a sample of slice r[0..n) makes, innermost first. */
static int expect(const struct rec *r, int n, uintptr_t *out) {
  int m = 0;
  for (int k = n - 1; k >= 0; k--) {
    if (!r[k].registered)
      continue;
    if (r[k].kind == NATIVE)
      out[m++] = r[k].ctx;
    else if (k == n - 1)
      out[m++] = 0;
  }
  return m;
}

/* want[0]: the slice before the crossing; want[1]: after it, which for a
 * NATIVE enter exists only once the context hook gave its value. */
static int allowed(uintptr_t want[2][MAXREC], int nwant[2]) {
  struct rec after[MAXREC];
  memcpy(after, shadow, sizeof(after));
  int n = depth;
  nwant[0] = expect(shadow, depth, want[0]);
  if (pending_enter) {
    after[n] = pending;
    if (pending.kind == NATIVE && pending.registered) {
      after[n].ctx = last_alloc;
      if (last_alloc == 0)
        return 1;
    }
    n++;
  } else {
    n--;
  }
  nwant[1] = expect(after, n, want[1]);
  return 2;
}

static int same(const uintptr_t *a, int na, const uintptr_t *b, int nb) {
  return na == nb && memcmp(a, b, (size_t)na * sizeof(*a)) == 0;
}

/* One sample at this instruction boundary, checked. A sample the ring
 * refused (no hook call where one was due) is retried after a pause:
 * the thread is stopped here, so the slice cannot change meanwhile. */
static void sample_and_check(siginfo_t *si, ucontext_t *uc) {
  uintptr_t want[2][MAXREC];
  int nwant[2];
  int n = allowed(want, nwant), ok = 0;
  for (int tries = 0; tries < 2000; tries++) {
    nobs = 0;
    prof_handler(SIGPROF, si, uc);
    if (nobs > 0 || nwant[0] == 0 || (n > 1 && nwant[1] == 0))
      break;
    retried++;
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
  for (int i = 0; i < n; i++)
    ok |= same(obs, nobs, want[i], nwant[i]);
  checked++;
  if (ok)
    return;
  op_bad[op_index] = 1;
  if (bad++ == 0) {
    first_bad.pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    first_bad.nobs = nobs;
    memcpy(first_bad.obs, obs, sizeof(obs));
    first_bad.nwant[0] = nwant[0];
    first_bad.nwant[1] = n > 1 ? nwant[1] : -1;
    memcpy(first_bad.want, want, sizeof(want));
    first_bad.op = op_index;
  }
}

static void on_trap(int sig, siginfo_t *si, void *p) {
  ucontext_t *uc = p;
  (void)sig;
  if (!stepping) {
    uc->uc_mcontext.gregs[REG_EFL] &= ~TF;
    return;
  }
  uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
  for (int f = 0; f < 4; f++)
    in_fn[f] += pc >= fn_lo[f] && pc < fn_hi[f];
  steps++;
  sample_and_check(si, uc);
  uc->uc_mcontext.gregs[REG_EFL] |= TF;
}

static inline void step_start(void) {
  stepping = 1;
  __asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq" ::: "memory",
                   "cc");
}

static inline void step_stop(void) {
  stepping = 0; /* the next trap clears TF */
  __asm__ volatile("" ::: "memory");
}

static int rt;

/* One crossing, single-stepped, then the shadow slice follows it. */
static void cross(int enter, int kind, int id) {
  static const char *names[2][2] = {{"LN", "LM"}, {"EN", "EM"}};
  pending_enter = enter;
  pending = (struct rec){kind, id == rt, 0};
  last_alloc = 0;
  op_index++;
  op_name[op_index] = id == rt ? names[enter][kind] : enter ? "EN(bad)" : "LN(bad)";
  step_start();
  if (enter && kind == NATIVE)
    prof_enter_native(id);
  else if (enter)
    prof_enter_managed(id);
  else if (kind == NATIVE)
    prof_leave_native(id);
  else
    prof_leave_managed(id);
  step_stop();
  if (enter) {
    pending.ctx = last_alloc;
    shadow[depth++] = pending;
  } else {
    depth--;
  }
}

#define EN(id) cross(1, NATIVE, id)
#define EM(id) cross(1, MANAGED, id)
#define LN(id) cross(0, NATIVE, id)
#define LM(id) cross(0, MANAGED, id)

/* Rounds chosen so that each push lands on a slot whose stale content
 * differs from the new record: zeros (fresh slice, runtime id 0 is rt),
 * another NATIVE's context, a record of the other kind, a record of an
 * unregistered runtime. The first crossing of the thread takes the slow
 * path (slice allocation); BAD_RT takes the unknown-runtime path. */
static void *stepper(void *arg) {
  (void)arg;
  EN(rt); EN(rt); EN(rt); LN(rt); LN(rt); LN(rt);
  for (int r = 0; r < 2; r++) {
    EM(rt); EN(rt); EM(rt); EN(rt);
    LN(rt); LM(rt); LN(rt); LM(rt);
    EN(rt); EN(BAD_RT); EN(rt); EN(rt);
    LN(rt); LN(rt); LN(BAD_RT); LN(rt);
  }
  return NULL;
}

static void function_range(int f, void (*fn)(int)) {
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (dladdr1((void *)fn, &info, (void **)&sym, RTLD_DL_SYMENT) && sym) {
    fn_lo[f] = (uintptr_t)info.dli_saddr;
    fn_hi[f] = fn_lo[f] + sym->st_size;
  }
}

static void test_every_instruction(void) {
  static const char *names[4] = {"prof_enter_native", "prof_enter_managed",
                                 "prof_leave_native", "prof_leave_managed"};
  printf("\n  %ld instruction boundaries sampled (%ld retried after a full "
         "ring), %ld inconsistent\n", steps, retried, bad);
  for (int f = 0; f < 4; f++) {
    printf("  %-18s %ld samples inside\n", names[f], in_fn[f]);
    CU_ASSERT(in_fn[f] > 0);
  }
  if (bad) {
    printf("  first at pc %#lx, crossing %d: hook saw", first_bad.pc,
           first_bad.op);
    for (int i = 0; i < first_bad.nobs; i++)
      printf(" %lu", first_bad.obs[i]);
    for (int w = 0; w < 2; w++) {
      printf(w ? "; or" : "; expected");
      for (int i = 0; i < first_bad.nwant[w]; i++)
        printf(" %lu", first_bad.want[w][i]);
    }
    printf("\n  crossings with an inconsistent sample:");
    for (int i = 1; i <= op_index; i++)
      if (op_bad[i])
        printf(" #%d %s", i, op_name[i]);
    printf("\n");
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(dead_seen, 0);
  CU_ASSERT_EQUAL(nlive, 0);
  CU_ASSERT_EQUAL(checked, steps);
}

int main(void) {
  char path[128];
  snprintf(path, sizeof(path), "/tmp/libprof-publish-%d.json", getpid());
  /* First registration: id 0, the runtime of a zeroed (fresh) record. */
  rt = prof_runtime_register(0, "rtStep", traceback_hook, context_hook, NULL);
  function_range(0, prof_enter_native);
  function_range(1, prof_enter_managed);
  function_range(2, prof_leave_native);
  function_range(3, prof_leave_managed);
  struct prof_options o = {.out = path, .hz = 1, .quiet = 1};
  if (rt != 0 || prof_start(&o) != 0)
    return 1;
  /* libprof's sigaction answers with the program's view of SIGPROF, not
   * its own handler (docs/sampling.md): ask the kernel. */
  struct { void *handler; unsigned long flags; void *restorer;
           unsigned long mask; } k;
  if (syscall(SYS_rt_sigaction, SIGPROF, NULL, &k, sizeof(k.mask)) != 0)
    return 1;
  prof_handler = (void (*)(int, siginfo_t *, void *))k.handler;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_trap;
  sa.sa_flags = SA_SIGINFO;
  sigaddset(&sa.sa_mask, SIGPROF); /* a timer sample would mix its calls in */
  sigaction(SIGTRAP, &sa, NULL);
  pthread_t th;
  pthread_create(&th, NULL, stepper, NULL);
  pthread_join(th, NULL);
  int r = prof_stop();
  unlink(path);
  static const struct cu_test tests[] = {
      {"every instruction of every crossing sees a consistent slice",
       test_every_instruction},
  };
  return cu_run_suite("slice publication", tests, CU_COUNT(tests)) || r != 0;
}

#else
int main(void) {
  printf("single-stepping needs x86-64: skipped\n");
  return 77;
}
#endif
