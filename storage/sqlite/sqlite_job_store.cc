#include "storage/sqlite/sqlite_job_store.h"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/random.h"
#include "storage/filter_sql.h"
#include "storage/job_row.h"
#include "storage/sqlite/job_id_codec.h"
#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

// Leaving `started` drops the claim (the schema's CHECK insists on it) and
// the run's progress.
#define JOBSD_DROP_CLAIM                                             \
  "claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL, " \
  "progress_rows_written = NULL, progress_rows_total = NULL"

// updated_at must change on every status change, even when the clock has
// not moved (or moved back) since the last one. `now` is always ?1.
#define JOBSD_TOUCH "updated_at = max(?1, updated_at + 1)"

// How a statement names one job (0014): by its id, found through seq (the
// rowid) when jobsd derived the id from it, else through the partial index
// jobs_id_given. ?I is the id, ?S the seq it decodes to (BindSeq; NULL when
// it decodes to none). SQLite reads both ways at once (MULTI-INDEX OR).
#define JOBSD_JOB_NAMED(I, S) "id = ?" #I " AND (seq = ?" #S " OR id_from_seq = 0)"

void BindSeq(Statement& statement, int index, const JobIdCodec& codec, std::string_view id) {
  if (std::optional<std::int64_t> seq = codec.Decode(id)) {
    statement.BindInt64(index, *seq);
  } else {
    statement.BindNull(index);
  }
}

// The next sequence number, inside the caller's write transaction: above
// every job's and every number AUTOINCREMENT has recorded (sqlite_sequence),
// so a deleted job's number, hence its id, never comes back.
std::int64_t NextSeq(sqlite::Connection& db) {
  auto next = db.Prepare(
      "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0),"
      " coalesce((SELECT max(seq) FROM jobs), 0)) + 1");
  next->Step();
  return next->ColumnInt64(0);
}

// The id of a new job numbered `seq` or, when the codec skips that number,
// the next one it gives an id (seq moves along).
std::string DeriveId(const JobIdCodec& codec, std::int64_t& seq) {
  for (;; ++seq) {
    if (std::optional<std::string> id = codec.Encode(seq)) return *std::move(id);
  }
}

// A job id given from outside (not derived) must not be one that a job
// derived: jobs_id_given only keeps the given ones unique among themselves.
void RefuseDerivedId(sqlite::Connection& db, const JobIdCodec& codec, const std::string& id) {
  std::optional<std::int64_t> seq = codec.Decode(id);
  if (!seq) return;
  auto taken = db.Prepare("SELECT 1 FROM jobs WHERE seq = ? AND id = ? AND id_from_seq = 1");
  taken->BindInt64(1, *seq).BindText(2, id);
  if (taken->Step()) {
    throw StoreError("sqlite: a job with id [" + id + "] is already stored", /*transient=*/false);
  }
}

// A Statement's current row, read the way DecodeJobRow reads rows.
struct StatementRow {
  const Statement& statement;
  std::string String(int column) const { return statement.ColumnString(column); }
  std::string_view Text(int column) const { return statement.ColumnText(column); }
  std::optional<std::string> OptionalString(int column) const {
    return statement.ColumnOptionalString(column);
  }
  std::int64_t Int64(int column) const { return statement.ColumnInt64(column); }
  std::optional<std::int64_t> OptionalInt64(int column) const {
    return statement.ColumnOptionalInt64(column);
  }
  bool IsNull(int column) const { return statement.IsNull(column); }
};

Job ReadJob(const Statement& row) { return DecodeJobRow(StatementRow{row}); }

void BindParams(Statement& statement, const std::vector<SqlParam>& params, int first_index) {
  int index = first_index;
  for (const SqlParam& param : params) {
    std::visit([&](const auto& value) { statement.Bind(index, value); }, param);
    ++index;
  }
}

constexpr std::string_view kInsertOneSql =
    "INSERT OR FAIL INTO jobs (id, job_type, status, params, attempts, max_attempts, created_at,"
    " updated_at, run_after, expires_at, idempotency_key, request_hash,"
    " idempotency_expires_at, client_id, seq, id_from_seq)"
    " VALUES (?1, ?2, 'pending', ?3, 0, ?4, ?5, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

