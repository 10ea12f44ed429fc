#include "engine/credentials.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

#include "engine/random.h"

namespace jobsd {
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kTokenBytes = 32;

// The stored form of a secret: hash of the hex salt followed by the secret.
std::string SaltedHash(std::string_view salt, std::string_view secret) {
  std::string input;
  input.reserve(salt.size() + secret.size());
  input.append(salt).append(secret);
  return Sha256Hex(input);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Hex SHA-256 digests always have the same length; a length mismatch can
  // only come from a damaged row, and leaks nothing about the secret.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // Fetched once: EVP_sha256() makes EVP_Digest look the algorithm up in
  // the provider tables on every call, a third of a hash's cost here, and
  // every API request hashes its bearer token.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (kSha256 == nullptr ||
      EVP_Digest(data.data(), data.size(), digest.data(), &length, kSha256, nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

Authenticator::Authenticator(CredentialStore& store, const Clock& clock)
    : store_(store), clock_(clock) {}

ClientCredentials Authenticator::CreateClient() {
  ClientCredentials credentials{NewUuidV4(), RandomHex(kSecretBytes)};
  StoredClient stored;
  stored.client_id = credentials.client_id;
  stored.secret_salt = RandomHex(kSaltBytes);
  stored.secret_hash = SaltedHash(stored.secret_salt, credentials.client_secret);
  stored.created_at = clock_.Now();
  store_.InsertClient(stored);
  return credentials;
}

namespace {

[[noreturn]] void ThrowTooManyFailures(Nanos wait) {
  const Nanos seconds = (wait + kNanosPerSecond - 1) / kNanosPerSecond;  // rounded up
  throw LimitReached("Too many failed attempts for this client_id (at most " +
                         std::to_string(kMaxFailedTokenAttempts) + " a minute); retry in " +
                         std::to_string(seconds) + " s",
                     static_cast<int>(seconds));
}

}  // namespace

std::optional<IssuedToken> Authenticator::IssueToken(std::string_view client_id,
                                                     std::string_view client_secret) {
  if (std::optional<Nanos> wait = failed_attempts_.WaitBeforeAttempt(client_id, clock_.Now())) {
    ThrowTooManyFailures(*wait);
  }
  // The failures other nodes saw (and this one), asked for any client_id so
  // that the answer takes as long for an unknown one.
  std::size_t failures_in_store = 0;
  if (failures_in_store_ && !client_id.empty()) {
    const Nanos now = clock_.Now();
    const std::vector<Nanos> failures =
        store_.FailedTokenAttemptsSince(client_id, now - kFailedTokenAttemptWindow);
    failures_in_store = failures.size();
    if (failures.size() >= static_cast<std::size_t>(kMaxFailedTokenAttempts)) {
      // Refused until the failure that makes the count leaves the window.
      const Nanos oldest_counted = failures[failures.size() - kMaxFailedTokenAttempts];
      ThrowTooManyFailures(std::max<Nanos>(1, oldest_counted + kFailedTokenAttemptWindow - now));
    }
  }
  std::optional<StoredClient> client;
  if (!client_id.empty()) client = store_.FindClient(client_id);
  // Hash even for an unknown client so that timing does not tell which
  // client ids exist.
  const std::string salt = client ? client->secret_salt : std::string(kSaltBytes * 2, '0');
  const std::string presented = SaltedHash(salt, client_secret);
  const std::string expected = client ? client->secret_hash : std::string(presented.size(), 'x');
  if (!ConstantTimeEquals(presented, expected) || !client) {
    const Nanos now = clock_.Now();
    failed_attempts_.RecordFailure(client_id, now);
    if (failures_in_store_ && !client_id.empty()) {
      store_.RecordFailedTokenAttempt(client_id, now, now - kFailedTokenAttemptWindow);
    }
    return std::nullopt;
  }
  failed_attempts_.Forget(client_id);
  if (failures_in_store > 0) store_.ForgetFailedTokenAttempts(client_id);

  const Nanos now = clock_.Now();
  IssuedToken issued{RandomHex(kTokenBytes), now + kTokenLifetimeSeconds * kNanosPerSecond,
                     kTokenLifetimeSeconds};
  store_.InsertToken(
      StoredToken{Sha256Hex(issued.access_token), client->client_id, issued.expires_at});
  ForgetTokens(store_.RetireOldestTokens(client->client_id, kMaxLiveTokensPerClient, now));
  return issued;
}

std::optional<std::string> Authenticator::Authenticate(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string hash = Sha256Hex(token);
  const Nanos now = clock_.Now();
  {
    std::lock_guard lock(known_mutex_);
    if (auto it = known_.find(hash); it != known_.end()) {
      if (now < it->second.expires_at && now - it->second.checked_at < kTokenRefresh) {
        return it->second.client_id;
      }
    }
  }
  // Read again past kTokenRefresh. The entry stays meanwhile: the requests
  // answered from memory keep using it until its recheck is due.
  std::optional<StoredToken> stored = store_.FindToken(hash, now);
  std::lock_guard lock(known_mutex_);
  if (!stored) {
    known_.erase(hash);
    return std::nullopt;
  }
  if (known_.size() >= kMaxKnownTokens) known_.clear();  // bounded; refills on demand
  known_[std::move(hash)] = KnownToken{stored->client_id, stored->expires_at, now};
  return std::move(stored->client_id);
}

std::optional<std::string> Authenticator::AuthenticateRemembered(std::string_view token) {
  if (token.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(token);
  const Nanos now = clock_.Now();
  std::lock_guard lock(known_mutex_);
  auto it = known_.find(hash);
  if (it == known_.end() || now >= it->second.expires_at ||
      now - it->second.checked_at >= kTokenRecheck) {
    return std::nullopt;
  }
  if (now - it->second.checked_at >= kTokenRefresh && !it->second.refresh_sent) {
    it->second.refresh_sent = true;  // this request reads it again (Authenticate)
    return std::nullopt;
  }
  return it->second.client_id;
}

void Authenticator::ForgetTokens(const std::vector<std::string>& hashes) {
  if (hashes.empty()) return;
  std::lock_guard lock(known_mutex_);
  for (const std::string& hash : hashes) known_.erase(hash);
}

std::vector<ClientSummary> Authenticator::ListClients() { return store_.ListClients(clock_.Now()); }

bool Authenticator::HasAnyClient() { return store_.CountClients() > 0; }

bool Authenticator::DeleteClient(std::string_view client_id) {
  const bool deleted = store_.DeleteClient(client_id);
  std::lock_guard lock(known_mutex_);
  std::erase_if(known_, [&](const auto& entry) { return entry.second.client_id == client_id; });
  return deleted;
}

}  // namespace jobsd
