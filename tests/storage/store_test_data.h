// What the storage tests (tests/storage/sqlite, tests/storage/conformance)
// build their data from: a plain pending job, a plain order, and a sink
// that keeps the rows of an order scan.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/orders/order.h"
#include "engine/orders/order_store.h"
#include "engine/queue/job_store.h"

namespace jobsd::testing {

inline constexpr Nanos kTestJobRetention = 7 * kNanosPerDay;

// An order_export job created at `created_at`, kept kTestJobRetention,
// three attempts, no key, no client.
inline NewJob MakeTestJob(std::string id, Nanos created_at, std::string filter = "") {
  NewJob job;
  job.id = std::move(id);
  job.job_type = "order_export";
  job.params = std::move(filter);
  job.created_at = created_at;
  job.expires_at = created_at + kTestJobRetention;
  job.max_attempts = 3;
  return job;
}

// `count` jobs created one nanosecond apart from `first_created_at`, ids
// "j-100000", "j-100001"... (so that ids sort as their times), inserted 500
// at a time: what a steady stream of new jobs leaves in a store's indexes.
inline void InsertJobsOneAfterAnother(JobStore& jobs, int count, Nanos first_created_at) {
  constexpr int kPerBatch = 500;
  for (int first = 0; first < count; first += kPerBatch) {
    std::vector<NewJob> batch;
    for (int i = first; i < std::min(count, first + kPerBatch); ++i) {
      batch.push_back(MakeTestJob("j-" + std::to_string(100000 + i), first_created_at + i));
    }
    jobs.InsertJobs(batch);
  }
}

// `size` bytes of an order-like CSV: repetitive enough to compress, varied
// enough not to collapse (tests of export file chunks).
inline std::string CsvLikeBytes(std::size_t size) {
  std::string bytes;
  for (int row = 0; bytes.size() < size; ++row) {
    bytes += std::to_string(row) + ",order-" + std::to_string(row * 7919 % 10007) + ",GBP\r\n";
  }
  bytes.resize(size);
  return bytes;
}

inline Order MakeTestOrder(std::string id, Nanos created_at) {
  Order order;
  order.id = std::move(id);
  order.order_number = "N-" + order.id;
  order.status = "complete";
  order.payment = "paid";
  order.shipping = "fulfilled";
  order.customer_name = "Ada Lovelace";
  order.customer_email = "ada@example.com";
  order.currency = "GBP";
  order.with_tax = 1200;
  order.created_at = created_at;
  order.updated_at = created_at;
  return order;
}

inline std::size_t OrderColumnIndex(std::string_view name) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    if (kOrderColumns[i].name == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// Copies each row out of the store's buffer (views die after OnRow).
class CollectingSink : public OrderRowSink {
 public:
  struct Cell {
    bool is_null;
    std::string text;
    std::int64_t number;
  };
  void OnTotal(std::int64_t total) override {
    totals.push_back(total);
    rows_before_total = rows.size();
  }
  void OnRow(const ColumnValue* values) override {
    if (before_each_row) before_each_row(rows.size());
    std::vector<Cell> row;
    for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
      row.push_back({values[i].is_null, std::string(values[i].text), values[i].number});
    }
    rows.push_back(std::move(row));
  }
  const Cell& At(std::size_t row, std::string_view column) const {
    return rows.at(row).at(OrderColumnIndex(column));
  }
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (std::size_t r = 0; r < rows.size(); ++r) ids.push_back(At(r, "id").text);
    return ids;
  }

  std::function<void(std::size_t)> before_each_row;  // called with the row's index
  std::vector<std::vector<Cell>> rows;
  std::vector<std::int64_t> totals;  // what OnTotal said, each time
  std::size_t rows_before_total = 0;
};

}  // namespace jobsd::testing
