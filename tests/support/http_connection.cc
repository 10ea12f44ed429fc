#include "tests/support/http_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace jobsd::testing {

HttpConnection::HttpConnection(int port) : fd_(ConnectLoopback(port)) {}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

HttpConnection::HttpConnection(HttpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      closed_(other.closed_),
      buffer_(std::move(other.buffer_)) {}

bool HttpConnection::Write(const std::string& bytes) {
  if (fd_ < 0) return false;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool HttpConnection::Receive(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || closed_) return false;
  pollfd ready{fd_, POLLIN, 0};
  if (poll(&ready, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char chunk[16384];
  const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

HttpResponse HttpConnection::Exchange(const std::string& request, bool head,
                                      std::chrono::milliseconds timeout) {
  if (!Write(request)) return {};
  return ReadResponse(head, timeout);
}

HttpResponse HttpConnection::ReadResponse(bool head, std::chrono::milliseconds timeout) {
  for (;;) {
    std::size_t used = 0;
    HttpResponse response = ParseResponsePrefix(buffer_, head, used);
    if (response.complete) {
      buffer_.erase(0, used);
      return response;
    }
    if (!Receive(timeout)) return response;
  }
}

RawExchange HttpConnection::ReadUntilClosed(std::chrono::milliseconds timeout) {
  RawExchange exchange;
  while (Receive(timeout)) {
  }
  exchange.closed = closed_ || fd_ < 0;
  exchange.timed_out = !exchange.closed;
  exchange.bytes = std::exchange(buffer_, {});
  return exchange;
}

}  // namespace jobsd::testing
