/* `libprof record`: running the program and reporting what it wrote
 * (public header only). Single-threaded CLI code; not AS-safe except
 * where a function says so. */
#ifndef PROF_TOOLS_RECORD_H
#define PROF_TOOLS_RECORD_H

struct prof_record_opts {
  const char *out, *hz, *mode, *format;
  double duration; /* seconds; 0 = until the program ends */
  int quiet;
};

/* Runs cmd (LD_PRELOAD and LIBPROF_* already in the environment), waits
 * for it, lists the profiles it and its subprocesses wrote, removes the
 * subprocesses' empty ones, and prints a table. Returns the tool's exit
 * status: the program's; or dies of the program's signal (without a core
 * dump); 0 when --duration ended it with SIGINT. */
int prof_record_run(const struct prof_record_opts *o, char **cmd);

/* Lists and tidies the profiles of a finished run (record_files.c).
 * pid is the program's; since_ns the wall-clock start of the run, so
 * that only files written by this run count. */
void prof_record_files(const struct prof_record_opts *o, long pid,
                       long long since_ns);

#endif
