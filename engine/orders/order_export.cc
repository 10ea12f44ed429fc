#include "engine/orders/order_export.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "engine/byte_size.h"
#include "engine/orders/csv_writer.h"
#include "engine/filter.h"
#include "engine/queue/job_store.h"
#include "engine/random.h"

namespace jobsd {
namespace {

namespace fs = std::filesystem;

// Thrown from inside the scan when shutdown asks the job to stop.
struct Interrupted {};

// Thrown when writing on would leave less than --min-free-disk free.
struct FreeDiskReserveReached {
  std::int64_t min_free_disk;
};

// Stops the export before it eats into the free space kept for everything
// else on the exports' file system. statvfs is asked every
// kFreeDiskCheckBytes written, not per row.
class FreeDiskGuard {
 public:
  FreeDiskGuard(int fd, std::int64_t min_free_disk) : fd_(fd), min_free_disk_(min_free_disk) {}

  // Throws FreeDiskReserveReached when writing `coming` more bytes could
  // leave less than the reserve free.
  void Check(std::int64_t coming) const {
    if (min_free_disk_ <= 0) return;
    struct statvfs stats {};
    if (::fstatvfs(fd_, &stats) != 0) {
      throw std::system_error(errno, std::generic_category(), "statvfs");
    }
    // f_bavail: what unprivileged writers may still use (root's reserve
    // is not ours to count on).
    const auto free_bytes = static_cast<long double>(stats.f_bavail) * stats.f_frsize;
    if (free_bytes - static_cast<long double>(coming) < static_cast<long double>(min_free_disk_)) {
      throw FreeDiskReserveReached{min_free_disk_};
    }
  }

 private:
  int fd_;
  std::int64_t min_free_disk_;
};

class CsvSink final : public OrderRowSink {
 public:
  CsvSink(CsvWriter& writer, const JobContext& context, const FreeDiskGuard& disk)
      : writer_(writer), context_(context), disk_(disk) {}

  // What may reach the disk before the next check: the writer's buffer
  // and the next stretch.
  static constexpr std::int64_t kComing =
      kFreeDiskCheckBytes + static_cast<std::int64_t>(CsvWriter::kDefaultBufferSize);

  void OnRow(const ColumnValue* values) override {
    writer_.WriteRow(values);
    if (++rows_ % OrderExportJob::kStopCheckRows == 0 && context_.stop_requested &&
        context_.stop_requested()) {
      throw Interrupted{};
    }
    if (writer_.bytes() >= next_disk_check_) {
      disk_.Check(kComing);
      next_disk_check_ = writer_.bytes() + kFreeDiskCheckBytes;
    }
  }

 private:
  CsvWriter& writer_;
  const JobContext& context_;
  const FreeDiskGuard& disk_;
  std::int64_t rows_ = 0;
  std::int64_t next_disk_check_ = kFreeDiskCheckBytes;
};

// Closes the descriptor and removes the temporary file unless released:
// whatever goes wrong, no half-written file is left behind.
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "open");
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    CloseQuietly();
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  int fd() const { return fd_; }

  void SyncAndClose() {
    if (::fsync(fd_) != 0) throw std::system_error(errno, std::generic_category(), "fsync");
    const int fd = fd_;
    fd_ = -1;
    // close() can report a deferred write error (NFS); treat it like one.
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close");
  }

  // Renames into place; from here on the file is not ours to delete.
  void RenameTo(const fs::path& target) {
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      throw std::system_error(errno, std::generic_category(), "rename");
    }
    path_.clear();
  }

 private:
  void CloseQuietly() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  fs::path path_;
  int fd_ = -1;
};

// Makes the rename durable: without this a crash could lose the directory
// entry even though the job was already marked success.
void SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open directory");
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) throw std::system_error(saved, std::generic_category(), "fsync directory");
}

}  // namespace

void OrderExportJob::ValidateFilter(std::string_view filter) const {
  (void)filter::Parse(filter, filter::OrderFields());
}

JobOutcome OrderExportJob::Run(const JobContext& context) {
  const fs::path dir = fs::absolute(context.exports_dir).lexically_normal();
  try {
    // A filter that was valid at submission stays valid; if the catalog has
    // changed since, the job cannot succeed on any retry.
    filter::Filter parsed;
    try {
      parsed = filter::Parse(context.job.filter, filter::OrderFields());
    } catch (const filter::FilterError& e) {
      return JobOutcome::Failed("Could not parse the supplied filter: " + std::string(e.what()));
    }

    fs::create_directories(dir);
    TempFile temp(dir / (".tmp-" + context.job.id + "-" + RandomHex(8) + ".csv"));
    const FreeDiskGuard disk(temp.fd(), min_free_disk_);
    disk.Check(CsvSink::kComing);
    CsvWriter writer(temp.fd());
    writer.WriteHeader();
    CsvSink sink(writer, context, disk);
    const std::int64_t rows = store_.ScanOrders(parsed, sink);
    writer.Flush();
    if (rows == 0) {
      return JobOutcome::Failed(std::string(kNoResultsError));  // ~TempFile unlinks it
    }
    temp.SyncAndClose();
    // Each attempt gets its own name: if this worker lost its lease and
    // another attempt of the same job finished, our file never replaces
    // theirs, and ours is deleted when the store refuses our result.
    const std::string file_token = RandomHex(16);
    const fs::path target = dir / (context.job.id + "-" + file_token.substr(0, 8) + ".csv");
    temp.RenameTo(target);
    SyncDirectory(dir);
    return JobOutcome::Success(target.string(), file_token, rows);
  } catch (const FreeDiskReserveReached& e) {
    // Not retried: the space is taken by something other than this job,
    // and an operator has to make room. No path: clients see this.
    const std::string reserve = FormatByteSize(e.min_free_disk);
    return JobOutcome::Failed(
        "Export stopped: the exports disk is full down to its reserve (going on "
        "would leave less than " +
        reserve + " free, --min-free-disk " + reserve +
        "); free some space, then submit the job again");
  } catch (const Interrupted&) {
    return JobOutcome::Retry("interrupted by shutdown");
  } catch (const std::system_error& e) {
    // The job's error is shown to clients: it says what went wrong, the
    // log gets where (the directory is an internal of this host).
    const std::string detail = "cannot write the export file in " + dir.string() + ": " + e.what();
    const bool disk_full =
        e.code() == std::errc::no_space_on_device ||
        (e.code().category() == std::generic_category() && e.code().value() == EDQUOT);
    if (disk_full) {
      // Retrying would fill the disk again, and an export must never fill
      // it (API.md section 15): fail, the partial file already removed.
      JobOutcome outcome = JobOutcome::Failed("The export could not be written: the disk is full");
      outcome.detail = detail;
      return outcome;
    }
    // Other I/O errors (EIO, even permissions being fixed by an operator)
    // may pass; the attempt limit bounds the retries.
    JobOutcome outcome =
        JobOutcome::Retry("The export could not be written: " + e.code().message());
    outcome.detail = detail;
    return outcome;
  } catch (const StoreError& e) {
    const std::string message =
        "The orders could not be read: " + std::string(DescribeStoreFault(e.fault()));
    JobOutcome outcome = e.transient() ? JobOutcome::Retry(message) : JobOutcome::Failed(message);
    outcome.detail = e.what();
    return outcome;
  } catch (const std::exception& e) {
    JobOutcome outcome = JobOutcome::Failed("The export failed unexpectedly");
    outcome.detail = e.what();
    return outcome;
  }
}

}  // namespace jobsd
