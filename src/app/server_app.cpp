#include "app/server_app.hpp"

#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "api/api.hpp"
#include "api/api_keys.hpp"
#include "api/errors.hpp"
#include "api/http_server.hpp"
#include "app/data_dir.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace billhook::app {
namespace {

// Makes sure at least one API key works: the one given with --api-key, or, on a first start
// without one, a new key printed once.
core::Status ensure_api_key(const core::ServeConfig& config, store::Store& store, api::ApiKeys& keys,
                            core::IdGenerator& ids, core::Random& random, const core::Clock& clock) {
  auto existing = store.api_keys();
  if (!existing) return std::move(existing).error();
  keys.replace(*existing);
  std::string new_key;
  std::string label;
  if (!config.api_key.empty()) {
    if (keys.authenticate(config.api_key)) return {};
    new_key = config.api_key;
    label = "--api-key";
  } else if (keys.empty()) {
    new_key = api::ApiKeys::generate(random);
    label = "generated on first start";
  } else {
    return {};
  }
  store::ApiKeyRecord record{ids.next(core::IdKind::api_key), core::sha256_hex(new_key), label,
                             core::to_unix_ms(clock.now())};
  if (auto s = store.write_and_wait([&record](store::WriteTx& tx) { return tx.insert_api_key(record); }); !s)
    return s;
  keys.add(record);
  if (config.api_key.empty()) {
    std::printf(
        "\nbillhook: created an API key. It is shown only this once; keep it somewhere safe:\n\n    %s\n\n"
        "Use it as:  curl -H 'Authorization: Bearer %s' http://%s/v1/event-types\n\n",
        new_key.c_str(), new_key.c_str(), config.listen.c_str());
    std::fflush(stdout);
  }
  return {};
}

}  // namespace

struct ServerApp::Impl {
  core::ServeConfig config;
  core::SystemClock clock;
  core::SecureRandom random;
  core::IdGenerator ids{clock, random};
  api::ApiKeys keys;
  std::unique_ptr<store::sqlite::SqliteStore> store;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<api::HttpServer> server;
  uint16_t port = 0;
  sigset_t signals{};

  ~Impl() {
    // Order matters: no new requests, then commit what is queued (its answers go nowhere, but
    // the data is kept), then tear down the server whose callbacks those were.
    if (server) server->stop();
    store.reset();
    server.reset();
  }
};

ServerApp::ServerApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServerApp::~ServerApp() = default;

core::Result<std::unique_ptr<ServerApp>> ServerApp::start(const core::ServeConfig& config) {
  if (auto s = core::validate(config); !s) return std::move(s).error();
  auto listen = core::parse_listen_address(config.listen);
  if (!listen) return std::move(listen).error();

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  // Block the shutdown signals before any thread starts, so only sigwait() sees them.
  sigemptyset(&impl->signals);
  sigaddset(&impl->signals, SIGINT);
  sigaddset(&impl->signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &impl->signals, nullptr);

  auto db_path = prepare_data_dir(config.data_dir);
  if (!db_path) return std::move(db_path).error();
  auto store = store::sqlite::SqliteStore::open({.path = *db_path}, impl->clock);
  if (!store) return std::move(store).error();
  impl->store = std::move(*store);

  const auto& catalog = catalog::Catalog::builtin();
  if (auto s = ensure_api_key(config, *impl->store, impl->keys, impl->ids, impl->random, impl->clock); !s)
    return std::move(s).error();

  impl->api = std::make_unique<api::Api>(
      api::Services{*impl->store, catalog, impl->clock, impl->ids, impl->random, {.max_depth = config.max_json_depth}},
      impl->keys);
  const unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  api::HttpServerOptions options{
      .listen = *listen,
      .threads = threads,
      .max_body_bytes = config.max_body_bytes,
      .make_error =
          [&ids = impl->ids](int status, std::string code, std::string message) {
            core::Error error{status == 413 ? core::ErrorKind::payload_too_large : core::ErrorKind::invalid_request,
                              std::move(code), std::move(message), {}};
            const std::string request_id = ids.next(core::IdKind::request);
            core::log::info("request refused by the HTTP layer", {{"request_id", request_id}, {"status", status},
                                                                  {"error", error.message}});
            auto response = api::error_response(error, request_id);
            response.status = status;
            response.headers.emplace_back("Request-Id", request_id);
            return response;
          },
  };
  auto* api = impl->api.get();
  impl->server = std::make_unique<api::HttpServer>(
      options, [api](api::HttpRequest request, api::Respond respond) { api->handle(std::move(request), std::move(respond)); });
  auto port = impl->server->start();
  if (!port) return std::move(port).error();
  impl->port = *port;

  core::log::info("billhook started", {{"listen", fmt::format("{}:{}", listen->host, *port)},
                                       {"data_dir", config.data_dir},
                                       {"store", "sqlite"},
                                       {"event_types", catalog.types().size()},
                                       {"threads", threads}});
  std::printf("billhook listening on http://%s:%u\n", listen->host.c_str(), static_cast<unsigned>(*port));
  std::fflush(stdout);
  return std::unique_ptr<ServerApp>(new ServerApp(std::move(impl)));
}

uint16_t ServerApp::port() const { return impl_->port; }

void ServerApp::run_until_signalled() {
  int signal = 0;
  sigwait(&impl_->signals, &signal);
  core::log::info("shutting down", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
}

}  // namespace billhook::app
