#include "storage/files/local_artifact_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <set>
#include <system_error>
#include <utility>

#include "engine/random.h"

namespace jobsd::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTemporaryPrefix = ".tmp-";

[[noreturn]] void ThrowErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Makes a rename durable: without this a crash could lose the directory
// entry even though the job was already marked success.
void SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("open directory");
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw std::system_error(saved, std::generic_category(), "fsync directory");
}

// The published files of this store are those with the extension of an
// artifact it writes; anything else in the directory (notes.txt) is not
// ours to sweep.
bool IsPublishedName(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
}

std::string ExtensionOf(const std::string& file_name) {
  return fs::path(file_name).extension().string();
}

class LocalArtifactWriter final : public ArtifactWriter {
 public:
  LocalArtifactWriter(fs::path dir, ArtifactSpec spec, std::int64_t min_free_disk)
      : dir_(std::move(dir)), spec_(std::move(spec)), min_free_disk_(min_free_disk) {
    fs::create_directories(dir_);
    temp_ = dir_ / (std::string(kTemporaryPrefix) + spec_.job_id + "-" + RandomHex(8) +
                    ExtensionOf(spec_.file_name));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      temp_.clear();
      ThrowErrno("open");
    }
    CheckFreeSpace();  // throws: the destructor is not run, so clean up here
  }
  LocalArtifactWriter(const LocalArtifactWriter&) = delete;
  LocalArtifactWriter& operator=(const LocalArtifactWriter&) = delete;
  ~LocalArtifactWriter() override { Abort(); }

  void Write(std::string_view bytes) override {
    const char* data = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        ThrowErrno("write");
      }
      data += n;
      left -= static_cast<std::size_t>(n);
      written_ += n;
    }
    if (written_ >= next_check_) {
      CheckFreeSpace();
      next_check_ = written_ + kFreeDiskCheckBytes;
    }
  }

  Artifact Commit() override {
    if (::fsync(fd_) != 0) ThrowErrno("fsync");
    const int fd = fd_;
    fd_ = -1;
    // close() can report a deferred write error (NFS); treat it like one.
    if (::close(fd) != 0) ThrowErrno("close");
    Artifact artifact;
    artifact.token = RandomHex(16);
    // Each commit gets its own name: if a worker lost its lease and another
    // attempt of the same job finished, this file never replaces theirs.
    const fs::path target =
        dir_ / (spec_.job_id + "-" + artifact.token.substr(0, 8) + ExtensionOf(spec_.file_name));
    if (::rename(temp_.c_str(), target.c_str()) != 0) ThrowErrno("rename");
    temp_.clear();  // from here on the file is not ours to delete
    SyncDirectory(dir_);
    artifact.key = target.string();
    artifact.content_type = spec_.content_type;
    artifact.file_name = spec_.file_name;
    artifact.size = written_;
    return artifact;
  }

  void Abort() noexcept override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
  }

 private:
  // Throws FreeSpaceReserveReached when writing kHeadroomBytes more could
  // leave less than the reserve free. Aborts first, so that a throw from
  // the constructor leaves nothing either.
  void CheckFreeSpace() {
    if (min_free_disk_ <= 0) return;
    struct statvfs stats {};
    if (::fstatvfs(fd_, &stats) != 0) {
      const int saved = errno;
      Abort();
      throw std::system_error(saved, std::generic_category(), "statvfs");
    }
    // f_bavail: what unprivileged writers may still use (root's reserve is
    // not ours to count on).
    const auto free_bytes = static_cast<long double>(stats.f_bavail) * stats.f_frsize;
    const auto coming = static_cast<long double>(LocalArtifactStore::kHeadroomBytes);
    if (free_bytes - coming < static_cast<long double>(min_free_disk_)) {
      Abort();
      throw FreeSpaceReserveReached(min_free_disk_);
    }
  }

  fs::path dir_;
  ArtifactSpec spec_;
  std::int64_t min_free_disk_;
  fs::path temp_;  // empty once renamed or removed
  int fd_ = -1;
  std::int64_t written_ = 0;
  std::int64_t next_check_ = kFreeDiskCheckBytes;
};

class LocalArtifactReader final : public ArtifactReader {
 public:
  LocalArtifactReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  LocalArtifactReader(const LocalArtifactReader&) = delete;
  LocalArtifactReader& operator=(const LocalArtifactReader&) = delete;
  ~LocalArtifactReader() override { ::close(fd_); }

  std::uint64_t size() const override { return size_; }

  std::size_t ReadAt(std::uint64_t offset, char* out, std::size_t length) override {
    for (;;) {
      const ssize_t n = ::pread(fd_, out, length, static_cast<off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) ThrowErrno("read");
    }
  }

 private:
  int fd_;
  std::uint64_t size_;
};

}  // namespace

LocalArtifactStore::LocalArtifactStore(fs::path dir, std::int64_t min_free_disk)
    : dir_(fs::absolute(dir).lexically_normal()), min_free_disk_(min_free_disk) {}

std::unique_ptr<ArtifactWriter> LocalArtifactStore::Begin(const ArtifactSpec& spec) {
  return std::make_unique<LocalArtifactWriter>(dir_, spec, min_free_disk_);
}

std::unique_ptr<ArtifactReader> LocalArtifactStore::Open(std::string_view key) {
  // The open descriptor keeps the bytes readable even if retention
  // unlinks the file mid-download.
  const std::string path(key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;  // gone (expired and swept)
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<LocalArtifactReader>(fd, static_cast<std::uint64_t>(st.st_size));
}

bool LocalArtifactStore::Delete(std::string_view key) {
  std::error_code ec;
  const bool removed = fs::remove(fs::path(key), ec);
  if (ec) throw std::system_error(ec, "remove");
  return removed;
}

std::vector<std::string> LocalArtifactStore::ListOrphans(
    const std::vector<std::string>& referenced) {
  std::vector<std::string> orphans;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return orphans;
  // Compared as canonical paths: the same file under another spelling of
  // the directory (a symlink, a trailing slash) is still referenced.
  std::set<std::string> kept;
  for (const std::string& key : referenced) kept.insert(fs::weakly_canonical(key, ec).string());
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    const bool temporary = name.rfind(kTemporaryPrefix, 0) == 0;
    if (!temporary && !IsPublishedName(name)) continue;  // not ours
    if (!temporary && kept.count(fs::weakly_canonical(entry.path(), ec).string()) > 0) continue;
    orphans.push_back(entry.path().string());
  }
  return orphans;
}

}  // namespace jobsd::storage
