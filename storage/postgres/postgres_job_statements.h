// Two statements of the PostgreSQL job store, apart so that tests can
// EXPLAIN them: their plans must stay on the primary key whatever the
// statistics say (postgres_job_store.cc, JOBSD_PG_LOCK_IN_ID_ORDER).
#pragma once

#include <string>

#include "engine/queue/job_store.h"

namespace jobsd::storage {

// Renews leases: $1 the new lease end, $2 ids, $3 tokens, $4 rows written
// and $5 rows total (bigint arrays, NULL to keep what is stored).
std::string RenewLeasesStatement();

// Records outcomes of one kind: $1 now, $2 ids, $3 tokens, then the kind's
// own arrays (postgres_job_store.cc, ApplyKind).
std::string CompletionStatement(JobCompletion::Kind kind);

}  // namespace jobsd::storage
