#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <thread>

namespace jobsd::testing {

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval send_timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Parses one response starting at `at`; on success moves `at` past it.
// `head`: the answer to a HEAD request, whose length headers announce a
// body that never follows.
bool ParseOne(const std::string& raw, std::size_t& at, HttpResponse& response, bool head = false) {
  const std::size_t head_end = raw.find("\r\n\r\n", at);
  if (raw.compare(at, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) return false;
  response.status = std::atoi(raw.c_str() + at + 9);
  std::size_t line = raw.find("\r\n", at) + 2;
  while (line < head_end) {
    const std::size_t end = raw.find("\r\n", line);
    const std::string header = raw.substr(line, end - line);
    const std::size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::size_t value = colon + 1;
      while (value < header.size() && header[value] == ' ') ++value;
      response.headers[Lower(header.substr(0, colon))] = header.substr(value);
    }
    line = end + 2;
  }
  std::size_t body = head_end + 4;
  // Interim 1xx responses have no body; the caller sees them as responses.
  if (head || (response.status >= 100 && response.status < 200)) {
    response.complete = true;
    at = body;
    return true;
  }
  if (Lower(response.headers["transfer-encoding"]) == "chunked") {
    std::string decoded;
    for (;;) {
      const std::size_t size_end = raw.find("\r\n", body);
      if (size_end == std::string::npos) return false;
      const std::size_t size = std::strtoul(raw.substr(body, size_end - body).c_str(), nullptr, 16);
      if (size_end + 2 + size + 2 > raw.size()) return false;
      decoded.append(raw, size_end + 2, size);
      body = size_end + 2 + size + 2;
      if (size == 0) break;
    }
    response.body = std::move(decoded);
    response.complete = true;
    at = body;
    return true;
  }
  const auto length = response.headers.find("content-length");
  const std::size_t size = length == response.headers.end() ? 0 : std::stoul(length->second);
  if (body + size > raw.size()) {
    response.body = raw.substr(body);
    return false;
  }
  response.body = raw.substr(body, size);
  response.complete = true;
  at = body + size;
  return true;
}

}  // namespace

RawExchange SendRaw(int port, const std::string& request, std::chrono::milliseconds timeout,
                    bool half_close) {
  return SendRawInParts(port, {request}, std::chrono::milliseconds(0), timeout, half_close);
}

RawExchange SendRawInParts(int port, const std::vector<std::string>& parts,
                           std::chrono::milliseconds pause, std::chrono::milliseconds timeout,
                           bool half_close) {
  RawExchange exchange;
  const int fd = ConnectLoopback(port);
  if (fd < 0) {
    exchange.closed = true;
    return exchange;
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(pause);
    const std::string& part = parts[i];
    std::size_t sent = 0;
    while (sent < part.size()) {
      const ssize_t n = send(fd, part.data() + sent, part.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  }
  if (half_close) shutdown(fd, SHUT_WR);
  char buffer[16384];
  for (;;) {
    pollfd ready{fd, POLLIN, 0};
    const int polled = poll(&ready, 1, static_cast<int>(timeout.count()));
    if (polled == 0) {
      exchange.timed_out = true;
      break;
    }
    if (polled < 0) break;
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      exchange.closed = true;
      break;
    }
    exchange.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return exchange;
}

std::vector<HttpResponse> ParseResponses(const std::string& raw) {
  std::vector<HttpResponse> responses;
  std::size_t at = 0;
  for (;;) {
    HttpResponse response;
    if (!ParseOne(raw, at, response)) break;
    responses.push_back(std::move(response));
  }
  return responses;
}

HttpResponse ParseResponse(const std::string& raw) {
  HttpResponse response;
  std::size_t at = 0;
  ParseOne(raw, at, response);
  return response;
}

HttpResponse ParseResponsePrefix(const std::string& raw, bool head, std::size_t& used) {
  HttpResponse response;
  std::size_t at = 0;
  if (ParseOne(raw, at, response, head)) used = at;
  return response;
}

HttpResponse Http(int port, const std::string& method, const std::string& target,
                  const std::vector<std::string>& headers, const std::string& body) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& header : headers) request += header + "\r\n";
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "Connection: close\r\n\r\n" + body;
  return ParseResponse(SendRaw(port, request, std::chrono::seconds(30)).bytes);
}

std::string UrlPath(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? "/" : url.substr(path);
}

}  // namespace jobsd::testing
