# bench/python (issue 12): the cost of CPython 3.11 support. A wrapper the
# benchmark runner finds among the bench binaries; it runs Debian's
# /usr/bin/python3.11 under the libprof.so of this build.
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/bench_python
     CONTENT "#!/bin/sh\nexec /usr/bin/python3.11 ${CMAKE_CURRENT_LIST_DIR}/python_cost.py $<TARGET_FILE:prof> \"$@\"\n"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                      GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
