# Generates a C++ source that defines `std::string_view FUNCTION()` in
# NAMESPACE, returning the bytes of one text file, so the binary serves it
# without reading files at run time. Run at build time:
#   cmake -DINPUT=<file> -DOUTPUT=<file.cc> -DHEADER=<declaring header>
#         -DNAMESPACE=<C++ namespace> -DFUNCTION=<name> -P embed_text.cmake
cmake_minimum_required(VERSION 3.25)

set(delimiter "jobsd_text")
file(READ "${INPUT}" text)
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter")
endif()
get_filename_component(input_name "${INPUT}" NAME)

set(content "// Generated from ${input_name} by cmake/embed_text.cmake. Do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() {
  static constexpr std::string_view kText = R\"${delimiter}(${text})${delimiter}\";
  return kText;
}

}  // namespace ${NAMESPACE}
")

# Only touch the output when it changed, so unrelated builds stay no-ops.
set(temp "${OUTPUT}.tmp")
file(WRITE "${temp}" "${content}")
file(COPY_FILE "${temp}" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${temp}")
