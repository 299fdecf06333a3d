# bench/crossing (issue 3): cost of a crossing pair, and of a sample with
# crossings and managed frames. See docs/PERFORMANCE.md; run through
# bench/run.sh, which also counts instructions per pair with callgrind.
# Same flags as sample_cost (sample_cost.cmake), whose helpers it includes.
add_executable(crossing ${CMAKE_CURRENT_LIST_DIR}/crossing.c)
target_compile_options(crossing PRIVATE -O2 ${PROF_WARNINGS})
target_compile_definitions(crossing PRIVATE _GNU_SOURCE)
target_link_libraries(crossing PRIVATE prof)
