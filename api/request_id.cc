#include "api/request_id.h"

#include <string_view>

#include "engine/random.h"

namespace jobsd::api {
namespace {

constexpr std::size_t kIdsPerBatch = 32;
constexpr std::size_t kHexPerId = 32;  // 128 bits

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

std::string NewRequestId() {
  thread_local std::string batch;  // lowercase hex from RandomHex
  thread_local std::size_t used = 0;
  if (used == batch.size()) {
    batch = RandomHex(kIdsPerBatch * kHexPerId / 2);
    used = 0;
  }
  const std::string_view hex = std::string_view(batch).substr(used, kHexPerId);
  used += kHexPerId;

  std::string id;
  id.reserve(36);
  id.append(hex.substr(0, 8)).push_back('-');
  id.append(hex.substr(8, 4)).push_back('-');
  id.append(hex.substr(12, 4)).push_back('-');
  id.append(hex.substr(16, 4)).push_back('-');
  id.append(hex.substr(20, 12));
  id[14] = '4';                             // version 4
  id[19] = "89ab"[HexValue(id[19]) & 0x3];  // RFC 4122 variant
  return id;
}

}  // namespace jobsd::api
