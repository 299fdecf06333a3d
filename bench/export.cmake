# bench/export (issue 9, moved out of the test suite): CPU time to build
# and write a 1,000,000-sample, 20,000-frame profile in every format, in a
# typical case (100,000 distinct stacks) and the worst case (every sample
# its own stack). Not a test. Uses the export tests' fixture generator.
add_executable(bench_export ${CMAKE_CURRENT_LIST_DIR}/export_speed.c
               ${CMAKE_SOURCE_DIR}/tests/export/fixture.c)
target_include_directories(bench_export PRIVATE ${CMAKE_SOURCE_DIR}
    ${CMAKE_SOURCE_DIR}/tests/export ${CMAKE_BINARY_DIR})
target_compile_definitions(bench_export PRIVATE _GNU_SOURCE)
target_compile_options(bench_export PRIVATE ${PROF_WARNINGS})
target_link_libraries(bench_export PRIVATE prof_static)
if(TARGET prof_proto_gen)
  add_dependencies(bench_export prof_proto_gen)
endif()
