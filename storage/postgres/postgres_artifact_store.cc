#include "storage/postgres/postgres_artifact_store.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "engine/random.h"
#include "storage/postgres/artifact_chunk_codec.h"

namespace jobsd::storage {
namespace {

// The server's clock in nanoseconds: grace periods compare times written by
// different nodes, whose clocks need not agree.
#define JOBSD_NOW_NS "(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint"

// A chunk of a file still being written; touching the row in the same
// statement keeps the file from looking abandoned, and inserts nothing once
// the file is no longer 'writing' (deleted by a sweep that took it for
// abandoned). Idempotent, so a retry after a lost connection is safe.
//
// Its commit does not wait for the WAL flush (synchronous_commit off for
// this transaction alone): nobody is told a chunk is stored, only that the
// file is published, and the publishing commit waits for the flush of all
// WAL before it, chunks included. Each chunk used to cost an fsync, about
// 100 for a 200,000-order export (35 now, the WAL writer's); alternating
// runs: 1.17-1.34 s before, 1.09-1.31 s after, mean 1.26 s -> 1.17 s. A
// server that crashes loses the chunks not yet flushed while the writer's
// retry goes on with the next one: publication counts the chunks
// (CheckEveryChunkIsStored) and fails the file instead.
const std::string kInsertChunk =
    "WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),"
    " live AS (UPDATE artifacts SET touched_at = " JOBSD_NOW_NS
    " WHERE key = $1 AND state = 'writing' RETURNING key)"
    " INSERT INTO artifact_chunks (key, seq, data) SELECT key, $2, $3 FROM live, async"
    " ON CONFLICT (key, seq) DO UPDATE SET data = excluded.data";

std::int64_t Nanoseconds(std::chrono::milliseconds duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

// The port speaks std::system_error for what goes wrong while writing,
// reading and deleting (the export job and retention handle it); the errno
// says what kind of failure it was.
int ErrnoOf(StoreFault fault) {
  switch (fault) {
    case StoreFault::kDiskFull:
      return ENOSPC;
    case StoreFault::kReadOnly:
      return EROFS;
    case StoreFault::kBusy:
      return EBUSY;
    default:
      return EIO;
  }
}

template <typename Work>
auto AsSystemError(std::string_view what, Work&& work) {
  try {
    return work();
  } catch (const StoreError& e) {
    throw std::system_error(ErrnoOf(e.fault()), std::generic_category(),
                            std::string(what) + ": " + e.what());
  }
}

std::string WriterName() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");
  return std::string(host) + ":" + std::to_string(::getpid());
}

class PostgresArtifactWriter final : public ArtifactWriter {
 public:
  PostgresArtifactWriter(pg::Pool& pool, std::string key, ArtifactSpec spec, int chunk_bytes)
      : pool_(pool), key_(std::move(key)), spec_(std::move(spec)), chunk_bytes_(chunk_bytes) {
    buffer_.reserve(static_cast<std::size_t>(chunk_bytes_));
  }
  PostgresArtifactWriter(const PostgresArtifactWriter&) = delete;
  PostgresArtifactWriter& operator=(const PostgresArtifactWriter&) = delete;
  ~PostgresArtifactWriter() override { Abort(); }

  void Write(std::string_view bytes) override {
    if (done_) throw std::logic_error("artifact writer: Write after Commit or Abort");
    while (!bytes.empty()) {
      const std::size_t room = static_cast<std::size_t>(chunk_bytes_) - buffer_.size();
      const std::size_t take = std::min(room, bytes.size());
      buffer_.append(bytes.data(), take);
      bytes.remove_prefix(take);
      if (buffer_.size() == static_cast<std::size_t>(chunk_bytes_)) FlushChunk();
    }
  }

