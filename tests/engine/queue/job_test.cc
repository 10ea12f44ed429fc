#include "engine/queue/job.h"

#include <gtest/gtest.h>

namespace jobsd {
namespace {

TEST(JobStatusTest, TransitionTableAllowsExactlyTheDocumentedMoves) {
  using S = JobStatus;
  struct Case {
    S from, to;
    bool allowed;
  } cases[] = {
      {S::kPending, S::kPending, false}, {S::kPending, S::kStarted, true},
      {S::kPending, S::kSuccess, false}, {S::kPending, S::kFailed, false},
      {S::kStarted, S::kPending, true},  {S::kStarted, S::kStarted, false},
      {S::kStarted, S::kSuccess, true},  {S::kStarted, S::kFailed, true},
      {S::kSuccess, S::kPending, false}, {S::kSuccess, S::kStarted, false},
      {S::kSuccess, S::kSuccess, false}, {S::kSuccess, S::kFailed, false},
      {S::kFailed, S::kPending, false},  {S::kFailed, S::kStarted, false},
      {S::kFailed, S::kSuccess, false},  {S::kFailed, S::kFailed, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsAllowedTransition(c.from, c.to), c.allowed)
        << ToString(c.from) << " -> " << ToString(c.to);
  }
}

TEST(JobStatusTest, FinalStatesAreSuccessAndFailed) {
  EXPECT_FALSE(IsFinal(JobStatus::kPending));
  EXPECT_FALSE(IsFinal(JobStatus::kStarted));
  EXPECT_TRUE(IsFinal(JobStatus::kSuccess));
  EXPECT_TRUE(IsFinal(JobStatus::kFailed));
}

TEST(JobStatusTest, WireNamesRoundTripAndAreLowercase) {
  for (JobStatus status : kAllJobStatuses) {
    EXPECT_EQ(ParseJobStatus(ToString(status)), status);
  }
  EXPECT_EQ(ToString(JobStatus::kPending), "pending");
  EXPECT_EQ(ToString(JobStatus::kStarted), "started");
  EXPECT_EQ(ToString(JobStatus::kSuccess), "success");
  EXPECT_EQ(ToString(JobStatus::kFailed), "failed");
  EXPECT_FALSE(ParseJobStatus("PENDING"));
  EXPECT_FALSE(ParseJobStatus(""));
  EXPECT_FALSE(ParseJobStatus("done"));
}

}  // namespace
}  // namespace jobsd
