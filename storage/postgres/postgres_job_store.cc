#include "storage/postgres/postgres_job_store.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "engine/random.h"
#include "storage/filter_sql.h"
#include "storage/job_row.h"
#include "storage/postgres/pg_array.h"
#include "storage/postgres/postgres_job_statements.h"

namespace jobsd::storage {
namespace {

using pg::Connection;
using pg::Params;
using pg::Result;
using pg::Transaction;

// JOBSD_JOB_COLUMNS of the row `j` of an UPDATE ... FROM (RETURNING would
// otherwise find `id` ambiguous); checked against it below.
#define JOBSD_PG_J_COLUMNS                                                            \
  "j.id, j.job_type, j.status, j.params, j.error, j.attempts, j.max_attempts, "       \
  "j.created_at, j.updated_at, j.run_after, j.expires_at, j.claimed_by, "             \
  "j.lease_expires_at, j.artifact_key, j.artifact_token, j.result, j.interruptions, " \
  "j.artifact_content_type, j.artifact_name, j.artifact_size, "                       \
  "j.progress_rows_written, j.progress_rows_total"

// Whether `prefixed` is `plain` with "j." before every column.
constexpr bool SameColumnsOfJ(std::string_view prefixed, std::string_view plain) {
  std::size_t i = 0, k = 0;
  while (i < prefixed.size() && k < plain.size()) {
    if (prefixed.substr(i, 2) == "j." && (i == 0 || prefixed[i - 1] == ' ')) {
      i += 2;
      continue;
    }
    if (prefixed[i++] != plain[k++]) return false;
  }
  return i == prefixed.size() && k == plain.size();
}
static_assert(SameColumnsOfJ(JOBSD_PG_J_COLUMNS, JOBSD_JOB_COLUMNS));

// Leaving `started` drops the claim (the table's CHECK insists on it) and
// the run's progress.
#define JOBSD_PG_DROP_CLAIM                                          \
  "claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL, " \
  "progress_rows_written = NULL, progress_rows_total = NULL"

// updated_at must change on every status change, even when the clock has
// not moved (or moved back) since the last one. `now` is always $1.
#define JOBSD_PG_TOUCH "updated_at = greatest($1::bigint, j.updated_at + 1)"

// The rows `j` of the jobs whose ids are the array `ids`, locked in id order
// before the statement updates them (the InitPlan runs first), so that two
// statements updating overlapping sets of jobs wait for each other instead
// of deadlocking.
//
// Statements fenced by a claim token say nothing of the status: the token
// is set only while a job is 'started' (the jobs_check constraint), and a
// status condition let the planner read the rows through jobs_lease, a
// partial index over started jobs that keeps an entry for every job started
// since the last vacuum, and compare each with every id of the array: a
// drain of 40,000 jobs ran at 5,300-7,200 jobs/s on one node instead of
// 12,000 (server CPU in texteq under ExecEvalScalarArrayOp).
#define JOBSD_PG_LOCK_IN_ID_ORDER(ids) \
  "j.id = ANY (ARRAY(SELECT id FROM jobs WHERE id = ANY (" ids ") ORDER BY id FOR UPDATE))"

// Row `row` of a Result, read the way DecodeJobRow reads rows.
struct ResultRow {
  const Result& rows;
  int row;
  std::string String(int column) const { return rows.String(row, column); }
  std::string_view Text(int column) const { return rows.Text(row, column); }
  std::optional<std::string> OptionalString(int column) const {
    return rows.OptionalString(row, column);
  }
  std::int64_t Int64(int column) const { return rows.Int64(row, column); }
  std::optional<std::int64_t> OptionalInt64(int column) const {
    return rows.OptionalInt64(row, column);
  }
  bool IsNull(int column) const { return rows.IsNull(row, column); }
};

Job ReadJob(const Result& rows, int row) { return DecodeJobRow(ResultRow{rows, row}); }

std::optional<Job> FirstJob(const Result& rows) {
  if (rows.rows() == 0) return std::nullopt;
  return ReadJob(rows, 0);
}

void AddParams(Params& params, const std::vector<SqlParam>& values) {
  for (const SqlParam& value : values) {
    std::visit([&](const auto& v) { params.Add(v); }, value);
  }
}

// ---------------------------------------------------------------- inserts

// The per-client limit on active jobs is a count followed by an insert. Under
// READ COMMITTED two transactions (two nodes, two threads) could both count
// limit - 1 and both insert; this transaction-scoped lock makes the count
// and the insert of one client happen one transaction at a time, across
// every node, until commit (after which the next holder's count sees the
// insert). The key names the schema, so two stores sharing a database do
// not wait for each other; a hash collision only makes two clients wait
// for each other, never wrong.
void LockClient(Connection& connection, const std::string& client_id) {
  connection.Run(
      "SELECT pg_advisory_xact_lock(hashtext('jobsd.client.' || current_schema() || ':' ||"
      " $1::text))",
      Params().Add(client_id));
}

bool IsPlain(const NewJob& job) {
  return !job.idempotency_key && !(job.client_id && job.max_active_for_client > 0);
}

// Inserts jobs that carry no idempotency key and no limit, in one statement.
// A repeated id fails the whole statement (a unique violation).
void InsertPlain(Connection& connection, const std::vector<const NewJob*>& jobs) {
  if (jobs.empty()) return;
  pg::ArrayLiteral ids, types, params, max_attempts, created, expires, clients;
  for (const NewJob* job : jobs) {
    ids.Add(job->id);
    types.Add(job->job_type);
    params.Add(job->params);
    max_attempts.Add(std::int64_t{job->max_attempts});
    created.Add(job->created_at);
    expires.Add(job->expires_at);
    clients.Add(job->client_id);
  }
  connection.Run(
      "INSERT INTO jobs (id, job_type, status, params, attempts, max_attempts, created_at,"
      " updated_at, run_after, expires_at, client_id)"
      " SELECT id, job_type, 'pending', params, 0, max_attempts, created_at, created_at,"
      " created_at, expires_at, client_id"
      " FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[],"
      "  $6::bigint[], $7::text[])"
      "  AS n(id, job_type, params, max_attempts, created_at, expires_at, client_id)",
      Params()
          .Add(ids.str())
          .Add(types.str())
          .Add(params.str())
          .Add(max_attempts.str())
          .Add(created.str())
          .Add(expires.str())
          .Add(clients.str()));
}

// The job holding `key` while both the key and the job are unexpired at
// `now`, as an InsertResult for `job`; nullopt when the key is free (a
// lapsed holder is stripped of it here).
std::optional<InsertResult> EarlierHolder(Connection& connection, const NewJob& job) {
  const Result earlier = connection.Run("SELECT " JOBSD_JOB_COLUMNS
                                        ", request_hash, idempotency_expires_at"
                                        " FROM jobs WHERE idempotency_key = $1",
                                        Params().Add(*job.idempotency_key));
  if (earlier.rows() == 0) return std::nullopt;
  Job found = ReadJob(earlier, 0);
  const std::string_view request_hash = earlier.Text(0, kJobColumnCount);
  const Nanos key_expires_at = earlier.Int64(0, kJobColumnCount + 1);
  const Nanos now = job.created_at;
  if (key_expires_at > now && found.expires_at > now) {
    InsertResult result{std::move(found), /*created=*/false, /*key_conflict=*/false};
    result.key_conflict = request_hash != job.request_hash;
    return result;
  }
  // The key's window (or the job) is over: the key is free again, and the
  // old job lives on without it. The key in the WHERE makes this a no-op
  // when another transaction freed (and maybe took) it meanwhile.
  connection.Run(
      "UPDATE jobs SET idempotency_key = NULL, request_hash = NULL,"
      " idempotency_expires_at = NULL WHERE id = $1 AND idempotency_key = $2",
      Params().Add(found.id).Add(*job.idempotency_key));
  return std::nullopt;
}

// Inserts `job` inside the caller's transaction, honouring its idempotency
// key and its client's limit (the caller holds LockClient for that client).
// Nothing is written when the key returns an earlier job or the limit
// refuses.
InsertResult InsertOne(Connection& connection, const NewJob& job) {
  // A key taken by a concurrent transaction between our look and our insert
  // makes the insert do nothing (ON CONFLICT waits for that transaction);
  // the next look, a new statement under READ COMMITTED, then sees its job.
  // Each round needs another transaction to take the key in that instant.
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    if (job.idempotency_key) {
      if (std::optional<InsertResult> earlier = EarlierHolder(connection, job)) return *earlier;
    }
    if (job.client_id && job.max_active_for_client > 0) {
      // The terms of jobs_active_by_client's WHERE, so the index serves it;
      // counting stops at the limit.
      const Result active = connection.Run(
          "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE client_id = $1"
          " AND status IN ('pending', 'started') LIMIT $2) AS a",
          Params().Add(*job.client_id).Add(job.max_active_for_client));
      if (active.Int64(0, 0) >= job.max_active_for_client) {
        InsertResult refused;
        refused.created = false;
        refused.active_limit_reached = true;
        return refused;
      }
    }
    Params params;
    params.Add(job.id)
        .Add(job.job_type)
        .Add(job.params)
        .Add(job.max_attempts)
        .Add(job.created_at)
        .Add(job.expires_at);
    if (job.idempotency_key) {
      params.Add(*job.idempotency_key).Add(job.request_hash).Add(job.idempotency_expires_at);
    } else {
      params.AddNull().AddNull().AddNull();
    }
    params.Add(job.client_id);
    // A repeated id is still a unique violation: only the key may conflict.
    // The key's index is partial (migrations/postgres/0014_unique_keys_
    // without_nulls.sql), so ON CONFLICT names its predicate.
    const Result inserted = connection.Run(
        "INSERT INTO jobs (id, job_type, status, params, attempts, max_attempts, created_at,"
        " updated_at, run_after, expires_at, idempotency_key, request_hash,"
        " idempotency_expires_at, client_id)"
        " VALUES ($1, $2, 'pending', $3, 0, $4, $5, $5, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
        params);
    if (inserted.Affected() == 1) return InsertResult{StoredJob(job)};
  }
  throw StoreError("the idempotency key of job " + job.id +
                       " kept being taken and freed by other transactions; try again",
                   /*transient=*/true, StoreFault::kBusy);
}

// The clients whose limits `jobs` must check, each once, in one order: two
// batches lock the clients they share in the same order, so they never
// deadlock on one another.
std::set<std::string> LimitedClients(const std::vector<NewJob>& jobs) {
  std::set<std::string> clients;
  for (const NewJob& job : jobs) {
    if (job.client_id && job.max_active_for_client > 0) clients.insert(*job.client_id);
  }
  return clients;
}

}  // namespace

