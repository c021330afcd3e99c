# Writes version.cpp (project version and git revision of the source tree). Run at every build in
# script mode by the pottsrbm_version target, so the revision printed in output headers is that
# of the build, not of the last configure; the file is rewritten only when its text changes, so
# an unchanged revision recompiles nothing.
# Inputs: SOURCE_DIR, INPUT (version.cpp.in), OUTPUT, PROJECT_VERSION, GIT_EXECUTABLE (may be empty).
set(POTTSRBM_GIT_REVISION "unknown")
if(GIT_EXECUTABLE AND EXISTS ${SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
    WORKING_DIRECTORY ${SOURCE_DIR}
    OUTPUT_VARIABLE POTTSRBM_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET RESULT_VARIABLE git_result)
  if(NOT git_result EQUAL 0 OR POTTSRBM_GIT_REVISION STREQUAL "")
    set(POTTSRBM_GIT_REVISION "unknown")
  endif()
endif()
configure_file(${INPUT} ${OUTPUT} @ONLY)
