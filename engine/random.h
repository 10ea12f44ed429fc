// Randomness from OpenSSL's CSPRNG: ids, secrets and URL tokens must be
// unguessable, and hand-rolled generators are not.
#pragma once

#include <cstddef>
#include <string>

namespace jobsd {

// A random (version 4) UUID, lowercase.
std::string NewUuidV4();

// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string RandomHex(std::size_t bytes);

// `count` random bytes, raw (keys).
std::string RandomBytes(std::size_t count);

}  // namespace jobsd
