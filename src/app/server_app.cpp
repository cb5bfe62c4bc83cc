#include "app/server_app.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "api/api.hpp"
#include "api/api_key_sync.hpp"
#include "api/api_keys.hpp"
#include "app/initial_api_key.hpp"
#include "api/errors.hpp"
#include "api/http_server.hpp"
#include "app/data_dir.hpp"
#include "app/fd_limit.hpp"
#include "app/metrics_exposition.hpp"
#include "app/open_store.hpp"
#include "app/webhook_signing_key.hpp"
#include "billing/billing_service.hpp"
#include "billing/payment_provider.hpp"
#include "billing/pdf_views.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/document_reads.hpp"
#include "billing/registry/registry.hpp"
#include "billing/sandbox_processor.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "core/worker_loop.hpp"
#include "delivery/curl_http_client.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/listen_client.hpp"
#include "delivery/listen_expiry.hpp"
#include "delivery/listen_hub.hpp"
#include "delivery/network_policy.hpp"
#include "profiles/profile.hpp"
#include "store/retention.hpp"

namespace billhook::app {
namespace {

// Descriptors that accepted connections leave free even past --max-connections (api::DescriptorReserve).
constexpr uint64_t kDescriptorReserve = 16;

void print_new_key(const std::string& key, const std::string& host, uint16_t port) {
  std::printf(
      "\nbillhook: created an API key. It is shown only this once; keep it somewhere safe:\n\n    %s\n\n"
      "Use it as:  curl -H 'Authorization: Bearer %s' http://%s:%u/v1/event-types\n\n",
      key.c_str(), key.c_str(), host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);
}

}  // namespace

struct ServerApp::Impl {
  explicit Impl(std::unique_ptr<core::Clock> c) : clock(std::move(c)), ids(*clock, random) {}

  core::ServeConfig config;
  std::unique_ptr<core::Clock> clock;  // a ManualClock with --test-clock
  core::SecureRandom random;
  core::IdGenerator ids;
  api::ApiKeys keys;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<api::ApiKeySync> key_sync;  // refreshes `keys` from the store, writes their last uses
  std::unique_ptr<delivery::CurlHttpClient> http_client;
  // Listen sessions' requests wait here for their CLI; the dispatcher sends through `routing_client`.
  std::unique_ptr<delivery::ListenHub> listen_hub;
  std::unique_ptr<delivery::ListenRoutingClient> routing_client;
  std::unique_ptr<delivery::ListenExpiry> listen_expiry;
  std::unique_ptr<delivery::Dispatcher> dispatcher;
  delivery::DeliveryMetrics delivery_metrics;
  billing::SandboxProcessor processor;  // no real PSP adapter yet
  // --payment-provider; null for none. Outlives the domains' services, which call it.
  std::unique_ptr<billing::PaymentProvider> payment_provider;
  std::unique_ptr<billing::BillingService> billing;
  billing::DomainServices domains;  // the registered domains' services (billing/registry/kinds.cpp)
  std::unique_ptr<billing::DocumentClock> document_clock;
  std::unique_ptr<core::WorkerLoop> retention;  // null with --retention-days 0
  std::unique_ptr<billing::DocumentReads> documents;
  std::unique_ptr<billing::BillingReads> billing_reads;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<api::HttpServer> server;
  uint16_t port = 0;
  std::unique_ptr<MetricsExposition> metrics;
  std::unique_ptr<api::HttpServer> metrics_server;  // only with --metrics-listen
  uint16_t metrics_port = 0;
  DataDirLock data_dir_lock;
  sigset_t signals{};

