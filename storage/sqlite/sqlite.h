// A small RAII layer over the SQLite C API.
//
// <sqlite3.h> stays out of this header (only the two handle types are
// forward-declared), so nothing that includes a storage header pulls in the
// C API. Every failure becomes a SqliteError (a jobsd::StoreError) carrying
// SQLite's message and result code.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/queue/job_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jobsd::storage::sqlite {

// A StoreError that also keeps the (extended) SQLite result code.
class SqliteError : public StoreError {
 public:
  SqliteError(const std::string& what, int code, bool transient,
              StoreFault fault = StoreFault::kOther)
      : StoreError(what, transient, fault), code_(code) {}
  int code() const { return code_; }                 // extended result code
  int primary_code() const { return code_ & 0xff; }  // e.g. SQLITE_BUSY

 private:
  int code_;
};

// Whether an error with this result code may pass when the operation is
// retried. See sqlite.cc for the reasoning behind each code.
bool IsTransient(int code);
// What kind of trouble a result code is (busy, disk full, ...).
StoreFault FaultOf(int code);

// Throws SqliteError for `code`, with `context` (what we were doing) and the
// connection's current error message (db may be null).
[[noreturn]] void Throw(sqlite3* db, int code, std::string_view context);

// A prepared statement. Indexes are 1-based for Bind*, 0-based for Column*,
// as in the C API.
class Statement {
 public:
  // Prepares `sql` (a single statement). `persistent` hints SQLite that the
  // statement will be kept and reused (SQLITE_PREPARE_PERSISTENT).
  Statement(sqlite3* db, std::string_view sql, bool persistent = false);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& BindInt64(int index, std::int64_t value);
  // The text is copied by SQLite (SQLITE_TRANSIENT) so `value` may die early.
  Statement& BindText(int index, std::string_view value);
  // Not copied (SQLITE_STATIC): `value` must stay alive and unchanged until
  // the statement is reset (a CachedStatement resets when it goes). For the
  // job store's batch inserts, where a copy per text per row showed up.
  Statement& BindTextUncopied(int index, std::string_view value);
  Statement& BindNull(int index);
  Statement& Bind(int index, std::int64_t value) { return BindInt64(index, value); }
  Statement& Bind(int index, std::string_view value) { return BindText(index, value); }
  Statement& Bind(int index, const std::string& value) { return BindText(index, value); }
  Statement& Bind(int index, const std::optional<std::int64_t>& value);
  Statement& Bind(int index, const std::optional<std::string>& value);
  int ParameterCount() const;

  // Advances: true when a row is available, false when the statement is done.
  bool Step();
  // Steps a statement that returns no rows (or whose rows do not matter).
  void Run();

  int ColumnCount() const;
  bool IsNull(int column) const;
  std::int64_t ColumnInt64(int column) const;
  // Valid until the next Step/Reset; no copy is made.
  std::string_view ColumnText(int column) const;
  std::string ColumnString(int column) const { return std::string(ColumnText(column)); }
  std::optional<std::int64_t> ColumnOptionalInt64(int column) const;
  std::optional<std::string> ColumnOptionalString(int column) const;

  // Ready to run again with fresh bindings.
  void Reset();

  sqlite3_stmt* get() const { return stmt_; }

 private:
  void Check(int rc, std::string_view context) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// A cached statement on loan: reset and its bindings cleared when the loan
// ends, so the next user starts clean.
class CachedStatement {
 public:
  explicit CachedStatement(Statement& statement) : statement_(&statement) {}
  ~CachedStatement();
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  Statement& operator*() const { return *statement_; }
  Statement* operator->() const { return statement_; }

 private:
  Statement* statement_;
};

class Connection {
 public:
  // Flags are SQLITE_OPEN_*; 0 means read-write, create, extended result
  // codes, no internal mutex (a connection is used by one thread at a time).
  static std::unique_ptr<Connection> Open(const std::filesystem::path& path, int flags = 0);
  // Read-write on a file that must exist already (never creates one).
  static std::unique_ptr<Connection> OpenExisting(const std::filesystem::path& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements, ignoring any rows.
  void Exec(std::string_view sql);

  // Like PRAGMA busy_timeout (waits up to `timeout` for another connection's
  // lock, with the same growing sleeps), but gives up at once, with
  // SQLITE_BUSY, when `*abort` is true: shutdown does not wait out a lock.
  // A null `abort` never aborts.
  void SetBusyWait(std::chrono::milliseconds timeout,
                   std::shared_ptr<const std::atomic<bool>> abort);

  // A statement from this connection's cache, prepared once per SQL text.
  // For fixed SQL only: dynamic SQL (filters) would grow the cache forever.
  CachedStatement Prepare(std::string_view sql);
  // For SQL whose text follows a filter's shape (its values are bound, not
  // written in): the statement of the same text is kept in a small cache of
  // the latest kShapedCacheSize texts, so a filter polled or exported again
  // is not parsed again (parsing a 49-column SELECT costs more than running
  // it on few rows). Callers hold at most a few such loans at a time.
  CachedStatement PrepareShaped(std::string_view sql);
  static constexpr std::size_t kShapedCacheSize = 32;
  // A fresh statement, finalized when it goes out of scope.
  Statement PrepareUncached(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t Changes() const;
  // False inside an explicit transaction.
  bool InAutocommit() const;
  // True when SQLite opened the main database read-only (the file is not
  // writable by this process).
  bool ReadOnly() const;
  std::string LastErrorMessage() const;
  int LastErrorCode() const;
  std::size_t CachedStatementCount() const { return cache_.size(); }
  std::size_t ShapedStatementCount() const { return shaped_.size(); }

  sqlite3* get() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct BusyWait {
    std::chrono::milliseconds timeout{0};
    std::shared_ptr<const std::atomic<bool>> abort;
    std::chrono::steady_clock::time_point started;
  };
  static int OnBusy(void* wait, int count);
  explicit Connection(sqlite3* db);

  // Outlives db_ (declared before it): SQLite calls OnBusy with it.
  std::unique_ptr<BusyWait> busy_wait_;
  // Declared before the cache so it is destroyed last: statements are
  // finalized (cache_ destroyed) before the connection closes.
  std::unique_ptr<sqlite3, Closer> db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>, Hash, std::equal_to<>> cache_;
  // Most recently used first; the index points into it (keys view the
  // list's strings, which never move).
  struct Shaped {
    std::string sql;
    std::unique_ptr<Statement> statement;
  };
  std::list<Shaped> shaped_;
  std::unordered_map<std::string_view, std::list<Shaped>::iterator> shaped_index_;
};

enum class TransactionKind {
  kDeferred,   // takes the write lock only when it first writes
  kImmediate,  // takes the write lock at once (waits for busy_timeout)
};

// BEGIN on construction; ROLLBACK on destruction unless committed. The
// destructor never throws: a failed rollback is left for SQLite to undo.
class Transaction {
 public:
  explicit Transaction(Connection& connection, TransactionKind kind = TransactionKind::kImmediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();
  void Rollback();  // explicit early rollback (idempotent)

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace jobsd::storage::sqlite
