// The API tests' one in-process server: HttpServer on an ephemeral port
// over an ApiWorld (a real SQLite store, a manual clock), spoken to through
// the test client of tests/support (http_connection.h) over real sockets.
// Tests of the whole binary use tests/support/live_jobsd.h instead.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/server.h"
#include "tests/api/api_world.h"
#include "tests/support/http_connection.h"

namespace jobsd::api::testing {

using Reply = http::response<http::string_body>;
using jobsd::testing::HttpConnection;

class ServerFixture : public ::testing::Test {
 protected:
  // Starts the server (port 0, a 1 s read timeout, the rest from
  // `options`) and gives the test a token of a new client.
  void StartServer(ServerOptions options = {});
  void TearDown() override;

  HttpConnection Connect();
  // One request on a fresh connection, and its response.
  Reply Send(Request request);
  // One request on `connection`, which stays open for the next one.
  Reply SendOn(HttpConnection& connection, Request request);
  Reply SendAuthed(http::verb method, std::string target, std::string body = "",
                   std::string type = "");
  // Raw bytes in, everything the server says until it closes out.
  std::string SendRaw(const std::string& bytes);

  ApiWorld world_;
  std::unique_ptr<HttpServer> server_;
  std::string token_;
};

}  // namespace jobsd::api::testing