  ~Impl() {
    // Order matters: stop claiming and sending, stop taking requests, then commit what is queued
    // (answers and attempt records whose callbacks need the server and dispatcher objects alive),
    // and only then destroy those. The metrics listener goes first: a scrape reads the store.
    if (metrics_server) metrics_server->stop();
    if (dispatcher) dispatcher->stop();
    if (document_clock) document_clock->stop();  // after the transaction in progress
    if (listen_expiry) listen_expiry->stop();
    if (listen_hub) listen_hub->stop();  // answers the long polls while the server can still send them
    if (retention) retention->stop();            // after the batch in progress
    http_client.reset();  // joins its thread: no more results come in
    if (server) server->stop();
    if (key_sync) key_sync->stop();  // after the last request: writes the last uses noted
    if (store) store->set_work_listener(nullptr);
    store.reset();
    dispatcher.reset();
    server.reset();
  }
};

ServerApp::ServerApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServerApp::~ServerApp() = default;

core::Result<std::unique_ptr<ServerApp>> ServerApp::start(const core::ServeConfig& config) {
  if (auto s = core::validate(config); !s) return std::move(s).error();
  auto listen = core::parse_listen_address(config.listen);
  if (!listen) return std::move(listen).error();

  // Before anything opens a descriptor: the connection cap is sized from the limit in force.
  const FdLimit fd_limit = raise_fd_limit();
  if (fd_limit.raise_failed)
    core::log::warn("could not raise the open-file limit to its hard limit",
                    {{"soft", fd_limit.soft}, {"hard", fd_limit.hard}});
  const core::ConnectionCaps caps = core::connection_caps(config, fd_limit.soft);

  auto allowed_networks = delivery::parse_cidr_list(config.allow_networks);
  if (!allowed_networks)
    return core::Error::invalid("invalid_config", "--allow-networks (or BILLHOOK_ALLOW_NETWORKS): " +
                                                      allowed_networks.error().message);

  std::unique_ptr<core::Clock> clock;
  if (config.test_clock) clock = std::make_unique<core::ManualClock>(std::chrono::system_clock::now());
  else clock = std::make_unique<core::SystemClock>();
  auto impl = std::make_unique<Impl>(std::move(clock));
  impl->config = config;
  // Block the shutdown signals before any thread starts, so only sigwait() sees them.
  sigemptyset(&impl->signals);
  sigaddset(&impl->signals, SIGINT);
  sigaddset(&impl->signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &impl->signals, nullptr);

  auto opened = open_store(config, *impl->clock, /*coordinate=*/true);
  if (!opened) return std::move(opened).error();
  impl->store = std::move(opened->store);
  store::StoreMetrics& store_metrics = *opened->metrics;
  const bool shared_store = opened->shared;
  const std::string store_name = opened->description;

  const auto& catalog = catalog::Catalog::builtin();
  // The compatibility profiles: what the outbox and the endpoint representation ask about an endpoint's profile.
  const auto& profile_registry = profiles::Registry::builtin();
  auto new_key = ensure_api_key(config.api_key, *impl->store, impl->keys, impl->ids, impl->random,
                                core::to_unix_ms(impl->clock->now()));
  if (!new_key) return std::move(new_key).error();
  impl->key_sync = std::make_unique<api::ApiKeySync>(*impl->store, impl->keys);
  impl->key_sync->start();

  auto signing_key = ensure_webhook_signing_key(*impl->store, core::to_unix_ms(impl->clock->now()));
  if (!signing_key) return std::move(signing_key).error();
  const auto jwt_key = std::make_shared<const core::RsaKey>(std::move(*signing_key));
  // Links name the port actually listened on, known only once the server has started (port 0 in tests).
  auto listening_port = std::make_shared<std::atomic<uint16_t>>(listen->port);
  const std::function<std::string()> public_url = [config, host = listen->host, listening_port] {
    return core::effective_public_url(config, {host, listening_port->load()});
  };

  impl->http_client = std::make_unique<delivery::CurlHttpClient>(delivery::NetworkPolicy(*allowed_networks));
  impl->listen_hub = std::make_unique<delivery::ListenHub>();
  impl->routing_client = std::make_unique<delivery::ListenRoutingClient>(*impl->http_client, *impl->listen_hub);
  // validate() has checked it.
  const auto listen_expiry_s = *core::parse_duration_s(config.listen_session_expiry, "listen-session-expiry",
                                                       "BILLHOOK_LISTEN_SESSION_EXPIRY");
  impl->listen_expiry = std::make_unique<delivery::ListenExpiry>(*impl->store, *impl->listen_hub, *impl->clock,
                                                                 std::chrono::seconds(listen_expiry_s));
  impl->dispatcher = std::make_unique<delivery::Dispatcher>(
      *impl->store, catalog, *impl->clock, impl->random, impl->ids, *impl->routing_client,
      delivery::DispatcherOptions{
          .max_in_flight = config.max_in_flight,
          .lease = std::chrono::seconds(core::effective_delivery_lease_s(config)),
          .release_leases_at_start = !shared_store,
          .disable_after = std::chrono::hours(config.disable_after_hours),
          .connect_timeout = std::chrono::seconds(core::effective_connect_timeout_s(config)),
          .total_timeout = std::chrono::seconds(config.delivery_timeout_s),
          .jwt_key = jwt_key,
          .jwt_issuer = public_url,
          .metrics = &impl->delivery_metrics,
      });
  auto* dispatcher = impl->dispatcher.get();
  impl->store->set_work_listener([dispatcher] { dispatcher->wake(); });
  if (auto s = dispatcher->start(); !s) return std::move(s).error();

  // validate() has checked both lists.
  billing::BillingSchedule schedule{
      .pre_due_offsets_days = *core::parse_day_list(config.reminder_days_before, "reminder-days-before", ""),
      .overdue_reminder_every_days = config.overdue_reminder_every_days,
      .retry_delays_days = *core::parse_day_list(config.payment_retry_days, "payment-retry-days", ""),
  };
  impl->billing = std::make_unique<billing::BillingService>(catalog, profile_registry, impl->ids, *impl->clock,
                                                            impl->processor, std::move(schedule));
  // validate() has checked the name: none or sandbox.
  if (config.payment_provider == "sandbox") impl->payment_provider = std::make_unique<billing::SandboxPaymentProvider>();
  impl->domains = billing::document_kinds().make_services({.catalog = catalog,
                                                            .ids = impl->ids,
                                                            .billing = *impl->billing,
                                                            .batch_chunk_size = config.batch_chunk_size,
                                                            .upcoming_days = config.upcoming_days,
                                                            .stop_collection_after_days = config.stop_collection_after_days,
                                                            .basket_abandon_after_s = *core::parse_duration_s(
                                                                config.basket_abandon_after, "basket-abandon-after",
                                                                "BILLHOOK_BASKET_ABANDON_AFTER"),
                                                            .seller = {.name = config.seller_name,
                                                                       .address_lines = billing::address_lines(config.seller_address),
                                                                       .email = config.seller_email,
                                                                       .tax_id = config.seller_tax_id},
                                                            .public_url = public_url,
                                                            .payment_provider = impl->payment_provider.get()});
  // The one loop for time-driven work (invoices' reminders and retries, batches, refunds, …), with the
  // handler of every kind that has one.
  impl->document_clock = std::make_unique<billing::DocumentClock>(*impl->store, *impl->clock);
  auto* document_clock = impl->document_clock.get();
  document_clock->on_registered(billing::document_kinds(), impl->domains);
  if (config.retention_days > 0) {
    // On the node that runs the time-driven jobs: every 10 minutes, at start, and when the test clock moves.
    auto* app = impl.get();
    impl->retention = std::make_unique<core::WorkerLoop>("retention", std::chrono::minutes(10), [app]() -> core::Status {
      if (!app->store->runs_time_jobs()) return {};
      const auto cutoffs = store::retention_cutoffs(core::to_unix_ms(app->clock->now()), app->config.retention_days);
      auto pruned = store::prune(*app->store, cutoffs, {.stopping = [app] { return app->retention->stopping(); }});
      if (!pruned) return std::move(pruned).error();
      if (pruned->events > 0 || pruned->idempotency_keys > 0)
        core::log::info("retention pruned", {{"events", pruned->events},
                                             {"deliveries", pruned->deliveries},
                                             {"attempts", pruned->attempts},
                                             {"idempotency_keys", pruned->idempotency_keys},
                                             {"retention_days", app->config.retention_days}});
      return {};
    });
  }
  impl->documents = std::make_unique<billing::DocumentReads>(*impl->store, billing::document_kinds());
  impl->billing_reads = std::make_unique<billing::BillingReads>(*impl->store);

  api::Services services{*impl->store, catalog, profile_registry, *impl->clock, impl->ids, impl->random,
                         {.max_depth = config.max_json_depth}};
  services.billing = impl->billing.get();
  services.domains = &impl->domains;
  services.documents = impl->documents.get();
  services.billing_reads = impl->billing_reads.get();
  services.wake_document_clock = [document_clock] { document_clock->wake(); };
  if (config.test_clock) {
    services.test_clock = static_cast<core::ManualClock*>(impl->clock.get());
    services.clock_moved = [dispatcher, document_clock, retention = impl->retention.get()] {
      document_clock->wake();
      dispatcher->wake();
      if (retention) retention->wake();
    };
  }
  services.public_url = public_url;
  services.webhook_public_key_pem = jwt_key->public_pem();
  services.listen_hub = impl->listen_hub.get();
  // Set below, before either listener starts.
  services.metrics_text = [app = impl.get()] { return app->metrics->render(); };
  impl->api = std::make_unique<api::Api>(std::move(services), impl->keys);
  impl->metrics = std::make_unique<MetricsExposition>(
      MetricsSources{impl->api->request_metrics(), impl->delivery_metrics, store_metrics, *impl->clock});
  const unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  api::HttpServerOptions options{
      .listen = *listen,
      .threads = threads,
      .max_body_bytes = config.max_body_bytes,
      .max_connections = caps.max_connections,
      .max_connections_per_client = caps.max_connections_per_client,
      .header_timeout = std::chrono::seconds(config.header_timeout_s),
      .open_file_limit = fd_limit.soft,
      .descriptor_reserve = kDescriptorReserve,
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
  listening_port->store(*port);
  if (!config.metrics_listen.empty()) {
    auto metrics_options = options;
    metrics_options.listen = *core::parse_listen_address(config.metrics_listen);  // validated above
    metrics_options.threads = 1;
    impl->metrics_server = std::make_unique<api::HttpServer>(
        metrics_options, [app = impl.get()](api::HttpRequest request, api::Respond respond) {
          respond(metrics_listener_answer(request, *app->metrics, app->ids.next(core::IdKind::request)));
        });
    auto bound = impl->metrics_server->start();
    if (!bound)
      return core::Error::unavailable("--metrics-listen (or BILLHOOK_METRICS_LISTEN): " + bound.error().message);
    impl->metrics_port = *bound;
  }
  // Started once the links it writes (an invoice's pdf_url) have their base.
  document_clock->start();
  impl->listen_expiry->start();
  if (impl->retention) {
    impl->retention->wake();  // a first pass at start
    impl->retention->start();
  }
  impl->data_dir_lock = std::move(opened->data_dir_lock);
  if (!new_key->empty()) print_new_key(*new_key, listen->host, *port);

  core::log::info("billhook started", {{"listen", fmt::format("{}:{}", listen->host, *port)},
                                       {"data_dir", shared_store ? "unused" : config.data_dir},
                                       {"store", store_name},
                                       {"event_types", catalog.types().size()},
                                       {"threads", threads},
                                       {"metrics_port", impl->metrics_port},
                                       {"open_file_limit", fd_limit.soft},
                                       {"max_connections", caps.max_connections},
                                       {"max_connections_per_client", caps.max_connections_per_client},
                                       {"allow_networks", config.allow_networks.empty() ? "none" : config.allow_networks},
                                       {"clock", config.test_clock ? "manual (--test-clock)" : "system"}});
  // Before the "listening" line, which tells whoever waits for it that every address is bound.
  if (impl->metrics_server)
    std::printf("billhook metrics on http://%s:%u/metrics\n",
                core::parse_listen_address(config.metrics_listen)->host.c_str(),
                static_cast<unsigned>(impl->metrics_port));
  std::printf("billhook listening on http://%s:%u\n", listen->host.c_str(), static_cast<unsigned>(*port));
  std::fflush(stdout);
  return std::unique_ptr<ServerApp>(new ServerApp(std::move(impl)));
}

uint16_t ServerApp::port() const { return impl_->port; }
uint16_t ServerApp::metrics_port() const { return impl_->metrics_port; }

void ServerApp::run_until_signalled() {
  int signal = 0;
  sigwait(&impl_->signals, &signal);
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + std::chrono::seconds(impl_->config.shutdown_timeout_s);
  core::log::info("shutting down: refusing new connections, finishing what is in flight",
                  {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"},
                   {"shutdown_timeout_s", impl_->config.shutdown_timeout_s}});
  // No new deliveries start; those in flight go on while the requests are answered.
  impl_->dispatcher->stop();
  const bool requests_answered = impl_->server->drain(deadline);
  const size_t released = impl_->dispatcher->drain(deadline);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  core::log::info("shutdown drained", {{"requests_answered", requests_answered},
                                       {"leases_released", released},
                                       {"elapsed_ms", elapsed.count()}});
  // ~Impl then stops the time-driven jobs and commits what is queued.
}

}  // namespace billhook::app
