/* libprof: the command-line tool.
 *
 *   libprof record [-o FILE] [-F HZ] [-d S] [--mode M] [--format F] [-q]
 *                  -- CMD..
 *   libprof report FILE [--top N] [--thread T]
 *   libprof convert IN OUT [--format F]
 *
 * Uses only the public header. `record` runs CMD with libprof.so in
 * LD_PRELOAD and the LIBPROF_* variables set, passes CMD's exit status
 * (or terminating signal) through, and prints the top of the profile.
 * Exit codes of the tool itself: 2 = usage error, 1 = failure. Every
 * mistake on the command line is one line on stderr (getopt's own
 * messages are off). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libprof.h"
#include "tools/find_lib.h"
#include "tools/record.h"

#define PROF_TOOL_DEFAULT_OUT "libprof.%p.speedscope.json"

static const char prof_tool_usage[] =
    "usage: libprof <command> [options]\n"
    "\n"
    "commands:\n"
    "  record [options] [--] CMD [ARGS...]  run CMD under the profiler\n"
    "  report FILE [options]                top functions, threads, tree\n"
    "  convert IN OUT [--format F]          convert between formats\n"
    "\n"
    "`libprof <command> --help` describes each command.\n"
    "Formats: speedscope (.speedscope.json, .json), d3 (.d3.json),\n"
    "collapsed (.folded, .collapsed), pprof (.pb.gz), html (.html: a\n"
    "self-contained flame graph page) and svg (.svg: a flamegraph.pl-style\n"
    "picture); html and svg are written only.\n";

static const char prof_record_usage[] =
    "usage: libprof record [-o FILE] [-F HZ] [-d SECONDS] [--mode M]\n"
    "                      [--format F] [-q] [--] CMD [ARGS...]\n"
    "\n"
    "Runs CMD with libprof.so preloaded and writes its profile. Exits with\n"
    "CMD's exit status, or dies of the signal that killed CMD. Ctrl-C\n"
    "reaches CMD, which writes its profile and ends; record then lists\n"
    "the files. Subprocesses of CMD profile themselves too: their files\n"
    "are listed, and those with no sample are removed.\n"
    "\n"
    "  -o, --output FILE  output path, %p = pid of the profiled process\n"
    "                     (default " PROF_TOOL_DEFAULT_OUT ")\n"
    "  -F, --freq HZ      samples per second of CPU time, 1..100000\n"
    "  -r, --rate HZ      (default 100); -r and --rate are the same\n"
    "  -d, --duration S   end CMD and its subprocesses with SIGINT after S\n"
    "                     seconds (as Ctrl-C would); record then exits 0\n"
    "      --mode M       cpu, timer, itimer or wall (default cpu)\n"
    "      --format F     comma list of speedscope, d3, collapsed, pprof,\n"
    "                     html, svg\n"
    "                     (default: from FILE's extension)\n"
    "  -q, --quiet        print neither libprof's summary, the progress\n"
    "                     line (shown when stderr is a terminal) nor the\n"
    "                     table\n"
    "  -h, --help         this text\n"
    "\n"
    "libprof.so is taken from $LIBPROF_LIB, else next to this program\n"
    "(../lib*/ or ../), else from the install directory.\n";

static const char prof_report_usage[] =
    "usage: libprof report FILE [--top N] [--thread T] [--tree] [--lines]\n"
    "                           [--full-names] [--hz N]\n"
    "\n"
    "Prints the threads (when there are several) and the top functions by\n"
    "self weight, with total (inclusive) weight and percentages, from a\n"
    "speedscope, d3, collapsed or pprof file. C++ names are shortened as\n"
    "pprof does (template arguments and parameters elided).\n"
    "\n"
    "  -n, --top N        rows to print (default 20)\n"
    "  -t, --thread T     only thread T: its name, tid, or \"name (tid)\"\n"
    "      --tree         a top-down call tree instead of the table\n"
    "      --lines        one row per source line of each function\n"
    "      --full-names   C++ names whole\n"
    "      --hz N         files with sample counts and no time (collapsed\n"
    "                     stacks): show milliseconds at N samples per\n"
    "                     second (default: show the counts)\n"
    "  -h, --help         this text\n";

static const char prof_convert_usage[] =
    "usage: libprof convert IN OUT [--format F]\n"
    "\n"
    "Reads IN (speedscope, d3, collapsed or pprof) and writes OUT in the\n"
    "format F, or the one OUT's extension names. OUT appears only when\n"
    "complete.\n"
    "Collapsed numbers are sample counts, or nanoseconds with\n"
    "LIBPROF_COLLAPSED_WEIGHT=ns (for reading and writing).\n"
    "\n"
    "  -f, --format F     speedscope, d3, collapsed, pprof, html or svg\n"
    "  -h, --help         this text\n";

static int prof_tool_usage_error(const char *cmd, const char *msg,
                                 const char *arg) {
  fprintf(stderr, "libprof%s%s: %s%s%s (see 'libprof %s%s--help')\n",
          cmd ? " " : "", cmd ? cmd : "", msg, arg ? ": " : "",
          arg ? arg : "", cmd ? cmd : "", cmd ? " " : "");
  return 2;
}

/* getopt_long returned '?' (unknown option) or ':' (missing argument),
 * with opterr off and ':' leading the option string. */
