// The job-listing filter (filter::Parse over JobFields()) evaluated on a Job
// in memory, with the meaning the SQL stores give it (filter_match.h).
#pragma once

#include "engine/filter.h"
#include "engine/queue/job.h"

namespace jobsd::storage {

bool MatchesJobFilter(const filter::Filter& filter, const Job& job);

}  // namespace jobsd::storage
