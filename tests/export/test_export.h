/* Helpers shared by the export test files. Test code only. */
#ifndef PROF_TESTS_EXPORT_TEST_EXPORT_H
#define PROF_TESTS_EXPORT_TEST_EXPORT_H

#include <stddef.h>

#include "export/export.h"

extern const char *golden_dir;

/* Whole file, NUL-terminated, malloc'd; NULL when unreadable. */
char *read_all(const char *path, size_t *len);
void write_all(const char *path, const char *data, size_t len);
/* The model written in format f to memory (malloc'd, NUL-terminated). */
char *export_mem(const struct prof__model *m, enum prof__format f, int ns,
                 size_t *len);
/* A gzipped pprof profile decoded to text (malloc'd). */
char *pprof_text(const char *gz, size_t len);
/* Compares got with golden_dir/name (or rewrites it, see test_export.c). */
void check_golden(const char *name, const char *got);
/* A path in this run's private temporary directory (static buffer). */
char *tmp_path(const char *name);
/* Files in dir whose name holds ".tmp." (leftover temporaries). */
int count_temp_files(const char *dir);

void add_read_tests(void);
void add_write_tests(void);
void add_limit_tests(void);

#endif
