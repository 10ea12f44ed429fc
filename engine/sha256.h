// SHA-256 from OpenSSL's libcrypto, as lowercase hex (defined in engine/credentials.cc).
#pragma once

#include <string>
#include <string_view>

namespace jobsd {

std::string Sha256Hex(std::string_view data);

}  // namespace jobsd
