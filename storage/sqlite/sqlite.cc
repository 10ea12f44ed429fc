#include "storage/sqlite/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace jobsd::storage::sqlite {

bool IsTransient(int code) {
  switch (code & 0xff) {
    // Another connection holds the lock (busy_timeout ran out) or a shared
    // cache table is locked: the next attempt will likely get through.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    // Read/write/fsync failures and a full disk may clear up (network
    // filesystem hiccup, an operator freeing space); the transaction was
    // rolled back, so retrying is safe.
    case SQLITE_IOERR:
    case SQLITE_FULL:
    // A race on the WAL index between connections; SQLite documents it as
    // retryable.
    case SQLITE_PROTOCOL:
    // The file or its directory lost write permission, or the file system
    // was remounted read-only: nothing was written, and an operator can put
    // it right without restarting us.
    case SQLITE_READONLY:
      return true;
    // SQLITE_CANTOPEN is deliberately NOT transient: it almost always means
    // a missing directory or wrong permissions, which no retry fixes, and
    // a worker retrying it forever would hide a configuration error. The
    // rest (constraint violations, misuse, corruption, schema errors) are
    // bugs or damage and must surface at once.
    default:
      return false;
  }
}

StoreFault FaultOf(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
      return StoreFault::kBusy;
    case SQLITE_FULL:
      return StoreFault::kDiskFull;
    case SQLITE_READONLY:
      return StoreFault::kReadOnly;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return StoreFault::kIo;
    default:
      return StoreFault::kOther;
  }
}

// The message names what we were doing ("step", "open") but never the
// statement: messages reach logs that operators read and retry loops
// repeat, and SQL text there is noise (and, before, leaked to clients).
void Throw(sqlite3* db, int code, std::string_view context) {
  std::string message = "sqlite: ";
  message += context;
  message += ": ";
  // sqlite3_errmsg describes the most recent failure on `db`, which is this
  // one when called right after the failing call; fall back to the generic
  // text for the code otherwise.
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  message += detail != nullptr ? detail : sqlite3_errstr(code);
  message += " (code ";
  message += std::to_string(code);
  message += ")";
  throw SqliteError(message, code, IsTransient(code), FaultOf(code));
}

// --- Statement -------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql, bool persistent) : db_(db) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    Throw(db, sqlite3_extended_errcode(db), "prepare");
  }
  if (stmt_ == nullptr) throw SqliteError("sqlite: prepare: empty statement", SQLITE_MISUSE, false);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void Statement::Check(int rc, std::string_view context) const {
  if (rc != SQLITE_OK) Throw(db_, rc, context);
}

Statement& Statement::BindInt64(int index, std::int64_t value) {
  Check(sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
  // A non-null pointer even for "", so the value binds as '' and not NULL.
  const char* data = value.data() != nullptr ? value.data() : "";
  Check(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  return *this;
}

Statement& Statement::BindTextUncopied(int index, std::string_view value) {
  const char* data = value.data() != nullptr ? value.data() : "";
  Check(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8), "bind");
  return *this;
}

Statement& Statement::BindNull(int index) {
  Check(sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::int64_t>& value) {
  return value ? BindInt64(index, *value) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? BindText(index, *value) : BindNull(index);
}

int Statement::ParameterCount() const { return sqlite3_bind_parameter_count(stmt_); }

bool Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // With sqlite3_prepare_v3 the step result is already the (extended) code.
  int code = sqlite3_extended_errcode(db_);
  if ((code & 0xff) != (rc & 0xff)) code = rc;
  // Leave the statement reusable; the error is reported below.
  sqlite3_reset(stmt_);
  Throw(db_, code, "step");
}

void Statement::Run() {
  while (Step()) {
  }
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::ColumnText(int column) const {
  // Text first, then bytes: the documented order that avoids a conversion
  // invalidating the pointer.
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int bytes = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes)};
}

std::optional<std::int64_t> Statement::ColumnOptionalInt64(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnInt64(column);
}

std::optional<std::string> Statement::ColumnOptionalString(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnString(column);
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error code; that error was
  // already reported by Step, so it is ignored here.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

CachedStatement::~CachedStatement() { statement_->Reset(); }

// --- Connection ------------------------------------------------------------

void Connection::Closer::operator()(sqlite3* db) const {
  // close_v2 never fails for busy statements: it defers the close until the
  // last one is finalized.
  sqlite3_close_v2(db);
}

Connection::Connection(sqlite3* db) : db_(db) {}

Connection::~Connection() = default;

std::unique_ptr<Connection> Connection::Open(const std::filesystem::path& path, int flags) {
  if (flags == 0) {
    flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // On most failures SQLite still allocates a handle that holds the message.
    try {
      // The path is for the log (clients never see a store's message).
      Throw(db, db != nullptr ? sqlite3_extended_errcode(db) : rc, "open " + path.string());
    } catch (...) {
      sqlite3_close_v2(db);
      throw;
    }
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

std::unique_ptr<Connection> Connection::OpenExisting(const std::filesystem::path& path) {
  return Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE);
}

void Connection::Exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* error = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    if (error != nullptr) sqlite3_free(error);
    Throw(db_.get(), sqlite3_extended_errcode(db_.get()), "exec");
  }
}

