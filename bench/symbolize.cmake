# bench/symbolize (issue 5): native symbolization throughput (distinct PCs
# per second, cold and warm) and its memory, on a profile of
# /usr/bin/python3.11 and on libc's DWARF (libc6-dbg); then the export of
# a 1,000,000-sample, 20,000-PC profile. Not a test. Run:
#   bench_symbolize $<TARGET_FILE:prof> [PYTHON_SECONDS]
# It links libprof's objects to reach the internal symbolizer.
add_executable(bench_symbolize ${CMAKE_CURRENT_LIST_DIR}/symbolize.c
               ${CMAKE_CURRENT_LIST_DIR}/symbolize_export.c
               ${PROF_OBJECTS})
target_include_directories(bench_symbolize PRIVATE ${CMAKE_SOURCE_DIR}
    ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR} ${UNWIND_INCLUDE_DIRS})
target_compile_options(bench_symbolize PRIVATE -O2 ${PROF_WARNINGS})
target_compile_definitions(bench_symbolize PRIVATE _GNU_SOURCE)
target_link_libraries(bench_symbolize PRIVATE PkgConfig::JANSSON
    PkgConfig::LIBDW PkgConfig::PROTOBUFC PkgConfig::ZLIB PkgConfig::LZMA Threads::Threads
    ${CMAKE_DL_LIBS} rt m)
if(TARGET prof_proto_gen)
  add_dependencies(bench_symbolize prof_proto_gen)
endif()
add_dependencies(bench_symbolize prof)
