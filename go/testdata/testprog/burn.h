#include <stdint.h>
uint64_t burn_a(uint64_t n);
void outer_c(int n);
uint64_t inner_a(uint64_t n);
void crash_a(void);
void start_cthread(int n);
void stress_c(int n);
void cpp_entry(int n);
void abort_a(void);
