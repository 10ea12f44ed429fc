// GET and HEAD /exports/{token}.csv: the export file, public but
// unguessable, dead once the job expires (API.md section 4).
#include <boost/beast/core/file.hpp>
#include <memory>

#include "api/byte_range.h"
#include "api/errors.h"
#include "api/handlers.h"

namespace jobsd::api {
namespace {

[[noreturn]] void NotFound() { throw ApiError(ErrorCode::kNotFound, std::string(kNotFoundDetail)); }

}  // namespace

Response GetExport(const HandlerContext& context) {
  std::optional<Job> job = context.services.jobs.GetByFileToken(context.path_param);
  if (!job || job->status != JobStatus::kSuccess || !job->file_path) NotFound();

  // Open now, on the blocking pool: the open descriptor keeps the bytes
  // readable even if the retention sweep unlinks the file mid-download.
  auto file = std::make_shared<boost::beast::file>();
  boost::system::error_code ec;
  file->open(job->file_path->c_str(), boost::beast::file_mode::scan, ec);
  if (ec) NotFound();  // the file is gone (expired and swept)
  const std::uint64_t size = file->size(ec);
  if (ec) NotFound();

  std::optional<std::string_view> range_header;
  if (auto it = context.request.find(http::field::range); it != context.request.end()) {
    range_header = it->value();
  }
  const RangeRequest range = ParseRange(range_header, size);

  Response response;
  response.headers.set(http::field::accept_ranges, "bytes");
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    response = ErrorResponse(ErrorCode::kRangeNotSatisfiable,
                             "The requested range is outside the file", context.request_id);
    response.headers.set(http::field::accept_ranges, "bytes");
    response.headers.set(http::field::content_range, "bytes */" + std::to_string(size));
    return response;
  }
  response.headers.set(http::field::content_type, "text/csv; charset=utf-8");
  response.headers.set(http::field::content_disposition,
                       "attachment; filename=\"orders-" + job->id + ".csv\"");
  response.headers.set(http::field::cache_control, "private, no-store");
  FileSlice slice{std::move(file), 0, size};
  if (range.kind == RangeRequest::Kind::kRange) {
    response.status = http::status::partial_content;
    slice.offset = range.range.first;
    slice.length = range.range.length;
    response.headers.set(http::field::content_range,
                         "bytes " + std::to_string(slice.offset) + "-" +
                             std::to_string(slice.offset + slice.length - 1) + "/" +
                             std::to_string(size));
  }
  response.headers.set(http::field::content_length, std::to_string(slice.length));
  response.file = std::move(slice);
  return response;
}

}  // namespace jobsd::api
