// The jobsd binary's commands, run as a user would run them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

// A JSON value as text for comparisons; non-strings show as their JSON.
std::string Str(const boost::json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
}

using testing::JobsdBinary;
using testing::TestDataFile;
using testing::RunResult;

class CliTest : public ::testing::Test {
 protected:
  RunResult Jobsd(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), JobsdBinary());
    return testing::Run(args, {{"JOBSD_DB", (dir_ / "store.db").string()},
                      {"JOBSD_EXPORTS", (dir_ / "exports").string()}},
               input);
  }

  std::int64_t CountRows(const std::string& table) {
    sqlite3* db = nullptr;
    sqlite3_open_v2((dir_ / "store.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &stmt, nullptr);
    std::int64_t count = -1;
    if (stmt && sqlite3_step(stmt) == SQLITE_ROW) count = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return count;
  }

  testing::TempDir dir_;
};

TEST_F(CliTest, HelpOnEveryCommandExitsZero) {
  for (std::vector<std::string> command :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"serve", "--help"},
                                             {"migrate", "--help"},
                                             {"orders", "import", "--help"},
                                             {"orders", "seed", "--help"},
                                             {"credentials", "create", "--help"},
                                             {"jobs", "submit", "--help"},
                                             {"jobs", "list", "--help"},
                                             {"jobs", "get", "--help"},
                                             {"jobs", "--help"}}) {
    RunResult result = Jobsd(command);
    EXPECT_EQ(result.exit_code, 0) << command[0] << result.err;
    EXPECT_NE(result.out.find("Usage: jobsd"), std::string::npos) << result.out;
  }
}

TEST_F(CliTest, BadUsageExitsTwoWithTheReason) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{}, "Usage"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"jobs", "frobnicate"}, "unknown command 'jobs frobnicate'"},
      {{"migrate", "--colour"}, "unknown option --colour"},
      {{"orders", "import"}, "missing argument"},
      {{"orders", "seed"}, "--count is required"},
      {{"orders", "seed", "--count", "-5"}, "--count"},
      {{"jobs", "submit"}, "--type is required"},
      {{"jobs", "submit", "--type", "order_export", "--filter", "eq(colour,red)"},
       "unknown field [colour]"},
      {{"jobs", "submit", "--type", "nope"}, "Unknown job_type [nope]"},
      {{"jobs", "list", "--limit", "101"}, "--limit"},
      {{"jobs", "get"}, "missing argument"},
      {{"serve", "--workers", "zero"}, "--workers"},
  };
  for (const Case& c : cases) {
    RunResult result = Jobsd(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.expected << "\n" << result.err;
    EXPECT_NE(result.err.find(c.expected), std::string::npos) << result.err;
  }
}

