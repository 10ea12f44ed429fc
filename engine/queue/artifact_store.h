// The storage port for artifacts: the downloadable outputs of jobs (an
// order export's CSV). A job type writes one through an ArtifactWriter; the
// download route reads it back through an ArtifactReader, by ranges, without
// knowing where or how it is kept; retention and the start-up sweep delete
// through it. storage/files/local_artifact_store keeps artifacts as files in
// a directory (--exports); a backend that keeps them in a database would sit
// beside it.
//
// Keys are the store's own: minted by Commit, kept in the job's row, handed
// back to Open and Delete. The engine never looks inside one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jobsd {

// A published artifact, as a job records it.
struct Artifact {
  std::string key;           // where the artifact store keeps it
  std::string token;         // the secret part of its public URL
  std::string content_type;  // the download's Content-Type
  std::string file_name;     // the download's Content-Disposition file name
  // Bytes, as committed. nullopt only for jobs a store migrated from before
  // artifacts were measured (SQLite schema 6): a reader always reports the
  // real size, so nothing depends on this being known.
  std::optional<std::int64_t> size;

  friend bool operator==(const Artifact&, const Artifact&) = default;
};

// What a job is about to write.
struct ArtifactSpec {
  std::string job_id;        // names the artifact where the store shows names
  std::string content_type;  // e.g. "text/csv; charset=utf-8"
  std::string file_name;     // e.g. "orders-<job id>.csv"
};

// Thrown by a writer when writing on would leave less free space than the
// store keeps in reserve (--min-free-disk, the README's "Security and limits"). The partial
// artifact is gone by the time the writer is destroyed.
class FreeSpaceReserveReached : public std::runtime_error {
 public:
  explicit FreeSpaceReserveReached(std::int64_t reserve)
      : std::runtime_error("free space reserve reached"), reserve_(reserve) {}
  std::int64_t reserve() const { return reserve_; }

 private:
  std::int64_t reserve_;
};

// One artifact being written, under a temporary name nobody can download.
// Destroyed without Commit, it aborts: whatever goes wrong, no half-written
// artifact is left behind. Not thread-safe: one writer, one thread.
class ArtifactWriter {
 public:
  virtual ~ArtifactWriter() = default;
  // Appends bytes. Throws std::system_error for I/O errors (with the errno:
  // ENOSPC, EDQUOT, EIO...) and FreeSpaceReserveReached.
  virtual void Write(std::string_view bytes) = 0;
  // Makes the artifact durable and publishes it atomically under a fresh key
  // and token: readers see all of it or nothing. Each commit gets its own
  // key, so a second attempt of the same job never replaces the first's.
  virtual Artifact Commit() = 0;
  // Removes what was written. Idempotent; a no-op after Commit.
  virtual void Abort() noexcept = 0;
};

// An artifact opened for reading. It stays readable while open even if it
// is deleted meanwhile (a download outliving retention finishes).
class ArtifactReader {
 public:
  virtual ~ArtifactReader() = default;
  virtual std::uint64_t size() const = 0;
  // Reads up to `length` bytes from `offset` into `out`; 0 at the end.
  // Throws std::system_error on I/O errors.
  virtual std::size_t ReadAt(std::uint64_t offset, char* out, std::size_t length) = 0;
};

// Thread-safe: every method may be called from any thread.
class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // Starts an artifact. Throws std::system_error when nothing can be
  // written, FreeSpaceReserveReached when the reserve is already reached.
  virtual std::unique_ptr<ArtifactWriter> Begin(const ArtifactSpec& spec) = 0;

  // nullptr when there is no artifact under `key` (deleted, swept).
  virtual std::unique_ptr<ArtifactReader> Open(std::string_view key) = 0;

  // Removes the artifact or leftover temporary under `key`. False when there
  // was none; throws std::system_error when it cannot.
  virtual bool Delete(std::string_view key) = 0;

  // For the start-up sweep: the keys of leftover temporaries (a crash
  // mid-write) and of published artifacts not in `referenced` (their job is
  // gone). Deleting them all leaves exactly the referenced artifacts.
  virtual std::vector<std::string> ListOrphans(const std::vector<std::string>& referenced) = 0;

  // Where the artifacts are kept, for logs and operators (a directory).
  virtual std::string Location() const = 0;
  // Where the artifact under `key` is, in the words an operator uses (the
  // local adapter: the file's absolute path).
  virtual std::string Describe(std::string_view key) const = 0;
};

// Deletes an artifact nothing will ever reference (the output of a run whose
// claim was lost, of a success the store refused, an orphan). A failure
// leaves an orphan, which the next start-up sweep removes. True when one was
// deleted.
bool DeleteUnreferencedArtifact(ArtifactStore& artifacts, std::string_view key) noexcept;

}  // namespace jobsd
