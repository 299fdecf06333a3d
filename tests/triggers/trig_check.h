/* Helpers for the in-process trigger tests: profile reading (jansson),
 * descriptor and timer counts, stderr capture. */
#ifndef TRIG_CHECK_H
#define TRIG_CHECK_H

/* Total weight (ns) of the samples whose stack has a frame named fn (NULL:
 * every sample); -1 if path is not a readable speedscope profile. */
double trig_weight(const char *path, const char *fn);

/* Open descriptors, and POSIX timers (/proc/self/timers), of this process. */
int trig_count_fds(void);
int trig_count_timers(void);

/* Captures what is written to stderr between begin and end; end returns
 * it (static buffer) and echoes it to the real stderr. */
void trig_capture_begin(void);
const char *trig_capture_end(void);

/* Runs one CUnit suite (tests end with a {NULL, NULL} entry); init may be
 * NULL. Returns main's exit status: 0 if every assertion passed. */
struct trig_test {
  const char *name;
  void (*fn)(void);
};
int trig_run_suite(const char *suite, int (*init)(void),
                   const struct trig_test *tests);

/* A fresh path in a private temporary directory. */
const char *trig_tmp_path(const char *name);

#endif
