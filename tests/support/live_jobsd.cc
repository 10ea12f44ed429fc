#include "tests/support/live_jobsd.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <regex>
#include <string_view>

#include "tests/support/test_postgres.h"

namespace jobsd::testing {

int WaitForListeningPort(Background& serve, std::chrono::milliseconds timeout) {
  if (!serve.WaitForOutput("jobsd listening on", timeout)) return 0;
  const std::string out = serve.Stdout();
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) {
    return 0;
  }
  return std::stoi(match[1]);
}

LiveJobsd::LiveJobsd() {
  env_ = {{"JOBSD_DB", db().string()},
          {"JOBSD_EXPORTS", exports().string()},
          {"JOBSD_LISTEN", "127.0.0.1:0"}};
  if (const char* store = std::getenv("JOBSD_TEST_STORE");
      store != nullptr && std::string_view(store) == "postgres") {
    env_["JOBSD_DB"] = FreshPostgresSchema();
  }
}

void LiveJobsd::UseCredentials(const std::string& client_id, const std::string& client_secret) {
  client_id_ = client_id;
  client_secret_ = client_secret;
  auth_header_.clear();
}

LiveJobsd::~LiveJobsd() = default;

bool LiveJobsd::Start(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {JobsdBinary(), "serve"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  serve_ = std::make_unique<Background>(argv, (dir_ / "serve").string(), env_);
  port_ = WaitForListeningPort(*serve_);
  if (port_ == 0) {
    ADD_FAILURE() << "jobsd serve did not start: " << serve_->Stderr();
    return false;
  }
  const std::string out = serve_->Stdout();
  std::smatch match;
  if (std::regex_search(out, match, std::regex("client_id: (\\S+)\\n"))) client_id_ = match[1];
  if (std::regex_search(out, match, std::regex("client_secret: (\\S+)\\n"))) {
    client_secret_ = match[1];
  }
  return true;
}

RunResult LiveJobsd::Stop(std::chrono::milliseconds timeout) {
  if (!serve_) return {};
  serve_->Signal(SIGTERM);
  std::optional<RunResult> result = serve_->Wait(timeout);
  if (!result) {
    ADD_FAILURE() << "jobsd serve did not stop within " << timeout.count() << " ms";
    return {};
  }
  return *result;
}

RunResult LiveJobsd::Jobsd(std::vector<std::string> args, const std::string& input) const {
  args.insert(args.begin(), JobsdBinary());
  return Run(args, env_, input);
}

std::string LiveJobsd::Token() const {
  const std::string form =
      "grant_type=client_credentials&client_id=" + client_id_ + "&client_secret=" + client_secret_;
  HttpResponse granted = Http(port_, "POST", "/oauth/access_token",
                              {"Content-Type: application/x-www-form-urlencoded"}, form);
  if (granted.status != 200) return "";
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(granted.body, ec);
  if (ec || !parsed.is_object() || !parsed.as_object().contains("access_token")) return "";
  return std::string(parsed.as_object()["access_token"].as_string());
}

std::string LiveJobsd::AuthHeader() {
  if (auth_header_.empty()) auth_header_ = "Authorization: Bearer " + Token();
  return auth_header_;
}

HttpResponse LiveJobsd::Get(const std::string& target, std::vector<std::string> headers) {
  return Http(port_, "GET", target, headers);
}

HttpResponse LiveJobsd::Post(const std::string& target, const std::string& body,
                             std::vector<std::string> headers) {
  return Http(port_, "POST", target, headers, body);
}

HttpResponse LiveJobsd::PostExport(const std::string& filter) {
  boost::json::object data{{"type", "job"}, {"job_type", "order_export"}, {"filter", filter}};
  return Post("/v2/jobs", boost::json::serialize(boost::json::object{{"data", data}}),
              {AuthHeader(), "Content-Type: application/json"});
}

}  // namespace jobsd::testing
