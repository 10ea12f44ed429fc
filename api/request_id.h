// Request ids: the X-Request-Id header and the request_id of error bodies,
// which tie a response to its access-log line.
#pragma once

#include <string>

namespace jobsd::api {

// A random (version 4) UUID, lowercase, like engine's NewUuidV4, but cheap
// enough for every request: the random bytes come from the same CSPRNG in
// batches (one call per 32 ids per thread) instead of one call per id,
// which also checked the process id with a getpid(2) each time.
// Thread-safe.
std::string NewRequestId();

}  // namespace jobsd::api
