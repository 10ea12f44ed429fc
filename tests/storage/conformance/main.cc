// The suite's own main: run as `<binary> --claim-worker <backend> <dir>
// <worker>`, it is one worker process of the cross-process claim test
// (claim_concurrency_conformance_test.cc): it drains the queue of the store
// in <dir> and prints each job it finished ("succeeded <id>") and how many
// spent tokens finished anything ("stale <n>"). Otherwise it runs the tests.
#include <gtest/gtest.h>

#include <cstring>
#include <exception>
#include <iostream>

#include "tests/storage/conformance/backend.h"
#include "tests/storage/conformance/claim_work.h"

namespace {

int RunClaimWorker(const char* backend, const char* dir, const char* worker) {
  try {
    auto store = jobsd::conformance::BackendNamed(backend).open(dir);
    jobsd::conformance::ClaimTally tally;
    jobsd::conformance::DrainQueue(store->jobs(), worker, tally);
    for (const auto& [id, times] : tally.succeeded) {
      for (int i = 0; i < times; ++i) std::cout << "succeeded " << id << "\n";
    }
    std::cout << "stale " << tally.stale_finishes_applied.load() << "\n" << std::flush;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "claim worker " << worker << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--claim-worker") == 0) {
    return RunClaimWorker(argv[2], argv[3], argv[4]);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
