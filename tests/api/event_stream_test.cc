// GET /v2/jobs/{id}/events over real sockets (docs/jobs.md), against
// the in-process server of tests/api/server_fixture.h; jobs move through
// the store as a worker (or another node) would move them.
#include <gtest/gtest.h>

#include <thread>

#include "api/server.h"
#include "storage/open_store.h"
#include "tests/api/server_fixture.h"
#include "tests/support/event_stream_client.h"

namespace jobsd::api {
namespace {

using jobsd::testing::EventStreamClient;
using testing::Reply;
using V = http::verb;

class EventStreamTest : public testing::ServerFixture {
 protected:
  std::unique_ptr<EventStreamClient> Open(const std::string& job_id,
                                          const std::string& method = "GET") {
    return std::make_unique<EventStreamClient>(
        server_->port(), "/v2/jobs/" + job_id + "/events",
        std::vector<std::string>{"Authorization: Bearer " + token_}, method);
  }
  std::string GetBody(const std::string& job_id) {
    return SendAuthed(V::get, "/v2/jobs/" + job_id).body();
  }
  // Claims the oldest pending job (`job`) as a worker would; its token.
  std::string Claim(JobStore& store, const Job& job) {
    world_.clock.Advance(1000);
    auto claimed = store.ClaimJobs(
        {"test-worker", 1, world_.clock.Now(), world_.clock.Now() + 60 * kNanosPerSecond});
    EXPECT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed.at(0).job.id, job.id);
    return claimed.at(0).claim_token;
  }
  void Fail(JobStore& store, const Job& job, const std::string& token) {
    world_.clock.Advance(1000);
    JobCompletion failure{job.id, token, JobCompletion::Kind::kFailed, {}, "It broke", 0};
    EXPECT_TRUE(store.FinishJobs({failure}, world_.clock.Now()).front());
  }
  // Waits (up to 10 s) until `condition` holds.
  static bool Eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
};

TEST_F(EventStreamTest, FollowsAJobFromPendingToItsEndThenEndsTheStream) {
  StartServer();
  const Job job = world_.CreateJob();
  auto stream = Open(job.id);
  ASSERT_TRUE(stream->WaitForEvents(1)) << stream->body();
  EXPECT_EQ(stream->status(), 200);
  EXPECT_EQ(stream->headers().at("content-type"), "text/event-stream");
  EXPECT_EQ(stream->headers().at("cache-control"), "no-store");
  EXPECT_EQ(stream->body(), "event: job\nid: 1\ndata: " + GetBody(job.id) + "\n\n");

  const std::string token = Claim(world_.database->jobs(), job);
  ASSERT_TRUE(stream->WaitForEvents(2)) << stream->body();
  EXPECT_EQ(stream->events()[1].id, "2");
  EXPECT_EQ(stream->events()[1].data, GetBody(job.id));
  EXPECT_NE(stream->events()[1].data.find("\"status\":\"started\""), std::string::npos);

  Fail(world_.database->jobs(), job, token);
  ASSERT_TRUE(stream->WaitForEvents(3)) << stream->body();
  EXPECT_EQ(stream->events()[2].id, "3");
  EXPECT_EQ(stream->events()[2].data, GetBody(job.id));
  EXPECT_NE(stream->events()[2].data.find("\"status\":\"failed\""), std::string::npos);
  EXPECT_TRUE(stream->WaitForClose()) << "the stream ends after the final status";
  EXPECT_TRUE(stream->ended()) << "with the last chunk: a clean end";
  EXPECT_EQ(stream->events().size(), 3u);
}

TEST_F(EventStreamTest, AFinishedJobGivesOneEventAndTheEnd) {
  StartServer();
  const Job job = world_.Succeed(world_.CreateJob(), "id\r\n");
  auto stream = Open(job.id);
  ASSERT_TRUE(stream->WaitForClose());
  EXPECT_TRUE(stream->ended());
  ASSERT_EQ(stream->events().size(), 1u);
  EXPECT_EQ(stream->events()[0].event, "job");
  EXPECT_EQ(stream->events()[0].data, GetBody(job.id));
}

TEST_F(EventStreamTest, UnknownJobIs404AndAMissingTokenIs401BeforeAnyStream) {
  StartServer();
  const Reply unknown = SendAuthed(V::get, "/v2/jobs/00000000-0000-4000-8000-000000000000/events");
  EXPECT_EQ(unknown.result(), http::status::not_found);
  EXPECT_NE(unknown.body().find("Resource Not Found"), std::string::npos);
  const Job job = world_.CreateJob();
  const Reply anonymous = Send(testing::MakeRequest(V::get, "/v2/jobs/" + job.id + "/events"));
  EXPECT_EQ(anonymous.result(), http::status::unauthorized);
  const Reply posted = SendAuthed(V::post, "/v2/jobs/" + job.id + "/events");
  EXPECT_EQ(posted.result(), http::status::method_not_allowed);
  EXPECT_EQ(posted[http::field::allow], "GET, HEAD");
}

TEST_F(EventStreamTest, HeadAnswersTheHeadersWithoutAStream) {
  StartServer();
  const Job job = world_.CreateJob();
  const Reply head = SendAuthed(V::head, "/v2/jobs/" + job.id + "/events");
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "text/event-stream");
  EXPECT_EQ(head[http::field::cache_control], "no-store");
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(world_.metrics.open_event_streams(), 0);
}

