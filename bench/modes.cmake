# bench/modes: each sampling mode's overhead on a CPU-bound host (stack
# depth 30) at 100 Hz, 1 kHz and 10 kHz, beside gperftools' libprofiler at
# the same requested rates, in one run. Not a test.
add_executable(bench_modes_host ${CMAKE_CURRENT_LIST_DIR}/modes_host.c)
target_compile_options(bench_modes_host PRIVATE -O2 -g)
add_executable(bench_modes ${CMAKE_CURRENT_LIST_DIR}/modes.c)
target_compile_options(bench_modes PRIVATE -O2 ${PROF_WARNINGS})
target_compile_definitions(bench_modes PRIVATE _GNU_SOURCE
    BENCH_LIBPROF="$<TARGET_FILE:prof>"
    BENCH_HOST="$<TARGET_FILE:bench_modes_host>")
add_dependencies(bench_modes prof bench_modes_host)