// Inserts `job` inside the caller's transaction, honouring its idempotency
// key. Nothing is written when the key returns an earlier job.
InsertResult InsertOne(sqlite::Connection& connection, const JobIdCodec& codec, const NewJob& job) {
  sqlite::Connection* const db = &connection;
  const Nanos now = job.created_at;

  if (job.idempotency_key) {
    auto earlier = db->Prepare("SELECT " JOBSD_JOB_COLUMNS
                               ", request_hash, idempotency_expires_at, seq"
                               " FROM jobs WHERE idempotency_key = ?");
    earlier->BindText(1, *job.idempotency_key);
    if (earlier->Step()) {
      Job found = ReadJob(*earlier);
      std::string request_hash(earlier->ColumnText(kJobColumnCount));
      Nanos key_expires_at = earlier->ColumnInt64(kJobColumnCount + 1);
      const std::int64_t earlier_seq = earlier->ColumnInt64(kJobColumnCount + 2);
      if (key_expires_at > now && found.expires_at > now) {
        InsertResult result{std::move(found), /*created=*/false, /*key_conflict=*/false};
        result.key_conflict = request_hash != job.request_hash;
        return result;  // nothing written
      }
      // The key's window (or the job) is over: the key is free again. The
      // old job keeps living without it.
      auto release = db->Prepare(
          "UPDATE jobs SET idempotency_key = NULL, request_hash = NULL,"
          " idempotency_expires_at = NULL WHERE seq = ?");
      release->BindInt64(1, earlier_seq);
      release->Run();
    }
  }

  if (job.client_id && job.max_active_for_client > 0) {
    // Same terms as the WHERE of jobs_active_by_client (0006), so that this
    // reads that index only: at most max_active_for_client entries.
    auto active = db->Prepare(
        "SELECT count(*) FROM jobs WHERE client_id = ?1"
        " AND (status = 'pending' OR status = 'started')");
    active->BindText(1, *job.client_id);
    active->Step();
    const std::int64_t count = active->ColumnInt64(0);
    if (count >= job.max_active_for_client) {
      InsertResult refused;
      refused.created = false;
      refused.active_limit_reached = true;
      return refused;  // nothing written
    }
  }

  std::int64_t seq = NextSeq(*db);
  const bool derived = job.id.empty();
  std::string id = derived ? DeriveId(codec, seq) : job.id;
  if (!derived) RefuseDerivedId(*db, codec, id);
  auto insert = db->Prepare(kInsertOneSql);
  insert->BindText(1, id)
      .BindText(2, job.job_type)
      .BindText(3, job.params)
      .BindInt64(4, job.max_attempts)
      .BindInt64(5, job.created_at)
      .BindInt64(6, job.expires_at);
  if (job.idempotency_key) {
    insert->BindText(7, *job.idempotency_key)
        .BindText(8, job.request_hash)
        .BindInt64(9, job.idempotency_expires_at);
  }
  if (job.client_id) insert->BindText(10, *job.client_id);
  insert->BindInt64(11, seq).BindInt64(12, derived ? 1 : 0);
  insert->Run();
  InsertResult result{StoredJob(job)};
  result.job.id = std::move(id);
  return result;
}

// Rows per statement of InsertPlainRows: one statement for many rows pays
// SQLite's per-statement work (bind, step, halt) once. 32 rows x 9
// parameters stays far below SQLite's 32,766 parameters.
constexpr std::size_t kRowsPerInsert = 32;

const std::string& MultiRowInsertSql() {
  static const std::string sql = [] {
    std::string text =
        "INSERT OR FAIL INTO jobs (id, job_type, status, params, attempts, max_attempts,"
        " created_at, updated_at, run_after, expires_at, client_id, seq, id_from_seq) VALUES ";
    for (std::size_t row = 0; row < kRowsPerInsert; ++row) {
      auto p = [&](int k) { return "?" + std::to_string(row * 9 + static_cast<std::size_t>(k)); };
      if (row > 0) text += ", ";
      text += "(" + p(1) + ", " + p(2) + ", 'pending', " + p(3) + ", 0, " + p(4) + ", " + p(5) +
              ", " + p(5) + ", " + p(5) + ", " + p(6) + ", " + p(7) + ", " + p(8) + ", " + p(9) +
              ")";
    }
    return text;
  }();
  return sql;
}

// Jobs with no idempotency key and no active-job limit need no reads before
// their insert: kRowsPerInsert of them at a time go in one statement (the
// rest one by one). Inside the caller's transaction, like InsertOne.
void InsertPlainRows(sqlite::Connection& db, const JobIdCodec& codec, const NewJob* jobs,
                     std::size_t count, std::vector<InsertResult>& results) {
  std::size_t done = 0;
  std::array<std::string, kRowsPerInsert> ids;
  // Read once: inside this transaction only these statements insert.
  std::int64_t seq = count >= kRowsPerInsert ? NextSeq(db) : 0;
  for (; count - done >= kRowsPerInsert; done += kRowsPerInsert) {
    auto insert = db.Prepare(MultiRowInsertSql());
    for (std::size_t row = 0; row < kRowsPerInsert; ++row, ++seq) {
      const NewJob& job = jobs[done + row];
      const int base = static_cast<int>(row * 9);
      const bool derived = job.id.empty();
      ids[row] = derived ? DeriveId(codec, seq) : job.id;
      if (!derived) RefuseDerivedId(db, codec, ids[row]);
      // Uncopied: ids and jobs outlive `insert`, which resets as it goes.
      insert->BindTextUncopied(base + 1, ids[row])
          .BindTextUncopied(base + 2, job.job_type)
          .BindTextUncopied(base + 3, job.params)
          .BindInt64(base + 4, job.max_attempts)
          .BindInt64(base + 5, job.created_at)
          .BindInt64(base + 6, job.expires_at);
      if (job.client_id) {
        insert->BindTextUncopied(base + 7, *job.client_id);
      } else {
        insert->BindNull(base + 7);
      }
      insert->BindInt64(base + 8, seq).BindInt64(base + 9, derived ? 1 : 0);
    }
    insert->Run();
    for (std::size_t row = 0; row < kRowsPerInsert; ++row) {
      results.push_back(InsertResult{StoredJob(jobs[done + row])});
      results.back().job.id = std::move(ids[row]);
    }
  }
  for (; done < count; ++done) results.push_back(InsertOne(db, codec, jobs[done]));
}