  Artifact Commit() override {
    if (done_) throw std::logic_error("artifact writer: Commit after Commit or Abort");
    FinishChunkInFlight();
    const std::int64_t size = written_ + static_cast<std::int64_t>(buffer_.size());
    compressor_.Compress(buffer_, in_flight_);  // the last chunk: nothing is in flight any more
    const pg::Params chunk = pg::Params().Add(key_).Add(next_seq_).AddBytes(in_flight_);
    const pg::Params publish = pg::Params().Add(key_).Add(size);
    AsSystemError("cannot publish " + key_, [&] {
      pg::WithConnection(pool_, [&](pg::Connection& connection) {
        pg::Transaction transaction(connection);
        if (InsertLastChunkAndPublish(connection, chunk, publish)) {
          CheckEveryChunkIsStored(connection, next_seq_ + (buffer_.empty() ? 0 : 1));
          transaction.Commit();
        } else if (!PublishedEarlier(connection, size)) {
          throw std::system_error(ENOENT, std::generic_category(),
                                  "artifact " + key_ + " was deleted while being written");
        }
      });
    });
    done_ = true;
    std::string().swap(buffer_);
    Artifact artifact;
    artifact.key = key_;
    artifact.token = RandomHex(16);
    artifact.content_type = spec_.content_type;
    artifact.file_name = spec_.file_name;
    artifact.size = size;
    return artifact;
  }

  void Abort() noexcept override {
    if (done_) return;
    done_ = true;
    std::string().swap(buffer_);
    try {
      // Its answer, whatever it is, so that the connection goes back to
      // the pool with nothing running on it.
      if (in_flight_lease_.has_value()) (*in_flight_lease_)->Receive();
    } catch (...) {
    }
    in_flight_lease_.reset();
    std::string().swap(in_flight_);
    try {
      // Nobody can be reading a file not yet published: gone at once.
      // One try: a destructor must not wait out a server that is gone.
      pg::WithConnection(
          pool_,
          [&](pg::Connection& connection) {
            connection.Run("DELETE FROM artifacts WHERE key = $1 AND state = 'writing'",
                           pg::Params().Add(key_));
          },
          /*attempts=*/1);
    } catch (...) {
      // Left 'writing': the sweep takes it once it is stale.
    }
  }

 private:
  pg::Params InFlightParams() const {
    return pg::Params().Add(key_).Add(in_flight_seq_).AddBytes(in_flight_);
  }

  // Chunks are pipelined: a full chunk is sent and left to the server,
  // which stores it while the job fills the next one; its answer is read
  // before the next chunk is sent. One chunk in flight at a time keeps the
  // memory at two chunks and the order of the writes.
  void FlushChunk() {
    FinishChunkInFlight();
    compressor_.Compress(buffer_, in_flight_);
    in_flight_bytes_ = buffer_.size();
    buffer_.clear();
    in_flight_seq_ = next_seq_++;
    try {
      in_flight_lease_.emplace(pool_.Borrow());
      (*in_flight_lease_)->Send(kInsertChunk, InFlightParams());
    } catch (const StoreError&) {
      in_flight_lease_.reset();
      InsertInFlightAgain();  // no pooled connection would take it: tried the patient way
    }
  }

  // Reads the answer to the chunk in flight, if any. A failure to get one
  // (a lost connection, a conflict) tries the insert again the way every
  // other statement is tried (pg::WithConnection): it is idempotent.
  void FinishChunkInFlight() {
    if (!in_flight_lease_.has_value()) return;
    std::int64_t inserted = 0;
    try {
      inserted = (*in_flight_lease_)->Receive().Affected();
      in_flight_lease_.reset();
    } catch (const StoreError&) {
      in_flight_lease_.reset();
      InsertInFlightAgain();
      return;
    }
    ChunkInserted(inserted);
  }

  void InsertInFlightAgain() {
    const pg::Params params = InFlightParams();
    ChunkInserted(AsSystemError("cannot write " + key_, [&] {
      return pg::WithConnection(pool_, [&](pg::Connection& connection) {
        return connection.Run(kInsertChunk, params).Affected();
      });
    }));
  }

