#include "cli/args.h"

#include <cstdlib>

#include "cli/help_examples.h"

namespace jobsd::cli {
namespace {

const OptionSpec* FindOption(const CommandSpec& spec, std::string_view name) {
  for (const OptionSpec& option : spec.options) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

std::string CommandName(const CommandSpec& spec) { return "jobsd " + std::string(spec.path); }

}  // namespace

std::optional<std::string> ParsedArgs::Get(std::string_view name) const {
  if (auto it = given_.find(name); it != given_.end()) return it->second;
  const OptionSpec* option = spec_ ? FindOption(*spec_, name) : nullptr;
  if (option && !option->env.empty()) {
    if (const char* value = std::getenv(std::string(option->env).c_str())) return value;
  }
  return std::nullopt;
}

bool ParsedArgs::Flag(std::string_view name) const { return given_.count(name) > 0; }

std::vector<std::string> ParsedArgs::GetAll(std::string_view name) const {
  auto it = all_given_.find(name);
  return it == all_given_.end() ? std::vector<std::string>() : it->second;
}

std::string ParsedArgs::SourceOf(std::string_view name) const {
  if (given_.count(name) > 0) return "--" + std::string(name);
  const OptionSpec* option = spec_ ? FindOption(*spec_, name) : nullptr;
  if (option && !option->env.empty()) return std::string(option->env);
  return "--" + std::string(name);
}

ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& args) {
  ParsedArgs parsed;
  parsed.spec_ = &spec;
  bool only_positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!only_positionals && (arg == "--help" || arg == "-h")) {
      parsed.help = true;
      return parsed;
    }
    if (!only_positionals && arg == "--") {
      only_positionals = true;
      continue;
    }
    if (only_positionals || arg.size() < 2 || arg[0] != '-' || arg == "-") {
      parsed.positionals.push_back(arg);
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      throw UsageError(CommandName(spec) + ": unknown option " + arg + " (see --help)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionSpec* option = FindOption(spec, name);
    if (option == nullptr) {
      throw UsageError(CommandName(spec) + ": unknown option --" + name + " (see --help)");
    }
    if (parsed.given_.count(name) > 0 && !option->repeatable) {
      throw UsageError(CommandName(spec) + ": --" + name + " given more than once");
    }
    if (option->value_name.empty()) {
      if (inline_value) {
        throw UsageError(CommandName(spec) + ": --" + name + " takes no value");
      }
      parsed.given_[name] = "";
      parsed.all_given_[name].push_back("");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        throw UsageError(CommandName(spec) + ": --" + name + " needs a value (" +
                         std::string(option->value_name) + ")");
      }
      inline_value = args[++i];
    }
    parsed.given_[name] = *inline_value;
    parsed.all_given_[name].push_back(*inline_value);
  }
  if (parsed.positionals.size() < spec.min_positionals) {
    throw UsageError(CommandName(spec) + ": missing argument " + std::string(spec.usage) +
                     " (see --help)");
  }
  if (parsed.positionals.size() > spec.max_positionals) {
    throw UsageError(CommandName(spec) + ": unexpected argument '" +
                     parsed.positionals[spec.max_positionals] + "' (see --help)");
  }
  return parsed;
}

namespace {

constexpr std::size_t kHelpWidth = 100;
constexpr std::size_t kOptionColumn = 29;  // where an option's description starts

// Appends `text` broken at spaces so that no line passes kHelpWidth; the
// first line continues what `out` holds (`column` characters in), later
// lines start with `indent` spaces. A word longer than a line stays whole.
void AppendWrapped(std::string& out, std::string_view text, std::size_t column,
                   std::size_t indent) {
  bool first_word = true;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (word.empty()) continue;
    if (!first_word && column + 1 + word.size() > kHelpWidth) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (!first_word) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first_word = false;
  }
}

}  // namespace

std::string HelpText(const CommandSpec& spec) {
  std::string out = "Usage: " + CommandName(spec);
  if (!spec.options.empty()) out += " [options]";
  if (!spec.usage.empty()) out += " " + std::string(spec.usage);
  out += "\n\n";
  AppendWrapped(out, spec.summary, 0, 0);
  out += "\n";
  if (!spec.options.empty()) out += "\nOptions:\n";
  for (const OptionSpec& option : spec.options) {
    std::string left = "  --" + std::string(option.name);
    if (!option.value_name.empty()) left += " " + std::string(option.value_name);
    // A long name gets its description on the next line.
    left += left.size() < kOptionColumn - 1 ? std::string(kOptionColumn - left.size(), ' ')
                                            : "\n" + std::string(kOptionColumn, ' ');
    out += left;
    AppendWrapped(out, option.help, kOptionColumn, kOptionColumn);
    std::string where;
    if (!option.env.empty()) where += "env " + std::string(option.env);
    if (!option.default_text.empty()) {
      where +=
          (where.empty() ? "" : ", ") + std::string("default ") + std::string(option.default_text);
    }
    if (!where.empty()) out += "\n" + std::string(kOptionColumn, ' ') + "(" + where + ")";
    out += "\n";
  }
  out += "  --help" + std::string(kOptionColumn - 8, ' ') + "show this help\n";
  if (const std::string_view examples = HelpExamples(spec.path); !examples.empty()) {
    out += "\nExamples:\n";
    std::size_t start = 0;
    while (start <= examples.size()) {
      std::size_t end = examples.find('\n', start);
      if (end == std::string_view::npos) end = examples.size();
      out += "  " + std::string(examples.substr(start, end - start)) + "\n";
      start = end + 1;
    }
  }
  return out;
}

}  // namespace jobsd::cli
