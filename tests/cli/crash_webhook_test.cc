// The crash suite's part for completion webhooks: `jobsd serve` killed with
// SIGKILL between a job's success and its webhook's delivery still delivers
// it after a restart, with the same webhook-id (the delivery was queued in
// the transaction that finished the job; at least once). On SQLite, and on
// PostgreSQL in the postgres: run (LiveJobsd reads JOBSD_TEST_STORE).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "engine/time.h"
#include "engine/webhooks/webhook_signature.h"
#include "tests/support/live_jobsd.h"
#include "tests/support/webhook_receiver.h"

namespace jobsd::testing {
namespace {

using namespace std::chrono_literals;

template <typename Predicate>
bool WaitUntil(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

TEST(CrashWebhookTest, KillNineBetweenSuccessAndDeliveryStillDeliversWithTheSameId) {
  LiveJobsd jobsd;
  ASSERT_EQ(jobsd.Jobsd({"orders", "seed", "--count", "30", "--seed", "5"}).exit_code, 0);
  // The receiver fails every request until the node is dead, then accepts.
  std::atomic<bool> accept{false};
  WebhookReceiver receiver([&](int fd, const ReceivedRequest& request) {
    WebhookReceiver::Answer(accept ? 200 : 500)(fd, request);
  });
  const RunResult added = jobsd.Jobsd({"webhooks", "add", receiver.Url(), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string secret(boost::json::parse(added.out).at("secret").as_string());

  const std::vector<std::string> options = {"--workers",         "1", "--webhook-first-retry", "1s",
                                            "--webhook-timeout", "2s"};
  ASSERT_TRUE(jobsd.Start(options));
  const HttpResponse created = jobsd.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string job_id(boost::json::parse(created.body).at("data").at("id").as_string());

  ASSERT_TRUE(WaitUntil([&] { return !receiver.Requests().empty(); }, 15s)) << "no first try";
  jobsd.process()->Signal(SIGKILL);
  ASSERT_TRUE(jobsd.process()->Wait(10s).has_value());
  const std::size_t tries_before = receiver.Requests().size();
  const std::string webhook_id = receiver.Requests().at(0).headers.at("webhook-id");
  accept = true;

  ASSERT_TRUE(jobsd.Start(options));
  // Due again after the retry delay, or after the lease of a try the kill
  // cut short (timeout + margin: 7 s).
  ASSERT_TRUE(WaitUntil([&] { return receiver.Requests().size() > tries_before; }, 15s))
      << "not delivered after the restart";
  const ReceivedRequest delivered = receiver.Requests().back();
  EXPECT_EQ(delivered.headers.at("webhook-id"), webhook_id) << "the same id on every try";
  EXPECT_EQ(
      VerifyWebhook(secret,
                    {delivered.headers.at("webhook-id"), delivered.headers.at("webhook-timestamp"),
                     delivered.headers.at("webhook-signature")},
                    delivered.body, SystemClock().Now() / kNanosPerSecond),
      WebhookVerdict::kValid);
  EXPECT_NE(delivered.body.find("\"id\":\"" + job_id + "\""), std::string::npos);

  // Recorded: the failed tries, then the 200; and nothing is sent again.
  boost::json::array attempts;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const RunResult listed = jobsd.Jobsd({"webhooks", "deliveries", "--json"});
        attempts = boost::json::parse(listed.out).at("data").as_array();
        return !attempts.empty() && attempts[0].at("status") == 200;
      },
      5s));
  EXPECT_EQ(attempts[0].at("webhook_id"), webhook_id.c_str());
  std::this_thread::sleep_for(2s);
  for (const ReceivedRequest& request : receiver.Requests()) {
    EXPECT_EQ(request.headers.at("webhook-id"), webhook_id);
  }
  const std::size_t after = receiver.Requests().size();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(receiver.Requests().size(), after) << "delivered: not sent again";
  EXPECT_EQ(jobsd.Stop().exit_code, 0);
}

}  // namespace
}  // namespace jobsd::testing