  void ChunkInserted(std::int64_t inserted) {
    if (inserted != 1) {
      throw std::system_error(ENOENT, std::generic_category(),
                              "artifact " + key_ + " was deleted while being written");
    }
    written_ += static_cast<std::int64_t>(in_flight_bytes_);
    in_flight_bytes_ = 0;
  }

  // False when the file is no longer 'writing' (swept, or published by an
  // earlier try of this commit).
  bool InsertLastChunkAndPublish(pg::Connection& connection, const pg::Params& chunk,
                                 const pg::Params& publish) const {
    if (!buffer_.empty() && connection.Run(kInsertChunk, chunk).Affected() != 1) return false;
    return connection
               .Run(
                   "UPDATE artifacts SET state = 'published', size = $2,"
                   " published_at = " JOBSD_NOW_NS ", touched_at = " JOBSD_NOW_NS
                   " WHERE key = $1 AND state = 'writing'",
                   publish)
               .Affected() == 1;
  }

  // Throws (EIO) unless the file has exactly `chunks` chunks, 0 to
  // chunks - 1: one whose asynchronous commit a crashed server lost is
  // missing, and the file must not be published without it.
  void CheckEveryChunkIsStored(pg::Connection& connection, int chunks) const {
    const pg::Result row = connection.Run(
        "SELECT count(*), coalesce(max(seq), -1) FROM artifact_chunks WHERE key = $1",
        pg::Params().Add(key_));
    const std::int64_t stored = row.Int64(0, 0);
    if (stored == chunks && row.Int64(0, 1) == chunks - 1) return;
    throw std::system_error(EIO, std::generic_category(),
                            "artifact " + key_ + " has " + std::to_string(stored) + " of its " +
                                std::to_string(chunks) +
                                " chunks (the server restarted while it was written?)");
  }

  // A commit whose COMMIT was sent but whose answer was lost is retried by
  // WithConnection; the retry finds the file already published by itself.
  bool PublishedEarlier(pg::Connection& connection, std::int64_t size) const {
    const pg::Result row =
        connection.Run("SELECT state, size FROM artifacts WHERE key = $1", pg::Params().Add(key_));
    return row.rows() == 1 && row.Text(0, 0) == "published" && row.OptionalInt64(0, 1) == size;
  }

  pg::Pool& pool_;
  const std::string key_;
  const ArtifactSpec spec_;
  const int chunk_bytes_;
  std::string buffer_;  // the chunk being filled: never more than chunk_bytes_
  int next_seq_ = 0;    // buffer_'s
  pg::ChunkCompressor compressor_;
  std::string in_flight_;  // compressed: the chunk sent and not yet answered, or the last one
  std::size_t in_flight_bytes_ = 0;  // the file's bytes in it, while in flight
  int in_flight_seq_ = -1;
  std::optional<pg::Lease> in_flight_lease_;  // the connection it runs on, while it runs
  std::int64_t written_ = 0;                  // bytes in the chunks inserted so far
  bool done_ = false;                         // committed or aborted
};

class PostgresArtifactReader final : public ArtifactReader {
 public:
  PostgresArtifactReader(pg::Pool& pool, std::string key, std::uint64_t size, int chunk_bytes,
                         pg::ChunkEncoding encoding)
      : pool_(pool),
        key_(std::move(key)),
        size_(size),
        chunk_bytes_(chunk_bytes),
        encoding_(encoding) {}

  std::uint64_t size() const override { return size_; }

  std::size_t ReadAt(std::uint64_t offset, char* out, std::size_t length) override {
    std::size_t done = 0;
    while (done < length && offset < size_) {
      const auto seq = static_cast<std::int64_t>(offset / chunk_bytes_);
      const auto within = static_cast<std::size_t>(offset % chunk_bytes_);
      const std::string_view chunk = Chunk(seq);
      const std::size_t n = std::min(length - done, chunk.size() - within);
      std::memcpy(out + done, chunk.data() + within, n);
      done += n;
      offset += n;
    }
    return done;
  }

