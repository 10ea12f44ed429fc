// COPY ... FROM STDIN: the bulk way into a table, for the order import.
// COPY ... TO STDOUT (FORMAT binary): the fast way out, for the export.
//
// Rows are built in COPY's text format in a client-side buffer (CopyRows),
// then sent with one COPY statement (CopyIn). Building apart from sending
// lets a caller fill the buffer for as long as its input takes to arrive
// and open a statement only to send a full buffer: no transaction stays
// open on the server while the client waits for input.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/postgres/pg.h"

namespace jobsd::storage::pg {

// Rows in COPY's text format: fields separated by tabs, rows ended by a
// newline, NULL as \N, backslash, tab, newline and carriage return escaped.
class CopyRows {
 public:
  // Text as is, escaped. PostgreSQL text cannot hold the NUL character:
  // a value with one throws PgError (not transient), naming `what`.
  CopyRows& Text(std::string_view value, std::string_view what = "a text value");
  CopyRows& Int64(std::int64_t value);
  CopyRows& Int64(const std::optional<std::int64_t>& value);
  CopyRows& Bool(const std::optional<bool>& value);
  CopyRows& Null();
  void EndRow();

  std::int64_t rows() const { return rows_; }
  std::size_t bytes() const { return data_.size(); }
  std::string_view data() const { return data_; }
  // Empties the buffer and keeps its capacity.
  void Clear();

  // Where the buffer is, to go back there when building a row fails half
  // way (a NUL character): the rows before it stay whole.
  struct Mark {
    std::size_t bytes;
    std::int64_t rows;
  };
  Mark Here() const { return {data_.size(), rows_}; }
  void Rewind(Mark mark);

 private:
  void Separate();

  std::string data_;
  std::int64_t rows_ = 0;
  bool row_started_ = false;
};

// Runs `copy_sql` ("COPY table (columns) FROM STDIN") on `connection` and
// sends it `rows`. Returns the number of rows the server took. A failure
// (bad data, lost connection) throws PgError with the server's reason and
// leaves the connection ready for the next statement, or unhealthy. Inside
// a transaction the COPY is part of it; outside, it commits by itself.
std::int64_t CopyIn(Connection& connection, const std::string& copy_sql, const CopyRows& rows);

// One field of a row in COPY's binary format: its bytes as the type's
// binary send function wrote them (numbers most significant byte first),
// or null.
struct CopyField {
  const char* data = nullptr;
  std::int32_t size = -1;  // -1: null
  bool null() const { return size < 0; }
  std::string_view bytes() const { return {data, null() ? 0 : static_cast<std::size_t>(size)}; }
};

// COPY's binary format (the COPY reference page, "Binary Format"), read as
// it arrives: a header, then rows (a 16-bit field count, then each field as
// a 32-bit length, -1 for null, and its bytes), then a trailer (a count of
// -1). The server sends a row per message and the header with the first,
// but the protocol does not promise that: bytes may come in any pieces, and
// what one leaves incomplete is kept for the next.
class BinaryCopyParser {
 public:
  BinaryCopyParser(int fields, std::function<void(const CopyField* row)> on_row);

  // The next bytes of the stream: every row they complete goes to on_row
  // (its fields valid during the call). Throws PgError (not transient) for
  // bytes that are not the format, or a row not of `fields` fields.
  void Feed(const char* data, std::size_t size);

  // The trailer came and nothing is left over.
  bool complete() const { return ended_ && pending_.empty(); }
  std::int64_t rows() const { return rows_; }

 private:
  // Hands out the whole rows at the start of `data`; returns the bytes they
  // (and the header, the trailer) took.
  std::size_t Parse(const char* data, std::size_t size);

  const int fields_;
  std::vector<CopyField> row_;
  std::function<void(const CopyField* row)> on_row_;
  std::string pending_;  // the start of a header or row whose end has not come
  bool header_seen_ = false;
  bool ended_ = false;
  std::int64_t rows_ = 0;
};

// Runs `copy_sql` ("COPY (SELECT ...) TO STDOUT (FORMAT binary)") and hands
// every row to `on_row` as `fields` CopyFields, which point into libpq's
// buffers and are valid during the call only. The server sends rows without
// waiting for the client, and a row is the one allocation libpq makes for
// it (a single-row-mode result would be a whole PGresult). Returns the rows
// handed out. A failure, or data that is not rows of `fields` fields,
// throws PgError. When on_row throws, the COPY is cancelled and the
// connection drained (ready for the next statement; a transaction around it
// has failed unless the COPY had ended) before the exception goes on; a
// connection libpq cannot drain is closed.
std::int64_t CopyOut(Connection& connection, const std::string& copy_sql, int fields,
                     const std::function<void(const CopyField* row)>& on_row);

}  // namespace jobsd::storage::pg