TEST_F(EventStreamTest, PastTheLimitIs503WithRetryAfterUntilAStreamEnds) {
  ServerOptions options;
  options.max_event_streams = 2;
  StartServer(options);
  const Job job = world_.CreateJob();
  auto first = Open(job.id);
  auto second = Open(job.id);
  ASSERT_TRUE(first->WaitForEvents(1));
  ASSERT_TRUE(second->WaitForEvents(1));
  EXPECT_EQ(world_.metrics.open_event_streams(), 2);

  const Reply refused = SendAuthed(V::get, "/v2/jobs/" + job.id + "/events");
  EXPECT_EQ(refused.result(), http::status::service_unavailable);
  EXPECT_EQ(refused[http::field::retry_after], "5");
  EXPECT_EQ(refused[http::field::content_type], "application/json");
  EXPECT_NE(refused.body().find("\"status\":503"), std::string::npos) << refused.body();
  EXPECT_NE(refused.body().find("at most 2"), std::string::npos) << refused.body();

  first->Close();
  ASSERT_TRUE(Eventually([&] { return world_.metrics.open_event_streams() == 1; }));
  auto third = Open(job.id);
  EXPECT_TRUE(third->WaitForEvents(1)) << third->body();
}

TEST_F(EventStreamTest, AnIdleStreamGetsACommentLine) {
  ServerOptions options;
  options.event_keepalive = std::chrono::milliseconds(50);
  StartServer(options);
  const Job job = world_.CreateJob();
  auto stream = Open(job.id);
  ASSERT_TRUE(stream->ReadUntil([&] { return stream->comments() >= 2; })) << stream->body();
  EXPECT_EQ(stream->body().substr(0, stream->body().find("\n\n") + 2),
            "event: job\nid: 1\ndata: " + GetBody(job.id) + "\n\n");
  EXPECT_NE(stream->body().find("\n\n:\n\n"), std::string::npos) << stream->body();
  EXPECT_EQ(stream->events().size(), 1u) << "comments are not events";
}

TEST_F(EventStreamTest, StopEndsOpenStreamsCleanly) {
  StartServer();
  const Job job = world_.CreateJob();
  std::vector<std::unique_ptr<EventStreamClient>> streams;
  for (int i = 0; i < 3; ++i) streams.push_back(Open(job.id));
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForEvents(1));
  server_->Stop();
  for (auto& stream : streams) {
    EXPECT_TRUE(stream->WaitForClose());
    // The last chunk: ended by the stop request, not cut by the forced
    // close that comes after stop_timeout.
    EXPECT_TRUE(stream->ended());
  }
  server_->Join();
  server_.reset();
  EXPECT_EQ(world_.metrics.open_event_streams(), 0);
}

TEST_F(EventStreamTest, ClientsThatGoAwayFreeTheirStreamsAtOnce) {
  StartServer();
  const Job job = world_.CreateJob();
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<EventStreamClient>> streams;
    for (int i = 0; i < 40; ++i) streams.push_back(Open(job.id));
    for (auto& stream : streams) ASSERT_TRUE(stream->WaitForEvents(1));
    ASSERT_TRUE(Eventually([&] { return server_->job_watcher().subscriber_count() == 40; }));
    streams.clear();  // every client hangs up, no event due
    ASSERT_TRUE(Eventually([&] {
      return world_.metrics.open_event_streams() == 0 &&
             server_->job_watcher().subscriber_count() == 0;
    })) << "open: "
        << world_.metrics.open_event_streams();
  }
  const Reply metrics = Send(testing::MakeRequest(V::get, "/metrics"));
  EXPECT_NE(metrics.body().find("jobsd_event_streams_open 0\n"), std::string::npos);
}

TEST_F(EventStreamTest, ManyStreamsOfOneJobCostOneReadPerChange) {
  StartServer();
  const Job job = world_.CreateJob();
  constexpr std::size_t kStreams = 20;
  std::vector<std::unique_ptr<EventStreamClient>> streams;
  for (std::size_t i = 0; i < kStreams; ++i) streams.push_back(Open(job.id));
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForEvents(1));
  ASSERT_TRUE(Eventually([&] { return server_->job_watcher().subscriber_count() == kStreams; }));
  const std::uint64_t before = server_->job_watcher().job_reads();

  Claim(world_.database->jobs(), job);
  for (auto& stream : streams) ASSERT_TRUE(stream->WaitForEvents(2)) << stream->body();
  const std::uint64_t reads = server_->job_watcher().job_reads() - before;
  // One read for the change; at most one more for the last subscriptions,
  // which the watcher reads once when they are new. Never one per stream.
  EXPECT_GE(reads, 1u);
  EXPECT_LE(reads, 2u);
  for (auto& stream : streams) EXPECT_EQ(stream->events().size(), 2u);
}

TEST_F(EventStreamTest, AChangeCommittedThroughAnotherStoreHandleShowsWithinASecond) {
  StartServer();
  const Job job = world_.CreateJob();
  auto stream = Open(job.id);
  ASSERT_TRUE(stream->WaitForEvents(1));
  // Another process or node: its own connections to the same store.
  storage::StoreOptions other_options;
  other_options.location = world_.location;
  std::unique_ptr<storage::Store> other = storage::OpenStore(other_options);
  // The contract's second (the watcher polls every 250 ms), with a margin
  // for a loaded test machine.
  constexpr auto kWithin = std::chrono::seconds(2);
  const std::string token = Claim(other->jobs(), job);
  ASSERT_TRUE(stream->WaitForEvents(2, kWithin)) << stream->body();
  Fail(other->jobs(), job, token);
  ASSERT_TRUE(stream->WaitForEvents(3, kWithin)) << stream->body();
  EXPECT_NE(stream->events()[2].data.find("It broke"), std::string::npos);
}

}  // namespace
}  // namespace jobsd::api
