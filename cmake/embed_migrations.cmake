# Generates a C++ source holding every migrations/NNNN_name.sql as a raw
# string literal, so the binary carries its schema and needs no files at
# run time. Run at build time:
#   cmake -DSOURCE_DIR=<migrations dir> -DOUTPUT=<file.cc> -DHEADER=<backend>/migrations.h
#         [-DNAMESPACE=<C++ namespace>] -P embed_migrations.cmake
# HEADER declares EmbeddedMigrations() for the backend (one per folder of
# migrations/), in NAMESPACE (jobsd::storage unless given).
cmake_minimum_required(VERSION 3.25)

file(GLOB sql_files "${SOURCE_DIR}/*.sql")
list(SORT sql_files)

if(NOT DEFINED NAMESPACE)
  set(NAMESPACE "jobsd::storage")
endif()
set(delimiter "jobsd_sql")
set(entries "")
foreach(sql_file IN LISTS sql_files)
  get_filename_component(file_name "${sql_file}" NAME)
  if(NOT file_name MATCHES "^([0-9]+)_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration ${file_name}: name must be NNNN_snake_case.sql")
  endif()
  # Strip leading zeros so the number is a plain decimal literal.
  string(REGEX REPLACE "^0+([0-9])" "\\1" version "${CMAKE_MATCH_1}")
  file(READ "${sql_file}" sql)
  string(FIND "${sql}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "migration ${file_name} contains the raw string delimiter")
  endif()
  string(APPEND entries
    "    {${version}, \"${file_name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
endforeach()

set(content "// Generated from migrations/<backend>/*.sql by cmake/embed_migrations.cmake. Do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {

std::span<const Migration> EmbeddedMigrations() {
  static const Migration kMigrations[] = {
${entries}  };
  return kMigrations;
}

}  // namespace ${NAMESPACE}
")

# Only touch the output when it changed, so unrelated builds stay no-ops.
set(temp "${OUTPUT}.tmp")
file(WRITE "${temp}" "${content}")
file(COPY_FILE "${temp}" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${temp}")
