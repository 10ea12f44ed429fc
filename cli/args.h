// Command-line parsing for jobsd's commands: options that may also come
// from environment variables (an option wins over its variable), --help
// everywhere, and precise messages for bad usage (exit code 2).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jobsd::cli {

// Bad usage: unknown option, missing value, bad value. Exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while doing the work. Exit code 1.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // "" for a flag without a value
  std::string_view env;         // "" when no variable sets it
  std::string_view default_text;
  std::string_view help;
  // May be given more than once (--event a --event b); read with GetAll.
  bool repeatable = false;
};

struct CommandSpec {
  std::string_view path;   // "orders import"
  std::string_view usage;  // "FILE|-"
  std::string_view summary;
  std::vector<OptionSpec> options;
  std::size_t min_positionals = 0;
  std::size_t max_positionals = 0;
};

class ParsedArgs {
 public:
  bool help = false;
  std::vector<std::string> positionals;

  // The option's value if given, else its variable's if set, else nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  bool Flag(std::string_view name) const;
  // Every value of a repeatable option, in the order given.
  std::vector<std::string> GetAll(std::string_view name) const;

  // Where a value came from, for error messages: "--workers" or "JOBSD_WORKERS".
  std::string SourceOf(std::string_view name) const;

 private:
  friend ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& args);
  const CommandSpec* spec_ = nullptr;
  std::map<std::string, std::string, std::less<>> given_;  // the last value of each
  std::map<std::string, std::vector<std::string>, std::less<>> all_given_;
};

// Throws UsageError.
ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& args);

std::string HelpText(const CommandSpec& spec);

}  // namespace jobsd::cli
