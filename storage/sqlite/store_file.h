// Whether the store's path still names the file jobsd opened. Deleting (or
// replacing) a SQLite file under an open connection does not stop SQLite:
// it goes on writing into the unlinked inode, and every write is lost at
// the next start. Comparing the path's device and inode with those seen at
// open time tells us before a write is acknowledged.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace jobsd::storage {

// Throws StoreError (StoreFault::kReadOnly) when the SQLite file at `path`,
// or the directory SQLite must create its -wal and -shm files in, cannot
// be written by this process. A file that does not exist yet is left for
// opening to create (or to say why it cannot).
void CheckStoreFileWritable(const std::filesystem::path& path);

class StoreFileWatch {
 public:
  // Records the identity of the file at `path` now (right after opening it).
  explicit StoreFileWatch(std::filesystem::path path);

  // A sentence for the log when the path no longer names that file (gone,
  // replaced, unreadable), else nullopt. One stat(2).
  std::optional<std::string> Problem() const;
  // Throws StoreError (StoreFault::kMoved, transient) when Problem() has one.
  void Verify() const;

 private:
  std::filesystem::path path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  bool known_ = false;
};

}  // namespace jobsd::storage
