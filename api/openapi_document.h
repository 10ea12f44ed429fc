// The OpenAPI 3.1 document of every route, served at GET /openapi.json. Its
// source is docs/openapi.json, embedded at build time
// (cmake/embed_text.cmake); tests/api/openapi_test.cc checks that it names
// exactly the routes the router serves, and tests/api/openapi/ validates it
// and the server's answers against it.
#pragma once

#include <string_view>

namespace jobsd::api {

std::string_view OpenApiDocument();

}  // namespace jobsd::api