bool IsPlain(const NewJob& job) { return !job.idempotency_key && job.max_active_for_client <= 0; }

}  // namespace

// Concurrent inserts (the API's threads) share one transaction, and one
// fsync, through the writer's group commit; each caller still returns only
// after its own job is committed.
InsertResult SqliteJobStore::InsertJob(const NewJob& job) {
  InsertResult result;
  // A key may release an expired key (an UPDATE) before the insert: only
  // then is there something to undo if the insert fails.
  const auto undo =
      job.idempotency_key ? GroupWriter::Undo::kSavepoint : GroupWriter::Undo::kNothingWritten;
  const JobIdCodec& codec = Codec();
  writer_.Write(
      [&](sqlite::Connection& connection) {
        result = InsertOne(connection, codec, job);
        if (result.created) NoteInserted(result.job);
      },
      GroupWriter::Sync::kFull, undo);
  return result;
}

void SqliteJobStore::InsertJobAsync(NewJob job, InsertDone done) {
  struct Insert {
    NewJob job;
    InsertResult result;
  };
  auto insert = std::make_shared<Insert>(Insert{std::move(job), {}});
  const JobIdCodec& codec = Codec();
  const auto undo = insert->job.idempotency_key ? GroupWriter::Undo::kSavepoint
                                                : GroupWriter::Undo::kNothingWritten;
  writer_.Submit(
      [this, insert, &codec](sqlite::Connection& connection) {
        insert->result = InsertOne(connection, codec, insert->job);
        if (insert->result.created) NoteInserted(insert->result.job);
      },
      GroupWriter::Sync::kFull, undo,
      [insert, done = std::move(done)](std::exception_ptr error) {
        // The work may have run before its group failed to commit.
        done(error, error ? InsertResult{} : std::move(insert->result));
      });
}

std::vector<InsertResult> SqliteJobStore::InsertJobs(const std::vector<NewJob>& jobs) {
  std::vector<InsertResult> results;
  const JobIdCodec& codec = Codec();
  writer_.Write([&](sqlite::Connection& connection) {
    results.clear();  // all or none
    results.reserve(jobs.size());
    for (std::size_t first = 0; first < jobs.size();) {
      std::size_t end = first;
      while (end < jobs.size() && IsPlain(jobs[end])) ++end;
      if (end > first) {
        InsertPlainRows(connection, codec, jobs.data() + first, end - first, results);
        first = end;
      } else {
        results.push_back(InsertOne(connection, codec, jobs[first++]));
      }
    }
    for (const InsertResult& inserted : results) {
      if (inserted.created) NoteInserted(inserted.job);
    }
  });
  return results;
}

void SqliteJobStore::Warm() {
  Codec();
  writer_.OpenEarly([](sqlite::Connection& connection) {
    connection.Prepare(MultiRowInsertSql());
    connection.Prepare(kInsertOneSql);
  });
}

void SqliteJobStore::NoteInserted(const Job& job) {
  ++uncounted_inserts_;
  inserted_retentions_.Add(job.created_at, job.expires_at);
}

void SqliteJobStore::RecordInsertedJobs(sqlite::Connection& connection) {
  inserted_retentions_.WidenStoredRange(connection);
  const std::int64_t inserted = std::exchange(uncounted_inserts_, 0);
  if (inserted == 0) return;
  auto count = connection.Prepare("UPDATE job_counts SET jobs = jobs + ? WHERE status = 'pending'");
  count->BindInt64(1, inserted);
  count->Run();
}

void SqliteJobStore::ReleaseWriterMemory() {
  checkpointer_.ReleaseMemory();
  try {
    writer_.CloseConnection();
  } catch (...) {
    // Only memory is at stake (the lock may be another process's now).
  }
}

std::optional<Job> SqliteJobStore::FindJob(std::string_view id, Nanos now) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      "SELECT " JOBSD_JOB_COLUMNS " FROM jobs WHERE " JOBSD_JOB_NAMED(1, 3) " AND expires_at > ?2");
  select->BindText(1, id).BindInt64(2, now);
  BindSeq(*select, 3, Codec(), id);
  if (!select->Step()) return std::nullopt;
  return ReadJob(*select);
}

