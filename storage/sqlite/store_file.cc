#include "storage/sqlite/store_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/queue/job_store.h"

namespace jobsd::storage {

void CheckStoreFileWritable(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  if (::access(path.c_str(), R_OK | W_OK) != 0) {
    throw StoreError("the store " + path.string() +
                         " cannot be written: the file is not writable by this process (" +
                         std::strerror(errno) + ")",
                     /*transient=*/false, StoreFault::kReadOnly);
  }
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw StoreError("the store " + path.string() + " cannot be written: its directory " +
                         dir.string() +
                         " is not writable by this process, and SQLite must create the -wal and "
                         "-shm files there (" +
                         std::strerror(errno) + ")",
                     /*transient=*/false, StoreFault::kReadOnly);
  }
}

StoreFileWatch::StoreFileWatch(std::filesystem::path path) : path_(std::move(path)) {
  struct stat info {};
  if (::stat(path_.c_str(), &info) == 0) {
    device_ = info.st_dev;
    inode_ = info.st_ino;
    known_ = true;
  }
}

std::optional<std::string> StoreFileWatch::Problem() const {
  if (!known_) return std::nullopt;  // never seen: nothing to compare with
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    if (errno == ENOENT) return "the store file " + path_.string() + " was deleted";
    return "cannot stat the store file " + path_.string() + ": " + std::strerror(errno);
  }
  if (info.st_dev != device_ || info.st_ino != inode_) {
    return "the store file " + path_.string() + " was replaced by another file";
  }
  return std::nullopt;
}

void StoreFileWatch::Verify() const {
  if (auto problem = Problem()) {
    throw StoreError(*problem + "; refusing to write into the file jobsd opened",
                     /*transient=*/true, StoreFault::kMoved);
  }
}

}  // namespace jobsd::storage
