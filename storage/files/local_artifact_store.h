// The artifact store over a local directory (--exports): one file per
// artifact, named <job id>-<first 8 characters of its token><extension>,
// written as .tmp-<job id>-<random><extension> and renamed into place.
//
// A key is the published file's absolute path, as the jobs table held it
// before artifacts had keys, so that a person reading the store sees where
// the file is and jobs of older releases keep their downloads.
//
// The writer keeps `min_free_disk` bytes free on the directory's file system
// (the README's "Security and limits"): it looks at the free space before the first byte and
// again every kFreeDiskCheckBytes written, and throws
// FreeSpaceReserveReached when going on could leave less.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/limits.h"
#include "engine/queue/artifact_store.h"

namespace jobsd::storage {

class LocalArtifactStore final : public ArtifactStore {
 public:
  // What may reach the disk between two free-space checks: the next
  // kFreeDiskCheckBytes plus one write of a buffering caller (the CSV
  // writer hands over up to 1 MiB at once).
  static constexpr std::int64_t kHeadroomBytes = kFreeDiskCheckBytes + (std::int64_t{1} << 20);

  // min_free_disk 0: no free-space check. The directory is created on the
  // first Begin if it does not exist.
  explicit LocalArtifactStore(std::filesystem::path dir,
                              std::int64_t min_free_disk = kDefaultMinFreeDiskBytes);

  std::unique_ptr<ArtifactWriter> Begin(const ArtifactSpec& spec) override;
  std::unique_ptr<ArtifactReader> Open(std::string_view key) override;
  bool Delete(std::string_view key) override;
  std::vector<std::string> ListOrphans(const std::vector<std::string>& referenced) override;
  std::string Location() const override { return dir_.string(); }
  std::string Describe(std::string_view key) const override { return std::string(key); }

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;  // absolute, lexically normal
  std::int64_t min_free_disk_;
};

}  // namespace jobsd::storage