InsertResult PostgresJobStore::InsertJob(const NewJob& job) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    if (IsPlain(job)) {  // one statement is one transaction
      InsertPlain(connection, {&job});
      return InsertResult{StoredJob(job)};
    }
    Transaction transaction(connection);
    if (job.client_id && job.max_active_for_client > 0) LockClient(connection, *job.client_id);
    InsertResult result = InsertOne(connection, job);
    transaction.Commit();
    return result;
  });
}

std::vector<InsertResult> PostgresJobStore::InsertJobs(const std::vector<NewJob>& jobs) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    std::vector<InsertResult> results;
    results.reserve(jobs.size());
    Transaction transaction(connection);
    for (const std::string& client : LimitedClients(jobs)) LockClient(connection, client);
    // Runs of plain jobs go in one statement each; a keyed or limited job
    // goes alone, after the jobs before it (its limit counts them).
    std::vector<const NewJob*> plain;
    for (const NewJob& job : jobs) {
      if (IsPlain(job)) {
        plain.push_back(&job);
        results.push_back(InsertResult{StoredJob(job)});
        continue;
      }
      InsertPlain(connection, plain);
      plain.clear();
      results.push_back(InsertOne(connection, job));
    }
    InsertPlain(connection, plain);
    transaction.Commit();
    return results;
  });
}

