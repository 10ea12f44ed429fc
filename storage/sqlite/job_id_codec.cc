#include "storage/sqlite/job_id_codec.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "engine/store_error.h"

namespace jobsd::storage {
namespace {

constexpr std::size_t kBlock = 16;
constexpr int kCandidates = 64;  // 2^6: the bits a UUID v4 fixes

using Block = std::array<unsigned char, kBlock>;

// This thread's AES-128-ECB contexts (no padding), keyed once. Setting up
// a context (OpenSSL 3 fetches the cipher from its provider under locks)
// cost more than the 65 blocks an id needs, so each thread keeps one per
// direction and keys it again only when it meets another store's key. ECB
// keeps no state between blocks: an initialised context takes any number
// of updates.
class AesContexts {
 public:
  using Key = std::array<unsigned char, JobIdCodec::kKeyBytes>;

  ~AesContexts() {
    EVP_CIPHER_CTX_free(encrypt_);
    EVP_CIPHER_CTX_free(decrypt_);
  }

  EVP_CIPHER_CTX* For(const Key& key, bool encrypt) {
    if (!encrypt_ || key != key_) {
      if (!encrypt_) encrypt_ = EVP_CIPHER_CTX_new();
      if (!decrypt_) decrypt_ = EVP_CIPHER_CTX_new();
      if (!encrypt_ || !decrypt_ || !Init(encrypt_, key, 1) || !Init(decrypt_, key, 0)) {
        EVP_CIPHER_CTX_free(encrypt_);
        EVP_CIPHER_CTX_free(decrypt_);
        encrypt_ = decrypt_ = nullptr;
        throw StoreError("job ids: AES-128 from libcrypto failed", /*transient=*/false);
      }
      key_ = key;
    }
    return encrypt ? encrypt_ : decrypt_;
  }

 private:
  static bool Init(EVP_CIPHER_CTX* context, const Key& key, int encrypt) {
    return EVP_CipherInit_ex(context, EVP_aes_128_ecb(), nullptr, key.data(), nullptr, encrypt) ==
               1 &&
           EVP_CIPHER_CTX_set_padding(context, 0) == 1;
  }

  Key key_{};
  EVP_CIPHER_CTX* encrypt_ = nullptr;
  EVP_CIPHER_CTX* decrypt_ = nullptr;
};

// AES-128-ECB over `count` independent blocks.
void Crypt(const AesContexts::Key& key, bool encrypt, const unsigned char* in, unsigned char* out,
           int count) {
  thread_local AesContexts contexts;
  int written = 0;
  if (EVP_CipherUpdate(contexts.For(key, encrypt), out, &written, in,
                       count * static_cast<int>(kBlock)) != 1 ||
      written != count * static_cast<int>(kBlock)) {
    throw StoreError("job ids: AES-128 from libcrypto failed", /*transient=*/false);
  }
}

// The 6 fixed bits of a UUID v4: the version nibble (high half of byte 6)
// and the variant (top two bits of byte 8). `bits` holds 6 bits to put there.
void SetFixedBits(Block& block, unsigned bits) {
  block[6] = static_cast<unsigned char>((block[6] & 0x0F) | ((bits & 0x0F) << 4));
  block[8] = static_cast<unsigned char>((block[8] & 0x3F) | (((bits >> 4) & 0x03) << 6));
}

constexpr char kHex[] = "0123456789abcdef";

std::string Format(const Block& b) {
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < kBlock; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[b[i] >> 4]);
    text.push_back(kHex[b[i] & 0x0F]);
  }
  return text;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // ids are lowercase
}

std::optional<Block> Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Block b{};
  std::size_t at = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      if (text[at++] != '-') return std::nullopt;
    }
    const int high = HexValue(text[at++]);
    const int low = HexValue(text[at++]);
    if (high < 0 || low < 0) return std::nullopt;
    b[i] = static_cast<unsigned char>((high << 4) | low);
  }
  return b;
}

// Every seq whose id `block` may be: the 64 candidates, decrypted at once.
// Returns how many are valid (0, 1 or, never in practice, more) and the last.
// Runs for every id made and read, so the buffers are left uninitialised
// (every byte is written before it is read) and a candidate's tag is read
// as one 8-byte word.
int ValidCandidates(const std::array<unsigned char, JobIdCodec::kKeyBytes>& key, const Block& block,
                    std::int64_t& seq) {
  std::array<unsigned char, kBlock * kCandidates> in;
  std::array<unsigned char, kBlock * kCandidates> out;
  for (unsigned bits = 0; bits < kCandidates; ++bits) {
    unsigned char* candidate = in.data() + bits * kBlock;
    std::memcpy(candidate, block.data(), kBlock);
    candidate[6] = static_cast<unsigned char>((block[6] & 0x0F) | ((bits & 0x0F) << 4));
    candidate[8] = static_cast<unsigned char>((block[8] & 0x3F) | (((bits >> 4) & 0x03) << 6));
  }
  Crypt(key, /*encrypt=*/false, in.data(), out.data(), kCandidates);
  int valid = 0;
  for (int c = 0; c < kCandidates; ++c) {
    const unsigned char* plain = out.data() + c * kBlock;
    std::uint64_t tag = 0;
    std::memcpy(&tag, plain + 8, sizeof tag);
    if (tag != 0) continue;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | plain[i];
    if (value == 0 || value > static_cast<std::uint64_t>(INT64_MAX)) continue;
    ++valid;
    seq = static_cast<std::int64_t>(value);
  }
  return valid;
}

}  // namespace

JobIdCodec::JobIdCodec(std::string_view key) {
  if (key.size() != kKeyBytes) {
    throw StoreError("jobs: job_id_key.key must be " + std::to_string(kKeyBytes) +
                         " bytes, found " + std::to_string(key.size()),
                     /*transient=*/false);
  }
  std::copy(key.begin(), key.end(), key_.begin());
}

std::optional<std::string> JobIdCodec::Encode(std::int64_t seq) const {
  if (seq <= 0) throw std::invalid_argument("job ids: a sequence number is positive");
  Block plain{};
  auto value = static_cast<std::uint64_t>(seq);
  for (int i = 7; i >= 0; --i, value >>= 8) plain[static_cast<std::size_t>(i)] = value & 0xFF;
  Block cipher{};
  Crypt(key_, /*encrypt=*/true, plain.data(), cipher.data(), 1);
  SetFixedBits(cipher, 0x4 | (0x2 << 4));  // version 4, variant 10
  std::int64_t decoded = 0;
  if (ValidCandidates(key_, cipher, decoded) != 1) return std::nullopt;
  return Format(cipher);
}

std::optional<std::int64_t> JobIdCodec::Decode(std::string_view id) const {
  std::optional<Block> block = Parse(id);
  if (!block || (*block)[6] >> 4 != 4 || (*block)[8] >> 6 != 2) return std::nullopt;
  std::int64_t seq = 0;
  if (ValidCandidates(key_, *block, seq) != 1) return std::nullopt;
  return seq;
}

}  // namespace jobsd::storage
