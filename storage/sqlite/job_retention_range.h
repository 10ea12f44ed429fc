// The bounds of every job's retention (expires_at - created_at) that the
// SQLite store keeps in job_retention_range, so that it finds expired jobs
// by their created_at in jobs_listing instead of through an index on
// expires_at that every insert would pay for
// (migrations/sqlite/0019_expiry_found_through_the_listing.sql).
#pragma once

#include <cstdint>
#include <optional>

#include "engine/time.h"
#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

// A job's retention; saturated at the ends of the int64 range (a job
// created before the epoch could have a retention no int64 holds).
Nanos RetentionOf(Nanos created_at, Nanos expires_at);

// The bounds as read inside a transaction: every job's retention is within
// [shortest, longest]. A missing bound, or one saturated at the end of the
// range, bounds nothing.
struct JobRetentionRange {
  std::optional<Nanos> shortest;
  std::optional<Nanos> longest;

  static JobRetentionRange Read(sqlite::Connection& connection);

  // Every job that has expired at `now` (expires_at <= now) was created at
  // or before this instant.
  Nanos LastCreatedExpiredAt(Nanos now) const;
  // Every job still visible at `now` (expires_at > now) was created at or
  // after this instant.
  Nanos FirstCreatedVisibleAt(Nanos now) const;
  // Every job has the same retention, so jobs expire in the order they were
  // created (jobs_listing's order).
  bool Uniform() const { return shortest && longest && *shortest == *longest; }
};

// The retentions of the jobs one write inserted, widening the stored bounds
// when that write lands. Not thread-safe: used by the write running.
class InsertedRetentions {
 public:
  void Add(Nanos created_at, Nanos expires_at);
  // Widens job_retention_range to cover what Add saw since the last call
  // (nothing when it saw nothing, or nothing outside the bounds), inside the
  // caller's transaction; then forgets it.
  void WidenStoredRange(sqlite::Connection& connection);

 private:
  bool any_ = false;
  Nanos shortest_ = 0;
  Nanos longest_ = 0;
};

// Sets job_retention_range for a store whose every job was just given
// `retention` (clamped at kLatestTime), inside the caller's transaction.
void ResetRetentionRange(sqlite::Connection& connection, Nanos retention);

}  // namespace jobsd::storage
