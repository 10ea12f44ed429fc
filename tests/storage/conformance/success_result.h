// What a successful job records, in one place: the rest of the suite speaks
// of a job's result only through these helpers, so that a change of what a
// success holds (a JSON result and an artifact) changes
// this file alone.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/queue/job_store.h"

namespace jobsd::conformance {

// A success whose every part derives from `name`: its result (rows) and
// its artifact (key, token, content type, file name, size).
inline SuccessResult ResultNamed(const std::string& name, std::int64_t rows = 1) {
  return SuccessResult{"{\"row_count\":" + std::to_string(rows) + "}",
                       Artifact{"/exports/" + name + ".csv", "token-" + name,
                                "text/csv; charset=utf-8", name + ".csv", 100 + rows}};
}

inline JobCompletion Succeeded(const ClaimedJob& claim, const std::string& name,
                               std::int64_t rows = 1) {
  JobCompletion completion;
  completion.id = claim.job.id;
  completion.token = claim.claim_token;
  completion.kind = JobCompletion::Kind::kSucceeded;
  completion.success = ResultNamed(name, rows);
  return completion;
}

// The job holds the result of ResultNamed(name, rows).
inline void ExpectResultNamed(const Job& job, const std::string& name, std::int64_t rows = 1) {
  const SuccessResult expected = ResultNamed(name, rows);
  EXPECT_EQ(job.result, expected.result) << job.id;
  EXPECT_EQ(job.artifact, expected.artifact) << job.id;
}

// The job holds no result (not succeeded, or succeeded and then retried).
inline void ExpectNoResult(const Job& job) {
  EXPECT_EQ(job.result, "") << job.id;
  EXPECT_EQ(job.artifact, std::nullopt) << job.id;
}

// Finds a job by what its result gives out publicly (the artifact token).
inline std::optional<Job> FindByResult(JobStore& jobs, const std::string& name, Nanos now) {
  return jobs.FindJobByArtifactToken(ResultNamed(name).artifact->token, now);
}

// What a deleted job left to clean up: the artifact of ResultNamed, or none.
inline std::optional<std::string> ArtifactOf(const ExpiredJob& expired) {
  return expired.artifact_key;
}
inline std::optional<std::string> ArtifactNamed(const std::string& name) {
  return ResultNamed(name).artifact->key;
}

// Every artifact still referenced by a job.
inline std::vector<std::string> ReferencedArtifacts(JobStore& jobs) {
  return jobs.ReferencedArtifacts();
}

}  // namespace jobsd::conformance
