#include "trig_check.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int trig_has_frame(json_t *stack, json_t *frames, const char *fn) {
  size_t i;
  json_t *idx;
  if (!fn)
    return 1;
  json_array_foreach(stack, i, idx) {
    json_t *f = json_array_get(frames, (size_t)json_integer_value(idx));
    const char *name = json_string_value(json_object_get(f, "name"));
    if (name && strcmp(name, fn) == 0)
      return 1;
  }
  return 0;
}

double trig_weight(const char *path, const char *fn) {
  json_t *doc = json_load_file(path, 0, NULL), *p;
  json_t *frames = json_object_get(json_object_get(doc, "shared"), "frames");
  json_t *profiles = json_object_get(doc, "profiles");
  double sum = 0;
  size_t i;
  if (!json_is_array(frames) || !json_is_array(profiles)) {
    json_decref(doc);
    return -1;
  }
  json_array_foreach(profiles, i, p) {
    json_t *samples = json_object_get(p, "samples");
    json_t *weights = json_object_get(p, "weights");
    for (size_t k = 0; k < json_array_size(samples); k++)
      if (trig_has_frame(json_array_get(samples, k), frames, fn))
        sum += json_number_value(json_array_get(weights, k));
  }
  json_decref(doc);
  return sum;
}

int trig_count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL)
    n += de->d_name[0] != '.';
  if (d)
    closedir(d);
  return n - 1; /* the one opendir holds */
}

int trig_count_timers(void) {
  FILE *f = fopen("/proc/self/timers", "r");
  char line[256];
  int n = 0;
  while (f && fgets(line, sizeof(line), f))
    n += strncmp(line, "ID:", 3) == 0;
  if (f)
    fclose(f);
  return n;
}

/* libprof writes its summary to a private duplicate of the stderr it
 * started with, not to whatever fd 2 is at the end; the tests read it
 * from LIBPROF_LOG, set before any session starts. */
static char cap_path[64];
static long cap_from;
static char cap_buf[16384];

__attribute__((constructor)) static void trig_log_init(void) {
  strcpy(cap_path, "/tmp/trig-log-XXXXXX");
  int fd = mkstemp(cap_path);
  if (fd < 0)
    return;
  close(fd);
  setenv("LIBPROF_LOG", cap_path, 1);
}

__attribute__((destructor)) static void trig_log_fini(void) {
  unlink(cap_path);
}

void trig_capture_begin(void) {
  FILE *f = fopen(cap_path, "r");
  cap_from = 0;
  if (f && fseek(f, 0, SEEK_END) == 0)
    cap_from = ftell(f);
  if (f)
    fclose(f);
}

const char *trig_capture_end(void) {
  FILE *f = fopen(cap_path, "r");
  size_t n = 0;
  if (f && fseek(f, cap_from, SEEK_SET) == 0)
    n = fread(cap_buf, 1, sizeof(cap_buf) - 1, f);
  if (f)
    fclose(f);
  cap_buf[n] = '\0';
  fputs(cap_buf, stderr);
  return cap_buf;
}

const char *trig_tmp_path(const char *name) {
  static char dir[64], path[256];
  if (!dir[0]) {
    strcpy(dir, "/tmp/trig-XXXXXX");
    if (!mkdtemp(dir))
      strcpy(dir, "/tmp");
  }
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return path;
}

int trig_run_suite(const char *suite, int (*init)(void),
                   const struct trig_test *tests) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite(suite, init, NULL);
  for (; tests->name; tests++)
    CU_add_test(s, tests->name, tests->fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() +
                    CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
