// A log of `strace -f -ttt -T -xx` read back as system calls, for tests
// that check the order in which the real binary did things (the WAL synced
// before a 202 is sent). Each call has the time strace saw it enter and
// the time it returned (entry + its -T duration); a call another thread
// interrupted ("<unfinished ...>", then "<... resumed>") is put together.
//
// The times are strace's: it stops each thread at every traced entry and
// exit and stamps the stop before letting the thread go on, so a call that
// returned before another thread could act on its result (a sync, then a
// send the sync allowed) ends before that other call begins in the log.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace jobsd::testing {

struct SyscallRecord {
  int thread = 0;
  double entry = 0;  // seconds since the epoch, when the call began
  double end = 0;    // when it returned
  std::string name;  // "pwrite64", "fdatasync", ...
  int fd = -1;       // the first argument, when it is a number
  long result = -1;
  // Every string argument, decoded and joined in order (a pwrite64's
  // bytes, a sendmsg's iovecs, an openat's path).
  std::string data;
};

// The calls of a trace written with -xx (every string byte as \xNN) in
// the order they began; lines that are not calls (+++ exited, signals) are
// left out.
std::vector<SyscallRecord> ReadSyscallTrace(const std::filesystem::path& file);
std::vector<SyscallRecord> ParseSyscallTrace(const std::string& text);

}  // namespace jobsd::testing
