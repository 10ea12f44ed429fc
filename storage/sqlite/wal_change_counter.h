// The SQLite job store's ChangeVersion, read from the WAL index's header.
//
// The HTTP server asks for it on every poll of /v2/jobs that it answers
// from the list cache. Asked through `PRAGMA data_version`, it took a read
// transaction (two fcntl locks on the -shm file) under a mutex every HTTP
// thread shared: 64 connections polling a cached page of 10 got 54-58k
// answers/s at 22.5 us of server CPU each, and 72-75k at 18 us without. In WAL
// mode every commit, by any connection of any process, rewrites the header
// at the start of the -shm file (its frame count, salts, checksums and a
// change counter), and SQLite keeps that file mapped for each connection.
// So this reads the header's two copies from the mapping SQLite already
// made for its connection (xShmMap), as SQLite's own readers do: the
// copies agree once a writer is done, and an answer that differs from the
// last one seen moves the version on.
//
// Where the header cannot be read (not WAL, a VFS without shared memory, a
// format this code does not know, or a writer between the two copies), it
// asks `PRAGMA data_version` as before. The layout is SQLite's documented
// WAL-index format (https://sqlite.org/walformat.html, "The WAL-Index
// Header"), stable since 3.7.0.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

class WalChangeCounter {
 public:
  using Opener = std::function<std::unique_ptr<sqlite::Connection>()>;

  // `open` makes the read-only-used connection, on the first Read.
  explicit WalChangeCounter(Opener open) : open_(std::move(open)) {}

  // A number that differs from every earlier answer once any connection
  // has committed since; thread-safe.
  std::uint64_t Read();

  // Whether Read now reads the header (tests and the README's claim).
  bool ReadsSharedMemory() const { return header_.load(std::memory_order_acquire) != nullptr; }

 private:
  static constexpr int kHeaderWords = 12;  // one 48-byte copy
  using Header = std::array<std::uint32_t, kHeaderWords>;

  bool ReadHeader(Header& header) const;
  std::uint64_t ReadThroughTransaction();  // needs mutex_
  std::int64_t ReadDataVersion();          // needs mutex_
  void MapHeader();                        // needs mutex_

  Opener open_;
  std::atomic<const std::uint32_t*> header_{nullptr};  // SQLite's mapping, or null
  std::mutex mutex_;
  std::unique_ptr<sqlite::Connection> connection_;  // guarded by mutex_; owns the mapping
  Header last_header_{};                            // guarded by mutex_
  bool seen_header_ = false;                        // guarded by mutex_
  std::int64_t last_data_version_ = -1;             // guarded by mutex_
  std::uint64_t version_ = 0;                       // guarded by mutex_
};

}  // namespace jobsd::storage
