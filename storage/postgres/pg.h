// A small RAII layer over libpq, the PostgreSQL C client, in the manner of
// storage/sqlite/sqlite.h.
//
// <libpq-fe.h> stays out of this header (the handle types are
// forward-declared). Values always travel as parameters ($1, $2, ...), never
// spliced into SQL text. Every failure becomes a PgError (a
// jobsd::StoreError) carrying the server's SQLSTATE; messages never contain
// the password of the connection URI.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/store_error.h"

struct pg_conn;
struct pg_result;

namespace jobsd::storage::pg {

// A StoreError that also keeps the SQLSTATE ("" for client-side failures
// such as a lost connection).
class PgError : public StoreError {
 public:
  PgError(const std::string& what, std::string sqlstate, bool transient, StoreFault fault)
      : StoreError(what, transient, fault), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // The transaction was rolled back by a conflict with another one
  // (serialization failure, deadlock): running it again is safe and right.
  bool conflict() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
  bool unique_violation() const { return sqlstate_ == "23505"; }

 private:
  std::string sqlstate_;
};

// `location` with any password replaced by "***", for messages and logs.
std::string RedactPassword(std::string_view location);

// Positional parameters, sent in text format (or binary for bytes). The
// values are copied, so arguments may die early. Text with a NUL byte is
// refused (PgError 22021): the server would read it only up to the NUL.
class Params {
 public:
  Params& Add(std::int64_t value);
  Params& Add(int value) { return Add(static_cast<std::int64_t>(value)); }
  Params& Add(std::string_view value);
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  Params& Add(const std::optional<std::int64_t>& value);
  Params& Add(const std::optional<std::string>& value);
  Params& AddBool(bool value);
  Params& AddNull();
  // Raw bytes for a bytea parameter (binary format: no escaping).
  Params& AddBytes(std::string_view bytes);

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;  // 0 text, 1 binary
};

// A query's result. Rows and columns are 0-based. Text views stay valid as
// long as the Result lives.
class Result {
 public:
  explicit Result(pg_result* result) : result_(result) {}
  Result(Result&&) noexcept = default;
  Result& operator=(Result&&) noexcept = default;

  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  std::string_view Text(int row, int column) const;
  std::string String(int row, int column) const { return std::string(Text(row, column)); }
  std::int64_t Int64(int row, int column) const;
  bool Bool(int row, int column) const;  // a boolean column ('t' / 'f')
  std::optional<std::int64_t> OptionalInt64(int row, int column) const;
  std::optional<std::string> OptionalString(int row, int column) const;
  // Rows an INSERT/UPDATE/DELETE changed.
  std::int64_t Affected() const;
  // The command tag: "COMMIT", "ROLLBACK", "UPDATE 3"...
  std::string_view CommandTag() const;

  pg_result* get() const { return result_.get(); }

 private:
  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

enum class ResultFormat { kText, kBinary };

class Connection {
 public:
  // Connects to `location` (a postgresql:// URI or key=value string, libpq
  // syntax, PGPASSWORD and .pgpass honoured). Throws PgError (transient)
  // naming the redacted location when the server cannot be reached.
  static std::unique_ptr<Connection> Open(const std::string& location);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters (simple protocol).
  void Exec(std::string_view sql);

  // Runs `sql` as a statement prepared once per connection (kept by its
  // text). For fixed SQL only: dynamic SQL would grow the cache forever.
  Result Run(const std::string& sql, const Params& params = {},
             ResultFormat format = ResultFormat::kText);
  // Runs `sql` unprepared (dynamic SQL: filters).
  Result RunOnce(const std::string& sql, const Params& params = {},
                 ResultFormat format = ResultFormat::kText);

  // Sends `sql` (prepared once per connection, as Run does) and returns
  // without waiting: the server runs it while the caller goes on. Receive()
  // waits for its result and throws PgError as Run would; nothing else may
  // run on the connection in between.
  void Send(const std::string& sql, const Params& params = {});
  Result Receive();

  // False once the connection is lost: the pool drops it.
  bool healthy() const;
  // Closes the connection now, for one left in a state no statement can
  // follow (libpq stuck in the middle of a COPY): healthy() is false from
  // now on, and the pool drops it.
  void Close() { conn_.reset(); }
  // True between BEGIN and COMMIT/ROLLBACK (or after an error inside one).
  bool InTransaction() const;
  // What a failed call left behind, as a PgError to throw.
  [[noreturn]] void Throw(const pg_result* result, std::string_view context) const;

  pg_conn* get() const { return conn_.get(); }

 private:
  struct Finish {
    void operator()(pg_conn* conn) const;
  };
  explicit Connection(pg_conn* conn);
  Result Check(pg_result* result, std::string_view context) const;
  // The name `sql` is prepared under on this connection (prepared now if new).
  const std::string& Prepared(const std::string& sql, int parameters);

  std::unique_ptr<pg_conn, Finish> conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> name
};

enum class Isolation {
  kReadCommitted,   // each statement sees what was committed before it
  kRepeatableRead,  // the whole transaction sees one snapshot
};

// BEGIN on construction; ROLLBACK on destruction unless committed. The
// destructor never throws.
class Transaction {
 public:
  explicit Transaction(Connection& connection, Isolation isolation = Isolation::kReadCommitted,
                       bool read_only = false);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();
  void Rollback();  // idempotent

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace jobsd::storage::pg
