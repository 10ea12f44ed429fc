#include "tests/api/server_fixture.h"

#include <sstream>

namespace jobsd::api::testing {
namespace {

Reply ToReply(const jobsd::testing::HttpResponse& response) {
  Reply reply;
  // 0 when nothing complete arrived: the test's status check fails on it.
  reply.result(static_cast<unsigned>(response.complete ? response.status : 0));
  for (const auto& [name, value] : response.headers) reply.set(name, value);
  reply.body() = response.body;
  return reply;
}

}  // namespace

void ServerFixture::StartServer(ServerOptions options) {
  options.port = 0;
  options.read_timeout = std::chrono::seconds(1);
  server_ = std::make_unique<HttpServer>(options, world_.services());
  server_->Start();
  token_ = world_.NewToken();
}

void ServerFixture::TearDown() {
  if (server_) {
    server_->Stop();
    server_->Join();
  }
}

HttpConnection ServerFixture::Connect() {
  HttpConnection connection(server_->port());
  EXPECT_TRUE(connection.connected());
  return connection;
}

Reply ServerFixture::Send(Request request) {
  HttpConnection connection = Connect();
  return SendOn(connection, std::move(request));
}

Reply ServerFixture::SendOn(HttpConnection& connection, Request request) {
  request.set(http::field::host, "127.0.0.1");
  std::ostringstream bytes;
  bytes << request;
  return ToReply(connection.Exchange(bytes.str(), request.method() == http::verb::head));
}

Reply ServerFixture::SendAuthed(http::verb method, std::string target, std::string body,
                                std::string type) {
  return Send(
      Authed(MakeRequest(method, std::move(target), std::move(body), std::move(type)), token_));
}

std::string ServerFixture::SendRaw(const std::string& bytes) {
  HttpConnection connection = Connect();
  connection.Write(bytes);
  return connection.ReadUntilClosed().bytes;
}

}  // namespace jobsd::api::testing
