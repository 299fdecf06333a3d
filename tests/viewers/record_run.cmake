# Records one run of the workload in all five formats with the libprof
# CLI, then derives the nanosecond collapsed file from the same run.
# -DLIBPROF=tool -DPROG=workload -DOUT=dir
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(
  COMMAND ${LIBPROF} record -q -F 250 -o ${OUT}/run.speedscope.json
          --format speedscope,d3,collapsed,pprof,html -- ${PROG} 0.6
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "libprof record failed: ${rc}")
endif()
foreach(f run.speedscope.json run.d3.json run.folded run.pb.gz run.html)
  if(NOT EXISTS ${OUT}/${f})
    message(FATAL_ERROR "libprof record wrote no ${f}")
  endif()
endforeach()
set(ENV{LIBPROF_COLLAPSED_WEIGHT} ns)
execute_process(
  COMMAND ${LIBPROF} convert ${OUT}/run.speedscope.json ${OUT}/run_ns.folded
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "libprof convert to nanoseconds failed: ${rc}")
endif()
