#include "engine/queue/artifact_store.h"

#include <system_error>

namespace jobsd {

bool DeleteUnreferencedArtifact(ArtifactStore& artifacts, std::string_view key) noexcept {
  try {
    return artifacts.Delete(key);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace jobsd
