#include "engine/random.h"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace jobsd {
namespace {

void Fill(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
}

void AppendHex(std::string& out, const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0f]);
  }
}

// 16 random bytes as a version 4 UUID, lowercase.
std::string FormatUuidV4(unsigned char* b) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  AppendHex(out, b, 4);
  out.push_back('-');
  AppendHex(out, b + 4, 2);
  out.push_back('-');
  AppendHex(out, b + 6, 2);
  out.push_back('-');
  AppendHex(out, b + 8, 2);
  out.push_back('-');
  AppendHex(out, b + 10, 6);
  return out;
}

}  // namespace

std::string NewUuidV4() {
  std::array<unsigned char, 16> b{};
  Fill(b.data(), b.size());
  return FormatUuidV4(b.data());
}

std::vector<std::string> NewUuidsV4(std::size_t count) {
  std::vector<unsigned char> bytes(count * 16);
  if (count > 0) Fill(bytes.data(), bytes.size());
  std::vector<std::string> ids;
  ids.reserve(count);
  for (std::size_t i = 0; i < count; ++i) ids.push_back(FormatUuidV4(bytes.data() + i * 16));
  return ids;
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  Fill(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  std::string out;
  out.reserve(bytes * 2);
  AppendHex(out, reinterpret_cast<const unsigned char*>(raw.data()), bytes);
  return out;
}

std::string RandomBytes(std::size_t count) {
  std::string raw(count, '\0');
  Fill(reinterpret_cast<unsigned char*>(raw.data()), count);
  return raw;
}

}  // namespace jobsd