std::optional<Job> SqliteJobStore::FindJobByArtifactToken(std::string_view token, Nanos now) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare("SELECT " JOBSD_JOB_COLUMNS
                                    " FROM jobs WHERE artifact_token = ? AND expires_at > ?");
  select->BindText(1, token).BindInt64(2, now);
  if (!select->Step()) return std::nullopt;
  return ReadJob(*select);
}

namespace {

// The statuses a job filter keeps when it filters on status alone (every
// status for an empty filter); nullopt when it looks at other fields too.
std::optional<std::set<std::string_view>> StatusesOnly(const filter::Filter& filter) {
  std::set<std::string_view> kept;
  for (JobStatus status : kAllJobStatuses) kept.insert(JobStatusText(status));
  for (const filter::Condition& condition : filter.conditions) {
    if (condition.field != "status") return std::nullopt;
    std::set<std::string_view> named;
    for (const filter::Value& value : condition.values) {
      if (const auto* text = std::get_if<std::string>(&value)) named.insert(*text);
    }
    std::erase_if(kept, [&](std::string_view status) { return named.count(status) == 0; });
  }
  return kept;
}

// Visible jobs in `statuses`: the counts the store keeps, less the expired
// jobs the retention sweep has not deleted yet (few, found by their
// created_at in jobs_listing: 0019).
std::int64_t CountVisible(sqlite::Connection& connection,
                          const std::set<std::string_view>& statuses, Nanos now) {
  std::int64_t total = 0;
  auto counts = connection.Prepare("SELECT status, jobs FROM job_counts");
  while (counts->Step()) {
    if (statuses.count(counts->ColumnText(0)) > 0) total += counts->ColumnInt64(1);
  }
  auto expired = connection.Prepare(
      "SELECT status, count(*) FROM jobs WHERE created_at <= ?1 AND expires_at <= ?2"
      " GROUP BY status");
  expired->BindInt64(1, JobRetentionRange::Read(connection).LastCreatedExpiredAt(now))
      .BindInt64(2, now);
  while (expired->Step()) {
    if (statuses.count(expired->ColumnText(0)) > 0) total -= expired->ColumnInt64(1);
  }
  return total;
}

}  // namespace

std::uint64_t SqliteJobStore::ChangeVersion() { return change_counter_.Read(); }

namespace {

// The earliest expires_at after `now`, read from jobs_listing (0019): the
// first visible job in created_at order expires first when every job has the
// same retention; otherwise a job expiring sooner was created before that
// job expires less the shortest retention.
std::optional<Nanos> NextExpiry(sqlite::Connection& connection, Nanos now) {
  const JobRetentionRange range = JobRetentionRange::Read(connection);
  const Nanos first_visible = range.FirstCreatedVisibleAt(now);
  auto first = connection.Prepare(
      "SELECT expires_at FROM jobs WHERE created_at >= ?1 AND expires_at > ?2"
      " ORDER BY created_at, seq LIMIT 1");
  first->BindInt64(1, first_visible).BindInt64(2, now);
  if (!first->Step()) return std::nullopt;
  const Nanos earliest = first->ColumnInt64(0);
  if (range.Uniform()) return earliest;
  auto sooner = connection.Prepare(
      "SELECT min(expires_at) FROM jobs WHERE created_at >= ?1 AND created_at <= ?2"
      " AND expires_at > ?3");
  sooner->BindInt64(1, first_visible)
      .BindInt64(2, range.LastCreatedExpiredAt(earliest - 1))
      .BindInt64(3, now);
  if (sooner->Step() && !sooner->IsNull(0)) return std::min(earliest, sooner->ColumnInt64(0));
  return earliest;
}

}  // namespace

JobPage SqliteJobStore::ListJobs(const JobQuery& query) {
  SqlWhere where = CompileJobFilter(query.filter);
  std::string condition = " WHERE expires_at > ?";
  if (!where.sql.empty()) condition += " AND (" + where.sql + ")";

  auto connection = pool_.Borrow();
  // One read transaction, so the page and the total see the same jobs.
  Transaction transaction(*connection, sqlite::TransactionKind::kDeferred);
  JobPage page;

  if (auto statuses = StatusesOnly(query.filter)) {
    page.total = CountVisible(*connection, *statuses, query.now);
  } else {
    // Filters make this SQL follow their shape: the latest shapes stay prepared.
    auto count = connection->PrepareShaped("SELECT count(*) FROM jobs" + condition);
    count->BindInt64(1, query.now);
    BindParams(*count, where.params, 2);
    count->Step();
    page.total = count->ColumnInt64(0);
  }

  if (query.offset < page.total) {
    const std::string sql = "SELECT " JOBSD_JOB_COLUMNS " FROM jobs" + condition +
                            JOBSD_SQLITE_LIST_ORDER " LIMIT ? OFFSET ?";
    // The unfiltered page (what clients poll) keeps its prepared statement;
    // filtered ones vary with the filter's shape and share a small cache.
    auto prepared = where.sql.empty() ? connection->Prepare(sql) : connection->PrepareShaped(sql);
    Statement& select = *prepared;
    select.BindInt64(1, query.now);
    BindParams(select, where.params, 2);
    const int next = 2 + static_cast<int>(where.params.size());
    select.BindInt64(next, query.limit).BindInt64(next + 1, query.offset);
    page.jobs.reserve(static_cast<std::size_t>(std::min<std::int64_t>(query.limit, page.total)));
    while (select.Step()) page.jobs.push_back(ReadJob(select));
  }
  // Any visible job, matching or not: cheap and never too late.
  if (auto expiry = NextExpiry(*connection, query.now)) page.valid_until = *expiry;

  transaction.Commit();
  return page;
}

