/* Output paths of fork children and exec'd programs, and the sampling
 * signal around fork (see fork.h and docs/sampling.md). */
#include "profiler/fork.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROF__OWNER_VAR "LIBPROF_OUT_PID"

/* Expands %p to pid and %% to %; the pattern was accepted at start, so a
 * result that does not fit is cut rather than failing in a child. */
static void prof__expand_pid(const char *in, pid_t pid, char *out,
                             size_t len) {
  size_t j = 0;
  for (const char *p = in; *p && j + 1 < len; p++) {
    if (p[0] == '%' && (p[1] == 'p' || p[1] == '%')) {
      int k = p[1] == 'p' ? snprintf(out + j, len - j, "%ld", (long)pid)
                          : snprintf(out + j, len - j, "%%");
      j = j + (size_t)k < len ? j + (size_t)k : len - 1;
      p++;
    } else {
      out[j++] = *p;
    }
  }
  out[j] = '\0';
}

void prof__out_for_pid(struct prof__config *c, pid_t pid) {
  char buf[sizeof(c->out)];
  if (strstr(c->out_pattern, "%p")) {
    prof__expand_pid(c->out_pattern, pid, c->out, sizeof(c->out));
    return;
  }
  const char *slash = strrchr(c->out, '/');
  const char *base = slash ? slash + 1 : c->out;
  /* A leading dot (".prof") is part of the name, not an extension. */
  const char *dot = base[0] ? strchr(base + 1, '.') : NULL;
  size_t stem = dot ? (size_t)(dot - c->out) : strlen(c->out);
  snprintf(buf, sizeof(buf), "%.*s.%ld%s", (int)stem, c->out, (long)pid,
           dot ? dot : "");
  memcpy(c->out, buf, sizeof(buf));
}

static int prof__has_pid(const char *pattern) {
  return strstr(pattern, "%p") != NULL;
}

void prof__out_claim(void) {
  const char *out = secure_getenv("LIBPROF_OUT");
  char pid[24];
  if (!out || !out[0] || prof__has_pid(out) || secure_getenv(PROF__OWNER_VAR))
    return;
  snprintf(pid, sizeof(pid), "%ld", (long)getpid());
  setenv(PROF__OWNER_VAR, pid, 0);
}

void prof__out_adjust(struct prof__config *c) {
  const char *owner = secure_getenv(PROF__OWNER_VAR);
  if (!c->out_from_env || prof__has_pid(c->out_pattern) || !owner ||
      atol(owner) == (long)getpid())
    return;
  prof__out_for_pid(c, getpid());
}

/* Forks are serialized by glibc's atfork lock (held from the prepare
 * handlers to the parent/child handlers), so one saved mask suffices. */
static sigset_t prof__fork_mask;
static int prof__fork_masked;

void prof__fork_block(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  prof__fork_masked = pthread_sigmask(SIG_BLOCK, &set, &prof__fork_mask) == 0;
}

void prof__fork_unblock(void) {
  if (prof__fork_masked)
    pthread_sigmask(SIG_SETMASK, &prof__fork_mask, NULL);
  prof__fork_masked = 0;
}
