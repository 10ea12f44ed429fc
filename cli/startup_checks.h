// What `serve` checks before it says it is ready (the README's "Security and limits"), so
// that a store or exports folder it cannot use ends the start with one
// line that says why, instead of a server that answers 500 to every write
// or fails every export.
#pragma once

#include <filesystem>
#include <string>

namespace jobsd::cli {

// Creates the exports folder when missing, then writes (and removes) a
// temporary file in it. Throws UsageError (exit 2) when the value names a
// file, CommandError (exit 1) when the folder cannot be made or written.
// `source` names the option or variable (--exports, JOBSD_EXPORTS).
void CheckExportsDir(const std::filesystem::path& dir, const std::string& source);

}  // namespace jobsd::cli
