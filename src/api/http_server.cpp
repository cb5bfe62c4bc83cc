#include "api/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "api/accept_backoff.hpp"
#include "api/beast_request.hpp"
#include "api/connection_limiter.hpp"
#include "core/log.hpp"

namespace billhook::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kIdleTimeout = 60s;  // a keep-alive connection with no next request for this long is closed
constexpr auto kReadTimeout = 30s;  // a request's body must arrive whole within this

// Out of descriptors or kernel memory: accepting again at once would fail again at once.
bool resources_exhausted(const boost::system::error_code& ec) {
  namespace errc = boost::system::errc;
  return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
         ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

// Runs `handler` and resumes the awaiting coroutine on its own executor when it answers,
// whichever thread that answer comes from.
template <class Token>
auto async_handle(const RequestHandler& handler, HttpRequest request, Token&& token) {
  return asio::async_initiate<Token, void(HttpResponse)>(
      [&handler](auto completion, HttpRequest req) {
        auto shared = std::make_shared<decltype(completion)>(std::move(completion));
        auto executor = asio::get_associated_executor(*shared);
        handler(std::move(req), [shared, executor](HttpResponse response) {
          asio::post(executor, [shared, response = std::move(response)]() mutable { (*shared)(std::move(response)); });
        });
      },
      token, std::move(request));
}

http::response<http::string_body> to_message(HttpResponse&& response, unsigned version, bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "billhook");
  message.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) message.set(name, value);
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

// One accepted connection. Its coroutine and everything done to its stream run on the connection's own
// strand, so drain() can close an idle connection from another thread without racing its reads.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool handling = false;  // a request has been read and is not yet answered (on the strand only)
  // No request has come yet (set on the strand; read by the accept loop choosing what to close).
  std::atomic<bool> awaiting_first{true};
  bool evicted = false;  // chosen to make room for a newer connection (on the strand only)
  std::chrono::steady_clock::time_point accepted = std::chrono::steady_clock::now();
  // Its place among the connections still awaiting their first request (under connections_mutex).
  std::optional<std::list<std::shared_ptr<Connection>>::iterator> awaiting_entry;
};

