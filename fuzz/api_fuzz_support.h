// What the API fuzzers share: one real back end per process (an SQLite store
// in a temporary directory, the order_export type, a JobService, an
// Authenticator and a Router, as `jobsd serve` wires them) and the checks
// every response must pass.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "api/router.h"
#include "engine/credentials.h"
#include "engine/metrics.h"
#include "engine/queue/job_service.h"
#include "engine/queue/job_type.h"
#include "engine/time.h"
#include "storage/files/local_artifact_store.h"
#include "storage/sqlite/database.h"

namespace jobsd::fuzz {

inline constexpr std::string_view kPublicUrl = "http://jobsd.fuzz:8080";

struct ApiWorld {
  std::filesystem::path dir;
  SystemClock clock;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<storage::LocalArtifactStore> artifacts;
  JobTypeRegistry registry;
  std::unique_ptr<JobService> jobs;
  std::unique_ptr<Authenticator> auth;
  Metrics metrics;
  std::unique_ptr<api::Router> router;
  std::string token;  // valid for the whole run (an hour)
};

// Created on first use, never destroyed; its directory is removed at exit.
ApiWorld& World();

// Prints `what` and aborts, so libFuzzer keeps the input as a crash.
[[noreturn]] void Violation(std::string_view fuzzer, std::string_view what,
                            std::string_view detail);
inline void Check(bool ok, std::string_view fuzzer, std::string_view what,
                  std::string_view detail) {
  if (!ok) Violation(fuzzer, what, detail);
}

// Every response: X-Request-Id equal to `request_id`, and an error status
// (4xx, 5xx) carries the envelope of docs/errors.md with that status.
void CheckResponse(std::string_view fuzzer, const api::Response& response,
                   std::string_view request_id);

}  // namespace jobsd::fuzz
