#include "storage/postgres/pg_copy.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>

namespace jobsd::storage::pg {

void CopyRows::Separate() {
  if (row_started_) data_.push_back('\t');
  row_started_ = true;
}

CopyRows& CopyRows::Text(std::string_view value, std::string_view what) {
  Separate();
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char escaped;
    switch (value[i]) {
      case '\\':
        escaped = '\\';
        break;
      case '\t':
        escaped = 't';
        break;
      case '\n':
        escaped = 'n';
        break;
      case '\r':
        escaped = 'r';
        break;
      case '\0':
        throw PgError("PostgreSQL text cannot hold the NUL character (\\u0000), found in " +
                          std::string(what),
                      "22021", /*transient=*/false, StoreFault::kOther);
      default:
        continue;
    }
    data_.append(value.data() + plain_from, i - plain_from);
    data_.push_back('\\');
    data_.push_back(escaped);
    plain_from = i + 1;
  }
  data_.append(value.data() + plain_from, value.size() - plain_from);
  return *this;
}

CopyRows& CopyRows::Int64(std::int64_t value) {
  Separate();
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  (void)error;  // 24 characters always hold an int64
  data_.append(digits, end);
  return *this;
}

CopyRows& CopyRows::Int64(const std::optional<std::int64_t>& value) {
  return value.has_value() ? Int64(*value) : Null();
}

CopyRows& CopyRows::Bool(const std::optional<bool>& value) {
  if (!value.has_value()) return Null();
  Separate();
  data_.push_back(*value ? 't' : 'f');
  return *this;
}

CopyRows& CopyRows::Null() {
  Separate();
  data_.append("\\N");
  return *this;
}

void CopyRows::EndRow() {
  data_.push_back('\n');
  row_started_ = false;
  ++rows_;
}

void CopyRows::Rewind(Mark mark) {
  data_.resize(mark.bytes);
  rows_ = mark.rows;
  row_started_ = false;
}

void CopyRows::Clear() {
  data_.clear();
  rows_ = 0;
  row_started_ = false;
}

std::int64_t CopyIn(Connection& connection, const std::string& copy_sql, const CopyRows& rows) {
  connection.Exec(copy_sql);  // the server now waits for data (PGRES_COPY_IN)
  pg_conn* conn = connection.get();

  // In pieces, so that libpq's output buffer stays small whatever the size
  // of `rows`. A failure to send means the connection is gone.
  constexpr std::size_t kPiece = 256 * 1024;
  const std::string_view data = rows.data();
  bool sent = true;
  for (std::size_t at = 0; at < data.size() && sent; at += kPiece) {
    const std::size_t length = std::min(kPiece, data.size() - at);
    sent = PQputCopyData(conn, data.data() + at, static_cast<int>(length)) == 1;
  }
  // Ends the COPY either way: what the server says about the data (or about
  // the connection) comes in the results below.
  const bool ended = PQputCopyEnd(conn, sent ? nullptr : "jobsd: sending the rows failed") == 1;

  // Every result up to the null one, so that the connection is ready for
  // the next statement; the first failure is the one reported.
  std::optional<Result> failure;
  std::int64_t copied = 0;
  while (pg_result* raw = PQgetResult(conn)) {
    Result result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK) {
      copied = result.Affected();
      continue;
    }
    // Still waiting for data: the end was not sent (libpq would repeat this
    // result forever).
    const bool stuck = status == PGRES_COPY_IN;
    if (!failure.has_value()) failure.emplace(std::move(result));
    if (stuck) break;
  }
  if (failure.has_value()) connection.Throw(failure->get(), "PostgreSQL COPY");
  if (!sent || !ended) connection.Throw(nullptr, "PostgreSQL COPY");
  return copied;
}

}  // namespace jobsd::storage::pg
