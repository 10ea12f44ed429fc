#include "api/list_cache.h"

namespace jobsd::api {

std::shared_ptr<const std::string> ListCache::Find(std::string_view key, std::uint64_t version,
                                                   Nanos now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.version != version || now >= it->second.valid_until) {
    return nullptr;
  }
  return it->second.body;
}

void ListCache::Put(std::string key, std::uint64_t version, Nanos valid_until,
                    std::shared_ptr<const std::string> body) {
  std::lock_guard lock(mutex_);
  // Clients poll a handful of pages; a flood of distinct queries (every
  // offset of a big store) must not grow memory, and is no case for caching.
  if (entries_.size() >= max_entries_ && entries_.find(key) == entries_.end()) entries_.clear();
  entries_.insert_or_assign(std::move(key), Entry{version, valid_until, std::move(body)});
}

}  // namespace jobsd::api
