// Rendered GET /v2/jobs bodies, kept while they are still right.
//
// Clients poll the list (docs/jobs.md: poll until the job is final), and most
// polls find nothing changed. Reading a page costs far more than sending it
// (100 rows of 17 columns out of SQLite, then JSON), so a body is kept with
// the store's change version read before it was listed and the instant its
// first job expires (JobPage::valid_until). It is served again only while
// both still hold: any commit, by this process or another (`jobs submit`,
// an import, a worker finishing a job), changes the version, so the cache
// never shows a page the store would not.
//
// Thread-safe. Bounded: beyond max_entries different queries it starts over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/time.h"

namespace jobsd::api {

class ListCache {
 public:
  explicit ListCache(std::size_t max_entries = 256) : max_entries_(max_entries) {}

  // The body kept for `key`, if it was listed at `version` and `now` is
  // before its valid_until.
  std::shared_ptr<const std::string> Find(std::string_view key, std::uint64_t version, Nanos now);
  void Put(std::string key, std::uint64_t version, Nanos valid_until,
           std::shared_ptr<const std::string> body);

 private:
  struct Entry {
    std::uint64_t version = 0;
    Nanos valid_until = 0;
    std::shared_ptr<const std::string> body;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;  // guarded by mutex_
};

}  // namespace jobsd::api
