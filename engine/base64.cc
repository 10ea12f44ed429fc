#include "engine/base64.h"

#include <openssl/evp.h>

namespace jobsd {
namespace {

bool InAlphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  // EVP_EncodeBlock writes a terminating NUL after the 4n characters.
  std::string buffer(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(buffer.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  buffer.resize(static_cast<std::size_t>(written));
  return buffer;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    if (!InAlphabet(text[i])) return std::nullopt;
  }
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3, '\0');
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (decoded < 0 || static_cast<std::size_t>(decoded) != out.size()) return std::nullopt;
  // EVP_DecodeBlock counts the bytes the padding stands for as zeros.
  out.resize(out.size() - padding);
  // Canonical form only: the bits the padding leaves over must be zero, so
  // one byte string has one encoding.
  if (Base64Encode(out) != text) return std::nullopt;
  return out;
}

}  // namespace jobsd
