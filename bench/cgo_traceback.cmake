# bench/cgo_traceback: the Go provider's traceback and context hooks per
# call (docs/go.md). Not a test.
add_executable(bench_cgo_traceback ${CMAKE_CURRENT_LIST_DIR}/cgo_traceback.c)
target_compile_options(bench_cgo_traceback PRIVATE -O2 -fomit-frame-pointer
    ${PROF_WARNINGS})
target_link_libraries(bench_cgo_traceback PRIVATE prof)
