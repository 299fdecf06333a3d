/* libprof: the command-line tool.
 *
 *   libprof record [-o FILE] [-F HZ] [--mode M] [--format F] [-q] -- CMD..
 *   libprof report FILE [--top N] [--thread T]
 *   libprof convert IN OUT [--format F]
 *
 * Uses only the public header. `record` runs CMD with libprof.so in
 * LD_PRELOAD and the LIBPROF_* variables set, passes CMD's exit status
 * (or terminating signal) through, and prints the top of the profile.
 * Exit codes of the tool itself: 2 = usage error, 1 = failure. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libprof.h"
#include "tools/find_lib.h"

#define PROF_TOOL_DEFAULT_OUT "libprof.%p.speedscope.json"

static const char prof_tool_usage[] =
    "usage: libprof <command> [options]\n"
    "\n"
    "commands:\n"
    "  record [options] [--] CMD [ARGS...]  run CMD under the profiler\n"
    "  report FILE [--top N] [--thread T]   top functions of a profile\n"
    "  convert IN OUT [--format F]          convert between formats\n"
    "\n"
    "`libprof <command> --help` describes each command.\n"
    "Formats: speedscope (.speedscope.json, .json), d3 (.d3.json),\n"
    "collapsed (.folded, .collapsed), pprof (.pb.gz; written only).\n";

static const char prof_record_usage[] =
    "usage: libprof record [-o FILE] [-F HZ] [--mode M] [--format F] [-q]\n"
    "                      [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD with libprof.so preloaded and writes its profile. Exits with\n"
    "CMD's exit status, or dies of the signal that killed CMD.\n"
    "\n"
    "  -o, --output FILE  output path, %p = pid of the profiled process\n"
    "                     (default " PROF_TOOL_DEFAULT_OUT ")\n"
    "  -F, --freq HZ      samples per second of CPU time, 1..100000\n"
    "                     (default 100)\n"
    "      --mode M       cpu, timer, itimer or wall (default cpu)\n"
    "      --format F     comma list of speedscope, d3, collapsed, pprof\n"
    "                     (default: from FILE's extension)\n"
    "  -q, --quiet        print neither libprof's summary nor the table\n"
    "  -h, --help         this text\n"
    "\n"
    "libprof.so is taken from $LIBPROF_LIB, else next to this program\n"
    "(../lib*/ or ../), else from the install directory.\n";

static const char prof_report_usage[] =
    "usage: libprof report FILE [--top N] [--thread T]\n"
    "\n"
    "Prints the top functions by self weight, with total (inclusive)\n"
    "weight and percentages, from a speedscope, d3 or collapsed file.\n"
    "\n"
    "  -n, --top N        rows to print (default 20)\n"
    "  -t, --thread T     only thread T: its name, tid, or \"name (tid)\"\n"
    "  -h, --help         this text\n";

static const char prof_convert_usage[] =
    "usage: libprof convert IN OUT [--format F]\n"
    "\n"
    "Reads IN (speedscope, d3 or collapsed) and writes OUT in the format\n"
    "F, or the one OUT's extension names. OUT appears only when complete.\n"
    "Collapsed numbers are sample counts, or nanoseconds with\n"
    "LIBPROF_COLLAPSED_WEIGHT=ns (for reading and writing).\n"
    "\n"
    "  -f, --format F     speedscope, d3, collapsed or pprof\n"
    "  -h, --help         this text\n";

static int prof_tool_usage_error(const char *cmd, const char *msg,
                                 const char *arg) {
  fprintf(stderr, "libprof%s%s: %s%s%s\n", cmd ? " " : "", cmd ? cmd : "",
          msg, arg ? ": " : "", arg ? arg : "");
  fprintf(stderr, "Try 'libprof %s%s--help'.\n", cmd ? cmd : "",
          cmd ? " " : "");
  return 2;
}

/* ---- report and convert ---------------------------------------------- */