// At most this many connections are being closed to make room at once; past it a new connection over
// --max-connections is refused, so that the total never exceeds the cap by more than this.
constexpr size_t kMaxPendingEvictions = 64;

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  RequestHandler handler;
  // Before io: destroying io destroys the connections' coroutines, whose slots are given back here.
  ConnectionLimiter limiter{options.max_connections, options.max_connections_per_client};
  asio::io_context io{static_cast<int>(options.threads)};
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  // Set by drain(): answer what is being handled, then close; take no further request on any connection.
  std::atomic<bool> draining{false};
  // The connections whose coroutine runs, for drain() to close the idle ones and wait for the others.
  // After io: the coroutines it destroys hold references to their connections too.
  std::mutex connections_mutex;
  std::condition_variable connections_changed;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  // Those of them that have not sent a request yet, oldest first: when --max-connections is reached, the
  // oldest of these is closed to let a new connection in. A flood of idle connections then churns
  // through itself, while a client that sends its request at once (a health probe, a publisher) is
  // served, instead of every new connection being refused until idle ones time out.
  std::list<std::shared_ptr<Connection>> awaiting;
  std::atomic<size_t> evictions_pending{0};
  // Used by the accept loop only, one coroutine: no lock needed.
  AcceptBackoff backoff;
  const DescriptorReserve reserve{options.open_file_limit, options.descriptor_reserve};
  core::LogThrottle over_total_log{1s};  // one per cap, so that neither hides the other
  core::LogThrottle over_client_log{1s};
  core::LogThrottle eviction_log{1s};

  Impl(HttpServerOptions o, RequestHandler h) : options(std::move(o)), handler(std::move(h)) {}

  // After an accept that failed, or took one of the reserved descriptors: waits, longer while
  // descriptors stay short, and logs at most once a second.
  asio::awaitable<void> back_off(asio::steady_timer& pause, bool resources_short, std::string error) {
    const AcceptBackoff::Decision decision = backoff.failed(AcceptBackoff::Clock::now(), resources_short);
    if (decision.log_failures) {
      core::log::warn("accept failed; waiting before accepting again",
                      {{"error", error},
                       {"failures", *decision.log_failures},
                       {"wait_ms", decision.delay.count()},
                       {"open_connections", limiter.open()}});
    }
    pause.expires_after(decision.delay);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> accept_loop() {
    asio::steady_timer pause(io);
    for (;;) {
      auto [ec, accepted] =
          co_await acceptor.async_accept(asio::make_strand(io), asio::as_tuple(asio::use_awaitable));
      tcp::socket socket(std::move(accepted));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        co_await back_off(pause, resources_exhausted(ec), ec.message());
        continue;
      }
      if (reserve.reached_by(socket.native_handle())) {
        boost::system::error_code ignored;
        socket.close(ignored);
        co_await back_off(pause, true,
                          fmt::format("Too many open files: the last {} descriptors are kept for the store, "
                                      "deliveries and the log",
                                      reserve.reserve));
        continue;
      }
      backoff.succeeded();
      boost::system::error_code remote_ec;
      const auto remote = socket.remote_endpoint(remote_ec);
      if (remote_ec) continue;  // already gone; the socket closes as it goes out of scope
      std::string client = remote.address().to_string();
      Admission admission = limiter.admit(client);
      if (admission == Admission::over_total && make_room()) admission = limiter.admit(client, evictions_pending.load());
      if (admission != Admission::admitted) {
        // Closing at once costs one descriptor for an instant; the connections already open are untouched.
        core::LogThrottle& log = admission == Admission::over_total ? over_total_log : over_client_log;
        if (const auto refused = log.note(AcceptBackoff::Clock::now())) {
          core::log::warn(admission == Admission::over_total ? "connection refused: --max-connections reached"
                                                             : "connection refused: --max-connections-per-client reached",
                          {{"client", client},
                           {"refused", *refused},
                           {"open_connections", limiter.open()},
                           {"max_connections", limiter.max_total()},
                           {"max_connections_per_client", limiter.max_per_client()}});
        }
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ConnectionSlot slot(limiter, std::move(client));
      socket.set_option(tcp::no_delay(true), remote_ec);
      auto connection = std::make_shared<Connection>(std::move(socket));
      {
        std::lock_guard lock(connections_mutex);
        connections.insert(connection);
        connection->awaiting_entry = awaiting.insert(awaiting.end(), connection);
      }
      const auto strand = connection->stream.get_executor();
      asio::co_spawn(strand, serve(std::move(connection), std::move(slot)), asio::detached);
    }
  }

  // At --max-connections (and only then: ConnectionLimiter::admit refuses a client at its own cap as
  // such): closes the oldest connection that has not sent a request yet, so that the new one can come
  // in. Answers whether it did (not if none is waiting, or if too many are being closed already).
  bool make_room() {
    if (evictions_pending.load() >= kMaxPendingEvictions) return false;
    std::shared_ptr<Connection> oldest;
    {
      std::lock_guard lock(connections_mutex);
      if (awaiting.empty()) return false;
      oldest = awaiting.front();
      awaiting.pop_front();
      oldest->awaiting_entry.reset();
    }
    ++evictions_pending;
    if (const auto closed = eviction_log.note(AcceptBackoff::Clock::now())) {
      core::log::warn("connection closed to make room: --max-connections reached; the oldest one that had not "
                      "sent a request goes",
                      {{"closed", *closed},
                       {"idle_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - oldest->accepted)
                                       .count()},
                       {"max_connections", limiter.max_total()}});
    }
    asio::post(oldest->stream.get_executor(), [this, oldest] {
      if (oldest->awaiting_first.load()) {
        oldest->evicted = true;  // its coroutine ends, giving its slot back, and counts itself out
        oldest->stream.cancel();
      } else {
        --evictions_pending;  // its request came meanwhile: it stays, and the cap is passed by one for a while
      }
    });
    return true;
  }

  // The connection sent its first request (or ended): it can no longer be closed to make room.
  void stop_awaiting(Connection& connection) {
    connection.awaiting_first = false;
    std::lock_guard lock(connections_mutex);
    if (connection.awaiting_entry) {
      awaiting.erase(*connection.awaiting_entry);
      connection.awaiting_entry.reset();
    }
  }

  asio::awaitable<void> send_error(beast::tcp_stream& stream, int status, std::string code, std::string message) {
    auto response = options.make_error(status, std::move(code), std::move(message));
    auto out = to_message(std::move(response), 11, false);
    stream.expires_after(kReadTimeout);
    co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
  }

  // `slot` is this connection's place under the caps, held until the coroutine ends.
  asio::awaitable<void> serve(std::shared_ptr<Connection> connection, ConnectionSlot slot) {
    beast::tcp_stream& stream = connection->stream;
    beast::flat_buffer buffer;
    boost::system::error_code remote_ec;
    const auto remote = stream.socket().remote_endpoint(remote_ec);
    bool first_request = true;
    while (!draining.load()) {
      BeastRequestParser parser;
      limit_request_parser(parser, options.max_body_bytes);
      // The header first, on a short deadline for a new connection (one that connects and sends
      // nothing, or a byte at a time, is dropped), then the body.
      if (first_request) stream.expires_after(options.header_timeout);
      else stream.expires_after(buffer.size() == 0 ? kIdleTimeout : kReadTimeout);
      first_request = false;
      auto [ec, bytes] =
          co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (connection->awaiting_first.load()) stop_awaiting(*connection);
      if (!ec && !parser.is_done()) {
        stream.expires_after(kReadTimeout);
        std::tie(ec, bytes) =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      }
      (void)bytes;
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        break;
      }
      if (ec == http::error::body_limit) {
        co_await send_error(stream, 413, "body_too_large",
                            fmt::format("request body is larger than the limit of {} bytes", options.max_body_bytes));
        break;
      }
      if (ec == http::error::header_limit) {
        co_await send_error(stream, 431, "headers_too_large",
                            fmt::format("request headers are larger than {} KiB", kMaxRequestHeaderBytes / 1024));
        break;
      }
      if (ec) {
        co_await send_error(stream, 400, "bad_http", fmt::format("malformed HTTP request: {}", ec.message()));
        break;
      }
      auto message = parser.release();
      const bool client_keeps_alive = message.keep_alive();
      const unsigned version = message.version();
      connection->handling = true;
      HttpResponse response = co_await async_handle(handler, to_request(std::move(message), remote.address().to_string()),
                                                    asio::use_awaitable);
      // Asked after the handler: a drain that began meanwhile closes the connection after this answer.
      const bool keep_alive = client_keeps_alive && !stopped.load() && !draining.load();
      auto out = to_message(std::move(response), version, keep_alive);
      stream.expires_after(kReadTimeout);
      auto [write_ec, written] = co_await http::async_write(stream, out, asio::as_tuple(asio::use_awaitable));
      (void)written;
      connection->handling = false;
      if (write_ec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (connection->evicted) {
      // The slot goes back before the count drops: the connection let in for this one is admitted past the
      // cap by the count, and in between it would have been refused.
      { ConnectionSlot given_back = std::move(slot); }
      --evictions_pending;
    }
    stop_awaiting(*connection);
    {
      std::lock_guard lock(connections_mutex);
      connections.erase(connection);
    }
    connections_changed.notify_all();
  }
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

core::Result<uint16_t> HttpServer::start() {
  auto& impl = *impl_;
  boost::system::error_code ec;
  std::string host = impl.options.listen.host == "localhost" ? "127.0.0.1" : impl.options.listen.host;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return core::Error::invalid("invalid_config",
                                fmt::format("--listen: '{}' is not an IP address", impl.options.listen.host));
  }
  const tcp::endpoint endpoint{address, impl.options.listen.port};
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Error::unavailable(fmt::format("cannot listen on {}:{}: {}", impl.options.listen.host,
                                                impl.options.listen.port, ec.message()));
  }
  const uint16_t port = impl.acceptor.local_endpoint().port();
  asio::co_spawn(impl.io, impl.accept_loop(), asio::detached);
  for (unsigned i = 0; i < impl.options.threads; ++i) impl.threads.emplace_back([&impl] { impl.io.run(); });
  return port;
}

