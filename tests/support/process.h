// Runs the real jobsd binary (or any program) from tests: to completion with
// its output captured, or in the background to be signalled or killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jobsd::testing {

// build/jobsd, as built next to the tests.
std::string JobsdBinary();

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs to completion. `env` entries are added to (or override) the test's
// environment; `input` is written to its standard input.
RunResult Run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              const std::string& input = "");

// A program running in the background, its standard output and error sent to
// files so nothing blocks. The destructor kills it (SIGKILL) if still running.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::string& log_prefix,
             const std::map<std::string, std::string>& env = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  // Waits for exit up to `timeout`; nullopt if it is still running.
  std::optional<RunResult> Wait(std::chrono::milliseconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;
  // Waits until standard output contains `text`; false on timeout or exit.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string out_path_, err_path_;
};

}  // namespace jobsd::testing
