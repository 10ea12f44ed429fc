// A real jobsd back end for API tests: an SQLite store in a temporary
// directory (or, with JOBSD_TEST_STORE=postgres, a fresh schema of the test
// PostgreSQL server: CTest runs the API suites a second time so), the
// order_export job type, a JobService, an Authenticator and metrics, all on
// a manual clock so expiry is tested without sleeping.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "api/services.h"
#include "engine/queue/job_type.h"
#include "storage/files/local_artifact_store.h"
#include "storage/sqlite/database.h"
#include "storage/store.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd::api::testing {

inline constexpr std::string_view kPublicUrl = "http://jobsd.test:8080";

class ApiWorld {
 public:
  // `busy_timeout_ms`: how long store writes wait for a lock another
  // connection holds (the store's default unless a test needs it short).
  explicit ApiWorld(int busy_timeout_ms = storage::DatabaseOptions{}.busy_timeout_ms);

  ApiServices services();

  // A token of a freshly created client.
  std::string NewToken();

  // POSTs nothing: creates a pending job through the JobService.
  Job CreateJob(std::string filter = "");
  // Claims `job` (the oldest pending one) and finishes it the way a worker
  // would; the success writes `csv` as its artifact.
  Job Succeed(const Job& job, const std::string& csv);
  Job Fail(const Job& job, const std::string& error);

  // Whether the store is PostgreSQL (JOBSD_TEST_STORE=postgres).
  static bool OnPostgres();

  jobsd::testing::TempDir dir;
  jobsd::testing::ManualClock clock;
  std::string location;  // dir/jobsd.db, or a PostgreSQL location
  std::unique_ptr<storage::Store> database;
  // Files in dir/exports, unless the store keeps them (PostgreSQL).
  std::unique_ptr<storage::LocalArtifactStore> local_artifacts;
  ArtifactStore& artifacts;
  JobTypeRegistry registry;
  std::unique_ptr<JobService> jobs;
  std::unique_ptr<Authenticator> auth;
  Metrics metrics;
  bool ready = true;

 private:
  std::string Claim(const Job& job);
};

Request MakeRequest(http::verb method, std::string target, std::string body = "",
                    std::string content_type = "");
// The same with "Authorization: Bearer <token>".
Request Authed(Request request, const std::string& token);

// The string in a JSON value, for comparisons with std::string.
inline std::string S(const boost::json::value& value) {
  return value.is_string() ? std::string(value.get_string()) : "<not a string>";
}

}  // namespace jobsd::api::testing
