#include "tests/cli/syscall_trace.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace jobsd::testing {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the strings quoted in `args` (strace's C escapes; with -xx every
// byte is \xNN) to `out`.
void AppendQuotedStrings(std::string_view args, std::string& out) {
  bool quoted = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const char c = args[i];
    if (!quoted) {
      if (c == '"') quoted = true;
      continue;
    }
    if (c == '"') {
      quoted = false;
    } else if (c != '\\' || i + 1 >= args.size()) {
      out += c;
    } else if (args[i + 1] == 'x' && i + 3 < args.size() && HexDigit(args[i + 2]) >= 0 &&
               HexDigit(args[i + 3]) >= 0) {
      out += static_cast<char>(HexDigit(args[i + 2]) * 16 + HexDigit(args[i + 3]));
      i += 3;
    } else {
      const char escaped = args[++i];
      out += escaped == 'n' ? '\n' : escaped == 'r' ? '\r' : escaped == 't' ? '\t' : escaped;
    }
  }
}

// "name(args) = result <duration>" (or its resumed tail) into `call`.
void Finish(std::string_view text, SyscallRecord& call, std::string& args) {
  const std::size_t equals = text.rfind(") = ");
  const std::size_t open = text.rfind('<');
  args.append(text.substr(0, equals == std::string_view::npos ? text.size() : equals));
  if (equals != std::string_view::npos) {
    call.result = std::strtol(std::string(text.substr(equals + 4)).c_str(), nullptr, 10);
  }
  if (open != std::string_view::npos && open > equals) {
    call.end = call.entry + std::strtod(std::string(text.substr(open + 1)).c_str(), nullptr);
  } else {
    call.end = call.entry;
  }
}

}  // namespace

std::vector<SyscallRecord> ParseSyscallTrace(const std::string& text) {
  std::vector<SyscallRecord> calls;
  std::map<int, std::pair<SyscallRecord, std::string>> unfinished;  // thread -> call, its args
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    // "<thread> <seconds.micros> <call>"; strace pads the thread column
    // with spaces when thread ids differ in length.
    std::istringstream fields(line);
    int thread = 0;
    double at = 0;
    if (!(fields >> thread >> at)) continue;
    const std::size_t begins =
        line.find_first_not_of(' ', static_cast<std::size_t>(fields.tellg()));
    if (begins == std::string::npos) continue;
    std::string_view rest = std::string_view(line).substr(begins);

    SyscallRecord call;
    std::string args;
    if (rest.rfind("<... ", 0) == 0) {
      auto pending = unfinished.find(thread);
      const std::size_t resumed = rest.find(" resumed>");
      if (pending == unfinished.end() || resumed == std::string_view::npos) continue;
      call = std::move(pending->second.first);
      args = std::move(pending->second.second);
      unfinished.erase(pending);
      Finish(rest.substr(resumed + 9), call, args);
    } else {
      const std::size_t paren = rest.find('(');
      if (paren == std::string_view::npos || rest.front() == '+' || rest.front() == '-') continue;
      call.thread = thread;
      call.entry = at;
      call.name = std::string(rest.substr(0, paren));
      const char* number = rest.data() + paren + 1;
      char* after = nullptr;
      const long fd = std::strtol(number, &after, 10);
      if (after != number) call.fd = static_cast<int>(fd);
      const std::string_view tail = " <unfinished ...>";
      if (rest.size() >= tail.size() && rest.substr(rest.size() - tail.size()) == tail) {
        unfinished[thread] = {std::move(call),
                              std::string(rest.substr(paren, rest.size() - tail.size() - paren))};
        continue;
      }
      Finish(rest.substr(paren), call, args);
    }
    AppendQuotedStrings(args, call.data);
    calls.push_back(std::move(call));
  }
  std::stable_sort(calls.begin(), calls.end(), [](const SyscallRecord& a, const SyscallRecord& b) {
    return a.entry < b.entry;
  });
  return calls;
}

std::vector<SyscallRecord> ReadSyscallTrace(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseSyscallTrace(text.str());
}

}  // namespace jobsd::testing
