// The backends the conformance suite runs against. Every backend built is
// listed here; a new one (PostgreSQL) is trusted once it passes the suite.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/credential_store.h"
#include "engine/orders/order_store.h"
#include "engine/queue/job_store.h"
#include "engine/webhooks/webhook_store.h"

namespace jobsd::conformance {

// Rows of the jobs table written around the store's verbs, as a bug or a
// person at the SQL prompt would: for the test that the store's own check
// of the state machine (triggers) refuses exactly what IsAllowedTransition
// refuses. Every write that the store refuses throws StoreError.
class RawJobRows {
 public:
  virtual ~RawJobRows() = default;
  // A new row in `status` (holding a claim when started).
  virtual void Insert(const std::string& id, JobStatus status) = 0;
  // Moves the row to `status`, its claim columns made to fit it.
  virtual void SetStatus(const std::string& id, JobStatus status) = 0;
  virtual JobStatus Status(const std::string& id) = 0;
  // Whether the schema itself refuses a row inserted in another status than
  // pending. PostgreSQL's trigger does; SQLite's schema runs no trigger per
  // inserted row since migration 0017 (the cost of one was a sixth of a
  // batch insert), so only the store's own INSERTs, which write 'pending'
  // as a literal, keep jobs born pending there.
  virtual bool RefusesJobsNotBornPending() const { return true; }
};

// One open store under test.
class OpenBackend {
 public:
  virtual ~OpenBackend() = default;
  virtual JobStore& jobs() = 0;
  virtual CredentialStore& credentials() = 0;
  virtual WebhookStore& webhooks() = 0;
  virtual OrderStore& orders() = 0;
  // Only the backends of RawRowBackends() have rows to write around the
  // verbs; the others throw.
  virtual std::unique_ptr<RawJobRows> raw_rows();
};

struct Backend {
  std::string name;
  // Opens the backend's store kept in `dir` (created empty by the test).
  // Opening the same dir again gives a second handle on the same store,
  // as another process would have, for backends shared across processes.
  std::function<std::unique_ptr<OpenBackend>(const std::filesystem::path& dir)> open;
};

// Every backend built.
std::vector<Backend> AllBackends();
// The backends several processes can share (one store, many processes).
std::vector<Backend> SharedBackends();
// The backends whose store is a database that others than jobsd may write
// (SQL), which checks the state machine itself. The memory store has no
// such path: every write goes through the one function that asks
// IsAllowedTransition.
std::vector<Backend> RawRowBackends();
// The backend of that name among AllBackends().
Backend BackendNamed(const std::string& name);

// gtest names the instantiations after the backend.
inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param.name;
}
inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

}  // namespace jobsd::conformance
