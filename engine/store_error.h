// The failure of a store, whatever the backend: every storage port throws
// StoreError, and callers decide from its fault and `transient` flag
// whether to retry and what to tell a client.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace jobsd {

// What kind of trouble a StoreError is, so that callers can tell clients
// (and job errors) what is wrong in words without internals: what() holds
// the backend's message for the log, which may name files or statements.
enum class StoreFault {
  kOther,     // a bug, corruption, a schema problem: internal
  kBusy,      // another process held the write lock past the wait
  kDiskFull,  // no space left on the store's file system
  kReadOnly,  // the store's file or directory cannot be written
  kIo,        // a read or write of the store failed
  kMoved,     // the store file was removed or replaced while open
  kStopping,  // the wait for the lock was cut short by shutdown
};

// A failure of the store itself. `transient` is true for what may pass when
// retried (busy, I/O error, disk full), false for bugs and corruption.
class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, bool transient, StoreFault fault = StoreFault::kOther)
      : std::runtime_error(what), transient_(transient), fault_(fault) {}
  bool transient() const { return transient_; }
  StoreFault fault() const { return fault_; }

 private:
  bool transient_;
  StoreFault fault_;
};

// A sentence about `fault` that is safe to show a client: no paths, no SQL.
std::string_view DescribeStoreFault(StoreFault fault);

}  // namespace jobsd
