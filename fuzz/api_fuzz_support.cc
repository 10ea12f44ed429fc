#include "fuzz/api_fuzz_support.h"

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "engine/orders/order_export.h"
#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd::fuzz {
namespace {

// /dev/shm when there is one: every accepted job is fsynced (the store runs
// synchronous=FULL), which on a disk would slow the fuzzer to a crawl.
std::filesystem::path MakeTempDir() {
  std::string base = "/tmp";
  if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') {
    base = tmpdir;
  }
  if (access("/dev/shm", W_OK) == 0) base = "/dev/shm";
  std::string pattern = base + "/jobsd-fuzz-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return pattern;
}

std::filesystem::path* g_dir_to_remove = nullptr;

void RemoveDir() {
  std::error_code ignored;
  if (g_dir_to_remove != nullptr) std::filesystem::remove_all(*g_dir_to_remove, ignored);
}

}  // namespace

ApiWorld& World() {
  static ApiWorld* world = [] {
    auto* w = new ApiWorld();
    w->dir = MakeTempDir();
    g_dir_to_remove = &w->dir;
    std::atexit(&RemoveDir);
    w->database = storage::Database::Open({w->dir / "jobsd.db"});
    w->artifacts = std::make_unique<storage::LocalArtifactStore>(w->dir / "exports");
    w->registry.Register(std::string(kOrderExportType),
                         std::make_unique<OrderExportJob>(w->database->orders()));
    // No worker runs here, so every job posted stays pending: without the
    // per-client limit (tests/hostile/limits_test.cc covers it), the
    // fuzzers would see 429 once 100 jobs were posted.
    JobServiceOptions options;
    options.max_active_jobs_per_client = 0;
    w->jobs = std::make_unique<JobService>(w->database->jobs(), w->registry, w->clock, options);
    w->auth = std::make_unique<Authenticator>(w->database->credentials(), w->clock);
    // Jobs the seed corpus names (fuzz/corpus/router_fuzz/*_known), so that
    // GET, the event stream and cancel are reached beyond their 404.
    for (const char* id :
         {"f022f022-0000-4000-8000-000000000001", "f022f022-0000-4000-8000-000000000002"}) {
      NewJob job;
      job.id = id;
      job.job_type = std::string(kOrderExportType);
      job.created_at = w->clock.Now();
      job.expires_at = job.created_at + 365 * kNanosPerDay;
      w->database->jobs().InsertJob(job);
    }
    const ClientCredentials client = w->auth->CreateClient();
    w->token = w->auth->IssueToken(client.client_id, client.client_secret).value().access_token;
    w->router = std::make_unique<api::Router>(
        api::ApiServices{*w->jobs, *w->auth, w->metrics, *w->artifacts,
                         [w] { return w->database->Ping(); }},
        std::string(kPublicUrl));
    return w;
  }();
  return *world;
}

void Violation(std::string_view fuzzer, std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "%.*s: %.*s: [%.*s]\n", static_cast<int>(fuzzer.size()), fuzzer.data(),
               static_cast<int>(what.size()), what.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckResponse(std::string_view fuzzer, const api::Response& response,
                   std::string_view request_id) {
  auto id = response.headers.find("X-Request-Id");
  Check(id != response.headers.end() && id->value() == request_id, fuzzer,
        "X-Request-Id missing or not the request's", request_id);
  const unsigned status = static_cast<unsigned>(response.status);
  if (status < 400) return;

  Check(!response.file.has_value(), fuzzer, "an error response with a file", response.body);
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(response.body, ec);
  Check(!ec, fuzzer, "error body is not JSON", response.body);
  const boost::json::object* top = body.if_object();
  const boost::json::value* errors = top ? top->if_contains("errors") : nullptr;
  Check(errors && errors->is_array() && errors->get_array().size() == 1, fuzzer,
        "error body without one entry in errors", response.body);
  const boost::json::object* error = errors->get_array()[0].if_object();
  Check(error != nullptr, fuzzer, "errors[0] is not an object", response.body);
  const boost::json::value* status_value = error->if_contains("status");
  Check(status_value && status_value->is_int64() && status_value->get_int64() == status, fuzzer,
        "errors[0].status is not the HTTP status as an integer", response.body);
  for (const char* field : {"title", "detail", "request_id"}) {
    const boost::json::value* value = error->if_contains(field);
    Check(value && value->is_string() && !value->get_string().empty(), fuzzer,
          std::string("errors[0].") + field + " is not a non-empty string", response.body);
  }
  Check(error->at("request_id").get_string() == request_id, fuzzer,
        "errors[0].request_id is not the request's", response.body);
  auto content_type = response.headers.find(api::http::field::content_type);
  Check(content_type != response.headers.end() &&
            content_type->value().starts_with("application/json"),
        fuzzer, "error body is not application/json", response.body);
}

}  // namespace jobsd::fuzz