void Connection::SetBusyWait(std::chrono::milliseconds timeout,
                             std::shared_ptr<const std::atomic<bool>> abort) {
  busy_wait_ = std::make_unique<BusyWait>();
  busy_wait_->timeout = timeout;
  busy_wait_->abort = std::move(abort);
  sqlite3_busy_handler(db_.get(), &Connection::OnBusy, busy_wait_.get());
}

// SQLite calls this while a lock it wants is held elsewhere; `count` is 0 on
// the first call of each wait. Returning 0 gives up (SQLITE_BUSY).
int Connection::OnBusy(void* arg, int count) {
  auto* wait = static_cast<BusyWait*>(arg);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) wait->started = now;
  if (wait->abort != nullptr && wait->abort->load()) return 0;
  const auto waited = now - wait->started;
  if (waited >= wait->timeout) return 0;
  // SQLite's own busy_timeout sleeps grow like this; capped at 100 ms so
  // that an abort is seen within a tenth of a second.
  static constexpr int kDelaysMs[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  constexpr int kSteps = static_cast<int>(sizeof kDelaysMs / sizeof kDelaysMs[0]);
  const auto delay = std::chrono::milliseconds(kDelaysMs[std::min(count, kSteps - 1)]);
  std::this_thread::sleep_for(
      std::min<std::chrono::steady_clock::duration>(delay, wait->timeout - waited));
  return 1;
}

CachedStatement Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto statement = std::make_unique<Statement>(db_.get(), sql, /*persistent=*/true);
    it = cache_.emplace(std::string(sql), std::move(statement)).first;
  }
  return CachedStatement(*it->second);
}

CachedStatement Connection::PrepareShaped(std::string_view sql) {
  if (auto found = shaped_index_.find(sql); found != shaped_index_.end()) {
    shaped_.splice(shaped_.begin(), shaped_, found->second);  // now the latest
    return CachedStatement(*shaped_.front().statement);
  }
  auto statement = std::make_unique<Statement>(db_.get(), sql, /*persistent=*/true);
  if (shaped_.size() >= kShapedCacheSize) {
    shaped_index_.erase(shaped_.back().sql);
    shaped_.pop_back();  // finalizes the least recently used
  }
  shaped_.push_front(Shaped{std::string(sql), std::move(statement)});
  shaped_index_.emplace(shaped_.front().sql, shaped_.begin());
  return CachedStatement(*shaped_.front().statement);
}

Statement Connection::PrepareUncached(std::string_view sql) { return Statement(db_.get(), sql); }

std::int64_t Connection::Changes() const { return sqlite3_changes64(db_.get()); }

bool Connection::InAutocommit() const { return sqlite3_get_autocommit(db_.get()) != 0; }

bool Connection::ReadOnly() const { return sqlite3_db_readonly(db_.get(), "main") == 1; }

std::string Connection::LastErrorMessage() const { return sqlite3_errmsg(db_.get()); }

int Connection::LastErrorCode() const { return sqlite3_extended_errcode(db_.get()); }

// --- Transaction -----------------------------------------------------------

// BEGIN and COMMIT run as cached statements, not through Exec: Exec
// parses its SQL every time, and these two ran twice per transaction,
// a tenth of a small GET /v2/jobs. Errors and busy waits are the same.
Transaction::Transaction(Connection& connection, TransactionKind kind) : connection_(connection) {
  connection_.Prepare(kind == TransactionKind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN")->Run();
}

Transaction::~Transaction() {
  if (!open_) return;
  // Some errors (disk full, I/O) make SQLite roll back on its own; only
  // roll back what is still open. Never let an exception escape.
  if (!connection_.InAutocommit()) {
    sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::Commit() {
  if (!open_) throw SqliteError("sqlite: commit: transaction already ended", SQLITE_MISUSE, false);
  if (connection_.InAutocommit()) {
    // SQLite already rolled back (e.g. after SQLITE_FULL): committing now
    // would silently lose the work.
    open_ = false;
    throw SqliteError("sqlite: commit: the transaction was rolled back by an earlier error",
                      SQLITE_ABORT, false);
  }
  // On a busy COMMIT the transaction stays open; the destructor rolls back.
  connection_.Prepare("COMMIT")->Run();
  open_ = false;
}

void Transaction::Rollback() {
  if (!open_) return;
  open_ = false;
  if (!connection_.InAutocommit()) connection_.Exec("ROLLBACK");
}

}  // namespace jobsd::storage::sqlite
