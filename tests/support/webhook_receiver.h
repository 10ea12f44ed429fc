// A receiving server for webhook tests: listens on 127.0.0.1 (a free port),
// reads each request (headers and a Content-Length body) and hands it to a
// behaviour that answers on the raw socket however the test wants: a
// status, garbage, a hang, a slow drip. Connections are served one at a
// time on one thread; every request is kept for the test to inspect.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace jobsd::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class WebhookReceiver {
 public:
  // Called for each request with the connected socket; the receiver closes
  // the socket when it returns.
  using Behaviour = std::function<void(int fd, const ReceivedRequest& request)>;

  explicit WebhookReceiver(Behaviour behaviour);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url(std::string_view target = "/hook") const;
  std::vector<ReceivedRequest> Requests() const;

  // For behaviours: writes all of `bytes` (false once the peer is gone).
  static bool WriteAll(int fd, std::string_view bytes);
  // A whole answer: "HTTP/1.1 <status> X", Content-Length, the body.
  static Behaviour Answer(int status, std::string body = "", std::string extra_headers = "");
  // For behaviours: waits until the peer closes the connection or the
  // receiver is destroyed (a server that never answers).
  void HoldOpen(int fd) const;

 private:
  void Serve();
  bool ReadRequest(int fd, ReceivedRequest& request) const;

  Behaviour behaviour_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_ = false;
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace jobsd::testing
