#include "storage/sqlite/store_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "engine/queue/job_store.h"

namespace jobsd::storage {

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