 private:
  // Chunk `seq`, the file's bytes, fetched once for as long as reads stay in
  // it (a download reads forward: each chunk is fetched once).
  std::string_view Chunk(std::int64_t seq) {
    if (cached_seq_ == seq) return cached_;
    cached_seq_ = -1;
    pg::Result result = AsSystemError("cannot read " + key_, [&] {
      return pg::WithConnection(pool_, [&](pg::Connection& connection) {
        return connection.Run("SELECT data FROM artifact_chunks WHERE key = $1 AND seq = $2",
                              pg::Params().Add(key_).Add(seq), pg::ResultFormat::kBinary);
      });
    });
    if (result.rows() != 1) {
      throw std::system_error(ENOENT, std::generic_category(),
                              "artifact " + key_ + " was deleted and purged while being read");
    }
    const std::uint64_t start = static_cast<std::uint64_t>(seq) * chunk_bytes_;
    const auto expected =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk_bytes_, size_ - start));
    const std::string_view stored = result.Text(0, 0);  // binary: the raw bytes
    if (!decompressor_.Decompress(encoding_, stored, expected, cached_)) {
      throw std::system_error(EIO, std::generic_category(),
                              "artifact " + key_ + ": chunk " + std::to_string(seq) +
                                  " is not the " + std::to_string(expected) + " bytes of the file" +
                                  " in encoding " + std::string(pg::ChunkEncodingName(encoding_)));
    }
    cached_seq_ = seq;
    return cached_;
  }

  pg::Pool& pool_;
  const std::string key_;
  const std::uint64_t size_;
  const int chunk_bytes_;
  const pg::ChunkEncoding encoding_;
  pg::ChunkDecompressor decompressor_;
  std::string cached_;  // the file's bytes of chunk cached_seq_
  std::int64_t cached_seq_ = -1;
};

}  // namespace

PostgresArtifactStore::PostgresArtifactStore(pg::Pool& pool, PostgresArtifactOptions options)
    : pool_(pool), options_(options) {}

std::unique_ptr<ArtifactWriter> PostgresArtifactStore::Begin(const ArtifactSpec& spec) {
  // The job id makes keys readable in psql; the random part makes every
  // attempt's key its own.
  std::string key = spec.job_id + "-" + RandomHex(16);
  const pg::Params params = pg::Params()
                                .Add(key)
                                .Add(spec.job_id)
                                .Add(spec.content_type)
                                .Add(spec.file_name)
                                .Add(options_.chunk_bytes)
                                .Add(WriterName())
                                .Add(pg::ChunkEncodingName(pg::ChunkCompressor::kEncoding));
  AsSystemError("cannot start an artifact", [&] {
    pg::WithConnection(pool_, [&](pg::Connection& connection) {
      connection.Run(
          "INSERT INTO artifacts (key, job_id, content_type, file_name, chunk_size, written_by,"
          " encoding, created_at, touched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, " JOBSD_NOW_NS
          ", " JOBSD_NOW_NS ")",
          params);
    });
  });
  return std::make_unique<PostgresArtifactWriter>(pool_, std::move(key), spec,
                                                  options_.chunk_bytes);
}

std::unique_ptr<ArtifactReader> PostgresArtifactStore::Open(std::string_view key) {
  // A StoreError passes through: the download route answers 503 for a
  // store that is unreachable for a moment, 404 only for a file gone.
  const pg::Result row = pg::WithConnection(pool_, [&](pg::Connection& connection) {
    return connection.Run(
        "SELECT size, chunk_size, encoding FROM artifacts WHERE key = $1 AND state = 'published'",
        pg::Params().Add(key));
  });
  if (row.rows() == 0) return nullptr;
  const std::optional<pg::ChunkEncoding> encoding = pg::ChunkEncodingNamed(row.Text(0, 2));
  if (!encoding.has_value()) {  // written by a newer jobsd, which this one cannot read
    throw std::system_error(EIO, std::generic_category(),
                            "artifact " + std::string(key) + " has encoding '" +
                                std::string(row.Text(0, 2)) + "', unknown to this jobsd");
  }
  return std::make_unique<PostgresArtifactReader>(pool_, std::string(key),
                                                  static_cast<std::uint64_t>(row.Int64(0, 0)),
                                                  static_cast<int>(row.Int64(0, 1)), *encoding);
}

