#include "api/handler_lane.h"

namespace jobsd::api {

HandlerLane LaneFor(const Request& request) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  // Whatever the method: the router answers /healthz or 405 without I/O.
  if (path == "/healthz") return HandlerLane::kInline;
  if (request.method() == http::verb::get || request.method() == http::verb::head) {
    return HandlerLane::kRead;
  }
  return HandlerLane::kWrite;
}

}  // namespace jobsd::api
