#pragma once

// How the HTTP server reads a request off the wire with Beast: the parser's limits and the conversion
// to api::HttpRequest. Included only by http_server.cpp and the HTTP fuzz target (fuzz/), so that the
// fuzzer reads requests exactly as the server does.

#include <cctype>
#include <cstddef>
#include <string>
#include <utility>

#include <boost/beast/http.hpp>

#include "api/http.hpp"

namespace billhook::api {

// Request headers larger than this are a 431 (headers_too_large).
inline constexpr std::size_t kMaxRequestHeaderBytes = 16 * 1024;

using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

inline void limit_request_parser(BeastRequestParser& parser, std::size_t max_body_bytes) {
  parser.body_limit(max_body_bytes);
  parser.header_limit(kMaxRequestHeaderBytes);
}

// Header names lower-cased, so that handlers look them up one way.
inline HttpRequest to_request(boost::beast::http::request<boost::beast::http::string_body>&& message,
                              std::string remote_address) {
  HttpRequest out;
  out.method = std::string(message.method_string());
  out.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(message.body());
  out.remote_address = std::move(remote_address);
  return out;
}

}  // namespace billhook::api
