#include "storage/postgres/pg.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace jobsd::storage::pg {
namespace {

// How an SQLSTATE is handled. Conflicts and resource shortages pass when
// retried; a lost connection is retried on a new one; everything else is a
// bug or a schema problem.
struct Classified {
  bool transient;
  StoreFault fault;
};

Classified Classify(std::string_view sqlstate) {
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014" ||
      sqlstate == "53300" || sqlstate == "53200") {
    return {true, StoreFault::kBusy};  // conflict, lock timeout, cancel, no slot
  }
  if (sqlstate == "53100") return {true, StoreFault::kDiskFull};
  if (sqlstate == "25006") return {false, StoreFault::kReadOnly};
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57P") || sqlstate.starts_with("58")) {
    return {true, StoreFault::kIo};  // connection lost, server shutting down, I/O
  }
  return {false, StoreFault::kOther};
}

// libpq's messages end in a newline and may span lines ("\n\tIs the
// server running..."): one line, for logs and the command line.
std::string Trimmed(const char* message) {
  std::string text;
  for (const char* c = message == nullptr ? "" : message; *c != '\0'; ++c) {
    const bool space = *c == '\n' || *c == '\t' || *c == '\r';
    if (space && (text.empty() || text.back() == ' ')) continue;
    text.push_back(space ? ' ' : *c);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

std::string RedactPassword(std::string_view location) {
  std::string text(location);
  // URI form: scheme://user:password@host...
  if (auto scheme = text.find("://"); scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t at = text.find('@', start);
    const std::size_t slash = text.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const std::size_t colon = text.find(':', start);
      if (colon != std::string::npos && colon < at) {
        text.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // password=... as a key=value pair or a URI query parameter.
  for (std::size_t pos = text.find("password="); pos != std::string::npos;
       pos = text.find("password=", pos + 1)) {
    const std::size_t value = pos + std::strlen("password=");
    std::size_t end = text.find_first_of(" &", value);
    if (end == std::string::npos) end = text.size();
    text.replace(value, end - value, "***");
  }
  return text;
}

Params& Params::Add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  formats_.push_back(0);
  return *this;
}

Params& Params::Add(std::string_view value) {
  // The server reads a text parameter up to its first NUL: "id\0x" would be
  // looked up as "id". PostgreSQL text cannot hold NUL anyway, so refuse it
  // rather than match the wrong row.
  if (value.find('\0') != std::string_view::npos) {
    throw PgError("PostgreSQL text cannot contain a NUL character", "22021", false,
                  StoreFault::kOther);
  }
  values_.emplace_back(std::string(value));
  formats_.push_back(0);
  return *this;
}

Params& Params::Add(const std::optional<std::int64_t>& value) {
  return value.has_value() ? Add(*value) : AddNull();
}

Params& Params::Add(const std::optional<std::string>& value) {
  return value.has_value() ? Add(std::string_view(*value)) : AddNull();
}

Params& Params::AddBool(bool value) { return Add(std::string_view(value ? "t" : "f")); }

Params& Params::AddNull() {
  values_.emplace_back(std::nullopt);
  formats_.push_back(0);
  return *this;
}

Params& Params::AddBytes(std::string_view bytes) {
  values_.emplace_back(std::string(bytes));
  formats_.push_back(1);
  return *this;
}

void Result::Clear::operator()(pg_result* result) const { PQclear(result); }

int Result::rows() const { return PQntuples(result_.get()); }
int Result::columns() const { return PQnfields(result_.get()); }

bool Result::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::Text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::Int64(int row, int column) const {
  const std::string_view text = Text(row, column);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw PgError(
        "not an integer in column " + std::to_string(column) + ": [" + std::string(text) + "]", "",
        false, StoreFault::kOther);
  }
  return value;
}

bool Result::Bool(int row, int column) const { return Text(row, column) == "t"; }

std::optional<std::int64_t> Result::OptionalInt64(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Int64(row, column);
}

std::optional<std::string> Result::OptionalString(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return String(row, column);
}

std::int64_t Result::Affected() const {
  const char* text = PQcmdTuples(result_.get());
  if (text == nullptr || *text == '\0') return 0;
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::string_view Result::CommandTag() const {
  const char* tag = PQcmdStatus(result_.get());
  return tag == nullptr ? std::string_view() : std::string_view(tag);
}

void Connection::Finish::operator()(pg_conn* conn) const { PQfinish(conn); }

Connection::Connection(pg_conn* conn) : conn_(conn) {}
Connection::~Connection() = default;

std::unique_ptr<Connection> Connection::Open(const std::string& location) {
  // The location comes last so that what it says wins over our defaults.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "jobsd", location.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    throw PgError("cannot connect to PostgreSQL at " + RedactPassword(location) + ": out of memory",
                  "", true, StoreFault::kIo);
  }
  std::unique_ptr<Connection> connection(new Connection(conn));
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    throw PgError("cannot connect to PostgreSQL at " + RedactPassword(location) + ": " +
                      Trimmed(PQerrorMessage(conn)),
                  "08001", true, StoreFault::kIo);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  connection->Exec("SET client_min_messages = warning");
  return connection;
}

void Connection::Throw(const pg_result* result, std::string_view context) const {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string sqlstate = state == nullptr ? "" : state;
  std::string message =
      Trimmed(result == nullptr ? PQerrorMessage(conn_.get()) : PQresultErrorMessage(result));
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_.get()));
  Classified classified = Classify(sqlstate);
  if (sqlstate.empty() && PQstatus(conn_.get()) != CONNECTION_OK) {
    classified = {true, StoreFault::kIo};  // the connection was lost
  }
  throw PgError(std::string(context) + ": " + message, std::move(sqlstate), classified.transient,
                classified.fault);
}

