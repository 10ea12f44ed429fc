// The dashboard's files (ui/ at the top of the repository), embedded at
// build time by cmake/embed_assets.cmake, and what the server makes of them
// once at start-up: a Content-Type from the name, a strong ETag, and a gzip
// copy with its own ETag. Served by api/ui_handler.cc under /ui/.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace jobsd::api {

struct EmbeddedFile {
  std::string_view name;  // base name, e.g. app.js
  std::string_view bytes;
};

// Generated: every file of ui/ listed in api/CMakeLists.txt.
std::span<const EmbeddedFile> EmbeddedUiFiles();

// One representation of an asset: its bytes and the strong ETag of exactly
// those bytes (quoted, as the header carries it).
struct UiRepresentation {
  std::string bytes;
  std::string etag;
};

struct UiAsset {
  std::string_view content_type;
  UiRepresentation identity;
  UiRepresentation gzip;
};

// The asset named `name` (a base name such as index.html); nullptr for any
// other name, so a path can only ever reach the embedded files. The first
// call prepares every asset (compression included); thread-safe.
const UiAsset* FindUiAsset(std::string_view name);

// Content-Type by extension: text/html; charset=utf-8, text/javascript,
// text/css, image/svg+xml; application/octet-stream otherwise.
std::string_view UiContentType(std::string_view name);

}  // namespace jobsd::api