std::optional<Job> PostgresJobStore::FindJob(std::string_view id, Nanos now) {
  // PostgreSQL text never holds a NUL byte, so no stored id has one (and
  // the parameter could not be sent: pg::Params refuses it).
  if (id.find('\0') != std::string_view::npos) return std::nullopt;
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return FirstJob(connection.Run("SELECT " JOBSD_JOB_COLUMNS
                                   " FROM jobs WHERE id = $1 AND expires_at > $2",
                                   Params().Add(id).Add(now)));
  });
}

std::optional<Job> PostgresJobStore::FindJobByArtifactToken(std::string_view token, Nanos now) {
  if (token.find('\0') != std::string_view::npos) return std::nullopt;  // as in FindJob
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return FirstJob(connection.Run("SELECT " JOBSD_JOB_COLUMNS
                                   " FROM jobs WHERE artifact_token = $1 AND expires_at > $2",
                                   Params().Add(token).Add(now)));
  });
}

// ---------------------------------------------------------------- reads

JobPage PostgresJobStore::ListJobs(const JobQuery& query) {
  // $1 is now; the filter's parameters follow, then limit and offset.
  const SqlWhere where = CompileJobFilter(query.filter, SqlDialect::Postgres(2));
  std::string condition = " WHERE expires_at > $1";
  if (!where.sql.empty()) condition += " AND (" + where.sql + ")";
  const int next = 2 + static_cast<int>(where.params.size());
  const std::string count_sql = "SELECT count(*) FROM jobs" + condition;
  const std::string page_sql = "SELECT " JOBSD_JOB_COLUMNS " FROM jobs" + condition +
                               " ORDER BY created_at DESC, seq DESC LIMIT $" +
                               std::to_string(next) + " OFFSET $" + std::to_string(next + 1);
  Params params;
  params.Add(query.now);
  AddParams(params, where.params);
  // The unfiltered listing (what clients poll) keeps its prepared
  // statements; filtered ones vary in shape and run unprepared.
  auto run = [&](Connection& connection, const std::string& sql, const Params& p) {
    return where.sql.empty() ? connection.Run(sql, p) : connection.RunOnce(sql, p);
  };

  return pg::WithConnection(pool_, [&](Connection& connection) {
    // One snapshot for the total, the page and valid_until.
    Transaction transaction(connection, pg::Isolation::kRepeatableRead, /*read_only=*/true);
    JobPage page;
    page.total = run(connection, count_sql, params).Int64(0, 0);
    if (query.offset < page.total) {
      Params page_params = params;
      page_params.Add(std::int64_t{query.limit}).Add(query.offset);
      const Result rows = run(connection, page_sql, page_params);
      page.jobs.reserve(static_cast<std::size_t>(rows.rows()));
      for (int row = 0; row < rows.rows(); ++row) page.jobs.push_back(ReadJob(rows, row));
    }
    // Any visible job, matching or not: cheap (jobs_expires_at) and never
    // too late.
    const Result next_expiry = connection.Run(
        "SELECT min(expires_at) FROM jobs WHERE expires_at > $1", Params().Add(query.now));
    if (!next_expiry.IsNull(0, 0)) page.valid_until = next_expiry.Int64(0, 0);
    transaction.Commit();
    return page;
  });
}

