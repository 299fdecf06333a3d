# bench/sample_cost (issue 2): libprof's per-sample cost against gperftools'.
# See docs/PERFORMANCE.md. Not a test: run it through bench/run.sh.
#
# Both binaries are built at the compiler's default -O2, whatever the build
# type, and without -fno-omit-frame-pointer: the sampled recursion then has
# no frame pointers, so both profilers must unwind it with DWARF CFI.
# sample_cost_util.c is #included by the benchmark sources, not compiled
# on its own.
set(PROF_BENCH_COPTS -O2 ${PROF_WARNINGS})

add_executable(sample_cost ${CMAKE_CURRENT_LIST_DIR}/sample_cost.c)
target_compile_options(sample_cost PRIVATE ${PROF_BENCH_COPTS})
target_compile_definitions(sample_cost PRIVATE _GNU_SOURCE)
target_link_libraries(sample_cost PRIVATE prof)

# gperftools' side lives in its own binary (sample_cost runs it), so the two
# profilers never share a process. Optional: without it the gperftools
# columns read n/a.
find_path(PROF_GPERF_INCLUDE_DIR gperftools/profiler.h)
find_library(PROF_GPERF_LIBRARY profiler)
if(PROF_GPERF_INCLUDE_DIR AND PROF_GPERF_LIBRARY)
  add_executable(sample_cost_gperf ${CMAKE_CURRENT_LIST_DIR}/sample_cost_gperf.c)
  target_compile_options(sample_cost_gperf PRIVATE ${PROF_BENCH_COPTS})
  target_compile_definitions(sample_cost_gperf PRIVATE _GNU_SOURCE)
  target_include_directories(sample_cost_gperf PRIVATE ${PROF_GPERF_INCLUDE_DIR})
  target_link_libraries(sample_cost_gperf PRIVATE ${PROF_GPERF_LIBRARY})
  add_dependencies(sample_cost sample_cost_gperf)
else()
  message(STATUS "gperftools not found: bench/sample_cost_gperf not built "
                 "(apt-get install libgoogle-perftools-dev)")
endif()
