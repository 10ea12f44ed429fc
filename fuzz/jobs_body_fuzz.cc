// Fuzzes POST /v2/jobs through the real Router, JobService and SQLite store
// (fuzz/api_fuzz_support.h), with a valid token: what is fuzzed is the body.
//
// Input: the first byte picks the Content-Type (bits 0-1) and an
// Idempotency-Key out of seven, or none (bits 2-4); the rest is the body.
//
// Properties, beyond "does not crash":
//  - the status is 202, 400, 409 or 413, and never 202 without a JSON
//    content type; errors carry the envelope of docs/errors.md;
//  - a 202 is a pending order_export job whose Location is its links.self,
//    and which GET /v2/jobs/{id} then finds (acknowledged means stored);
//  - the same request again with the same Idempotency-Key gives the same
//    job; without a key, another job.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/random.h"
#include "fuzz/api_fuzz_support.h"

namespace {

using jobsd::api::Request;
using jobsd::api::Response;
namespace http = jobsd::api::http;
using jobsd::fuzz::Check;
using jobsd::fuzz::World;

constexpr std::string_view kFuzzer = "jobs_body_fuzz";

constexpr std::string_view kContentTypes[] = {"application/json", "application/json; charset=utf-8",
                                              "text/plain", ""};

Response Send(const Request& request, std::string& request_id) {
  request_id = jobsd::NewUuidV4();
  Response response = World().router->Handle(request, request_id);
  jobsd::fuzz::CheckResponse(kFuzzer, response, request_id);
  return response;
}

// The job of a 202, checked; returns its id.
std::string CheckAccepted(const Response& response) {
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(response.body, ec);
  Check(!ec, kFuzzer, "202 body is not JSON", response.body);
  const boost::json::value* job = body.is_object() ? body.as_object().if_contains("data") : nullptr;
  Check(job && job->is_object(), kFuzzer, "202 body without data", response.body);
  const boost::json::object& data = job->as_object();
  auto text = [&](std::string_view key) -> std::string {
    const boost::json::value* value = data.if_contains(key);
    Check(value && value->is_string(), kFuzzer, "job field missing or not a string", key);
    return std::string(value->get_string());
  };
  const std::string id = text("id");
  Check(!id.empty(), kFuzzer, "accepted job without an id", response.body);
  Check(text("status") == "pending", kFuzzer, "accepted job is not pending", response.body);
  Check(text("job_type") == "order_export", kFuzzer, "accepted job of another type", response.body);
  const std::string self = std::string(jobsd::fuzz::kPublicUrl) + "/v2/jobs/" + id;
  const boost::json::value* links = data.if_contains("links");
  Check(links && links->is_object() && links->as_object().if_contains("self") &&
            links->as_object().at("self") == boost::json::value(self),
        kFuzzer, "links.self is not the job's URL", response.body);
  auto location = response.headers.find(http::field::location);
  Check(location != response.headers.end() && location->value() == self, kFuzzer,
        "Location is not links.self", response.body);
  return id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view content_type = kContentTypes[flags & 3];
  const int key = (flags >> 2) & 7;

  Request request{http::verb::post, "/v2/jobs", 11};
  request.set(http::field::host, "jobsd.fuzz");
  request.set(http::field::authorization, "Bearer " + World().token);
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  if (key != 0) request.set("Idempotency-Key", "fuzz-key-" + std::to_string(key));
  request.body().assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  request.prepare_payload();

  std::string request_id;
  const Response response = Send(request, request_id);
  const unsigned status = static_cast<unsigned>(response.status);
  Check(status == 202 || status == 400 || status == 409 || status == 413, kFuzzer,
        "status outside 202/400/409/413", std::to_string(status) + " " + response.body);
  if (status != 202) return 0;
  Check((flags & 3) < 2, kFuzzer, "202 without a JSON content type", content_type);
  const std::string id = CheckAccepted(response);

  Request get{http::verb::get, "/v2/jobs/" + id, 11};
  get.set(http::field::authorization, "Bearer " + World().token);
  const Response found = Send(get, request_id);
  Check(found.status == http::status::ok && found.body.find(id) != std::string::npos, kFuzzer,
        "an accepted job is not found", id);

  const Response again = Send(request, request_id);
  Check(again.status == http::status::accepted, kFuzzer, "the same request again is refused",
        again.body);
  const std::string again_id = CheckAccepted(again);
  if (key != 0) {
    Check(again_id == id, kFuzzer, "the same Idempotency-Key made another job", again_id);
  } else {
    Check(again_id != id, kFuzzer, "without a key, a repeat returned the same job", again_id);
  }
  return 0;
}
