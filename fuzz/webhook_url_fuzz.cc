// Fuzzes the webhook URL parser (api/webhook_url.h). The input is the URL.
//
// Properties, beyond "does not crash":
//  - a refusal always says why;
//  - an accepted URL is http(s) with a host, a port from 1 to 65535 and a
//    target starting with '/', none of which holds a byte that could split
//    the request line or a header (CR, LF, NUL, space);
//  - parsing is stable: the URL rebuilt from the parts parses to the same parts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/webhook_url.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "property failed: %s\n", what);
    std::abort();
  }
}

bool Clean(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0 \t", 5)) == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string problem;
  const std::optional<jobsd::api::WebhookUrl> url = jobsd::api::ParseWebhookUrl(text, &problem);
  if (!url) {
    Check(!problem.empty(), "a refusal says why");
    return 0;
  }
  Check(text.size() <= jobsd::api::kMaxWebhookUrlBytes, "the length limit holds");
  Check(!url->host.empty(), "a host");
  Check(url->port >= 1, "a port");
  Check(!url->target.empty() && url->target[0] == '/', "the target starts with /");
  Check(Clean(url->host) && Clean(url->target) && Clean(url->HostHeader()),
        "nothing that splits a request");
  const std::string rebuilt =
      std::string(url->tls ? "https://" : "http://") + url->HostHeader() + url->target;
  std::string again_problem;
  const std::optional<jobsd::api::WebhookUrl> again =
      jobsd::api::ParseWebhookUrl(rebuilt, &again_problem);
  Check(again.has_value(), "the rebuilt URL parses");
  Check(again->tls == url->tls && again->host == url->host && again->port == url->port &&
            again->target == url->target && again->host_is_ip == url->host_is_ip,
        "the rebuilt URL has the same parts");
  return 0;
}
