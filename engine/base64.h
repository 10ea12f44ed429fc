// Base64 (RFC 4648, the standard alphabet with '=' padding) through
// OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, with the strictness those
// lack: they skip whitespace and keep padding bytes in the output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jobsd {

std::string Base64Encode(std::string_view bytes);

// The bytes `text` encodes, or nullopt unless it is canonical padded
// base64: a multiple of 4 characters of the alphabet, '=' only as the last
// one or two. Empty text decodes to no bytes.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace jobsd
