#pragma once

// Helpers shared by the integration tests: request bodies built from the catalog's examples,
// list walking, and assertions on the API's error shape.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace billhook::testing {

namespace json = boost::json;

inline HttpClient client_for(const ServerProcess& server) { return HttpClient(server.port(), server.api_key()); }

// A name no other test in this process uses, e.g. for an invoice id: "inv_t<pid>_<n>".
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
// code (unless empty), the param (std::nullopt: do not check; "": must be null), and that the error's
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

}  // namespace billhook::testing