static int prof_tool_report(int argc, char **argv) {
  static const struct option opts[] = {{"top", required_argument, 0, 'n'},
                                       {"thread", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *thread = NULL;
  char err[512], *end;
  long top = 20;
  int c;
  while ((c = getopt_long(argc, argv, "n:t:h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(prof_report_usage, stdout);
      return 0;
    }
    if (c == 'n') {
      errno = 0;
      top = strtol(optarg, &end, 10);
      if (errno || *end || end == optarg || top < 1 || top > 1000000)
        return prof_tool_usage_error("report", "--top expects a count from "
                                     "1 to 1000000, not", optarg);
    } else if (c == 't') {
      thread = optarg;
    } else {
      return prof_tool_usage_error("report", "bad option", NULL);
    }
  }
  if (argc - optind != 1)
    return prof_tool_usage_error("report", "expects one FILE", NULL);
  int rc = prof_report(argv[optind], stdout, (int)top, thread, err,
                       sizeof(err));
  if (rc != 0) {
    fprintf(stderr, "libprof report: %s\n", err);
    return 1;
  }
  return 0;
}

static int prof_tool_convert(int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *format = NULL;
  char err[512];
  int c;
  while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(prof_convert_usage, stdout);
      return 0;
    }
    if (c != 'f')
      return prof_tool_usage_error("convert", "bad option", NULL);
    format = optarg;
  }
  if (argc - optind != 2)
    return prof_tool_usage_error("convert", "expects IN and OUT", NULL);
  if (prof_convert(argv[optind], argv[optind + 1], format, err,
                   sizeof(err)) != 0) {
    fprintf(stderr, "libprof convert: %s\n", err);
    return 1;
  }
  return 0;
}

/* ---- record ----------------------------------------------------------- */

struct prof_record_opts {
  const char *out, *hz, *mode, *format;
  int quiet;
};

static int prof_record_check(const struct prof_record_opts *o) {
  static const char *const modes[] = {"cpu", "timer", "itimer", "wall"};
  char buf[64], *end;
  if (o->hz != NULL) {
    errno = 0;
    long hz = strtol(o->hz, &end, 10);
    if (errno || *end || end == o->hz || hz < 1 || hz > 100000)
      return prof_tool_usage_error("record", "-F expects a rate in Hz from "
                                   "1 to 100000, not", o->hz);
  }
  int ok = o->mode == NULL;
  for (size_t i = 0; !ok && i < sizeof(modes) / sizeof(*modes); i++)
    ok = strcmp(o->mode, modes[i]) == 0;
  if (!ok)
    return prof_tool_usage_error("record", "--mode expects cpu, timer, "
                                 "itimer or wall, not", o->mode);
  if (o->format != NULL &&
      prof_output_path(o->out, o->format, "speedscope", 0, buf,
                       sizeof(buf)) == PROF_EFORMAT &&
      prof_output_path(o->out, o->format, "pprof", 0, buf, sizeof(buf)) ==
          PROF_EFORMAT &&
      prof_output_path(o->out, o->format, "d3", 0, buf, sizeof(buf)) ==
          PROF_EFORMAT &&
      prof_output_path(o->out, o->format, "collapsed", 0, buf, sizeof(buf)) ==
          PROF_EFORMAT)
    return prof_tool_usage_error("record", "--format expects a comma list "
                                 "of speedscope, d3, collapsed, pprof, not",
                                 o->format);
  /* The output is refused before the program runs. With %p the child's
   * files are only known once it runs: the session checks them there. */
  char why[512];
  if (strstr(o->out, "%p") == NULL &&
      prof_output_check(o->out, o->format, 0, why, sizeof(why)) != 0) {
    fprintf(stderr, "libprof record: -o %s: %s\n", o->out, why);
    return 2;
  }
  return 0;
}

/* Sets the child's environment: LD_PRELOAD first, then LIBPROF_*. */
static int prof_record_env(const struct prof_record_opts *o,
                           const char *lib) {
  const char *old = getenv("LD_PRELOAD");
  size_t n = strlen(lib) + (old ? strlen(old) : 0) + 2;
  char *pre = malloc(n);
  if (pre == NULL)
    return -1;
  snprintf(pre, n, "%s%s%s", lib, old && *old ? ":" : "",
           old ? old : "");
  int bad = setenv("LD_PRELOAD", pre, 1) | setenv("LIBPROF_OUT", o->out, 1);
  free(pre);
  if (o->hz)
    bad |= setenv("LIBPROF_HZ", o->hz, 1);
  if (o->mode)
    bad |= setenv("LIBPROF_MODE", o->mode, 1);
  if (o->format)
    bad |= setenv("LIBPROF_FORMAT", o->format, 1);
  if (o->quiet)
    bad |= setenv("LIBPROF_QUIET", "1", 1);
  return bad ? -1 : 0;
}

/* Prints the table for what the child wrote: the first readable format
 * among those asked for (pprof is not readable here). */
static void prof_record_report(const struct prof_record_opts *o, pid_t pid) {
  static const char *const readable[] = {"speedscope", "d3", "collapsed"};
  char path[4200], err[512];
  for (size_t i = 0; i < 3; i++) {
    if (prof_output_path(o->out, o->format, readable[i], (long)pid, path,
                         sizeof(path)) != 0)
      continue;
    if (access(path, R_OK) != 0) {
      fprintf(stderr, "libprof record: no profile at %s (profiling did not "
              "start, or the program died before writing it)\n", path);
      return;
    }
    fprintf(stderr, "libprof record: %s\n", path);
    if (prof_report(path, stderr, 10, NULL, err, sizeof(err)) != 0)
      fprintf(stderr, "libprof record: %s\n", err);
    return;
  }
  if (prof_output_path(o->out, o->format, "pprof", (long)pid, path,
                       sizeof(path)) == 0)
    fprintf(stderr, "libprof record: wrote %s; read it with "
            "`go tool pprof -top %s`\n", path, path);
}

/* Dies the way the child died, without a second core dump. */
static int prof_record_die(int sig) {
  struct rlimit no_core = {0, 0};
  sigset_t set;
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  return 128 + sig; /* the signal does not terminate by default */
}

/* The child: execs cmd; on failure sends errno up the close-on-exec
 * pipe, so the parent knows nothing ran (and prints no profile table). */
static void prof_record_child(char **cmd, int fd,
                              const struct sigaction *old_int,
                              const struct sigaction *old_quit) {
  sigaction(SIGINT, old_int, NULL);
  sigaction(SIGQUIT, old_quit, NULL);
  execvp(cmd[0], cmd);
  int e = errno;
  fprintf(stderr, "libprof record: cannot run %s: %s\n", cmd[0],
          strerror(e));
  if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
    _exit(127);
  _exit(e == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t prof_record_child_pid;

/* SIGTERM and SIGHUP sent to the tool (by a supervisor, or a closing
 * terminal) are passed on to the child, which can then write its
 * profile at exit; the tool follows the child's fate. AS-safe. */
static void prof_record_forward(int sig) {
  int saved = errno;
  if (prof_record_child_pid > 0)
    kill((pid_t)prof_record_child_pid, sig);
  errno = saved;
}

static int prof_record_run(const struct prof_record_opts *o, char **cmd) {
  int status, fds[2], exec_errno = 0;
  /* Like system(): the terminal's ^C and ^\ go to the child; the tool
   * waits for it, reports, and then dies of the same signal. */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
  struct sigaction fwd = {.sa_handler = prof_record_forward};
  if (pipe2(fds, O_CLOEXEC) != 0) {
    fprintf(stderr, "libprof record: pipe: %s\n", strerror(errno));
    return 1;
  }
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  pid_t pid = fork();
  if (pid == 0)
    prof_record_child(cmd, fds[1], &old_int, &old_quit);
  prof_record_child_pid = pid;
  sigaction(SIGTERM, &fwd, NULL);
  sigaction(SIGHUP, &fwd, NULL);
  close(fds[1]);
  if (pid > 0 && read(fds[0], &exec_errno, sizeof(exec_errno)) <= 0)
    exec_errno = 0;
  close(fds[0]);
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  int saved = errno;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  if (pid < 0) {
    fprintf(stderr, "libprof record: fork: %s\n", strerror(saved));
    return 1;
  }
  if (!o->quiet && exec_errno == 0)
    prof_record_report(o, pid);
  if (WIFSIGNALED(status))
    return prof_record_die(WTERMSIG(status));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int prof_tool_record(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"freq", required_argument, 0, 'F'},
                                       {"mode", required_argument, 0, 'm'},
                                       {"format", required_argument, 0, 'f'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct prof_record_opts o = {PROF_TOOL_DEFAULT_OUT, NULL, NULL, NULL, 0};
  char lib[4200], err[512];
  int c;
  /* '+': options end at CMD, whose own options are left alone. */
  while ((c = getopt_long(argc, argv, "+o:F:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': o.out = optarg; break;
    case 'F': o.hz = optarg; break;
    case 'm': o.mode = optarg; break;
    case 'f': o.format = optarg; break;
    case 'q': o.quiet = 1; break;
    case 'h': fputs(prof_record_usage, stdout); return 0;
    default: return prof_tool_usage_error("record", "bad option", NULL);
    }
  }
  if (optind >= argc)
    return prof_tool_usage_error("record", "expects a command to run", NULL);
  if (*o.out == 0)
    return prof_tool_usage_error("record", "-o expects a path", NULL);
  int rc = prof_record_check(&o);
  if (rc != 0)
    return rc;
  if (prof_find_lib(lib, sizeof(lib), err, sizeof(err)) != 0) {
    fprintf(stderr, "libprof record: %s\n", err);
    return 1;
  }
  if (prof_record_env(&o, lib) != 0) {
    fprintf(stderr, "libprof record: cannot set the environment\n");
    return 1;
  }
  return prof_record_run(&o, argv + optind);
}

int main(int argc, char **argv) {
  if (argc < 2)
    return prof_tool_usage_error(NULL, "expects a command", NULL);
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    fputs(prof_tool_usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("libprof %s\n", prof_version());
    return 0;
  }
  /* The command's own argv, so getopt sees its name as argv[0]. */
  argv[1] = argv[0];
  if (strcmp(cmd, "record") == 0)
    return prof_tool_record(argc - 1, argv + 1);
  if (strcmp(cmd, "report") == 0)
    return prof_tool_report(argc - 1, argv + 1);
  if (strcmp(cmd, "convert") == 0)
    return prof_tool_convert(argc - 1, argv + 1);
  return prof_tool_usage_error(NULL, "unknown command", cmd);
}