namespace {

// Moves up to request.max_jobs pending jobs to started inside the caller's
// transaction and returns them oldest first. The subquery yields rowids, so
// each row is found by its key rather than through the index on id.
std::vector<ClaimedJob> ClaimWithin(sqlite::Connection& connection, const ClaimRequest& request) {
  std::vector<ClaimedJob> claimed;
  if (request.max_jobs <= 0) return claimed;
  // Each job gets its own token: a random prefix for this batch (128 bits)
  // plus the job id, so no two claims ever share one.
  const std::string token_prefix = RandomHex(16) + ":";
  auto claim = connection.Prepare(
      "UPDATE jobs SET status = 'started', attempts = attempts + 1, claimed_by = ?1,"
      " claim_token = ?2 || id, lease_expires_at = ?3, updated_at = max(?4, updated_at + 1)"
      " WHERE rowid IN (SELECT rowid FROM jobs"
      "   WHERE status = 'pending' AND run_after <= ?4 AND expires_at > ?4"
      "   ORDER BY created_at, seq LIMIT ?5)"
      " RETURNING " JOBSD_JOB_COLUMNS ", claim_token, seq");
  claim->BindText(1, request.worker_id)
      .BindText(2, token_prefix)
      .BindInt64(3, request.lease_until)
      .BindInt64(4, request.now)
      .BindInt64(5, request.max_jobs);
  // RETURNING gives rows in no particular order; hand them out oldest first
  // (ties of created_at by seq, as the claim took them).
  std::vector<std::pair<std::int64_t, ClaimedJob>> taken;
  while (claim->Step()) {
    taken.emplace_back(claim->ColumnInt64(kJobColumnCount + 1),
                       ClaimedJob{ReadJob(*claim), claim->ColumnString(kJobColumnCount)});
  }
  std::sort(taken.begin(), taken.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.job.created_at, a.first) < std::tie(b.second.job.created_at, b.first);
  });
  claimed.reserve(taken.size());
  for (auto& [seq, job] : taken) claimed.push_back(std::move(job));
  return claimed;
}

}  // namespace

// Claims acknowledge nothing: they commit with synchronous=NORMAL unless they
// share the transaction of a write that needs FULL. After a power loss (not
// a process crash: that loses nothing either way) the last ones may be gone,
// which only means those jobs are pending again and are claimed again. A
// later FULL commit (an insert, an outcome) syncs the WAL with every frame
// before it, so an outcome is never durable without its claim.
std::vector<ClaimedJob> SqliteJobStore::ClaimJobs(const ClaimRequest& request) {
  std::vector<ClaimedJob> claimed;
  if (request.max_jobs <= 0) return claimed;
  writer_.Write([&](sqlite::Connection& connection) { claimed = ClaimWithin(connection, request); },
                GroupWriter::Sync::kNormal);
  return claimed;
}

// One transaction for every claim this process holds, whatever their
// number. Like a claim, a renewal acknowledges nothing: synchronous=NORMAL
// (a renewal lost to a power cut only lets a lease lapse sooner).
std::vector<bool> SqliteJobStore::RenewLeases(const std::vector<LeaseRenewal>& renewals,
                                              Nanos lease_until) {
  std::vector<bool> held;
  if (renewals.empty()) return held;
  const JobIdCodec& codec = Codec();
  writer_.Write(
      [&](sqlite::Connection& connection) {
        held.assign(renewals.size(), false);
        for (std::size_t i = 0; i < renewals.size(); ++i) {
          const LeaseRenewal& renewal = renewals[i];
          // Unbound progress parameters are NULL: coalesce keeps what is stored.
          auto renew = connection.Prepare(
              "UPDATE jobs SET lease_expires_at = ?1,"
              " progress_rows_written = coalesce(?4, progress_rows_written),"
              " progress_rows_total = coalesce(?5, progress_rows_total)"
              " WHERE " JOBSD_JOB_NAMED(2, 6) " AND claim_token = ?3 AND status = 'started'");
          renew->BindInt64(1, lease_until).BindText(2, renewal.id).BindText(3, renewal.token);
          BindSeq(*renew, 6, codec, renewal.id);
          if (renewal.progress) {
            renew->BindInt64(4, renewal.progress->rows_written)
                .BindInt64(5, renewal.progress->rows_total);
          }
          renew->Run();
          held[i] = connection.Changes() == 1;
        }
      },
      GroupWriter::Sync::kNormal);
  return held;
}

