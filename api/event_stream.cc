#include "api/event_stream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/write.hpp>

namespace jobsd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

void AppendEvent(std::string& out, std::uint64_t sequence, std::string_view data) {
  out.append("event: job\nid: ").append(std::to_string(sequence)).append("\ndata: ");
  out.append(data).append("\n\n");
}

}  // namespace

// ---------------------------------------------------------------------------
// EventStreamSlots

std::unique_ptr<EventStreamSlots::Slot> EventStreamSlots::TryTake() {
  std::size_t open = open_.load();
  do {
    if (open >= max_) return nullptr;
  } while (!open_.compare_exchange_weak(open, open + 1));
  metrics_.EventStreamOpened();
  return std::make_unique<Slot>(*this);
}

void EventStreamSlots::Release() {
  open_.fetch_sub(1);
  metrics_.EventStreamClosed();
}

// ---------------------------------------------------------------------------
// EventStream

EventStream::EventStream(beast::tcp_stream& stream, JobWatcher& watcher, EventStreamOptions options)
    : stream_(stream), watcher_(watcher), options_(options), wake_(stream.get_executor()) {}

void EventStream::Stop() {
  stopping_ = true;
  wake_.cancel();
}

void EventStream::OnChange(std::shared_ptr<const JobSnapshot> snapshot) {
  latest_ = std::move(snapshot);
  changed_ = true;
  wake_.cancel();
}

void EventStream::WatchForHangUp() {
  reading_ = true;
  stream_.socket().async_read_some(
      asio::buffer(scratch_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (!ec) return self->WatchForHangUp();
        // Closed, reset, or cancelled because the stream ended: either
        // way nobody is reading any more.
        self->reading_ = false;
        self->client_gone_ = true;
        self->wake_.cancel();
      });
}

template <class Serializer>
asio::awaitable<bool> EventStream::Send(Serializer& serializer,
                                        http::buffer_body::value_type& body) {
  body.data = out_.data();
  body.size = out_.size();
  body.more = true;
  stream_.expires_after(options_.write_timeout);
  auto [ec, written] = co_await http::async_write(stream_, serializer, kAsTuple);
  out_.clear();
  if (ec && ec != http::error::need_buffer) {
    client_gone_ = true;
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> EventStream::Run(http::fields headers, unsigned version,
                                       EventStreamStart start) {
  auto self = shared_from_this();
  http::response<http::buffer_body> message{http::status::ok, version};
  static_cast<http::fields&>(message) = std::move(headers);
  message.keep_alive(false);
  if (version >= 11) message.chunked(true);
  message.body().data = nullptr;
  message.body().more = true;
  http::response_serializer<http::buffer_body> serializer{message};

  stream_.expires_after(options_.write_timeout);
  auto [header_ec, header_bytes] = co_await http::async_write_header(stream_, serializer, kAsTuple);
  if (header_ec) co_return;
  WatchForHangUp();

  std::uint64_t sequence = 0;
  AppendEvent(out_, ++sequence, start.first);
  bool more = co_await Send(serializer, message.body()) && !start.ended;

  std::unique_ptr<JobWatcher::Subscription> subscription;
  if (more) {
    // The watcher calls from its own thread; the change is handled here,
    // on the strand. A stream already ended just drops it (weak_ptr).
    subscription =
        watcher_.Subscribe(start.job_id, start.first,
                           [weak = weak_from_this(), executor = stream_.get_executor()](
                               std::shared_ptr<const JobSnapshot> snapshot) {
                             asio::post(executor, [weak, snapshot = std::move(snapshot)]() mutable {
                               if (auto stream = weak.lock()) stream->OnChange(std::move(snapshot));
                             });
                           });
  }
  while (more && !stopping_ && !client_gone_) {
    if (!changed_) {
      wake_.expires_after(options_.keepalive);
      auto [wait_ec] = co_await wake_.async_wait(kAsTuple);
      if (!wait_ec) {
        out_.append(":\n\n");
        more = co_await Send(serializer, message.body());
      }
      continue;  // woken by a change, Stop or a hang-up: look again
    }
    changed_ = false;
    std::shared_ptr<const JobSnapshot> snapshot = std::move(latest_);
    if (!snapshot) break;  // the job is gone (expired) or the watcher stopped
    AppendEvent(out_, ++sequence, snapshot->view);
    more = co_await Send(serializer, message.body()) && !IsFinal(snapshot->job.status);
  }
  subscription.reset();

  if (!client_gone_) {
    message.body().data = nullptr;
    message.body().size = 0;
    message.body().more = false;
    stream_.expires_after(options_.write_timeout);
    co_await http::async_write(stream_, serializer, kAsTuple);  // the last chunk
  }
  // The reader holds this object and the socket: let it finish before the
  // session closes the connection.
  boost::system::error_code ignored;
  stream_.socket().cancel(ignored);
  while (reading_) {
    wake_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_.async_wait(kAsTuple);
  }
}

}  // namespace jobsd::api
