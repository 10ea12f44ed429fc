#include "tests/support/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace jobsd::testing {
namespace {

constexpr std::size_t kMaxRequestBytes = 4 * 1024 * 1024;
constexpr int kPollMs = 20;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

WebhookReceiver::WebhookReceiver(Behaviour behaviour) : behaviour_(std::move(behaviour)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string WebhookReceiver::Url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

std::vector<ReceivedRequest> WebhookReceiver::Requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool WebhookReceiver::WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

WebhookReceiver::Behaviour WebhookReceiver::Answer(int status, std::string body,
                                                   std::string extra_headers) {
  return [=](int fd, const ReceivedRequest&) {
    WriteAll(fd, "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body);
  };
}

void WebhookReceiver::HoldOpen(int fd) const {
  char byte;
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) > 0 && ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0) return;
  }
}

bool WebhookReceiver::ReadRequest(int fd, ReceivedRequest& request) const {
  std::string data;
  std::size_t header_end = std::string::npos;
  std::size_t wanted = 0;
  char chunk[16384];
  while (!stop_) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string_view head(data.data(), header_end);
        const std::size_t line_end = head.find("\r\n");
        std::string_view line = head.substr(0, line_end);
        request.method = std::string(line.substr(0, line.find(' ')));
        line.remove_prefix(std::min(line.size(), line.find(' ') + 1));
        request.target = std::string(line.substr(0, line.find(' ')));
        std::string_view rest =
            line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
        while (!rest.empty()) {
          const std::size_t end = rest.find("\r\n");
          std::string_view field = rest.substr(0, end);
          const std::size_t colon = field.find(':');
          if (colon != std::string_view::npos) {
            request.headers[Lower(std::string(field.substr(0, colon)))] =
                Trim(field.substr(colon + 1));
          }
          rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
        }
        auto length = request.headers.find("content-length");
        wanted =
            header_end + 4 + (length == request.headers.end() ? 0 : std::stoul(length->second));
      }
    }
    if (header_end != std::string::npos && data.size() >= wanted) {
      request.body = data.substr(header_end + 4, wanted - header_end - 4);
      return true;
    }
    if (data.size() > kMaxRequestBytes) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    data.append(chunk, static_cast<std::size_t>(got));
  }
  return false;
}

void WebhookReceiver::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ReceivedRequest request;
    if (ReadRequest(fd, request)) {
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      behaviour_(fd, request);
    }
    ::close(fd);
  }
}

}  // namespace jobsd::testing