// The statement triggers of 0001 add one to a slot of job_changes for every
// statement that changed a job, inside the writing transaction: the sum
// moves with every commit that changed jobs, from any node, and with
// nothing else (reads, claims that found nothing).
std::uint64_t PostgresJobStore::ChangeVersion() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    return static_cast<std::uint64_t>(
        connection.Run("SELECT coalesce(sum(changes), 0)::bigint FROM job_changes").Int64(0, 0));
  });
}

// ---------------------------------------------------------------- claims

namespace {

// Moves up to request.max_jobs claimable jobs to started in one statement
// and returns them oldest first. jobs_claimable (migrations/postgres/
// 0010_claim_in_index_order.sql) locks them FOR UPDATE SKIP LOCKED, so
// claims on every node run at once, each taking rows no other claim holds,
// never waiting for one another, and always walks the claim index in order
// whatever the statistics say. The locked ids come as an array (an InitPlan
// that runs once), so the UPDATE finds each row through the primary key:
// joined to a CTE instead, the generic plan of the prepared statement
// hashed the whole table on every claim.
std::vector<ClaimedJob> ClaimWithin(Connection& connection, const ClaimRequest& request) {
  std::vector<ClaimedJob> claimed;
  if (request.max_jobs <= 0) return claimed;
  // Each job gets its own token: a random prefix for this batch (128 bits)
  // plus the job id, so no two claims ever share one (as on SQLite).
  const std::string token_prefix = RandomHex(16) + ":";
  const Result rows = connection.Run(
      "UPDATE jobs j SET status = 'started', attempts = j.attempts + 1, claimed_by = $3,"
      " claim_token = $4 || j.id, lease_expires_at = $5, " JOBSD_PG_TOUCH
      " WHERE j.id = ANY (ARRAY(SELECT jobs_claimable($1, $2)))"
      " RETURNING " JOBSD_PG_J_COLUMNS ", j.claim_token, j.seq",
      Params()
          .Add(request.now)
          .Add(std::int64_t{request.max_jobs})
          .Add(request.worker_id)
          .Add(token_prefix)
          .Add(request.lease_until));
  // RETURNING gives rows in no particular order; hand them out oldest first
  // (ties of created_at by seq, as jobs_claimable took them).
  std::vector<std::pair<std::int64_t, ClaimedJob>> taken;
  taken.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    taken.emplace_back(rows.Int64(row, kJobColumnCount + 1),
                       ClaimedJob{ReadJob(rows, row), rows.String(row, kJobColumnCount)});
  }
  std::sort(taken.begin(), taken.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.job.created_at, a.first) < std::tie(b.second.job.created_at, b.first);
  });
  claimed.reserve(taken.size());
  for (auto& [seq, job] : taken) claimed.push_back(std::move(job));
  return claimed;
}

}  // namespace

std::vector<ClaimedJob> PostgresJobStore::ClaimJobs(const ClaimRequest& request) {
  if (request.max_jobs <= 0) return {};
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return ClaimWithin(connection, request);  // one statement, one transaction
  });
}

