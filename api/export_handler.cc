// GET and HEAD /exports/{token}.csv: a job's artifact (the export file),
// public but unguessable, dead once the job expires (docs/export-csv.md). The
// artifact store serves the bytes; the job's artifact says what they are.
#include <memory>

#include "api/byte_range.h"
#include "api/errors.h"
#include "api/handlers.h"

namespace jobsd::api {
namespace {

[[noreturn]] void NotFound() { throw ApiError(ErrorCode::kNotFound, std::string(kNotFoundDetail)); }

}  // namespace

Response GetExport(const HandlerContext& context) {
  std::optional<Job> job = context.services.jobs.GetByArtifactToken(context.path_param);
  if (!job || !job->artifact) NotFound();
  const Artifact& artifact = *job->artifact;

  // Open now, on the blocking pool: an open artifact stays readable even if
  // the retention sweep deletes it mid-download.
  std::shared_ptr<ArtifactReader> reader = context.services.artifacts.Open(artifact.key);
  if (!reader) NotFound();  // gone (expired and swept)
  const std::uint64_t size = reader->size();

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
  response.headers.set(http::field::content_type, artifact.content_type);
  response.headers.set(http::field::content_disposition,
                       "attachment; filename=\"" + artifact.file_name + "\"");
  response.headers.set(http::field::cache_control, "private, no-store");
  FileSlice slice{std::move(reader), 0, size};
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
