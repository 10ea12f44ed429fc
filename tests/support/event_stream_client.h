// A client of one Server-Sent Events stream (GET /v2/jobs/{id}/events)
// over a real socket: sends the request, then reads as the stream goes,
// de-chunking the body and splitting it into events. Every wait has a
// timeout, so a test never hangs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace jobsd::testing {

struct StreamEvent {
  std::string event;
  std::string id;
  std::string data;
};

class EventStreamClient {
 public:
  // Connects to 127.0.0.1:`port` and sends `method target` with the
  // `headers` lines (e.g. "Authorization: Bearer x").
  EventStreamClient(int port, const std::string& target, const std::vector<std::string>& headers,
                    const std::string& method = "GET");
  ~EventStreamClient();
  EventStreamClient(const EventStreamClient&) = delete;
  EventStreamClient& operator=(const EventStreamClient&) = delete;

  // Reads until `done()` holds (true), or the server closes or `timeout`
  // passes first (false).
  bool ReadUntil(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool WaitForEvents(std::size_t count,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return ReadUntil([&] { return events().size() >= count; }, timeout);
  }
  // True once the server closed the connection within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Closes the socket (the client goes away).
  void Close();

  int status() const { return status_; }  // 0 until the headers came
  const std::map<std::string, std::string>& headers() const { return headers_; }  // lowercase
  const std::string& body() const { return body_; }  // de-chunked so far
  bool ended() const { return ended_; }              // the last chunk arrived
  bool closed() const { return closed_; }            // the server closed
  // The events in body(), comments left out.
  std::vector<StreamEvent> events() const;
  // How many comment blocks (":") body() holds.
  int comments() const;

 private:
  void Parse();

  int fd_ = -1;
  std::string raw_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string body_;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace jobsd::testing
