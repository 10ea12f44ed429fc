// Randomness from OpenSSL's CSPRNG: ids, secrets and URL tokens must be
// unguessable, and hand-rolled generators are not.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace jobsd {

// A random (version 4) UUID, lowercase.
std::string NewUuidV4();

// `count` of them from one draw of the generator: a batch of jobs pays for
// one call into OpenSSL (its locking showed at 6% of a batch enqueue).
std::vector<std::string> NewUuidsV4(std::size_t count);

// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string RandomHex(std::size_t bytes);

// `count` random bytes, raw (keys).
std::string RandomBytes(std::size_t count);

}  // namespace jobsd
