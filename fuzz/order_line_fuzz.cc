// Fuzzes the import line parser (engine/orders/order_json.h). The input is one line.
//
// Properties, beyond "does not crash":
//  - exactly one of order and error: a rejection always says why;
//  - an accepted order has an id, and its timestamps survive the trip
//    through the RFC3339Nano form the export and the API write;
//  - the reusable OrderLineParser, after parsing other lines, gives the same
//    verdict and the same order as a fresh ParseOrderLine: no state leaks
//    from one line into the next.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "engine/orders/order_json.h"
#include "engine/time.h"

namespace {

[[noreturn]] void Violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "order_line_fuzz: %s: [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void Check(bool ok, const char* what, std::string_view detail) {
  if (!ok) Violation(what, detail);
}

void CheckRoundTrip(jobsd::Nanos at, const char* what) {
  const std::string text = jobsd::FormatRfc3339Nano(at);
  std::string reason;
  const std::optional<jobsd::Nanos> back = jobsd::ParseRfc3339(text, &reason);
  Check(back.has_value(), what, text + " does not parse: " + reason);
  Check(*back == at, what, text + " parses to another instant");
}

bool SameOrder(const jobsd::Order& a, const jobsd::Order& b) {
  return a.id == b.id && a.status == b.status && a.payment == b.payment &&
         a.customer_id == b.customer_id && a.customer_email == b.customer_email &&
         a.account_id == b.account_id && a.contact_name == b.contact_name &&
         a.currency == b.currency && a.with_tax == b.with_tax && a.without_tax == b.without_tax &&
         a.shipping_amount == b.shipping_amount && a.anonymized == b.anonymized &&
         a.shipping_address.postcode == b.shipping_address.postcode &&
         a.billing_address.last_name == b.billing_address.last_name &&
         a.created_at == b.created_at && a.updated_at == b.updated_at &&
         a.items.size() == b.items.size() && jobsd::ProductSkus(a) == jobsd::ProductSkus(b) &&
         jobsd::ItemCount(a) == jobsd::ItemCount(b);
}

// A valid line and a broken one, parsed before each input by the shared
// parser so that its buffers hold another line's leftovers.
constexpr std::string_view kOtherValid =
    R"({"id":"o-1","status":"complete","customer":{"id":"c-9","email":"a@b.c"},)"
    R"("items":[{"id":"i","sku":"s","quantity":3}],"meta":{"timestamps":)"
    R"({"created_at":"2023-07-11T21:25:18.5Z"},"display_price":{"with_tax":)"
    R"({"amount":5,"currency":"EUR"}}}})";
constexpr std::string_view kOtherBroken = R"({"id":"o-2","meta":{"timestamps":{"created_at":)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const jobsd::OrderLineResult result = jobsd::ParseOrderLine(line);
  Check(result.ok() == result.error.empty(), "order and error together, or neither", line);

  static jobsd::OrderLineParser* shared = new jobsd::OrderLineParser();
  jobsd::Order reused;
  std::string reused_error;
  (void)shared->Parse(kOtherValid, reused, reused_error);
  reused_error.clear();
  (void)shared->Parse(kOtherBroken, reused, reused_error);
  reused_error.clear();
  const bool reused_ok = shared->Parse(line, reused, reused_error);
  Check(reused_ok == result.ok(), "the reused parser gives another verdict", line);

  if (!result.ok()) {
    Check(reused_error == result.error, "the reused parser gives another reason", line);
    return 0;
  }
  const jobsd::Order& order = *result.order;
  Check(!order.id.empty(), "accepted an order without an id", line);
  CheckRoundTrip(order.created_at, "created_at does not round-trip");
  CheckRoundTrip(order.updated_at, "updated_at does not round-trip");
  Check(SameOrder(order, reused), "the reused parser gives another order", line);
  return 0;
}
