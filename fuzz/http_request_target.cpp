// The HTTP request path up to a route's handler: bytes as a client sends them, read by Beast with the
// server's limits (api/beast_request.hpp), then what the API does with every request before it reaches
// a handler or the store — the route table (every path of the OpenAPI document), the query string
// (pagination and the other readers) and the JSON body (with the server's depth limit and the field
// readers). Any bytes give a request or an HTTP error, never a crash.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/json.hpp>

#include "api/beast_request.hpp"
#include "api/http_server.hpp"
#include "api/request.hpp"
#include "api/router.hpp"
#include "core/ids.hpp"

namespace billhook::embedded {
extern const std::string_view openapi_json;
}

namespace {

using namespace billhook;

const api::Router<int>& routes() {
  static const api::Router<int> router = [] {
    api::Router<int> r([](std::string_view segment) { return api::percent_decode(segment, false); });
    const auto document = boost::json::parse(embedded::openapi_json);
    for (const auto& [path, operations] : document.at("paths").as_object()) {
      for (const auto& [method, operation] : operations.as_object()) {
        (void)operation;
        std::string upper(method);
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        r.add(upper, std::string(path), 0);
      }
    }
    return r;
  }();
  return router;
}

void read_query(const api::Query& query) {
  (void)query.page(core::IdKind::event);
  (void)query.optional_int("limit", 1, 100);
  (void)query.unix_seconds("created[gte]");
  (void)query.allow_only({"limit", "starting_after", "ending_before", "type"});
}

void read_body(const api::HttpRequest& request) {
  auto body = api::Body::parse(request, {.max_depth = 32});
  if (!body) {
    if (body.error().message.empty()) std::abort();
    return;
  }
  (void)body->allow_only({"url", "description", "enabled", "event_types", "max_in_flight"});
  (void)body->required_string("url", 2048);
  (void)body->optional_string("description", 1000);
  (void)body->optional_bool("enabled");
  (void)body->optional_int("max_in_flight", 1, 1000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  api::BeastRequestParser parser;
  api::limit_request_parser(parser, api::HttpServerOptions{}.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t offset = 0;
  while (offset < size && !parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    if (ec == boost::beast::http::error::need_more) break;  // a request cut short: the server waits
    if (ec) return 0;                                       // answered 400, 413 or 431
    if (used == 0) break;
    offset += used;
  }
  if (!parser.is_done()) return 0;
  const api::HttpRequest request = api::to_request(parser.release(), "127.0.0.1");

  auto query = api::Query::parse(request.target);
  if (!query) return 0;
  (void)routes().match(request.method, query->path());
  read_query(*query);
  read_body(request);
  return 0;
}
