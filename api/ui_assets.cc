#include "api/ui_assets.h"

#include <map>

#include "api/gzip.h"
#include "engine/sha256.h"

namespace jobsd::api {
namespace {

// A strong validator of exactly these bytes: 128 bits of their SHA-256.
std::string StrongEtag(std::string_view bytes) {
  constexpr std::size_t kHexDigits = 32;
  return "\"" + Sha256Hex(bytes).substr(0, kHexDigits) + "\"";
}

using AssetMap = std::map<std::string, UiAsset, std::less<>>;

AssetMap PrepareAssets() {
  AssetMap assets;
  for (const EmbeddedFile& file : EmbeddedUiFiles()) {
    UiAsset asset;
    asset.content_type = UiContentType(file.name);
    asset.identity = {std::string(file.bytes), StrongEtag(file.bytes)};
    std::string compressed = GzipCompress(file.bytes);
    asset.gzip.etag = StrongEtag(compressed);
    asset.gzip.bytes = std::move(compressed);
    assets.emplace(std::string(file.name), std::move(asset));
  }
  return assets;
}

}  // namespace

std::string_view UiContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript";
  if (name.ends_with(".css")) return "text/css";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

const UiAsset* FindUiAsset(std::string_view name) {
  // Built once, on first use (the router asks at construction).
  static const AssetMap kAssets = PrepareAssets();
  auto it = kAssets.find(name);
  return it == kAssets.end() ? nullptr : &it->second;
}

}  // namespace jobsd::api
