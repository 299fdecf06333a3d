/* The mixed part of stacks_prog.c (sigframe): each function in its own object file,
 * compiled with its own frame-pointer setting (CMakeLists.txt). */
extern volatile unsigned sink;

#ifdef MIXED_LEAF
__attribute__((noinline)) void mixed_leaf(void) {
  for (int i = 0; i < 200000; i++)
    sink = sink * 2654435761u + (unsigned)i;
}
#elif defined(MIXED_NOFP)
void mixed_leaf(void);
__attribute__((noinline)) void mixed_nofp(void) {
  mixed_leaf();
  sink++; /* not a tail call: mixed_nofp stays on the stack */
}
#else
void mixed_nofp(void);
__attribute__((noinline)) void mixed_fp(void) {
  mixed_nofp();
  sink++;
}
#endif
