// What the HTTP API needs from the rest of the process. Everything here is
// thread-safe; handlers call it from the blocking thread pool.
#pragma once

#include <functional>
#include <string>

#include "engine/credentials.h"
#include "engine/metrics.h"
#include "engine/queue/artifact_store.h"
#include "engine/queue/job_service.h"

namespace jobsd::api {

struct ApiServices {
  JobService& jobs;
  Authenticator& auth;
  Metrics& metrics;
  // Where GET /exports/{token}.csv reads the artifacts of jobs.
  ArtifactStore& artifacts;
  // GET /readyz: true once migrations ran and the store answers.
  std::function<bool()> ready;
  // Why not, when `ready` says no: a sentence safe to show ("" or unset:
  // no reason given).
  std::function<std::string()> not_ready_reason = {};
};

}  // namespace jobsd::api
