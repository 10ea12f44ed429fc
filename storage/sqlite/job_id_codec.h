// The job ids the SQLite store makes: UUID v4 strings derived from the job's
// sequence number, so that the store finds a job from its id by decrypting
// it (migrations/sqlite/0014_job_ids_from_sequence.sql says why).
//
// The id of seq is AES-128 under the store's key of one block: seq (8 bytes,
// big-endian) then 8 zero bytes. A UUID v4 fixes 6 of its 128 bits (version
// 4, variant 10), so those bits of the ciphertext are overwritten. Decode
// tries the 64 values they may have had and keeps a candidate only when it
// decrypts to 8 zero bytes (a stray match: 2^-64 per candidate). Encode
// refuses a seq whose id would have a second valid candidate (odds ~2^-58),
// so no two sequence numbers ever share an id; the store skips such a seq.
//
// AES comes from OpenSSL's libcrypto: a block cipher used as a
// pseudorandom permutation, the construction of AES-CTR's keystream.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsd::storage {

class JobIdCodec {
 public:
  static constexpr std::size_t kKeyBytes = 16;

  // Throws StoreError (not transient) when `key` is not kKeyBytes long.
  explicit JobIdCodec(std::string_view key);

  // The lowercase UUID v4 for `seq` (> 0), or nullopt for the rare seq to skip.
  std::optional<std::string> Encode(std::int64_t seq) const;

  // The seq `id` was made from under this key, or nullopt when it is not
  // such an id (another store's, a hand-written one, not a UUID at all).
  std::optional<std::int64_t> Decode(std::string_view id) const;

 private:
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace jobsd::storage
