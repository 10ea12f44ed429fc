// The job-listing filter (filter::Parse over JobFields()) evaluated on a Job
// in memory, with the meaning storage/sqlite/filter_sql.cc gives it in SQL:
// `eq`/`in` compare bytes, `like` is SQLite's LIKE (ASCII letters match
// either case; only a leading and/or trailing `*` is a wildcard), and `eq`
// on a bare date is the half-open UTC day.
#pragma once

#include "engine/filter.h"
#include "engine/queue/job.h"

namespace jobsd::storage {

bool MatchesJobFilter(const filter::Filter& filter, const Job& job);

}  // namespace jobsd::storage
