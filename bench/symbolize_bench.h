/* Shared by bench/symbolize.c and bench/symbolize_export.c. */
#ifndef PROF_BENCH_SYMBOLIZE_H
#define PROF_BENCH_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

double bsym_now(void);
/* Resident anonymous (file == 0) or file-backed memory now, in bytes. */
size_t bsym_rss(int file);

/* The export goal: 1,000,000 samples over `npcs` distinct PCs of this
 * process's libc (DWARF from libc6-dbg), aggregated, then the model built
 * (symbolization included) and written as speedscope to dir. Prints its
 * lines of the table. Returns 0 or -1. */
int bsym_export_bench(const char *dir, size_t nsamples, size_t npcs);

#endif
