// The access log: one line per request, written to a FILE (stderr) in
// batches, in the format of `--log-format` (engine/log.h):
//   text: access method=GET path=/v2/jobs status=200 duration_ms=0.183417 request_id=...
//   json: {"time":"...","level":"info","msg":"access","method":"GET","path":"/v2/jobs",
//          "status":200,"duration_ms":0.183417,"request_id":"..."}
//
// Why batches: stderr is unbuffered, so a line per request was a write(2)
// per request, a visible share of what a small GET costs. Lines now reach
// the file within kFlushInterval, or sooner once kFlushBytes are waiting,
// and all of them by Flush or the destructor. A line is never split: the
// file receives whole lines, in the order they were logged.
//
// Thread-safe. Write never blocks on the file unless kMaxPendingBytes are
// already waiting (the file is not keeping up), when it writes itself as
// the unbuffered log did.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "engine/log.h"

namespace jobsd::api {

class AccessLog {
 public:
  static constexpr auto kFlushInterval = std::chrono::milliseconds(100);
  static constexpr std::size_t kFlushBytes = 32 * 1024;
  static constexpr std::size_t kMaxPendingBytes = 4 * 1024 * 1024;

  explicit AccessLog(std::FILE* out, LogFormat format = LogFormat::kText);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(std::string_view method, std::string_view path, int status,
             std::chrono::nanoseconds duration, std::string_view request_id);
  // Writes every line logged so far.
  void Flush();

 private:
  void Run(std::stop_token stop);

  std::FILE* out_;
  const LogFormat format_;
  // Held while lines go to the file, so batches keep their order.
  std::mutex write_mutex_;
  std::string writing_;  // guarded by write_mutex_
  std::mutex mutex_;
  std::condition_variable_any wake_;
  // Guarded by mutex_.
  std::string pending_;
  std::jthread flusher_;  // last: starts once the members above exist
};

}  // namespace jobsd::api
