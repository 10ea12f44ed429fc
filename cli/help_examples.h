// The "Examples:" block of each command's --help, in one place so that a
// newcomer sees the commands work together (and a test checks that every
// command has some and that the commands in them exist).
#pragma once

#include <string_view>

namespace jobsd::cli {

// Lines of "# what it does" comments and commands, for `path` ("orders
// import"; "" for `jobsd --help`); "" when none are written.
std::string_view HelpExamples(std::string_view path);

}  // namespace jobsd::cli
