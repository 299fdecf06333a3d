/* A small plugin loaded and unloaded in a loop by the stress test. */
volatile unsigned churn_sink;

__attribute__((noinline)) unsigned churn_work(unsigned n) {
  for (unsigned i = 0; i < n; i++)
    churn_sink = churn_sink * 33 + i;
  return churn_sink;
}