namespace {

// A job about to be cancelled, read inside the cancel's transaction.
std::optional<Job> FindForCancel(sqlite::Connection& connection, const JobIdCodec& codec,
                                 std::string_view id, Nanos now) {
  auto select = connection.Prepare(
      "SELECT " JOBSD_JOB_COLUMNS " FROM jobs WHERE " JOBSD_JOB_NAMED(1, 3) " AND expires_at > ?2");
  select->BindText(1, id).BindInt64(2, now);
  BindSeq(*select, 3, codec, id);
  if (!select->Step()) return std::nullopt;
  return ReadJob(*select);
}

}  // namespace

CancelResult SqliteJobStore::CancelJob(std::string_view id, Nanos now) {
  CancelResult result;
  const JobIdCodec& codec = Codec();
  writer_.Write([&](sqlite::Connection& connection) {
    result = CancelResult{};
    std::optional<Job> job = FindForCancel(connection, codec, id, now);
    if (!job) return;
    if (IsFinal(job->status)) {
      result.kind = CancelResult::Kind::kAlreadyFinished;
      result.job = *std::move(job);
      return;
    }
    if (job->status == JobStatus::kPending) {
      // pending -> started -> failed: the trigger allows no pending ->
      // failed, and the state machine does not grow for cancellation. The
      // step is never seen outside this transaction; its claim is a dummy
      // that no worker ever holds.
      auto start = connection.Prepare(
          "UPDATE jobs SET status = 'started', claimed_by = 'cancel',"
          " claim_token = 'cancel:' || id, lease_expires_at = ?1"
          " WHERE " JOBSD_JOB_NAMED(2, 3) " AND status = 'pending'");
      start->BindInt64(1, now).BindText(2, id);
      BindSeq(*start, 3, codec, id);
      start->Run();
    }
    auto fail = connection.Prepare(
        "UPDATE jobs SET status = 'failed', error = ?2, " JOBSD_DROP_CLAIM ", " JOBSD_TOUCH
        " WHERE " JOBSD_JOB_NAMED(3, 4) " AND status = 'started'"
        " RETURNING " JOBSD_JOB_COLUMNS);
    fail->BindInt64(1, now).BindText(2, kCancelledError).BindText(3, id);
    BindSeq(*fail, 4, codec, id);
    if (!fail->Step()) throw StoreError("a job to cancel was not started", /*transient=*/false);
    result.kind = CancelResult::Kind::kCancelled;
    result.job = ReadJob(*fail);
    while (fail->Step()) {
    }
  });
  return result;
}

namespace {

bool ApplySucceeded(sqlite::Connection& connection, const JobIdCodec& codec, std::string_view id,
                    std::string_view token, const SuccessResult& result, Nanos now) {
  auto update = connection.Prepare(
      "UPDATE jobs SET status = 'success', error = NULL, result = ?2, artifact_key = ?3,"
      " artifact_token = ?4, artifact_content_type = ?5, artifact_name = ?6,"
      " artifact_size = ?7, " JOBSD_DROP_CLAIM ", " JOBSD_TOUCH
      " WHERE " JOBSD_JOB_NAMED(8, 10) " AND claim_token = ?9 AND status = 'started'");
  update->BindInt64(1, now);
  // Unbound parameters are NULL: no result, no artifact.
  if (!result.result.empty()) update->BindText(2, result.result);
  if (const std::optional<Artifact>& artifact = result.artifact) {
    update->BindText(3, artifact->key)
        .BindText(4, artifact->token)
        .BindText(5, artifact->content_type)
        .BindText(6, artifact->file_name);
    if (artifact->size) update->BindInt64(7, *artifact->size);
  }
  update->BindText(8, id).BindText(9, token);
  BindSeq(*update, 10, codec, id);
  update->Run();
  return connection.Changes() == 1;
}

bool ApplyFailed(sqlite::Connection& connection, const JobIdCodec& codec, std::string_view id,
                 std::string_view token, std::string_view error, Nanos now) {
  auto update = connection.Prepare(
      "UPDATE jobs SET status = 'failed', error = ?2, " JOBSD_DROP_CLAIM ", " JOBSD_TOUCH
      " WHERE " JOBSD_JOB_NAMED(3, 5) " AND claim_token = ?4 AND status = 'started'");
  update->BindInt64(1, now).BindText(2, error).BindText(3, id).BindText(4, token);
  BindSeq(*update, 5, codec, id);
  update->Run();
  return connection.Changes() == 1;
}

bool ApplyRetry(sqlite::Connection& connection, const JobIdCodec& codec, std::string_view id,
                std::string_view token, std::string_view error, Nanos run_after, Nanos now) {
  auto update = connection.Prepare(
      "UPDATE jobs SET status = 'pending', error = ?2, run_after = ?3, " JOBSD_DROP_CLAIM
      ", " JOBSD_TOUCH " WHERE " JOBSD_JOB_NAMED(4, 6) " AND claim_token = ?5"
      " AND status = 'started'");
  update->BindInt64(1, now)
      .BindText(2, error)
      .BindInt64(3, run_after)
      .BindText(4, id)
      .BindText(5, token);
  BindSeq(*update, 6, codec, id);
  update->Run();
  return connection.Changes() == 1;
}

// The run was interrupted on purpose (shutdown), so it does not count
// against the job's attempts.
bool ApplyRelease(sqlite::Connection& connection, const JobIdCodec& codec, std::string_view id,
                  std::string_view token, Nanos now) {
  auto update = connection.Prepare(
      "UPDATE jobs SET status = 'pending', run_after = ?1, attempts = max(attempts - 1, 0),"
      " " JOBSD_DROP_CLAIM ", " JOBSD_TOUCH
      " WHERE " JOBSD_JOB_NAMED(2, 4) " AND claim_token = ?3 AND status = 'started'");
  update->BindInt64(1, now).BindText(2, id).BindText(3, token);
  BindSeq(*update, 4, codec, id);
  update->Run();
  return connection.Changes() == 1;
}

}  // namespace

