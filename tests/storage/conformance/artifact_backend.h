// The artifact stores the artifact conformance suite runs against
// (artifact_store_conformance_test.cc): the local directory adapter and
// PostgreSQL. Kept apart from backend.h, whose stores are opened whole.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/queue/artifact_store.h"

namespace jobsd::conformance {

// Bytes per chunk of the chunked backends under test: small, so that a few
// kilobytes cross many chunk boundaries. The local adapter has none.
inline constexpr int kTestChunkBytes = 4096;

// How long a handle waits before it takes what other writers and nodes
// left for orphans (PostgreSQL's grace periods; the local adapter, swept by
// its only node at start-up, has none).
enum class Grace {
  kDefault,  // as in production
  kNone,     // stale at once: what a sweep sees once every grace has passed
};

// One open artifact store under test.
class OpenArtifactBackend {
 public:
  virtual ~OpenArtifactBackend() = default;
  virtual ArtifactStore& artifacts() = 0;
};

struct ArtifactBackend {
  std::string name;
  // Opens the artifact store kept under `dir` (created empty by the test).
  // The same dir again is a second handle on the same store, as another
  // node would have.
  std::function<std::unique_ptr<OpenArtifactBackend>(const std::filesystem::path& dir, Grace)> open;
  // Whether ListOrphans spares what is younger than a grace period (other
  // nodes may be writing or about to record it): PostgreSQL.
  bool orphans_wait_for_grace = false;
};

std::vector<ArtifactBackend> ArtifactBackends();

inline std::string ArtifactBackendName(const ::testing::TestParamInfo<ArtifactBackend>& info) {
  return info.param.name;
}
inline void PrintTo(const ArtifactBackend& backend, std::ostream* out) { *out << backend.name; }

}  // namespace jobsd::conformance
