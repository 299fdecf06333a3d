# bench/unwind: the collector's unwind cost per sample at depths 10, 30 and
# 100, the per-PC rule cache against libunwind alone, in one run. Not a
# test. The snapshot helpers and the workload are the unwinder tests'
# (tests/unwind), built -O2 -fomit-frame-pointer like them, so the
# recursion is described by DWARF CFI only.
add_executable(bench_unwind ${CMAKE_CURRENT_LIST_DIR}/unwind.c
    ${CMAKE_SOURCE_DIR}/tests/unwind/workload.c
    ${CMAKE_SOURCE_DIR}/tests/unwind/snap.c)
target_compile_options(bench_unwind PRIVATE -O2 -fomit-frame-pointer
    ${PROF_WARNINGS})
target_include_directories(bench_unwind PRIVATE ${CMAKE_SOURCE_DIR}
    ${CMAKE_SOURCE_DIR}/tests/unwind)
target_compile_definitions(bench_unwind PRIVATE _GNU_SOURCE)
target_link_libraries(bench_unwind PRIVATE prof_static)