TEST_F(CliTest, EnvironmentVariableErrorsNameTheVariable) {
  RunResult result = testing::Run({JobsdBinary(), "serve"}, {{"JOBSD_RETENTION", "forever"},
                                                    {"JOBSD_DB", (dir_ / "s.db").string()}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("JOBSD_RETENTION"), std::string::npos) << result.err;
}

TEST_F(CliTest, MigrateCreatesTheStoreAndIsRepeatable) {
  RunResult first = Jobsd({"migrate"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("schema version"), std::string::npos);
  RunResult second = Jobsd({"migrate"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
}

TEST_F(CliTest, ImportsTheExampleOrdersFromAFileAndFromStdin) {
  RunResult result = Jobsd({"orders", "import", TestDataFile("orders.example.jsonl").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("imported 3 orders"), std::string::npos) << result.out;
  EXPECT_EQ(CountRows("orders"), 3);

  RunResult again =
      Jobsd({"orders", "import", "-"}, testing::ReadFile(TestDataFile("orders.example.jsonl")));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(CountRows("orders"), 3) << "re-import must replace, not duplicate";
}

TEST_F(CliTest, ImportWithBadLinesImportsNothingAndReportsEachLine) {
  const std::string good = testing::ReadFile(TestDataFile("orders.example.jsonl"));
  const std::string input = good + "not json\n[1,2]\n{\"id\":\"x\"}\n";
  RunResult result = Jobsd({"orders", "import", "-"}, input);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("-:4:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("-:5:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("-:6:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("nothing was imported"), std::string::npos) << result.err;
  EXPECT_EQ(CountRows("orders"), 0);

  RunResult skipping = Jobsd({"orders", "import", "--skip-invalid", "-"}, input);
  EXPECT_EQ(skipping.exit_code, 0) << skipping.err;
  EXPECT_NE(skipping.err.find("-:6:"), std::string::npos) << skipping.err;
  EXPECT_EQ(CountRows("orders"), 3);
}

TEST_F(CliTest, ImportOfAMissingFileFailsWithTheReason) {
  RunResult result = Jobsd({"orders", "import", (dir_ / "absent.jsonl").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("No such file"), std::string::npos) << result.err;
}

TEST_F(CliTest, SeedIsDeterministic) {
  ASSERT_EQ(Jobsd({"orders", "seed", "--count", "500", "--seed", "7"}).exit_code, 0);
  EXPECT_EQ(CountRows("orders"), 500);
  ASSERT_EQ(Jobsd({"orders", "seed", "--count", "500", "--seed", "7"}).exit_code, 0);
  EXPECT_EQ(CountRows("orders"), 500) << "same seed, same ids: replaced";
}

TEST_F(CliTest, SubmitListAndGetPrintWhatTheApiWould) {
  RunResult submitted =
      Jobsd({"jobs", "submit", "--type", "order_export", "--filter", "eq(payment,paid)", "--json"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  boost::json::object job = boost::json::parse(submitted.out).as_object()["data"].as_object();
  const std::string id(job["id"].as_string());
  EXPECT_EQ(Str(job["type"]), "job");
  EXPECT_EQ(Str(job["job_type"]), "order_export");
  EXPECT_EQ(Str(job["status"]), "pending");
  EXPECT_FALSE(job.contains("error"));
  EXPECT_EQ(Str(job["links"].as_object()["self"]), "http://127.0.0.1:8080/v2/jobs/" + id);
  EXPECT_EQ(Str(job["link"].as_object()["href"]), "");

  RunResult plain = Jobsd({"jobs", "submit", "--type", "order_export"});
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.out.size(), 37u) << "one id and a newline: " << plain.out;

  RunResult got = Jobsd({"jobs", "get", id, "--json", "--public-url", "https://jobs.example"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  boost::json::object same = boost::json::parse(got.out).as_object()["data"].as_object();
  EXPECT_EQ(Str(same["id"]), id);
  EXPECT_EQ(Str(same["links"].as_object()["self"]), "https://jobs.example/v2/jobs/" + id);

  RunResult listed = Jobsd({"jobs", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  boost::json::object list = boost::json::parse(listed.out).as_object();
  ASSERT_EQ(list["data"].as_array().size(), 2u);
  EXPECT_EQ(Str(list["data"].as_array()[1].as_object()["id"]), id) << "newest first";
  EXPECT_EQ(Str(list["meta"].as_object()["results"].as_object()["total"]), "2");

  RunResult missing = Jobsd({"jobs", "get", "00000000-0000-4000-8000-000000000000"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no job"), std::string::npos);
}

TEST_F(CliTest, CredentialsCreatePrintsTheSecretOnceAndStoresOnlyAHash) {
  RunResult text = Jobsd({"credentials", "create"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("client_id: ", 0), 0u) << text.out;
  const auto secret_at = text.out.find("\nclient_secret: ");
  ASSERT_NE(secret_at, std::string::npos);
  const std::string secret = text.out.substr(secret_at + 16, text.out.size() - secret_at - 17);

  RunResult json = Jobsd({"credentials", "create", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  boost::json::object created = boost::json::parse(json.out).as_object();
  EXPECT_TRUE(created["client_id"].is_string());
  EXPECT_TRUE(created["client_secret"].is_string());
  EXPECT_EQ(CountRows("api_clients"), 2);
  for (const char* file : {"store.db", "store.db-wal"}) {
    if (!std::filesystem::exists(dir_ / file)) continue;
    EXPECT_EQ(testing::ReadFile(dir_ / file).find(secret), std::string::npos) << file;
  }
}

}  // namespace
}  // namespace jobsd