std::string RenewLeasesStatement() {
  return "UPDATE jobs j SET lease_expires_at = $1,"
         " progress_rows_written = coalesce(r.written, j.progress_rows_written),"
         " progress_rows_total = coalesce(r.total, j.progress_rows_total)"
         " FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])"
         "   AS r(id, token, written, total)"
         " WHERE " JOBSD_PG_LOCK_IN_ID_ORDER("$2::text[]")
         " AND j.id = r.id AND j.claim_token = r.token"
         " RETURNING j.id, j.claim_token";
}

// One statement over unnest()ed arrays, so one round trip and one
// transaction renew every claim of this process; the (id, token) pairs it
// returns are the claims still held. A NULL progress keeps what is stored.
std::vector<bool> PostgresJobStore::RenewLeases(const std::vector<LeaseRenewal>& renewals,
                                                Nanos lease_until) {
  if (renewals.empty()) return {};
  pg::ArrayLiteral ids, tokens, written, total;
  for (const LeaseRenewal& renewal : renewals) {
    ids.Add(renewal.id);
    tokens.Add(renewal.token);
    if (renewal.progress) {
      written.Add(renewal.progress->rows_written);
      total.Add(renewal.progress->rows_total);
    } else {
      written.AddNull();
      total.AddNull();
    }
  }
  const Result rows = pg::WithConnection(pool_, [&](Connection& connection) {
    // Planned for the arrays it gets (RunOnce), as the completions are.
    return connection.RunOnce(RenewLeasesStatement(), Params()
                                                          .Add(lease_until)
                                                          .Add(ids.str())
                                                          .Add(tokens.str())
                                                          .Add(written.str())
                                                          .Add(total.str()));
  });
  // By id and token: a renewal naming a held job with a stale token is not
  // held, even beside one with the right token.
  std::set<std::pair<std::string, std::string>> still_held;
  for (int row = 0; row < rows.rows(); ++row) {
    still_held.emplace(rows.String(row, 0), rows.String(row, 1));
  }
  std::vector<bool> held;
  held.reserve(renewals.size());
  for (const LeaseRenewal& renewal : renewals) {
    held.push_back(still_held.count({renewal.id, renewal.token}) > 0);
  }
  return held;
}

// The row is locked first (FOR UPDATE), so a claim, a renewal or a
// completion on another node waits for the cancel or comes before it:
// whichever commits first wins, and the other sees its outcome.
CancelResult PostgresJobStore::CancelJob(std::string_view id, Nanos now) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    Transaction transaction(connection);
    CancelResult result;
    const std::optional<Job> job = FirstJob(connection.Run(
        "SELECT " JOBSD_JOB_COLUMNS " FROM jobs WHERE id = $1 AND expires_at > $2 FOR UPDATE",
        Params().Add(id).Add(now)));
    if (!job) return result;
    if (IsFinal(job->status)) {
      transaction.Commit();
      result.kind = CancelResult::Kind::kAlreadyFinished;
      result.job = *job;
      return result;
    }
    if (job->status == JobStatus::kPending) {
      // pending -> started -> failed: the trigger allows no pending ->
      // failed, and the state machine does not grow for cancellation. The
      // step is never seen outside this transaction; its claim is a dummy
      // that no worker ever holds.
      connection.Run(
          "UPDATE jobs SET status = 'started', claimed_by = 'cancel',"
          " claim_token = 'cancel:' || id, lease_expires_at = $2"
          " WHERE id = $1 AND status = 'pending'",
          Params().Add(id).Add(now));
    }
    const Result failed = connection.Run(
        "UPDATE jobs j SET status = 'failed', error = $2, " JOBSD_PG_DROP_CLAIM ", " JOBSD_PG_TOUCH
        " WHERE j.id = $3 AND j.status = 'started'"
        " RETURNING " JOBSD_PG_J_COLUMNS,
        Params().Add(now).Add(kCancelledError).Add(id));
    if (failed.rows() != 1) {
      throw StoreError("a job to cancel was not started", /*transient=*/false);
    }
    result.kind = CancelResult::Kind::kCancelled;
    result.job = ReadJob(failed, 0);
    transaction.Commit();
    return result;
  });
}

// ---------------------------------------------------------------- outcomes

namespace {

using Kind = JobCompletion::Kind;

// Applies the completions of one kind (indexes into `all`) in one UPDATE
// over unnest()ed arrays, fenced by id, token and status, and marks in
// `applied` those whose row it changed. The ids must be distinct (a row
// joined twice would be updated once, for either completion).
}  // namespace