Result Connection::Check(pg_result* raw, std::string_view context) const {
  Result result(raw);
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_COPY_IN &&
      status != PGRES_COPY_OUT) {
    Throw(raw, context);
  }
  return result;
}

void Connection::Exec(std::string_view sql) {
  const std::string text(sql);
  // PQexec returns the last statement's result; an error stops the batch.
  Check(PQexec(conn_.get(), text.c_str()), "PostgreSQL");
}

namespace {

// A statement's parameters as libpq takes them.
struct Raw {
  explicit Raw(const std::vector<std::optional<std::string>>& params) {
    for (const auto& value : params) {
      values.push_back(value.has_value() ? value->data() : nullptr);
      lengths.push_back(value.has_value() ? static_cast<int>(value->size()) : 0);
    }
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
};

}  // namespace

const std::string& Connection::Prepared(const std::string& sql, int parameters) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = "jobsd_" + std::to_string(prepared_.size() + 1);
    Check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), parameters, nullptr),
          "PostgreSQL prepare");
    found = prepared_.emplace(sql, std::move(name)).first;
  }
  return found->second;
}

Result Connection::Run(const std::string& sql, const Params& params, ResultFormat format) {
  const std::string& name = Prepared(sql, params.size());
  const Raw raw(params.values_);
  return Check(PQexecPrepared(conn_.get(), name.c_str(), params.size(), raw.values.data(),
                              raw.lengths.data(), params.formats_.data(),
                              format == ResultFormat::kBinary ? 1 : 0),
               "PostgreSQL");
}

void Connection::Send(const std::string& sql, const Params& params) {
  const std::string& name = Prepared(sql, params.size());
  const Raw raw(params.values_);
  if (PQsendQueryPrepared(conn_.get(), name.c_str(), params.size(), raw.values.data(),
                          raw.lengths.data(), params.formats_.data(), 0) != 1) {
    Throw(nullptr, "PostgreSQL");
  }
}

Result Connection::Receive() {
  // Every result up to the null one, so that the connection is ready for
  // the next statement; the first is the statement's.
  pg_result* first = nullptr;
  while (pg_result* next = PQgetResult(conn_.get())) {
    if (first == nullptr) {
      first = next;
    } else {
      PQclear(next);
    }
  }
  return Check(first, "PostgreSQL");
}

Result Connection::RunOnce(const std::string& sql, const Params& params, ResultFormat format) {
  const Raw raw(params.values_);
  return Check(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, raw.values.data(),
                            raw.lengths.data(), params.formats_.data(),
                            format == ResultFormat::kBinary ? 1 : 0),
               "PostgreSQL");
}

bool Connection::healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

bool Connection::InTransaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_.get());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

Transaction::Transaction(Connection& connection, Isolation isolation, bool read_only)
    : connection_(connection) {
  std::string begin = "BEGIN";
  if (isolation == Isolation::kRepeatableRead) begin += " ISOLATION LEVEL REPEATABLE READ";
  if (read_only) begin += " READ ONLY";
  connection_.Exec(begin);
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.Exec("ROLLBACK");
  } catch (...) {
    // A lost connection rolled back by itself; the pool drops it.
  }
}

void Transaction::Commit() {
  open_ = false;
  // COMMIT of a transaction an error already doomed answers "ROLLBACK".
  const Result result = connection_.RunOnce("COMMIT");
  if (result.CommandTag() != "COMMIT") {
    throw PgError("PostgreSQL: the transaction was rolled back, not committed", "25P02", false,
                  StoreFault::kOther);
  }
}

void Transaction::Rollback() {
  if (!open_) return;
  open_ = false;
  connection_.Exec("ROLLBACK");
}

}  // namespace jobsd::storage::pg
