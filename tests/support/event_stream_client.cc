#include "tests/support/event_stream_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "tests/support/http_client.h"

namespace jobsd::testing {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The blocks of an event stream body: the text between blank lines.
std::vector<std::string> Blocks(const std::string& body) {
  std::vector<std::string> blocks;
  std::size_t at = 0;
  for (std::size_t end = body.find("\n\n"); end != std::string::npos; end = body.find("\n\n", at)) {
    blocks.push_back(body.substr(at, end - at));
    at = end + 2;
  }
  return blocks;
}

}  // namespace

EventStreamClient::EventStreamClient(int port, const std::string& target,
                                     const std::vector<std::string>& headers,
                                     const std::string& method)
    : fd_(ConnectLoopback(port)) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& header : headers) request += header + "\r\n";
  request += "\r\n";
  if (fd_ >= 0 && send(fd_, request.data(), request.size(), MSG_NOSIGNAL) < 0) Close();
}

EventStreamClient::~EventStreamClient() { Close(); }

void EventStreamClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool EventStreamClient::ReadUntil(const std::function<bool()>& done,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (fd_ < 0 || closed_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
    } else {
      raw_.append(chunk, static_cast<std::size_t>(n));
    }
    Parse();
  }
  return true;
}

bool EventStreamClient::WaitForClose(std::chrono::milliseconds timeout) {
  ReadUntil([this] { return closed_; }, timeout);
  return closed_;
}

void EventStreamClient::Parse() {
  const std::size_t header_end = raw_.find("\r\n\r\n");
  if (header_end == std::string::npos) return;
  headers_.clear();
  std::size_t line_start = raw_.find("\r\n") + 2;
  status_ = std::stoi(raw_.substr(raw_.find(' ') + 1, 3));
  while (line_start < header_end) {
    const std::size_t line_end = raw_.find("\r\n", line_start);
    const std::string line = raw_.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    headers_[Lower(line.substr(0, colon))] = value;
    line_start = line_end + 2;
  }
  const std::string rest = raw_.substr(header_end + 4);
  if (Lower(headers_["transfer-encoding"]) != "chunked") {
    body_ = rest;
    return;
  }
  body_.clear();
  std::size_t at = 0;
  for (;;) {
    const std::size_t size_end = rest.find("\r\n", at);
    if (size_end == std::string::npos) return;
    const std::size_t size = std::stoul(rest.substr(at, size_end - at), nullptr, 16);
    if (size == 0) {
      ended_ = rest.compare(size_end, 4, "\r\n\r\n") == 0;
      return;
    }
    if (rest.size() < size_end + 2 + size + 2) return;
    body_ += rest.substr(size_end + 2, size);
    at = size_end + 2 + size + 2;
  }
}

std::vector<StreamEvent> EventStreamClient::events() const {
  std::vector<StreamEvent> events;
  for (const std::string& block : Blocks(body_)) {
    StreamEvent event;
    bool any = false;
    std::size_t at = 0;
    while (at <= block.size()) {
      std::size_t end = block.find('\n', at);
      if (end == std::string::npos) end = block.size();
      const std::string line = block.substr(at, end - at);
      at = end + 1;
      if (line.empty() || line[0] == ':') continue;
      const std::size_t colon = line.find(": ");
      const std::string field = line.substr(0, colon);
      const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
      if (field == "event") event.event = value;
      if (field == "id") event.id = value;
      if (field == "data") event.data += value;
      any = true;
    }
    if (any) events.push_back(event);
  }
  return events;
}

int EventStreamClient::comments() const {
  const std::vector<std::string> blocks = Blocks(body_);
  return static_cast<int>(std::count(blocks.begin(), blocks.end(), ":"));
}

}  // namespace jobsd::testing
