/* One CUnit suite per test program: register, run verbosely, and turn the
 * failure count into the exit status ctest reads. */
#ifndef PROF_TESTS_CU_SUITE_H
#define PROF_TESTS_CU_SUITE_H

#include <CUnit/Basic.h>
#include <stddef.h>

struct cu_test {
  const char *name;
  void (*fn)(void);
};

#define CU_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static inline int cu_run_suite(const char *suite, const struct cu_test *t,
                               size_t n) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite(suite, NULL, NULL);
  for (size_t i = 0; s && i < n; i++)
    CU_add_test(s, t[i].name, t[i].fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed || !s ? 1 : 0;
}

#endif