namespace {

std::vector<bool> ApplyCompletions(sqlite::Connection& connection, const JobIdCodec& codec,
                                   const std::vector<JobCompletion>& completions, Nanos now) {
  std::vector<bool> applied;
  applied.reserve(completions.size());
  for (const JobCompletion& c : completions) {
    switch (c.kind) {
      case JobCompletion::Kind::kSucceeded:
        applied.push_back(ApplySucceeded(connection, codec, c.id, c.token, c.success, now));
        break;
      case JobCompletion::Kind::kFailed:
        applied.push_back(ApplyFailed(connection, codec, c.id, c.token, c.error, now));
        break;
      case JobCompletion::Kind::kRetry:
        applied.push_back(ApplyRetry(connection, codec, c.id, c.token, c.error, c.run_after, now));
        break;
      case JobCompletion::Kind::kRelease:
        applied.push_back(ApplyRelease(connection, codec, c.id, c.token, now));
        break;
    }
  }
  return applied;
}

}  // namespace

std::vector<bool> SqliteJobStore::FinishJobs(const std::vector<JobCompletion>& completions,
                                             Nanos now) {
  std::vector<bool> applied;
  const JobIdCodec& codec = Codec();
  writer_.Write([&](sqlite::Connection& connection) {
    applied = ApplyCompletions(connection, codec, completions, now);
  });
  return applied;
}

FinishAndClaimResult SqliteJobStore::FinishAndClaim(const std::vector<JobCompletion>& completions,
                                                    Nanos now, const ClaimRequest& next) {
  FinishAndClaimResult result;
  // Outcomes need FULL; with none, this is a plain claim.
  const auto sync = completions.empty() ? GroupWriter::Sync::kNormal : GroupWriter::Sync::kFull;
  const JobIdCodec& codec = Codec();
  writer_.Write(
      [&](sqlite::Connection& connection) {
        result.applied = ApplyCompletions(connection, codec, completions, now);
        result.claimed = ClaimWithin(connection, next);
      },
      sync);
  return result;
}

namespace {

// Returns the started jobs that `which` selects (an SQL condition whose only
// parameter is ?2) to pending, saying `what` happened. The cut-short run does
// not count as an attempt but as an interruption; a job interrupted
// kMaxInterruptions times is failed instead. Runs inside the caller's
// transaction. Returns how many moved.
int RescueWhere(sqlite::Connection& connection, const std::string& which, std::string_view what,
                Nanos now, const std::function<void(sqlite::Statement&)>& bind) {
  auto give_up = connection.Prepare(
      "UPDATE jobs SET status = 'failed', interruptions = interruptions + 1,"
      " error = ?3 || '; its runs were cut short ' || (interruptions + 1) ||"
      " ' times, so it is not run again (it may be what stops the worker);"
      " submit it again to retry',"
      " " JOBSD_DROP_CLAIM ", " JOBSD_TOUCH
      " WHERE status = 'started' AND interruptions + 1 >= ?4 AND " +
      which);
  give_up->BindInt64(1, now).BindText(3, what).BindInt64(4, kMaxInterruptions);
  bind(*give_up);
  give_up->Run();
  std::int64_t moved = connection.Changes();

  auto requeue = connection.Prepare(
      "UPDATE jobs SET status = 'pending', run_after = ?1, error = ?3,"
      " attempts = max(attempts - 1, 0), interruptions = interruptions + 1,"
      " " JOBSD_DROP_CLAIM ", " JOBSD_TOUCH " WHERE status = 'started' AND " +
      which);
  requeue->BindInt64(1, now).BindText(3, what);
  bind(*requeue);
  requeue->Run();
  moved += connection.Changes();
  return static_cast<int>(moved);
}

}  // namespace

