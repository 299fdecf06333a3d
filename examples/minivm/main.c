/* minivm [-t THREADS] SCRIPT [INT...]
 *
 * Compiles SCRIPT and calls its `main` with the integer arguments; with -t,
 * each of THREADS threads runs main in its own VM (one shared program).
 * Exit status: 0, 1 on a runtime error, 2 on a usage or compile error,
 * 3 when the profiler context bookkeeping does not balance.
 *
 * Profiling needs nothing here: libprof starts itself when LIBPROF_OUT is
 * set, and the VM registers its runtime when it is created.
 */
#include "minivm.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 16
#define MAX_THREADS 64

struct job {
  struct mv_program *prog;
  int fn, argc, index, status;
  mv_value args[MAX_ARGS];
};

/* Every context handed out at a crossing must have come back exactly once
 * by the time the script is done. */
static int check_contexts(const struct mv_vm *vm) {
  if (vm->ctx_taken == vm->ctx_released && vm->ctx_misuse == 0) return 0;
  fprintf(stderr,
          "minivm: context bookkeeping: %lu taken, %lu released, %lu misuse\n",
          vm->ctx_taken, vm->ctx_released, vm->ctx_misuse);
  return -1;
}

/* noinline here and below: main, run_threads and run_job stay distinct
 * frames in a profile, whatever the compiler would prefer. */
__attribute__((noinline)) static void *run_job(void *arg) {
  struct job *j = arg;
  struct mv_vm *vm = mv_vm_new(j->prog);
  if (!vm) {
    fprintf(stderr, "minivm: out of memory\n");
    j->status = 1;
    return NULL;
  }
  if (j->index > 0) {
    char name[16]; /* the kernel's limit for a thread name */
    snprintf(name, sizeof name, "minivm-%d", j->index % 100);
    pthread_setname_np(pthread_self(), name);
  }
  vm_run(vm, (mv_value){MV_FUNC, {.i = j->fn}}, j->args, j->argc);
  fflush(stdout);
  if (vm->error) {
    fprintf(stderr, "minivm: %s\n", vm->errmsg);
    j->status = 1;
  } else if (check_contexts(vm) < 0) {
    j->status = 3;
  }
  mv_vm_free(vm);
  return NULL;
}

static int usage(void) {
  fprintf(stderr, "usage: minivm [-t THREADS] SCRIPT [INT...]\n");
  return 2;
}

static int parse_args(struct job *j, char **argv, int argc) {
  if (argc > MAX_ARGS) return -1;
  for (int k = 0; k < argc; k++) {
    char *end;
    errno = 0;
    long long v = strtoll(argv[k], &end, 0);
    if (errno || end == argv[k] || *end) return -1;
    j->args[k] = mv_int(v);
  }
  j->argc = argc;
  return 0;
}

/* Runs job in `threads` threads (1: on this thread). Returns the worst
 * status. */
__attribute__((noinline)) static int run_threads(const struct job *job,
                                                int threads) {
  static struct job jobs[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  int status = 0, started = 0;
  if (threads == 1) {
    jobs[0] = *job;
    run_job(&jobs[0]);
    return jobs[0].status;
  }
  for (int k = 0; k < threads; k++) {
    jobs[k] = *job;
    jobs[k].index = k + 1;
    if (pthread_create(&tids[k], NULL, run_job, &jobs[k]) != 0) break;
    started++;
  }
  for (int k = 0; k < started; k++) {
    pthread_join(tids[k], NULL);
    if (jobs[k].status > status) status = jobs[k].status;
  }
  return started == threads ? status : 1;
}

int main(int argc, char **argv) {
  int threads = 1, opt;
  char err[512];
  while ((opt = getopt(argc, argv, "+t:")) != -1) {
    if (opt != 't') return usage();
    threads = atoi(optarg);
    if (threads < 1 || threads > MAX_THREADS) return usage();
  }
  if (optind >= argc) return usage();
  struct mv_program *prog = mv_load(argv[optind], err, sizeof err);
  if (!prog) {
    fprintf(stderr, "minivm: %s\n", err);
    return 2;
  }
  struct job job = {.prog = prog, .fn = mv_find_function(prog, "main")};
  int status = 2;
  if (job.fn < 0)
    fprintf(stderr, "minivm: %s: no function main\n", argv[optind]);
  else if (parse_args(&job, argv + optind + 1, argc - optind - 1) < 0)
    fprintf(stderr, "minivm: arguments must be at most %d integers\n",
            MAX_ARGS);
  else if (prog->fns[job.fn].nparams != job.argc)
    fprintf(stderr, "minivm: main takes %d argument(s), %d given\n",
            prog->fns[job.fn].nparams, job.argc);
  else
    status = run_threads(&job, threads);
  mv_program_free(prog); /* kept if the profiler may still symbolize it */
  return status;
}