static int prof_tool_bad_option(const char *cmd, int c, char **argv) {
  char opt[3] = {'-', (char)optopt, 0};
  const char *name = optopt ? opt : argv[optind - 1];
  return prof_tool_usage_error(cmd, c == ':' ? "option needs an argument"
                                             : "unknown option", name);
}

/* ---- report and convert ---------------------------------------------- */

/* Parses a count from 1 to max. */
static int prof_tool_count(const char *s, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < 1 || v > max)
    return -1;
  *out = v;
  return 0;
}

static int prof_tool_report(int argc, char **argv) {
  enum { OPT_TREE = 256, OPT_LINES, OPT_FULL, OPT_HZ };
  static const struct option opts[] = {{"top", required_argument, 0, 'n'},
                                       {"thread", required_argument, 0, 't'},
                                       {"tree", no_argument, 0, OPT_TREE},
                                       {"lines", no_argument, 0, OPT_LINES},
                                       {"full-names", no_argument, 0, OPT_FULL},
                                       {"hz", required_argument, 0, OPT_HZ},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct prof_report_opts ro = {20, NULL, 0, 0};
  char err[512];
  long v;
  int c;
  while ((c = getopt_long(argc, argv, ":n:t:h", opts, NULL)) != -1) {
    switch (c) {
    case 'h': fputs(prof_report_usage, stdout); return 0;
    case 'n':
      if (prof_tool_count(optarg, 1000000, &v) != 0)
        return prof_tool_usage_error("report", "--top expects a count from "
                                     "1 to 1000000, not", optarg);
      ro.top = (int)v;
      break;
    case 't': ro.thread = optarg; break;
    case OPT_TREE: ro.flags |= PROF_REPORT_TREE; break;
    case OPT_LINES: ro.flags |= PROF_REPORT_LINES; break;
    case OPT_FULL: ro.flags |= PROF_REPORT_FULL_NAMES; break;
    case OPT_HZ:
      if (prof_tool_count(optarg, 100000, &v) != 0)
        return prof_tool_usage_error("report", "--hz expects a rate from 1 "
                                     "to 100000, not", optarg);
      ro.hz = (unsigned)v;
      break;
    default: return prof_tool_bad_option("report", c, argv);
    }
  }
  if (argc - optind != 1)
    return prof_tool_usage_error("report", "expects one FILE", NULL);
  if (prof_report_ex(argv[optind], stdout, &ro, err, sizeof(err)) != 0) {
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
  while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(prof_convert_usage, stdout);
      return 0;
    }
    if (c != 'f')
      return prof_tool_bad_option("convert", c, argv);
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

/* Parses a positive number of seconds, such as "1" or "2.5". */
static int prof_tool_seconds(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= 0.001 && v <= 1e6))
    return -1;
  *out = v;
  return 0;
}

static int prof_record_check(const struct prof_record_opts *o) {
  static const char *const modes[] = {"cpu", "timer", "itimer", "wall"};
  char buf[64], *end;
  if (o->hz != NULL) {
    errno = 0;
    long hz = strtol(o->hz, &end, 10);
    if (errno || *end || end == o->hz || hz < 1 || hz > 100000)
      return prof_tool_usage_error("record", "-F/-r expects a rate in Hz from "
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
          PROF_EFORMAT &&
      prof_output_path(o->out, o->format, "html", 0, buf, sizeof(buf)) ==
          PROF_EFORMAT &&
      prof_output_path(o->out, o->format, "svg", 0, buf, sizeof(buf)) ==
          PROF_EFORMAT)
    return prof_tool_usage_error("record", "--format expects a comma list "
                                 "of speedscope, d3, collapsed, pprof, html, "
                                 "svg, not",
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

static int prof_tool_record(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"freq", required_argument, 0, 'F'},
                                       {"rate", required_argument, 0, 'F'},
                                       {"duration", required_argument, 0, 'd'},
                                       {"mode", required_argument, 0, 'm'},
                                       {"format", required_argument, 0, 'f'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  struct prof_record_opts o = {PROF_TOOL_DEFAULT_OUT, NULL, NULL, NULL, 0, 0};
  char lib[4200], err[512];
  int c;
  /* '+': options end at CMD, whose own options are left alone. */
  while ((c = getopt_long(argc, argv, "+:o:F:r:d:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'o': o.out = optarg; break;
    case 'F': /* fall through: -r is perf's and py-spy's name for it */
    case 'r': o.hz = optarg; break;
    case 'd':
      if (prof_tool_seconds(optarg, &o.duration) != 0)
        return prof_tool_usage_error("record", "--duration expects seconds "
                                     "(0.001 to 1000000), not", optarg);
      break;
    case 'm': o.mode = optarg; break;
    case 'f': o.format = optarg; break;
    case 'q': o.quiet = 1; break;
    case 'h': fputs(prof_record_usage, stdout); return 0;
    default: return prof_tool_bad_option("record", c, argv);
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

/* The CLI records other programs; LIBPROF_OUT in its own environment is
 * for them, never a session of its own (libprof.h). */
PROF_EXTERN const int prof_no_autostart = 1;

int main(int argc, char **argv) {
  opterr = 0; /* one message per mistake: ours */
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
