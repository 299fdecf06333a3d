/* Cases of test_symbols for the process-lifetime symbol cache. */
#ifndef PROF_TESTS_SYMCACHE_H
#define PROF_TESTS_SYMCACHE_H

void test_symcache_reuse(void);
void test_symcache_build_id(void);
void test_symdisk(void);
void test_symdisk_refused(void);

#endif
