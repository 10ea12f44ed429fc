#include "storage/sqlite/wal_change_counter.h"

#include <sqlite3.h>

namespace jobsd::storage {
namespace {

// The WAL index's header (walformat.html): two copies of 48 bytes at the
// start of region 0 of the -shm file, whose regions are 32 KiB.
constexpr int kShmRegionBytes = 32768;
constexpr std::uint32_t kWalIndexVersion = 3007000;  // the header's first word

}  // namespace

std::uint64_t WalChangeCounter::Read() {
  Header header;
  if (ReadHeader(header)) {
    std::lock_guard lock(mutex_);
    if (!seen_header_ || header != last_header_) {
      last_header_ = header;
      seen_header_ = true;
      ++version_;
    }
    return version_;
  }
  std::lock_guard lock(mutex_);
  return ReadThroughTransaction();
}

// As SQLite's readers do (walIndexTryHdr): a writer stores the second copy,
// then the first; the first read, then the second, agree only when no write
// was in between. The first copy's words are read with acquire loads, so
// that no read of the second copy moves before them (SQLite puts a memory
// barrier there; a fence would do the same, but ThreadSanitizer cannot
// follow fences). The words are written by SQLite, in this or another
// process, outside anything C++ can order.
bool WalChangeCounter::ReadHeader(Header& header) const {
  const std::uint32_t* words = header_.load(std::memory_order_acquire);
  if (words == nullptr) return false;
  Header second;
  for (int i = 0; i < kHeaderWords; ++i) header[i] = __atomic_load_n(&words[i], __ATOMIC_ACQUIRE);
  for (int i = 0; i < kHeaderWords; ++i) {
    second[i] = __atomic_load_n(&words[kHeaderWords + i], __ATOMIC_RELAXED);
  }
  return header == second && header[0] == kWalIndexVersion;
}

// Changes when another connection commits; this one never writes, so
// every commit counts.
std::int64_t WalChangeCounter::ReadDataVersion() {
  auto version = connection_->Prepare("PRAGMA data_version");
  version->Step();
  return version->ColumnInt64(0);
}  // the loan ends: reset, and the read transaction with it

std::uint64_t WalChangeCounter::ReadThroughTransaction() {
  if (connection_ == nullptr) {
    connection_ = open_();
    ReadDataVersion();  // SQLite maps the -shm file for its first read
    MapHeader();
  }
  // The header as it was before data_version is read: a commit in between
  // moves data_version now and the header at the next Read (once more than
  // needed, never less), so Read does not count as new a header this call
  // has already accounted for.
  Header header;
  const bool have_header = ReadHeader(header);
  const std::int64_t data_version = ReadDataVersion();
  if (data_version != last_data_version_) {
    last_data_version_ = data_version;
    ++version_;
  }
  if (have_header) {
    last_header_ = header;
    seen_header_ = true;
  }
  return version_;
}

// After a read transaction, SQLite has region 0 of the -shm file mapped for
// this connection; asking for it again without extending returns that
// mapping, which stays until the connection closes.
void WalChangeCounter::MapHeader() {
  {
    auto mode = connection_->Prepare("PRAGMA journal_mode");
    if (!mode->Step() || mode->ColumnText(0) != "wal") return;
  }
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(connection_->get(), "main", SQLITE_FCNTL_FILE_POINTER, &file) !=
          SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
      file->pMethods->xShmMap == nullptr) {
    return;
  }
  void volatile* region = nullptr;
  if (file->pMethods->xShmMap(file, 0, kShmRegionBytes, 0, &region) != SQLITE_OK ||
      region == nullptr) {
    return;
  }
  // SQLite reads and writes the header through volatile pointers as plain
  // words; the region is at least page-aligned.
  header_.store(const_cast<const std::uint32_t*>(static_cast<volatile std::uint32_t*>(region)),
                std::memory_order_release);
}

}  // namespace jobsd::storage
