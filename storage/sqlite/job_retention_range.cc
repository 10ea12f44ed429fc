#include "storage/sqlite/job_retention_range.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace jobsd::storage {
namespace {

constexpr Nanos kMin = std::numeric_limits<Nanos>::min();
constexpr Nanos kMax = std::numeric_limits<Nanos>::max();

// a - b, or the end of the range it overflows past.
Nanos SaturatedMinus(Nanos a, Nanos b) {
  Nanos difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return b < 0 ? kMax : kMin;
  return difference;
}

}  // namespace

Nanos RetentionOf(Nanos created_at, Nanos expires_at) {
  return SaturatedMinus(expires_at, created_at);
}

JobRetentionRange JobRetentionRange::Read(sqlite::Connection& connection) {
  auto select = connection.Prepare("SELECT shortest, longest FROM job_retention_range");
  JobRetentionRange range;
  if (select->Step()) {
    if (!select->IsNull(0)) range.shortest = select->ColumnInt64(0);
    if (!select->IsNull(1)) range.longest = select->ColumnInt64(1);
  }
  return range;
}

Nanos JobRetentionRange::LastCreatedExpiredAt(Nanos now) const {
  // expires_at <= now and expires_at >= created_at + shortest. A shortest
  // saturated at the bottom may stand for a smaller retention: no bound.
  if (!shortest || *shortest == kMin) return kMax;
  return SaturatedMinus(now, *shortest);
}

Nanos JobRetentionRange::FirstCreatedVisibleAt(Nanos now) const {
  // expires_at > now and expires_at <= created_at + longest.
  if (!longest || *longest == kMax) return kMin;
  // created_at > bound; a bound saturated at either end may stand for one
  // past it.
  const Nanos bound = SaturatedMinus(now, *longest);
  return bound == kMax || bound == kMin ? bound : bound + 1;
}

void InsertedRetentions::Add(Nanos created_at, Nanos expires_at) {
  const Nanos retention = RetentionOf(created_at, expires_at);
  shortest_ = any_ ? std::min(shortest_, retention) : retention;
  longest_ = any_ ? std::max(longest_, retention) : retention;
  any_ = true;
}

void InsertedRetentions::WidenStoredRange(sqlite::Connection& connection) {
  if (!std::exchange(any_, false)) return;
  // Written only when it widens the range: the usual write inserts jobs of
  // the retention the range already holds and only reads its one row.
  auto widen = connection.Prepare(
      "UPDATE job_retention_range SET shortest = min(coalesce(shortest, ?1), ?1),"
      " longest = max(coalesce(longest, ?2), ?2)"
      " WHERE shortest IS NULL OR longest IS NULL OR shortest > ?1 OR longest < ?2");
  widen->BindInt64(1, shortest_).BindInt64(2, longest_);
  widen->Run();
}

void ResetRetentionRange(sqlite::Connection& connection, Nanos retention) {
  auto newest = connection.Prepare("SELECT max(created_at) FROM jobs");
  newest->Step();
  auto reset = connection.Prepare(
      "UPDATE job_retention_range SET shortest = ?1, longest = ?2");
  if (newest->IsNull(0)) {
    reset->BindNull(1).BindNull(2);  // no job
  } else {
    // The newest job's expiry may have been clamped at kLatestTime, which
    // makes its retention the shortest.
    const Nanos shortest = std::min(retention, RetentionOf(newest->ColumnInt64(0), kLatestTime));
    reset->BindInt64(1, shortest).BindInt64(2, retention);
  }
  reset->Run();
}

}  // namespace jobsd::storage