std::string CompletionStatement(JobCompletion::Kind kind) {
  std::string sql;
  switch (kind) {
    case Kind::kSucceeded:
      sql =
          "UPDATE jobs j SET status = 'success', error = NULL, result = c.result,"
          " artifact_key = c.artifact_key, artifact_token = c.artifact_token,"
          " artifact_content_type = c.content_type, artifact_name = c.name,"
          " artifact_size = c.size, " JOBSD_PG_DROP_CLAIM ", " JOBSD_PG_TOUCH
          " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
          "  $8::text[], $9::bigint[])"
          "  AS c(id, token, result, artifact_key, artifact_token, content_type, name, size)";
      break;
    case Kind::kFailed:
      sql = "UPDATE jobs j SET status = 'failed', error = c.error, " JOBSD_PG_DROP_CLAIM
            ", " JOBSD_PG_TOUCH
            " FROM unnest($2::text[], $3::text[], $4::text[]) AS c(id, token, error)";
      break;
    case Kind::kRetry:
      sql =
          "UPDATE jobs j SET status = 'pending', error = c.error, run_after = "
          "c.run_after, " JOBSD_PG_DROP_CLAIM ", " JOBSD_PG_TOUCH
          " FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[])"
          "  AS c(id, token, error, run_after)";
      break;
    case Kind::kRelease:
      // The run was interrupted on purpose (shutdown), so it does not count
      // against the job's attempts.
      sql =
          "UPDATE jobs j SET status = 'pending', run_after = $1,"
          " attempts = greatest(j.attempts - 1, 0), " JOBSD_PG_DROP_CLAIM ", " JOBSD_PG_TOUCH
          " FROM unnest($2::text[], $3::text[]) AS c(id, token)";
      break;
  }
  // The ids hand the planner the primary key (the join alone may be
  // planned as a scan of every started job, or the whole table), and lock
  // the rows in id order first, as RenewLeases does: the two touch the
  // same started jobs of a node at the same time, and locking them in two
  // orders deadlocked (a second lost each time, PostgreSQL's
  // deadlock_timeout, before one of them was aborted).
  return sql + " WHERE " JOBSD_PG_LOCK_IN_ID_ORDER(
                   "$2::text[]") " AND j.id = c.id AND j.claim_token = c.token RETURNING j.id";
}

namespace {

void ApplyKind(Connection& connection, Kind kind, const std::vector<JobCompletion>& all,
               const std::vector<std::size_t>& which, Nanos now, std::vector<bool>& applied) {
  if (which.empty()) return;
  pg::ArrayLiteral ids, tokens;
  for (std::size_t i : which) {
    ids.Add(all[i].id);
    tokens.Add(all[i].token);
  }
  Params params;
  params.Add(now).Add(ids.str()).Add(tokens.str());
  switch (kind) {
    case Kind::kSucceeded: {
      pg::ArrayLiteral results, keys, artifact_tokens, content_types, names, sizes;
      for (std::size_t i : which) {
        const SuccessResult& success = all[i].success;
        // No result, no artifact: NULL, as on SQLite.
        if (success.result.empty()) {
          results.AddNull();
        } else {
          results.Add(success.result);
        }
        if (const std::optional<Artifact>& artifact = success.artifact) {
          keys.Add(artifact->key);
          artifact_tokens.Add(artifact->token);
          content_types.Add(artifact->content_type);
          names.Add(artifact->file_name);
          sizes.Add(artifact->size);
        } else {
          keys.AddNull();
          artifact_tokens.AddNull();
          content_types.AddNull();
          names.AddNull();
          sizes.AddNull();
        }
      }
      params.Add(results.str())
          .Add(keys.str())
          .Add(artifact_tokens.str())
          .Add(content_types.str())
          .Add(names.str())
          .Add(sizes.str());
      break;
    }
    case Kind::kFailed: {
      pg::ArrayLiteral errors;
      for (std::size_t i : which) errors.Add(all[i].error);
      params.Add(errors.str());
      break;
    }
    case Kind::kRetry: {
      pg::ArrayLiteral errors, run_after;
      for (std::size_t i : which) {
        errors.Add(all[i].error);
        run_after.Add(all[i].run_after);
      }
      params.Add(errors.str()).Add(run_after.str());
      break;
    }
    case Kind::kRelease:
      break;
  }
  // Planned for these arrays every time (RunOnce: an unnamed statement gets
  // a custom plan), never with a prepared statement's generic plan: that
  // one guesses 10 elements per array, and for a batch of 6,874 outcomes it
  // joined them in a nested loop that compared 47 million pairs (10 s of
  // server CPU, measured with auto_explain in a 10,000-job drain).
  const Result changed = connection.RunOnce(CompletionStatement(kind), params);
  std::unordered_set<std::string_view> changed_ids;
  for (int row = 0; row < changed.rows(); ++row) changed_ids.insert(changed.Text(row, 0));
  for (std::size_t i : which) {
    if (changed_ids.count(all[i].id) > 0) applied[i] = true;
  }
}

bool DistinctIds(const std::vector<JobCompletion>& completions) {
  std::unordered_set<std::string_view> seen;
  for (const JobCompletion& c : completions) {
    if (!seen.insert(c.id).second) return false;
  }
  return true;
}

// How many statements ApplyCompletions will run: the caller needs a
// transaction only for more than one.
int StatementsFor(const std::vector<JobCompletion>& completions) {
  if (!DistinctIds(completions)) return static_cast<int>(completions.size());
  std::set<Kind> kinds;
  for (const JobCompletion& c : completions) kinds.insert(c.kind);
  return static_cast<int>(kinds.size());
}

// Applies each completion whose job is started under its token, inside the
// caller's transaction. With distinct ids the order of the completions
// cannot matter (each touches its own row), so one statement per kind
// does them all; a job named twice needs them applied one by one, in order.
std::vector<bool> ApplyCompletions(Connection& connection,
                                   const std::vector<JobCompletion>& completions, Nanos now) {
  std::vector<bool> applied(completions.size(), false);
  if (StatementsFor(completions) > 1) {
    // Each statement locks its rows in id order, but several statements
    // would lock the batch in several passes: all of it first, in one.
    pg::ArrayLiteral ids;
    for (const JobCompletion& c : completions) ids.Add(c.id);
    connection.RunOnce("SELECT 1 FROM jobs WHERE id = ANY ($1::text[]) ORDER BY id FOR UPDATE",
                       Params().Add(ids.str()));
  }
  if (DistinctIds(completions)) {
    std::map<Kind, std::vector<std::size_t>> by_kind;
    for (std::size_t i = 0; i < completions.size(); ++i) by_kind[completions[i].kind].push_back(i);
    for (const auto& [kind, which] : by_kind) {
      ApplyKind(connection, kind, completions, which, now, applied);
    }
  } else {
    for (std::size_t i = 0; i < completions.size(); ++i) {
      ApplyKind(connection, completions[i].kind, completions, {i}, now, applied);
    }
  }
  return applied;
}

}  // namespace

