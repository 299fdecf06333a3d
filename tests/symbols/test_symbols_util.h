/* Helpers of the symbolization tests: run a program under libprof, read
 * its speedscope profile, and look at stacks and frames. */
#ifndef PROF_TESTS_SYMBOLS_UTIL_H
#define PROF_TESTS_SYMBOLS_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct sym_frame {
  const char *name, *file; /* file NULL when absent */
  long line;               /* 0 when absent */
  int inlined;
};

struct sym_stack {
  const int *frames; /* root first */
  size_t n;
  double weight;
};

struct sym_profile {
  void *json, *pb;
  struct sym_frame *frames;
  size_t nframes;
  struct sym_stack *stacks;
  size_t nstacks;
  double total;
};

/* Runs argv (NULL-terminated) with LD_PRELOAD=libprof, LIBPROF_OUT=out
 * and the given extra "NAME=value" settings (NULL-terminated, may be
 * NULL). Returns the exit status, or -1. */
int sym_run(const char *out, char *const argv[], char *const extra_env[]);

/* Loads a speedscope file. Returns 0 or -1. speedscope merges the frames
 * of one function (lines survive only where all its PCs agree). */
int sym_load(const char *path, struct sym_profile *p);
/* Loads a pprof file (.pb.gz): one frame per Line of each Location, so
 * every PC keeps its own lines; inlined = not the last Line of its
 * Location. Returns 0 or -1. */
int sym_load_pprof(const char *path, struct sym_profile *p);
void sym_free(struct sym_profile *p);

/* The frame at position i of s counted from the leaf (0 = leaf). */
const struct sym_frame *sym_from_leaf(const struct sym_profile *p,
                                      const struct sym_stack *s, size_t i);

/* Weight share (0..1) of the stacks for which match(p, s, arg) != 0. */
double sym_share(const struct sym_profile *p,
                 int (*match)(const struct sym_profile *, const struct sym_stack *,
                              const void *),
                 const void *arg);

/* Whether any frame of any stack has a name for which bad(name) != 0. */
const char *sym_any_name(const struct sym_profile *p,
                         int (*bad)(const char *name));

/* Prints the heaviest stacks (for failure diagnosis). */
void sym_dump(const struct sym_profile *p, int max);

/* The line of the first source line of file containing marker, or -1. */
long sym_marker_line(const char *file, const char *marker);

/* Address range [lo, hi) of function symbol name in ELF file path. */
int sym_elf_func(const char *path, const char *name, uint64_t *lo,
                 uint64_t *hi);

/* Lower-case hex build-id of ELF file path into buf. Returns 0 or -1. */
int sym_build_id(const char *path, char *buf, size_t len);

/* Makes a fresh temporary directory (mkdtemp) into buf. */
int sym_tmpdir(char *buf, size_t len);
/* Removes dir and everything below it. */
void sym_rmtree(const char *dir);
/* Copies file from to path to, creating parent directories. */
int sym_copy(const char *from, const char *to);

#endif