bool HttpServer::drain(std::chrono::steady_clock::time_point deadline) {
  auto& impl = *impl_;
  if (impl.stopped.load()) return true;
  impl.draining = true;
  asio::post(impl.io, [&impl] {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);  // connecting clients are refused from here on
  });
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(impl.connections_mutex);
    open.assign(impl.connections.begin(), impl.connections.end());
  }
  // A connection waiting for a request (or in the middle of one) is closed: that request was not taken.
  // One being handled answers first and closes after its answer.
  for (auto& connection : open) {
    asio::post(connection->stream.get_executor(), [connection] {
      if (!connection->handling) connection->stream.cancel();
    });
  }
  open.clear();
  std::unique_lock lock(impl.connections_mutex);
  const bool answered =
      impl.connections_changed.wait_until(lock, deadline, [&impl] { return impl.connections.empty(); });
  const size_t left = impl.connections.size();
  lock.unlock();
  if (!answered) core::log::warn("shutdown deadline reached with requests unanswered", {{"connections", left}});
  stop();
  return answered;
}

void HttpServer::stop() {
  auto& impl = *impl_;
  if (impl.stopped.exchange(true)) return;
  asio::post(impl.io, [&impl] {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);
  });
  impl.io.stop();
  for (auto& t : impl.threads) t.join();
  impl.threads.clear();
}

}  // namespace billhook::api