std::vector<bool> PostgresJobStore::FinishJobs(const std::vector<JobCompletion>& completions,
                                               Nanos now) {
  if (completions.empty()) return {};
  return pg::WithConnection(pool_, [&](Connection& connection) {
    std::optional<Transaction> transaction;
    if (StatementsFor(completions) > 1) transaction.emplace(connection);
    std::vector<bool> applied = ApplyCompletions(connection, completions, now);
    if (transaction) transaction->Commit();
    return applied;
  });
}

FinishAndClaimResult PostgresJobStore::FinishAndClaim(const std::vector<JobCompletion>& completions,
                                                      Nanos now, const ClaimRequest& next) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    FinishAndClaimResult result;
    std::optional<Transaction> transaction;
    if (StatementsFor(completions) + (next.max_jobs > 0 ? 1 : 0) > 1) {
      transaction.emplace(connection);
    }
    result.applied = ApplyCompletions(connection, completions, now);
    result.claimed = ClaimWithin(connection, next);
    if (transaction) transaction->Commit();
    return result;
  });
}

// ---------------------------------------------------------------- rescue

namespace {

// Returns the started jobs that `which` selects (an SQL condition on the
// row `j` whose only parameter is $2, given in `selector`) to pending,
// saying `what` happened. The cut-short run does not count as an attempt
// but as an interruption; a job interrupted kMaxInterruptions times is
// failed instead. Runs inside the caller's transaction; returns how many
// moved.
int RescueWhere(Connection& connection, const std::string& which, std::string_view what, Nanos now,
                const std::string& selector) {
  std::int64_t moved =
      connection
          .Run(
              "UPDATE jobs j SET status = 'failed', interruptions = j.interruptions + 1,"
              " error = $3::text || '; its runs were cut short ' || (j.interruptions + 1)::text ||"
              " ' times, so it is not run again (it may be what stops the worker);"
              " submit it again to retry',"
              " " JOBSD_PG_DROP_CLAIM ", " JOBSD_PG_TOUCH
              " WHERE j.status = 'started' AND j.interruptions + 1 >= $4 AND " +
                  which,
              Params().Add(now).Add(selector).Add(what).Add(kMaxInterruptions))
          .Affected();
  moved += connection
               .Run(
                   "UPDATE jobs j SET status = 'pending', run_after = $1, error = $3::text,"
                   " attempts = greatest(j.attempts - 1, 0), interruptions = j.interruptions + 1,"
                   " " JOBSD_PG_DROP_CLAIM ", " JOBSD_PG_TOUCH " WHERE j.status = 'started' AND " +
                       which,
                   Params().Add(now).Add(selector).Add(what))
               .Affected();
  return static_cast<int>(moved);
}

}  // namespace

