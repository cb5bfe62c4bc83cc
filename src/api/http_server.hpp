#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace billhook::api {

struct HttpServerOptions {
  core::ListenAddress listen;
  unsigned threads = 1;
  size_t max_body_bytes = 1 << 20;
  // Connections open at once, and from one client address; a connection over either cap is closed
  // as soon as it is accepted, without touching the others.
  size_t max_connections = 1024;
  size_t max_connections_per_client = 256;
  // A new connection's first request must have sent its whole header within this; a connection that
  // does not is closed (otherwise idle connections hold a descriptor for the whole idle timeout).
  std::chrono::milliseconds header_timeout{5000};
  // The process's open-file limit and how many of its descriptors accepted connections must leave free
  // (see DescriptorReserve); 0 for either turns the reserve off.
  uint64_t open_file_limit = 0;
  uint64_t descriptor_reserve = 0;
  // Builds the answer the server sends itself (413 for an oversize body, 400 for broken HTTP),
  // so that those answers use the API's error format too.
  std::function<HttpResponse(int status, std::string code, std::string message)> make_error;
};

// HTTP/1.1 with keep-alive on Boost.Beast, running the handler for each request on a pool of
// threads. The handler may answer later from another thread (e.g. after a group commit).
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; returns the bound port (useful with port 0).
  core::Result<uint16_t> start();
  // The graceful stop: refuses new connections at once, closes the connections that wait for a request,
  // lets the requests being handled be answered (each connection closing after its answer), then stop()s.
  // Answers whether every connection had finished by `deadline`; those that had not are cut off.
  bool drain(std::chrono::steady_clock::time_point deadline);
  // Stops accepting, closes connections and joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace billhook::api
