# bench/jitter_cost (issue 11): what LIBPROF_JITTER adds to each sample,
# the system call that sets the next period, per mode. See
# docs/sampling.md ("Random periods").
add_executable(jitter_cost ${CMAKE_CURRENT_LIST_DIR}/jitter_cost.c)
target_compile_options(jitter_cost PRIVATE -O2)
target_compile_definitions(jitter_cost PRIVATE _GNU_SOURCE)
target_link_libraries(jitter_cost PRIVATE prof_static)
target_include_directories(jitter_cost PRIVATE ${CMAKE_SOURCE_DIR})
