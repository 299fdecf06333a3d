/* The write path (issue 9): prof__export_file never replaces anything but
 * a regular file, keeps an earlier file when writing fails (forced here
 * with RLIMIT_FSIZE, which any user can set), takes any name under
 * NAME_MAX; prof_output_check and prof_convert refuse what a session
 * would refuse. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "export/export.h"
#include "fixture.h"
#include "libprof.h"
#include "test_export.h"

/* Writes a profile of several hundred KB to path in a child limited to
 * 4 KB of file size (SIGXFSZ ignored, so write() fails with EFBIG).
 * Returns 1 when the write failed with PROF_EIO and errno EFBIG. */
static int write_over_limit(const char *path) {
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {4096, 4096};
    signal(SIGXFSZ, SIG_IGN);
    struct prof__model *m = fixture_big_model(20000, 2000, 5000);
    if (m == NULL || setrlimit(RLIMIT_FSIZE, &rl) != 0)
      _exit(2);
    int rc = prof__export_file(m, PROF__FMT_SPEEDSCOPE, NULL, path);
    _exit(rc == PROF_EIO && errno == EFBIG ? 0 : 1);
  }
  int st = 0;
  CU_ASSERT_EQUAL_FATAL(waitpid(pid, &st, 0), pid);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A writer that wrote straight to the final path would leave a partial
 * file there, or a changed one: neither may happen. */
static void test_failed_write_keeps_file(void) {
  char *p = strdup(tmp_path("full.json"));
  CU_ASSERT_TRUE(write_over_limit(p));
  CU_ASSERT_EQUAL(access(p, F_OK), -1);
  write_all(p, "earlier\n", 8);
  CU_ASSERT_TRUE(write_over_limit(p));
  char *got = read_all(p, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(got);
  CU_ASSERT_STRING_EQUAL(got, "earlier\n");
  CU_ASSERT_EQUAL(count_temp_files(tmp_path("")), 0);
  free(got);
  free(p);
}

/* Makes something that is not a regular file at path; 0 if it cannot
 * here (a device needs root). */
static int make_special(const char *path, int kind, const char *target) {
  switch (kind) {
  case 0: return mkdir(path, 0755) == 0;
  case 1: return mkfifo(path, 0644) == 0;
  case 2: return symlink(target, path) == 0;
  case 3: return mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0;
  default: {
    struct sockaddr_un a = {AF_UNIX, {0}};
    if (strlen(path) >= sizeof(a.sun_path))
      return 0;
    memcpy(a.sun_path, path, strlen(path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
  }
  }
}

static void test_refuses_special_files(void) {
  static const char *const names[] = {"dir", "fifo", "link", "dev", "sock"};
  struct prof__model *m = fixture_model();
  char target[512], path[512], err[512], in[512];
  snprintf(target, sizeof(target), "%s", tmp_path("target.json"));
  write_all(target, "target\n", 7);
  snprintf(in, sizeof(in), "%s", tmp_path("convert-in.json"));
  CU_ASSERT_EQUAL_FATAL(prof__export_file(m, PROF__FMT_SPEEDSCOPE, NULL, in),
                        0);
  for (int k = 0; k < 5; k++) {
    struct stat before, after;
    snprintf(path, sizeof(path), "%s.json", tmp_path(names[k]));
    if (!make_special(path, k, target)) {
      fprintf(stderr, "\n  skipped %s: %s (needs root)", names[k],
              strerror(errno));
      continue;
    }
    CU_ASSERT_EQUAL_FATAL(lstat(path, &before), 0);
    CU_ASSERT_EQUAL(prof__export_file(m, PROF__FMT_SPEEDSCOPE, NULL, path),
                    PROF_EOUTPUT);
    CU_ASSERT_EQUAL(prof_output_check(path, NULL, 0, err, sizeof(err)),
                    PROF_EOUTPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    /* libprof convert: refused before the input is read */
    CU_ASSERT_EQUAL(prof_convert(in, path, "speedscope", err, sizeof(err)),
                    PROF_EOUTPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "libprof writes only regular"));
    CU_ASSERT_EQUAL_FATAL(lstat(path, &after), 0);
    CU_ASSERT_EQUAL(after.st_ino, before.st_ino);
    CU_ASSERT_EQUAL(after.st_mode, before.st_mode);
  }
  char *got = read_all(target, NULL);
  CU_ASSERT_STRING_EQUAL(got, "target\n"); /* the link was not followed */
  CU_ASSERT_EQUAL(count_temp_files(tmp_path("")), 0);
  free(got);
  prof__model_free(m);
}

/* Names up to NAME_MAX are written (the temporary's name must fit too);
 * longer ones, and sibling files in the way, are refused by the check. */
static void test_name_lengths(void) {
  struct prof__model *m = fixture_model();
  char name[300], path[512], err[512];
  memset(name, 'n', sizeof(name));
  snprintf(name + 250, 6, ".json");
  snprintf(path, sizeof(path), "%s", tmp_path(name));
  CU_ASSERT_EQUAL(prof_output_check(path, NULL, 0, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(prof__export_file(m, PROF__FMT_SPEEDSCOPE, NULL, path), 0);
  CU_ASSERT_EQUAL(access(path, F_OK), 0);
  memset(name, 'n', sizeof(name));
  snprintf(name + 290, 6, ".json");
  snprintf(path, sizeof(path), "%s", tmp_path(name));
  CU_ASSERT_EQUAL(prof_output_check(path, NULL, 0, err, sizeof(err)),
                  PROF_EOUTPUT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "over NAME_MAX"));
  /* speedscope,d3 into sib.json: the d3 file is sib.d3.json. */
  CU_ASSERT_EQUAL(mkdir(tmp_path("sib.d3.json"), 0755), 0);
  snprintf(path, sizeof(path), "%s", tmp_path("sib.json"));
  CU_ASSERT_EQUAL(prof_output_check(path, "speedscope,d3", 0, err,
                                    sizeof(err)), PROF_EOUTPUT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "sib.d3.json is a directory"));
  CU_ASSERT_EQUAL(prof_output_check(path, "speedscope", 0, err, sizeof(err)),
                  0);
  prof__model_free(m);
}

void add_write_tests(void) {
  CU_pSuite s = CU_add_suite("export write path", NULL, NULL);
  CU_add_test(s, "failed write keeps the earlier file",
              test_failed_write_keeps_file);
  CU_add_test(s, "special files are never replaced",
              test_refuses_special_files);
  CU_add_test(s, "name lengths and siblings", test_name_lengths);
}
