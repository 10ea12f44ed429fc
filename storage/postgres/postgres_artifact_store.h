// ArtifactStore on PostgreSQL: export files kept in the database as rows of
// bytea chunks, each the lz4 block of a fixed-size slice of the file
// (migrations/postgres/0003_artifacts.sql, 0009_artifact_encoding.sql), so
// that every node streams every file (ranges included) and nodes keep
// nothing on their own disks. Writers compress, readers decompress: the
// shared server only stores bytes.
//
// Writing: Begin inserts a 'writing' row under a fresh key; every full chunk
// is inserted by its own short statement (no transaction stays open for a
// whole export), sent without waiting: the server stores it while the
// writer fills the next, whose sending first reads its answer (one chunk in
// flight, memory at two chunks); Commit inserts the last chunk
// and publishes the row with its size in one transaction, so readers see
// all of the file or nothing. Abort (or a writer destroyed uncommitted)
// deletes the row and its chunks. There is no free-space reserve: the
// server's disk is not ours to watch (FreeSpaceReserveReached is never
// thrown; a full server disk fails the write with ENOSPC).
//
// Deleting keeps the port's promise that an open reader reads on: Delete
// turns a published file into a tombstone (no longer opened, its chunks
// kept) and its chunks are purged `deleted_kept_for` later, by the Delete
// calls that come after (each purges a few expired tombstones) and by the
// start-up sweep (ListOrphans lists them). A reader still going after that
// fails with std::system_error (ENOENT), never returns wrong bytes. A file
// still being written is deleted at once: nobody can be reading it.
//
// Orphans: the start-up sweep of any node runs while other nodes write
// files, or have just committed ones their job rows do not name yet (the
// completer records outcomes in batches after Commit). So an orphan is a
// 'writing' file untouched for `stale_after` (its writer died), a published
// one not referenced and published more than `stale_after` ago, or a
// tombstone past `deleted_kept_for`. All times are the server's clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/queue/artifact_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

struct PostgresArtifactOptions {
  // Bytes per chunk: one statement per chunk; a reader holds one chunk in
  // memory, a writer two (the one it fills and the one in flight).
  int chunk_bytes = 1 << 20;
  // A file still 'writing' and untouched this long, or published this long
  // ago and not referenced, is an orphan.
  std::chrono::milliseconds stale_after = std::chrono::minutes(10);
  // How long a deleted file's chunks stay for readers that opened it before.
  std::chrono::milliseconds deleted_kept_for = std::chrono::hours(1);
};

class PostgresArtifactStore final : public ArtifactStore {
 public:
  explicit PostgresArtifactStore(pg::Pool& pool, PostgresArtifactOptions options = {});

  std::unique_ptr<ArtifactWriter> Begin(const ArtifactSpec& spec) override;
  std::unique_ptr<ArtifactReader> Open(std::string_view key) override;
  bool Delete(std::string_view key) override;
  std::vector<std::string> ListOrphans(const std::vector<std::string>& referenced) override;
  std::string Location() const override;
  std::string Describe(std::string_view key) const override;

 private:
  pg::Pool& pool_;
  PostgresArtifactOptions options_;
};

}  // namespace jobsd::storage
