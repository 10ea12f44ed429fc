// A kept-alive connection of the test HTTP client (http_client.h): many
// requests in a row on one socket, as a browser or SDK sends them, and the
// low-level moves tests of the server need (write part of a request, read
// until the server closes). Every read has a timeout, so a test never hangs.
#pragma once

#include <chrono>
#include <string>

#include "tests/support/http_client.h"

namespace jobsd::testing {

class HttpConnection {
 public:
  // Connects to 127.0.0.1:`port`; connected() says whether it worked.
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  // Sends `bytes` as they are; false when the connection is gone.
  bool Write(const std::string& bytes);
  // Sends a whole request and reads its response (complete = false when
  // the server closed or went quiet for `timeout` first). `head`: the
  // request was HEAD, so the response has headers only.
  HttpResponse Exchange(const std::string& request, bool head = false,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Reads one response to what was written before.
  HttpResponse ReadResponse(bool head = false,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Everything the server sends until it closes (closed = true) or sends
  // nothing for `timeout`, including bytes already received and not read.
  RawExchange ReadUntilClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  // Waits up to `timeout` for more bytes into buffer_; false on close or
  // timeout (closed_ says which).
  bool Receive(std::chrono::milliseconds timeout);

  int fd_ = -1;
  bool closed_ = false;
  std::string buffer_;  // received, not yet returned
};

}  // namespace jobsd::testing