bool PostgresArtifactStore::Delete(std::string_view key) {
  const pg::Params params = pg::Params().Add(key).Add(Nanoseconds(options_.deleted_kept_for));
  const bool removed = AsSystemError("cannot delete artifact " + std::string(key), [&] {
    return pg::WithConnection(pool_, [&](pg::Connection& connection) {
      // Still being written: nobody reads it, gone at once.
      if (connection
              .Run("DELETE FROM artifacts WHERE key = $1 AND state = 'writing'",
                   pg::Params().Add(key))
              .Affected() > 0) {
        return true;
      }
      // Published: a tombstone, its chunks kept for readers already going.
      if (connection
              .Run("UPDATE artifacts SET state = 'deleted', deleted_at = " JOBSD_NOW_NS
                   " WHERE key = $1 AND state = 'published'",
                   pg::Params().Add(key))
              .Affected() > 0) {
        return true;
      }
      // A tombstone past its time (the sweep lists those): purged.
      return connection
                 .Run(
                     "DELETE FROM artifacts WHERE key = $1 AND state = 'deleted'"
                     " AND deleted_at < " JOBSD_NOW_NS " - $2",
                     params)
                 .Affected() > 0;
    });
  });
  // Retention deletes as many files as expire: purging a few expired
  // tombstones each time keeps up without a sweeper of its own. A failure
  // here leaves them for the next Delete.
  try {
    pg::WithConnection(
        pool_,
        [&](pg::Connection& connection) {
          connection.Run(
              "DELETE FROM artifacts WHERE key IN (SELECT key FROM artifacts WHERE state = "
              "'deleted'"
              " AND deleted_at < " JOBSD_NOW_NS
              " - $1 ORDER BY deleted_at LIMIT 4 FOR UPDATE SKIP LOCKED)",
              pg::Params().Add(Nanoseconds(options_.deleted_kept_for)));
        },
        /*attempts=*/1);
  } catch (const StoreError&) {
  }
  return removed;
}

std::vector<std::string> PostgresArtifactStore::ListOrphans(
    const std::vector<std::string>& referenced) {
  const pg::Result rows = pg::WithConnection(pool_, [&](pg::Connection& connection) {
    return connection.Run(
        "SELECT key, state = 'published' FROM artifacts WHERE"
        " (state = 'writing' AND touched_at < " JOBSD_NOW_NS
        " - $1)"
        " OR (state = 'published' AND published_at < " JOBSD_NOW_NS
        " - $1)"
        " OR (state = 'deleted' AND deleted_at < " JOBSD_NOW_NS " - $2)",
        pg::Params()
            .Add(Nanoseconds(options_.stale_after))
            .Add(Nanoseconds(options_.deleted_kept_for)));
  });
  const std::unordered_set<std::string_view> kept(referenced.begin(), referenced.end());
  std::vector<std::string> orphans;
  for (int row = 0; row < rows.rows(); ++row) {
    if (rows.Bool(row, 1) && kept.count(rows.Text(row, 0)) > 0) continue;
    orphans.push_back(rows.String(row, 0));
  }
  return orphans;
}

std::string PostgresArtifactStore::Location() const {
  return "PostgreSQL " + pg::RedactPassword(pool_.location());
}

std::string PostgresArtifactStore::Describe(std::string_view key) const {
  return "artifact " + std::string(key) + " in PostgreSQL";
}

}  // namespace jobsd::storage