int PostgresJobStore::RescueExpiredLeases(Nanos now) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    Transaction transaction(connection);
    const int moved = RescueWhere(connection, "j.lease_expires_at <= $2::bigint",
                                  "the worker running this job stopped responding (lease expired)",
                                  now, std::to_string(now));
    transaction.Commit();
    return moved;
  });
}

std::vector<std::string> PostgresJobStore::ClaimHolders() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    const Result rows =
        connection.Run("SELECT DISTINCT claimed_by FROM jobs WHERE status = 'started'");
    std::vector<std::string> holders;
    holders.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) holders.push_back(rows.String(row, 0));
    return holders;
  });
}

int PostgresJobStore::RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) {
  if (dead_workers.empty()) return 0;
  return pg::WithConnection(pool_, [&](Connection& connection) {
    Transaction transaction(connection);
    const int moved = RescueWhere(connection, "j.claimed_by = ANY ($2::text[])",
                                  "the process running this job ended before it finished", now,
                                  pg::ToArrayLiteral(dead_workers));
    transaction.Commit();
    return moved;
  });
}

// ---------------------------------------------------------------- retention

std::vector<ExpiredJob> PostgresJobStore::DeleteExpiredJobs(Nanos now, int limit) {
  if (limit <= 0) return {};
  return pg::WithConnection(pool_, [&](Connection& connection) {
    // SKIP LOCKED: two nodes sweeping at once take different jobs, and a
    // job some transaction still holds is left for the next sweep.
    const Result rows = connection.Run(
        "DELETE FROM jobs WHERE id = ANY (ARRAY("
        " SELECT id FROM jobs WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2"
        "  FOR UPDATE SKIP LOCKED))"
        " RETURNING id, artifact_key, expires_at",
        Params().Add(now).Add(std::int64_t{limit}));
    std::vector<std::pair<Nanos, ExpiredJob>> deleted;
    deleted.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
      deleted.emplace_back(rows.Int64(row, 2),
                           ExpiredJob{rows.String(row, 0), rows.OptionalString(row, 1)});
    }
    // RETURNING gives rows in no particular order: soonest expired first.
    std::sort(deleted.begin(), deleted.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first, a.second.id) < std::tie(b.first, b.second.id);
    });
    std::vector<ExpiredJob> jobs;
    jobs.reserve(deleted.size());
    for (auto& [expires_at, job] : deleted) jobs.push_back(std::move(job));
    return jobs;
  });
}

std::int64_t PostgresJobStore::ApplyRetention(Nanos retention) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    // created_at + retention, clamped as AddClamped does: bigint overflow
    // would be an error.
    return connection
        .Run(
            "UPDATE jobs SET expires_at = CASE WHEN created_at <= $2::bigint"
            " THEN created_at + $1::bigint ELSE $3::bigint END"
            " WHERE expires_at IS DISTINCT FROM (CASE WHEN created_at <= $2::bigint"
            " THEN created_at + $1::bigint ELSE $3::bigint END)",
            Params().Add(retention).Add(kLatestTime - retention).Add(kLatestTime))
        .Affected();
  });
}

std::vector<std::string> PostgresJobStore::ReferencedArtifacts() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    const Result rows =
        connection.Run("SELECT artifact_key FROM jobs WHERE artifact_key IS NOT NULL");
    std::vector<std::string> keys;
    keys.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) keys.push_back(rows.String(row, 0));
    return keys;
  });
}

// A GROUP BY over the unexpired jobs. SQLite keeps trigger-maintained counts
// instead; here one more counter row per status would be one more row every
// claim and outcome of every node writes, the hottest one there is.
std::map<JobStatus, std::int64_t> PostgresJobStore::CountByStatus(Nanos now) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    std::map<JobStatus, std::int64_t> counts;
    for (JobStatus status : kAllJobStatuses) counts[status] = 0;
    const Result rows =
        connection.Run("SELECT status, count(*) FROM jobs WHERE expires_at > $1 GROUP BY status",
                       Params().Add(now));
    for (int row = 0; row < rows.rows(); ++row) {
      counts[JobStatusFromText(rows.Text(row, 0))] = rows.Int64(row, 1);
    }
    return counts;
  });
}

std::optional<Nanos> PostgresJobStore::NextRunAfter() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    return connection.Run("SELECT min(run_after) FROM jobs WHERE status = 'pending'")
        .OptionalInt64(0, 0);
  });
}

}  // namespace jobsd::storage
