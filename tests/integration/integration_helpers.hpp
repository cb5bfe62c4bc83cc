#pragma once

// Helpers shared by the integration tests: request bodies built from the catalog's examples,
// list walking, assertions on the API's error shape, the fixtures that start the real server, and
// the billing API client (billing_api_client.hpp).

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "integration/billing_api_client.hpp"
#include "support/http_client.hpp"
#include "support/receiver.hpp"
#include "support/server_process.hpp"
#include "support/wait.hpp"

namespace billhook::testing {

namespace json = boost::json;

inline HttpClient client_for(const ServerProcess& server) { return HttpClient(server.port(), server.api_key()); }

// A name no other test in this process uses, e.g. for an invoice id: "inv_t<pid>_<n>".
// What tests/support/seed_receivers/lago.mjs needs to verify the lago profile's default signature, a JWT:
// where to fetch the public key, with which API key, and the issuer: the server's --public-url, without
// one the address it listens on.
inline json::object lago_jwt_receiver_config(const ServerProcess& server, const std::string& public_url = {}) {
  return {{"algorithm", "jwt"}, {"api_url", server.base_url()}, {"api_key", server.api_key()},
          {"issuer", public_url.empty() ? server.base_url() : public_url}};
}

inline std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// The catalog's example `data.object` of `type` (a canonical name), which is schema-valid.
inline json::object example_object(std::string_view type) {
  const auto* entry = catalog::Catalog::builtin().find(type);
  if (!entry) throw std::invalid_argument("no catalog type " + std::string(type));
  return entry->example.as_object();
}

// An invoice event body for `invoice_id`, from the catalog example of `type`.
inline json::object invoice_event(const std::string& invoice_id, std::string_view type = "invoice.paid") {
  auto object = example_object(type);
  object["id"] = invoice_id;
  return json::object{{"type", std::string(type)}, {"data", json::object{{"object", std::move(object)}}}};
}

// Every item of a list endpoint, following `starting_after` until has_more is false.
// `path` may already carry a query string. Throws if a page is not a 200 list.
inline std::vector<json::object> list_all(HttpClient& client, const std::string& path, int limit = 100) {
  std::vector<json::object> out;
  std::string cursor;
  const char separator = path.find('?') == std::string::npos ? '?' : '&';
  for (int pages = 0;; ++pages) {
    if (pages > 10'000) throw std::runtime_error("list_all: more than 10000 pages of " + path);
    std::string url = path + separator + "limit=" + std::to_string(limit);
    if (!cursor.empty()) url += "&starting_after=" + cursor;
    auto response = client.get(url);
    if (response.status != 200) throw std::runtime_error("GET " + url + ": " + describe(response));
    auto body = response.json().as_object();
    auto& data = body.at("data").as_array();
    for (auto& item : data) out.push_back(item.as_object());
    if (!body.at("has_more").as_bool()) break;
    if (data.empty()) throw std::runtime_error("GET " + url + ": has_more with an empty page");
    cursor = json::value_to<std::string>(data.back().at("id"));
  }
  return out;
}

inline size_t count_all(HttpClient& client, const std::string& path) { return list_all(client, path).size(); }

inline std::string str(const json::value& v) { return json::value_to<std::string>(v); }

// Checks an error answer: the status, {"error": {type, code, message, param, request_id}}, the
// code (unless empty), a 409's type (conflict_error, or idempotency_error for a reused key), the param (std::nullopt: do not check; "": must be null), and that the error's
// request_id is the Request-Id header.
inline ::testing::AssertionResult is_error(const Response& response, int status, std::string_view code,
                                           std::optional<std::string_view> param = std::nullopt) {
  auto failure = [&](std::string why) {
    return ::testing::AssertionFailure() << why << "; got " << describe(response);
  };
  if (response.status != status) return failure("expected HTTP " + std::to_string(status));
  json::value body;
  try {
    body = response.json();
  } catch (const std::exception& e) {
    return failure(e.what());
  }
  const auto* error = body.is_object() ? body.as_object().if_contains("error") : nullptr;
  if (!error || !error->is_object()) return failure("no 'error' object");
  const auto& e = error->as_object();
  for (const char* field : {"type", "code", "message", "request_id"})
    if (!e.contains(field) || !e.at(field).is_string()) return failure(std::string("no string error.") + field);
  if (!e.contains("param")) return failure("no error.param");
  if (!code.empty() && e.at("code").as_string() != code) return failure("expected error.code " + std::string(code));
  // Every 409 is a conflict with the current state, except a reused Idempotency-Key (issue 21 item 11).
  if (status == 409) {
    const bool idempotency = e.at("code").as_string().starts_with("idempotency");
    if (e.at("type").as_string() != (idempotency ? "idempotency_error" : "conflict_error"))
      return failure(idempotency ? "expected error.type idempotency_error" : "expected error.type conflict_error");
  }
  if (e.at("message").as_string().size() < 10) return failure("error.message is not a clear message");
  if (param) {
    if (param->empty() && !e.at("param").is_null()) return failure("expected error.param null");
    if (!param->empty() && (!e.at("param").is_string() || e.at("param").as_string() != *param))
      return failure("expected error.param " + std::string(*param));
  }
  const std::string request_id = response.header("Request-Id");
  if (request_id.rfind("req_", 0) != 0) return failure("no Request-Id header starting req_");
  if (e.at("request_id").as_string() != request_id) return failure("error.request_id differs from Request-Id");
  return ::testing::AssertionSuccess();
}

inline size_t BillingApi::events_about(const std::string& aggregate_id) {
  return count_all(http_, "/v1/events?aggregate_id=" + aggregate_id);
}

// The event types `rx` received at `path` about aggregate `aggregate_id`, in arrival order.
inline std::vector<std::string> received_about(const Receiver& rx, std::string_view path,
                                               const std::string& aggregate_id) {
  std::vector<std::string> out;
  for (const auto& r : rx.requests_for(path)) {
    const auto body = r.json();
    if (str(body.at("aggregate").at("id")) == aggregate_id) out.push_back(str(body.at("type")));
  }
  return out;
}

// Waits (on the receiver, woken by each arrival) until `rx` received at least `n` events at `path`
// about aggregate `aggregate_id`; fails naming what did arrive otherwise.
inline ::testing::AssertionResult await_received_about(const Receiver& rx, std::string_view path,
                                                       const std::string& aggregate_id, size_t n,
                                                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const bool arrived = rx.wait_until(
      [&](const std::vector<ReceivedRequest>& requests) {
        size_t count = 0;
        for (const auto& r : requests)
          if (r.path == path && str(r.json().at("aggregate").at("id")) == aggregate_id) ++count;
        return count >= n;
      },
      timeout);
  if (arrived) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure() << "after " << timeout.count() << " ms, " << path << " had not received "
                                               << n << " events about " << aggregate_id << "; it got:";
  for (const auto& type : received_about(rx, path, aggregate_id)) failure << " " << type;
  return failure;
}

// A server of its own for each test (a fresh data directory): for tests that restart it, move its
// clock or count what it stored. start_server() starts it and points client_ at it.
class ServerTest : public ::testing::Test {
 protected:
  void start_server(std::vector<std::string> extra_args) {
    ServerOptions options;
    options.extra_args = std::move(extra_args);
    server_ = std::make_unique<ServerProcess>(std::move(options));
    client_ = std::make_unique<HttpClient>(client_for(*server_));
  }
  // Starts the server again on the same data directory (a new port) and points client_ at it.
  void restart_server() {
    server_->restart();
    client_->set_port(server_->port());
  }
  // Stops the server before the fixture's own members (a receiver, say) go away.
  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

// One server for all the tests of a suite, started before its first test and stopped after its last:
// for tests that do not disturb each other. `Suite` is the fixture deriving from it, so that each
// suite has a server of its own. A suite that prepares the server further defines SetUpTestSuite
// (and SetUp) calling these first.
template <typename Suite>
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<ServerProcess>(); }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "the suite's server did not start";
    client_ = std::make_unique<HttpClient>(client_for(*server_));
  }

  static inline std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

// The billing API tests: a server of their own on the manual clock, allowed to deliver to a receiver
// on loopback, driven through api_.
class BillingServerTest : public ServerTest {
 protected:
  void SetUp() override {
    start_server({"--allow-networks", "127.0.0.0/8", "--test-clock"});
    api_ = std::make_unique<BillingApi>(*client_);
  }
  void TearDown() override {
    api_.reset();
    ServerTest::TearDown();
  }

  // An endpoint on the receiver's `path` for `event_types`.
  void endpoint(const std::string& path, json::array event_types) {
    api_->endpoint({{"url", rx_.url(path)}, {"event_types", std::move(event_types)}});
  }
  // The event types `path` received about aggregate `id`, in arrival order.
  std::vector<std::string> received(std::string_view path, const std::string& id) const {
    return received_about(rx_, path, id);
  }
  ::testing::AssertionResult await_received(std::string_view path, const std::string& id, size_t n) const {
    return await_received_about(rx_, path, id, n);
  }

  Receiver rx_;
  std::unique_ptr<BillingApi> api_;
};

}  // namespace billhook::testing
