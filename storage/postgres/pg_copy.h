// COPY ... FROM STDIN: the bulk way into a table, for the order import.
//
// Rows are built in COPY's text format in a client-side buffer (CopyRows),
// then sent with one COPY statement (CopyIn). Building apart from sending
// lets a caller fill the buffer for as long as its input takes to arrive
// and open a statement only to send a full buffer: no transaction stays
// open on the server while the client waits for input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace jobsd::storage::pg
