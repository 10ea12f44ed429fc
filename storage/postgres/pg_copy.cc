#include "storage/postgres/pg_copy.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <utility>

namespace jobsd::storage::pg {
namespace {

std::uint32_t BigEndian32(const char* bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::int16_t BigEndianInt16(const char* bytes) {
  return static_cast<std::int16_t>((static_cast<unsigned char>(bytes[0]) << 8) |
                                   static_cast<unsigned char>(bytes[1]));
}

[[noreturn]] void Malformed(const std::string& what) {
  throw PgError("PostgreSQL COPY: " + what, "", /*transient=*/false, StoreFault::kOther);
}

struct FreeCopyData {
  void operator()(char* data) const { PQfreemem(data); }
};

// Stops a COPY TO STDOUT part way: the server is asked to cancel, and what
// it sent meanwhile is read and dropped, up to the end of its results.
void CancelCopyOut(pg_conn* conn) noexcept {
  if (PGcancel* cancel = PQgetCancel(conn)) {
    char error[256];
    PQcancel(cancel, error, sizeof error);  // best effort: lost, the drain reads to the end
    PQfreeCancel(cancel);
  }
  char* data = nullptr;
  while (PQgetCopyData(conn, &data, /*async=*/0) >= 0) {
    PQfreemem(data);
    data = nullptr;
  }
  // Still in COPY_OUT after that (libpq could not read on), PQgetResult
  // would say so forever: the caller closes the connection.
  while (pg_result* rest = PQgetResult(conn)) {
    const bool stuck = PQresultStatus(rest) == PGRES_COPY_OUT;
    PQclear(rest);
    if (stuck) break;
  }
}

}  // namespace

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

BinaryCopyParser::BinaryCopyParser(int fields, std::function<void(const CopyField* row)> on_row)
    : fields_(fields), row_(static_cast<std::size_t>(fields)), on_row_(std::move(on_row)) {}

void BinaryCopyParser::Feed(const char* data, std::size_t size) {
  if (pending_.empty()) {
    const std::size_t used = Parse(data, size);
    pending_.assign(data + used, size - used);
  } else {
    pending_.append(data, size);
    const std::size_t used = Parse(pending_.data(), pending_.size());
    pending_.erase(0, used);
  }
}

std::size_t BinaryCopyParser::Parse(const char* data, std::size_t size) {
  std::size_t at = 0;
  if (!header_seen_) {
    constexpr std::size_t kFixed = 19;  // signature (11), flags (4), extension length (4)
    if (size < kFixed) return 0;
    if (std::memcmp(data, "PGCOPY\n\377\r\n\0", 11) != 0) Malformed("no binary header");
    // Bits 16-31 are the critical ones (16: rows carry OIDs, which a
    // SELECT's rows never do; the others: a format this parser predates);
    // bits 0-15 may be ignored.
    if ((BigEndian32(data + 11) & 0xffff0000u) != 0) Malformed("unknown critical header flags");
    // The server sends no extension; a long one would only pile up here.
    constexpr std::uint32_t kMaxExtension = 1 << 20;
    const std::uint32_t extension = BigEndian32(data + 15);
    if (extension > kMaxExtension)
      Malformed("a header extension of " + std::to_string(extension) + " bytes");
    const std::size_t header = kFixed + extension;
    if (size < header) return 0;
    at = header;
    header_seen_ = true;
  }
  while (at < size) {
    if (ended_) Malformed("data after the trailer");
    if (size - at < 2) break;
    const std::int16_t count = BigEndianInt16(data + at);
    if (count == -1) {
      ended_ = true;
      at += 2;
      continue;
    }
    if (count != fields_) {
      Malformed("a row of " + std::to_string(count) + " fields, expected " +
                std::to_string(fields_));
    }
    std::size_t next = at + 2;
    bool whole = true;
    for (CopyField& field : row_) {
      if (size - next < 4) {
        whole = false;
        break;
      }
      const auto length = static_cast<std::int32_t>(BigEndian32(data + next));
      next += 4;
      if (length < -1) Malformed("a field of negative length");
      if (length > 0 && size - next < static_cast<std::size_t>(length)) {
        whole = false;
        break;
      }
      field = {data + next, length};
      if (length > 0) next += static_cast<std::size_t>(length);
    }
    if (!whole) break;
    on_row_(row_.data());
    ++rows_;
    at = next;
  }
  return at;
}

std::int64_t CopyOut(Connection& connection, const std::string& copy_sql, int fields,
                     const std::function<void(const CopyField* row)>& on_row) {
  connection.Exec(copy_sql);  // the server now sends rows (PGRES_COPY_OUT)
  pg_conn* conn = connection.get();
  BinaryCopyParser parser(fields, on_row);
  try {
    for (;;) {
      char* data = nullptr;
      const int size = PQgetCopyData(conn, &data, /*async=*/0);
      if (size < 0) break;  // -1 the end, -2 a failure: the results below say which
      const std::unique_ptr<char, FreeCopyData> owned(data);
      parser.Feed(data, static_cast<std::size_t>(size));
    }
  } catch (...) {
    CancelCopyOut(conn);
    if (PQisBusy(conn) != 0 || PQtransactionStatus(conn) == PQTRANS_ACTIVE) connection.Close();
    throw;
  }
  // Every result up to the null one, so that the connection is ready for
  // the next statement; the first failure is the one reported.
  std::optional<Result> failure;
  bool stuck = false;
  while (pg_result* raw = PQgetResult(conn)) {
    Result result(raw);
    // Still COPY_OUT: libpq failed to read a row (out of memory) and would
    // repeat this result forever.
    stuck = PQresultStatus(raw) == PGRES_COPY_OUT;
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && !failure.has_value()) {
      failure.emplace(std::move(result));
    }
    if (stuck) break;
  }
  if (stuck) {
    const std::string message = PQerrorMessage(conn);
    connection.Close();
    throw PgError("PostgreSQL COPY: " + message, "", /*transient=*/true, StoreFault::kIo);
  }
  if (failure.has_value()) connection.Throw(failure->get(), "PostgreSQL COPY");
  if (!parser.complete()) {
    if (!connection.healthy()) connection.Throw(nullptr, "PostgreSQL COPY");
    Malformed("the rows ended part way");
  }
  return parser.rows();
}

}  // namespace jobsd::storage::pg