int SqliteJobStore::RescueExpiredLeases(Nanos now) {
  int moved = 0;
  writer_.Write([&](sqlite::Connection& connection) {
    moved = RescueWhere(connection, "lease_expires_at <= ?2",
                        "the worker running this job stopped responding (lease expired)", now,
                        [now](sqlite::Statement& statement) { statement.BindInt64(2, now); });
  });
  return moved;
}

std::vector<std::string> SqliteJobStore::ClaimHolders() {
  auto connection = pool_.Borrow();
  auto select =
      connection->Prepare("SELECT DISTINCT claimed_by FROM jobs WHERE status = 'started'");
  std::vector<std::string> holders;
  while (select->Step()) holders.push_back(select->ColumnString(0));
  return holders;
}

int SqliteJobStore::RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) {
  int moved = 0;
  writer_.Write([&](sqlite::Connection& connection) {
    moved = 0;
    for (const std::string& worker : dead_workers) {
      moved += RescueWhere(
          connection, "claimed_by = ?2", "the process running this job ended before it finished",
          now, [&worker](sqlite::Statement& statement) { statement.BindText(2, worker); });
    }
  });
  return moved;
}

std::vector<ExpiredJob> SqliteJobStore::DeleteExpiredJobs(Nanos now, int limit) {
  std::vector<ExpiredJob> deleted;
  if (limit <= 0) return deleted;
  writer_.Write([&](sqlite::Connection& connection) {
    deleted.clear();
    // Found by their created_at in jobs_listing (0019). With one retention
    // for every job, created_at order is expiry order, read from the index
    // as it goes; otherwise the candidates are sorted by expiry.
    const JobRetentionRange range = JobRetentionRange::Read(connection);
    auto remove = connection.Prepare(
        std::string("DELETE FROM jobs WHERE seq IN"
                    " (SELECT seq FROM jobs WHERE created_at <= ?1 AND expires_at <= ?2") +
        (range.Uniform() ? " ORDER BY created_at, seq" : " ORDER BY expires_at, seq") +
        " LIMIT ?3) RETURNING id, artifact_key");
    remove->BindInt64(1, range.LastCreatedExpiredAt(now)).BindInt64(2, now).BindInt64(3, limit);
    while (remove->Step()) {
      deleted.push_back(ExpiredJob{remove->ColumnString(0), remove->ColumnOptionalString(1)});
    }
    if (!deleted.empty()) {
      // The store uses auto_vacuum=INCREMENTAL: give the freed pages back to
      // the file system a little at a time, so the file does not only grow.
      connection.Exec("PRAGMA incremental_vacuum(1024)");
    }
  });
  return deleted;
}

std::int64_t SqliteJobStore::ApplyRetention(Nanos retention) {
  std::int64_t changed = 0;
  writer_.Write([&](sqlite::Connection& connection) {
    // created_at + retention, clamped as AddClamped does: SQLite would turn
    // an overflowing integer sum into a REAL.
    auto apply = connection.Prepare(
        "UPDATE jobs SET expires_at = CASE WHEN created_at <= ?2 THEN created_at + ?1 ELSE ?3 END"
        " WHERE expires_at IS NOT (CASE WHEN created_at <= ?2 THEN created_at + ?1 ELSE ?3 END)");
    apply->BindInt64(1, retention).BindInt64(2, kLatestTime - retention).BindInt64(3, kLatestTime);
    apply->Run();
    changed = connection.Changes();
    ResetRetentionRange(connection, retention);
  });
  return changed;
}

std::vector<std::string> SqliteJobStore::ReferencedArtifacts() {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare("SELECT artifact_key FROM jobs WHERE artifact_key IS NOT NULL");
  std::vector<std::string> keys;
  while (select->Step()) keys.push_back(select->ColumnString(0));
  return keys;
}

std::map<JobStatus, std::int64_t> SqliteJobStore::CountByStatus(Nanos now) {
  std::map<JobStatus, std::int64_t> counts;
  auto connection = pool_.Borrow();
  Transaction transaction(*connection, sqlite::TransactionKind::kDeferred);
  for (JobStatus status : kAllJobStatuses) {
    counts[status] = CountVisible(*connection, {JobStatusText(status)}, now);
  }
  transaction.Commit();
  return counts;
}

const JobIdCodec& SqliteJobStore::Codec() {
  std::call_once(codec_once_, [this] {
    auto connection = pool_.Borrow();
    auto select = connection->Prepare("SELECT key FROM job_id_key");
    if (!select->Step()) {
      throw StoreError("jobs: the store has no job_id_key (migration 0014)", /*transient=*/false);
    }
    codec_.emplace(select->ColumnText(0));
    codec_->Encode(1);  // the first use of OpenSSL's AES: see Warm
  });
  return *codec_;
}

std::optional<Nanos> SqliteJobStore::NextRunAfter() {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare("SELECT min(run_after) FROM jobs WHERE status = 'pending'");
  select->Step();
  return select->ColumnOptionalInt64(0);
}

}  // namespace jobsd::storage
