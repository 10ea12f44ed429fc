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

}  // namespace

std::string NewUuidV4() {
  std::array<unsigned char, 16> b{};
  Fill(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  AppendHex(out, b.data(), 4);
  out.push_back('-');
  AppendHex(out, b.data() + 4, 2);
  out.push_back('-');
  AppendHex(out, b.data() + 6, 2);
  out.push_back('-');
  AppendHex(out, b.data() + 8, 2);
  out.push_back('-');
  AppendHex(out, b.data() + 10, 6);
  return out;
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
