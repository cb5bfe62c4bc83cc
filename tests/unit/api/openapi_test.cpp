// The OpenAPI document served at GET /openapi.json (src/api/openapi.json completed from the document
// registry, api/openapi_document.hpp) stays true to the code: it describes exactly
// the routes the API registers, each operation is complete enough to be used as documentation,
// every $ref resolves, and the resource schemas name the fields the representations produce.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <initializer_list>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/errors.hpp"
#include "api/openapi_document.hpp"
#include "api/representations.hpp"
#include "api/routes/api_key_routes.hpp"
#include "api/routes/routes.hpp"
#include "billing/registry/registry.hpp"
#include "delivery/retry_policy.hpp"
#include "events/envelope.hpp"
#include "profiles/profile.hpp"

namespace billhook::api {
namespace {

namespace json = boost::json;

using Operation = std::pair<std::string, std::string>;  // (lower-case method, path pattern)

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

// The document as GET /openapi.json serves it: src/api/openapi.json completed from the registry.
const json::object& document() { return openapi_document(); }

const json::object& paths() { return document().at("paths").as_object(); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::set<Operation> operations_of(const Routes& routes) {
  std::set<Operation> out;
  for (const auto& [method, pattern] : routes.list()) out.emplace(lower(method), pattern);
  return out;
}

// Every route the API can serve, the test-only ones (`serve --test-clock`) included, and the API keys'
// routes, which Api registers beside register_all with its keys.
std::set<Operation> registered_operations() {
  Routes routes;
  routes::register_all(routes, /*with_test_clock=*/true);
  ApiKeys keys;
  routes::register_api_key_routes(routes, keys);
  return operations_of(routes);
}

// The routes that exist only with `serve --test-clock`.
std::set<Operation> test_only_operations() {
  Routes routes;
  routes::register_test_clock_routes(routes);
  return operations_of(routes);
}

struct DocumentedOperation {
  std::string method;
  std::string path;
  const json::object* path_item = nullptr;
  const json::object* operation = nullptr;

  std::string name() const { return lower_to_upper(method) + " " + path; }
  static std::string lower_to_upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
  }
};

std::vector<DocumentedOperation> documented_operations() {
  std::vector<DocumentedOperation> out;
  for (const auto& [path, item] : paths()) {
    const auto& path_item = item.as_object();
    for (auto method : kMethods)
      if (const auto* op = path_item.if_contains(method))
        out.push_back({std::string(method), std::string(path), &path_item, &op->as_object()});
  }
  return out;
}

std::string describe(const std::set<Operation>& operations) {
  std::string out;
  for (const auto& [method, path] : operations)
    out += (out.empty() ? "" : ", ") + DocumentedOperation::lower_to_upper(method) + " " + path;
  return out;
}

// Resolves a local JSON pointer reference ("#/components/schemas/Endpoint"); null if it does not.
const json::value* resolve_pointer(std::string_view ref) {
  if (!ref.starts_with("#")) return nullptr;
  ref.remove_prefix(1);
  static const json::value root = json::value(document());
  const json::value* at = &root;
  while (!ref.empty()) {
    if (ref.front() != '/') return nullptr;
    ref.remove_prefix(1);
    const size_t end = ref.find('/');
    std::string token(ref.substr(0, end));
    ref = end == std::string_view::npos ? std::string_view() : ref.substr(end);
    std::string unescaped;
    for (size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        unescaped += token[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        unescaped += token[i];
      }
    }
    if (!at->is_object()) return nullptr;
    at = at->as_object().if_contains(unescaped);
    if (!at) return nullptr;
  }
  return at;
}

// The object `value` is, following a `$ref` if it is one; throws if it is not an object or the
// reference does not resolve (the ref test names every such reference).
const json::object& deref(const json::value& value) {
  const auto& object = value.as_object();
  const auto* ref = object.if_contains("$ref");
  if (!ref) return object;
  const auto* target = resolve_pointer(ref->as_string());
  if (!target || !target->is_object()) throw std::runtime_error("unresolved $ref " + std::string(ref->as_string()));
  return deref(*target);
}

void collect_refs(const json::value& value, const std::string& where,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.as_object()) {
      if (key == "$ref" && child.is_string()) out.emplace_back(where, std::string(child.as_string()));
      else collect_refs(child, where + "/" + std::string(key), out);
    }
  } else if (value.is_array()) {
    const auto& array = value.as_array();
    for (size_t i = 0; i < array.size(); ++i) collect_refs(array[i], where + "/" + std::to_string(i), out);
  }
}

// Path and operation parameters of one operation, resolved.
std::vector<const json::object*> parameters_of(const DocumentedOperation& op) {
  std::vector<const json::object*> out;
  for (const auto* owner : {op.path_item, op.operation})
    if (const auto* list = owner->if_contains("parameters"))
      for (const auto& p : list->as_array()) out.push_back(&deref(p));
  return out;
}

std::set<std::string> keys_of(const json::object& object) {
  std::set<std::string> out;
  for (const auto& item : object) out.emplace(item.key());
  return out;
}

const json::object& schema(std::string_view name) {
  return document().at("components").at("schemas").at(name).as_object();
}

std::set<std::string> properties_of(const json::object& schema_object) {
  return keys_of(schema_object.at("properties").as_object());
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A schema must name exactly the fields the code writes, and require only fields it always writes.
void expect_same_fields(const json::object& schema_object, const json::object& produced, std::string_view what) {
  const auto documented = properties_of(schema_object);
  const auto actual = keys_of(produced);
  std::set<std::string> undocumented, absent;
  std::set_difference(actual.begin(), actual.end(), documented.begin(), documented.end(),
                      std::inserter(undocumented, undocumented.end()));
  std::set_difference(documented.begin(), documented.end(), actual.begin(), actual.end(),
                      std::inserter(absent, absent.end()));
  EXPECT_TRUE(undocumented.empty()) << what << " writes fields the document does not describe: " << join(undocumented);
  EXPECT_TRUE(absent.empty()) << what << " is documented with fields it never writes: " << join(absent);
  if (const auto* required = schema_object.if_contains("required")) {
    for (const auto& r : required->as_array()) {
      EXPECT_TRUE(actual.contains(std::string(r.as_string())))
          << what << ": required field '" << r.as_string().c_str() << "' is not written";
    }
  }
}

// ------------------------------------------------------------------------------------------------

TEST(OpenApiDocument, IsOpenApi303WithInfoAndPaths) {
  const auto& doc = document();
  ASSERT_TRUE(doc.contains("openapi"));
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.3");
  const auto& info = doc.at("info").as_object();
  EXPECT_EQ(info.at("title").as_string(), "billhook");
  EXPECT_FALSE(info.at("version").as_string().empty());
  EXPECT_FALSE(info.at("description").as_string().empty());
  ASSERT_TRUE(doc.at("paths").is_object());
  for (const auto& [path, item] : paths()) {
    EXPECT_TRUE(std::string_view(path).starts_with("/")) << "path '" << std::string_view(path) << "' must start with /";
    ASSERT_TRUE(item.is_object()) << std::string_view(path);
    for (const auto& [key, value] : item.as_object()) {
      const bool is_method = std::find(std::begin(kMethods), std::end(kMethods), std::string_view(key)) != std::end(kMethods);
      EXPECT_TRUE(is_method || key == "parameters" || key == "summary" || key == "description" || key == "servers")
          << std::string_view(path) << " has an unknown key '" << std::string_view(key) << "'";
      if (is_method) {
        EXPECT_TRUE(value.is_object()) << std::string_view(path) << " " << std::string_view(key);
      }
    }
  }
}

TEST(OpenApiDocument, EveryRegisteredRouteIsDocumented) {
  std::set<Operation> documented;
  for (const auto& op : documented_operations()) documented.emplace(op.method, op.path);
  std::set<Operation> missing;
  for (const auto& route : registered_operations()) {
    if (!documented.contains(route)) missing.insert(route);
  }
  EXPECT_TRUE(missing.empty()) << "routes missing from src/api/openapi.json: " << describe(missing);
}

TEST(OpenApiDocument, EveryDocumentedOperationIsRegistered) {
  const auto registered = registered_operations();
  std::set<Operation> extra;
  for (const auto& op : documented_operations()) {
    if (!registered.contains({op.method, op.path})) extra.emplace(op.method, op.path);
  }
  EXPECT_TRUE(extra.empty()) << "documented operations no route serves: " << describe(extra);
}

// A route that only `serve --test-clock` registers must say so, and no other may claim to be test-only.
TEST(OpenApiDocument, TestOnlyOperationsAreMarked) {
  const auto test_only = test_only_operations();
  ASSERT_FALSE(test_only.empty());
  for (const auto& op : documented_operations()) {
    const auto* mark = op.operation->if_contains("x-billhook-test-only");
    const bool marked = mark && mark->is_bool() && mark->as_bool();
    const bool expected = test_only.contains({op.method, op.path});
    EXPECT_EQ(marked, expected) << op.name()
                                << (expected ? " exists only with --test-clock but is not marked x-billhook-test-only"
                                             : " is marked x-billhook-test-only but is always registered");
    if (!expected) continue;
    const auto* description = op.operation->if_contains("description");
    EXPECT_TRUE(description && std::string_view(description->as_string()).find("--test-clock") != std::string_view::npos)
        << op.name() << ": the description must say that the route needs --test-clock";
    const auto& responses = op.operation->at("responses").as_object();
    EXPECT_TRUE(responses.contains("404")) << op.name() << " must document the 404 it answers without --test-clock";
  }
}

TEST(OpenApiDocument, OperationIdsAreUnique) {
  std::set<std::string> seen;
  for (const auto& op : documented_operations()) {
    const auto* id = op.operation->if_contains("operationId");
    ASSERT_TRUE(id && id->is_string()) << op.name() << " has no operationId";
    EXPECT_TRUE(seen.emplace(id->as_string()).second) << op.name() << ": operationId '" << id->as_string().c_str()
                                                      << "' is used twice";
  }
}

TEST(OpenApiDocument, EveryOperationHasSummaryDescriptionAndResponses) {
  for (const auto& op : documented_operations()) {
    const auto* summary = op.operation->if_contains("summary");
    EXPECT_TRUE(summary && summary->is_string() && !summary->as_string().empty()) << op.name() << " has no summary";
    const auto* description = op.operation->if_contains("description");
    EXPECT_TRUE(description && description->is_string() && !description->as_string().empty())
        << op.name() << " has no description";
    const auto* responses = op.operation->if_contains("responses");
    ASSERT_TRUE(responses && responses->is_object()) << op.name() << " has no responses";
    bool success = false, client_error = false;
    for (const auto& [status, response] : responses->as_object()) {
      const std::string_view code(status);
      EXPECT_TRUE(code.size() == 3 && code[0] >= '1' && code[0] <= '5' &&
                  std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
          << op.name() << ": response key '" << code << "' is not an HTTP status";
      success = success || code.starts_with("2");
      client_error = client_error || code.starts_with("4");
      const auto& resolved = deref(response);
      EXPECT_TRUE(resolved.contains("description")) << op.name() << " " << code << " has no description";
      if (code.starts_with("2")) {
        EXPECT_TRUE(resolved.contains("headers") && resolved.at("headers").as_object().contains("Request-Id"))
            << op.name() << " " << code << " does not document the Request-Id header";
      }
      if (code.starts_with("4") || code.starts_with("5")) {
        const auto* content = resolved.if_contains("content");
        ASSERT_TRUE(content) << op.name() << " " << code << " has no content";
        EXPECT_EQ(content->at("application/json").at("schema").at("$ref").as_string(), "#/components/schemas/Error")
            << op.name() << " " << code << " is not answered with the Error schema";
      }
    }
    EXPECT_TRUE(success) << op.name() << " documents no 2xx response";
    EXPECT_TRUE(client_error) << op.name() << " documents no 4xx response";
  }
}

TEST(OpenApiDocument, AuthenticatedOperationsDocument401) {
  for (const auto& op : documented_operations()) {
    const bool is_public = op.operation->contains("security") && op.operation->at("security").as_array().empty();
    EXPECT_EQ(op.operation->at("responses").as_object().contains("401"), !is_public)
        << op.name() << (is_public ? " needs no API key but documents 401" : " needs an API key but does not document 401");
  }
}

TEST(OpenApiDocument, EveryPostDocumentsIdempotencyKey) {
  for (const auto& op : documented_operations()) {
    if (op.method != "post") continue;
    bool found = false;
    for (const auto* p : parameters_of(op))
      found = found || (p->at("in").as_string() == "header" && lower(std::string(p->at("name").as_string())) == "idempotency-key");
    EXPECT_TRUE(found) << op.name() << " does not document the Idempotency-Key header";
    bool replay_header = false;
    for (const auto& [status, response] : op.operation->at("responses").as_object()) {
      if (!std::string_view(status).starts_with("2")) continue;
      const auto& resolved = deref(response);
      replay_header = replay_header || (resolved.contains("headers") &&
                                        resolved.at("headers").as_object().contains("Idempotent-Replayed"));
    }
    EXPECT_TRUE(replay_header) << op.name() << " does not document the Idempotent-Replayed header";
    EXPECT_TRUE(op.operation->at("responses").as_object().contains("409"))
        << op.name() << " does not document 409 for an Idempotency-Key reused with another body";
  }
}

TEST(OpenApiDocument, BearerAuthAppliesExceptToPublicRoutes) {
  const auto& doc = document();
  const auto& schemes = doc.at("components").at("securitySchemes").as_object();
  ASSERT_FALSE(doc.at("security").as_array().empty());
  for (const auto& requirement : doc.at("security").as_array())
    for (const auto& [name, scopes] : requirement.as_object()) {
      ASSERT_TRUE(schemes.contains(name)) << "security names an undeclared scheme " << std::string_view(name);
      EXPECT_EQ(schemes.at(name).at("type").as_string(), "http");
      EXPECT_EQ(schemes.at(name).at("scheme").as_string(), "bearer");
    }
  for (const auto& op : documented_operations()) {
    const bool is_public = op.path == "/health" || op.path == "/openapi.json";
    const auto* security = op.operation->if_contains("security");
    if (is_public) {
      EXPECT_TRUE(security && security->as_array().empty()) << op.name() << " must override security to none";
    } else {
      EXPECT_TRUE(!security) << op.name() << " must use the global bearer security";
    }
  }
}

TEST(OpenApiDocument, EveryRefResolves) {
  std::vector<std::pair<std::string, std::string>> refs;
  collect_refs(json::value(document()), "#", refs);
  EXPECT_FALSE(refs.empty());
  for (const auto& [where, ref] : refs) {
    EXPECT_NE(resolve_pointer(ref), nullptr) << where << ": $ref " << ref << " does not resolve";
  }
}

TEST(OpenApiDocument, EveryComponentIsUsed) {
  std::vector<std::pair<std::string, std::string>> refs;
  collect_refs(json::value(document()), "#", refs);
  std::set<std::string> targets;
  for (const auto& [where, ref] : refs) targets.insert(ref);
  // Documents the 405 every path answers for methods it does not list; OpenAPI has no place to attach it.
  const std::set<std::string> unattached = {"#/components/responses/MethodNotAllowed",
                                            "#/components/responses/RouteNotFound"};
  for (std::string_view section : {"schemas", "parameters", "responses", "headers"}) {
    for (const auto& [name, value] : document().at("components").at(section).as_object()) {
      const std::string ref = "#/components/" + std::string(section) + "/" + std::string(name);
      EXPECT_TRUE(targets.contains(ref) || unattached.contains(ref)) << ref << " is declared but never used";
    }
  }
}

TEST(OpenApiDocument, ParametersHaveNameInAndSchema) {
  for (const auto& op : documented_operations()) {
    std::set<std::string> path_params;
    for (const auto* p : parameters_of(op)) {
      ASSERT_TRUE(p->contains("name") && p->at("name").is_string()) << op.name() << ": a parameter has no name";
      const std::string name(p->at("name").as_string());
      ASSERT_TRUE(p->contains("in")) << op.name() << ": parameter " << name << " has no 'in'";
      const std::string_view in = p->at("in").as_string();
      EXPECT_TRUE(in == "query" || in == "header" || in == "path" || in == "cookie")
          << op.name() << ": parameter " << name << " is in '" << in << "'";
      EXPECT_TRUE(p->contains("schema") && p->at("schema").is_object()) << op.name() << ": parameter " << name << " has no schema";
      EXPECT_TRUE(p->contains("description")) << op.name() << ": parameter " << name << " has no description";
      if (in == "path") {
        path_params.insert(name);
        EXPECT_TRUE(p->contains("required") && p->at("required").as_bool())
            << op.name() << ": path parameter " << name << " must be required";
      }
    }
    std::set<std::string> templated;
    for (size_t open = op.path.find('{'); open != std::string::npos; open = op.path.find('{', open + 1))
      templated.insert(op.path.substr(open + 1, op.path.find('}', open) - open - 1));
    EXPECT_EQ(path_params, templated) << op.name() << ": path parameters must match the path's {segments}";
  }
}

TEST(OpenApiDocument, RequestBodiesAreJsonObjectsThatRefuseUnknownFields) {
  for (const auto& op : documented_operations()) {
    const auto* body = op.operation->if_contains("requestBody");
    if (op.method == "post" || op.method == "patch") {
      EXPECT_TRUE(body) << op.name() << " reads a body but documents none";
    }
    if (!body) continue;
    const auto& schema_object = deref(body->at("content").at("application/json").at("schema"));
    EXPECT_EQ(schema_object.at("type").as_string(), "object") << op.name();
    ASSERT_TRUE(schema_object.contains("additionalProperties")) << op.name();
    EXPECT_FALSE(schema_object.at("additionalProperties").as_bool())
        << op.name() << ": the handler refuses unknown fields (allow_only)";
  }
}

TEST(OpenApiDocument, ListOperationsDocumentPagination) {
  for (const auto& op : documented_operations()) {
    // Every GET of a collection is paged; the event types are one fixed list, the settings and the
    // statistics one object each, and the webhook public key one text.
    if (op.method != "get" || op.path == "/v1/event-types" || op.path == "/v1/settings" ||
        op.path == "/v1/stats" || op.path == "/v1/webhooks/public_key" || !op.path.starts_with("/v1/") ||
        op.path.find('{') != std::string::npos)
      continue;
    std::set<std::string> names;
    for (const auto* p : parameters_of(op)) names.emplace(p->at("name").as_string());
    for (const char* name : {"limit", "starting_after", "ending_before"}) {
      EXPECT_TRUE(names.contains(name)) << op.name() << " does not document '" << name << "'";
    }
  }
}

TEST(OpenApiDocument, SchemasMatchWhatTheRepresentationsWrite) {
  events::Endpoint endpoint;
  endpoint.id = "ep_01JD3Y8F6W5Q2N4M7K9C1B3X5Z";
  endpoint.url = "https://example.com/hook";
  endpoint.event_types = {"*"};
  endpoint.metadata_json = "{}";
  expect_same_fields(schema("Endpoint"), events::endpoint_object(endpoint, profiles::Registry::builtin()), "endpoint_json");

  auto with_secret = events::endpoint_object(endpoint, profiles::Registry::builtin());
  with_secret["secret"] = "whsec_x";
  std::set<std::string> documented;
  for (const auto& part : schema("EndpointWithSecret").at("allOf").as_array())
    for (const auto& name : properties_of(deref(part))) documented.insert(name);
  EXPECT_EQ(documented, keys_of(with_secret)) << "EndpointWithSecret";

  store::EndpointHealth health{endpoint.id, 1, 2, 3};
  expect_same_fields(schema("EndpointHealth"), endpoint_health_json(endpoint, &health), "endpoint_health_json");
  expect_same_fields(schema("EndpointHealth"), endpoint_health_json(endpoint, nullptr), "endpoint_health_json (none)");
  auto with_health = events::endpoint_object(endpoint, profiles::Registry::builtin());
  with_health["health"] = endpoint_health_json(endpoint, nullptr);
  documented.clear();
  for (const auto& part : schema("EndpointWithHealth").at("allOf").as_array())
    for (const auto& name : properties_of(deref(part))) documented.insert(name);
  EXPECT_EQ(documented, keys_of(with_health)) << "EndpointWithHealth";

  events::Delivery delivery;
  expect_same_fields(schema("Delivery"), events::delivery_object(delivery), "delivery_json");
  delivery.last_error_class = "http_status";
  delivery.last_status_code = 503;
  delivery.last_error_message = "HTTP 503";
  const auto failed = events::delivery_object(delivery);
  expect_same_fields(schema("Delivery"), failed, "delivery_json (failed)");
  expect_same_fields(schema("Delivery").at("properties").at("last_error").as_object(), failed.at("last_error").as_object(),
                     "delivery_json last_error");

  // GET /v1/deliveries/{id} answers the delivery plus its attempts.
  auto with_attempts = events::delivery_object(delivery);
  with_attempts["attempts"] = boost::json::array();
  std::set<std::string> documented_delivery;
  for (const auto& part : schema("DeliveryWithAttempts").at("allOf").as_array())
    for (const auto& name : properties_of(deref(part))) documented_delivery.insert(name);
  EXPECT_EQ(documented_delivery, keys_of(with_attempts)) << "DeliveryWithAttempts";

  catalog::EventType type;
  type.name = "invoice.paid";
  type.aliases = {{"Invoice paid", "seed000"}};
  const auto type_json = event_type_json(type);
  expect_same_fields(schema("EventType"), type_json, "event_type_json");
  const auto& alias_schema = schema("EventType").at("properties").at("aliases").at("items").as_object();
  expect_same_fields(alias_schema, type_json.at("aliases").as_array().at(0).as_object(), "event_type_json aliases");

  events::Event event;
  event.id = "evt_01JD3Y8F6W5Q2N4M7K9C1B3X5Z";
  event.type = "invoice.paid";
  event.aggregate = events::Aggregate{"invoice", "inv_1", 1};
  event.data_json = R"({"object": {"id": "inv_1"}, "previous_attributes": {}})";
  const auto envelope = events::render_envelope(event, "2026-11-01");
  expect_same_fields(schema("Event"), envelope, "render_envelope");
  expect_same_fields(schema("Aggregate"), envelope.at("aggregate").as_object(), "render_envelope aggregate");
  expect_same_fields(schema("EventData"), envelope.at("data").as_object(), "render_envelope data");
  expect_same_fields(schema("Event").at("properties").at("request").as_object(), envelope.at("request").as_object(),
                     "render_envelope request");

  for (const char* list : {"EndpointList", "EventList", "DeliveryList"}) {
    expect_same_fields(schema(list), list_json({}, false, "/v1/x"), list);
  }

  const auto response = error_response(core::Error::invalid("invalid_value", "bad", "url"), "req_01JD3Y8F6W5Q2N4M7K9C1B3X5Z");
  const auto body = json::parse(response.body).as_object();
  expect_same_fields(schema("Error"), body, "error_response");
  expect_same_fields(schema("Error").at("properties").at("error").as_object(), body.at("error").as_object(),
                     "error_response error");
}

// The retry_schedule limits and the default schedule the document states are the ones the retry policy uses.
TEST(OpenApiDocument, RetryScheduleMatchesTheRetryPolicy) {
  std::string default_schedule;
  for (auto delay : delivery::default_schedule())
    default_schedule += (default_schedule.empty() ? "[" : ", ") + std::to_string(delay.count());
  default_schedule += "]";
  for (const char* owner : {"Endpoint", "EndpointCreate", "EndpointUpdate"}) {
    const auto& property = schema(owner).at("properties").at("retry_schedule").as_object();
    EXPECT_EQ(property.at("minItems").to_number<int64_t>(), 1) << owner;
    EXPECT_EQ(property.at("maxItems").to_number<int64_t>(), static_cast<int64_t>(delivery::kMaxScheduleLength)) << owner;
    EXPECT_EQ(property.at("items").at("minimum").to_number<int64_t>(), 1) << owner;
    EXPECT_EQ(property.at("items").at("maximum").to_number<int64_t>(), delivery::kMaxScheduleDelay.count()) << owner;
    EXPECT_TRUE(property.at("nullable").as_bool()) << owner << ": null means the default schedule";
    EXPECT_NE(std::string_view(property.at("description").as_string()).find(default_schedule), std::string_view::npos)
        << owner << ": retry_schedule must state the default schedule " << default_schedule;
  }
}

// OpenAPI 3.0 wants a schema's `required` list to have an entry, and a nullable enum to list null:
// strict validators and code generators refuse the document otherwise (generated parts included).
void expect_openapi_30_schemas(const json::value& value, const std::string& where) {
  if (value.is_array()) {
    for (size_t i = 0; i < value.as_array().size(); ++i)
      expect_openapi_30_schemas(value.as_array()[i], where + "/" + std::to_string(i));
    return;
  }
  if (!value.is_object()) return;
  const auto& object = value.as_object();
  if (const auto* required = object.if_contains("required"); required && required->is_array()) {
    EXPECT_FALSE(required->as_array().empty()) << where << ": an empty required list";
  }
  if (object.contains("enum") && object.contains("nullable") && object.at("nullable").as_bool()) {
    const auto& values = object.at("enum").as_array();
    EXPECT_TRUE(std::any_of(values.begin(), values.end(), [](const json::value& v) { return v.is_null(); }))
        << where << ": a nullable enum without null";
  }
  for (const auto& [key, child] : object) expect_openapi_30_schemas(child, where + "/" + std::string(key));
}

TEST(OpenApiDocument, SchemasAreValidOpenApi30) { expect_openapi_30_schemas(json::value(document()), "#"); }

TEST(OpenApiDocument, ErrorTypesCoverEveryErrorKind) {
  std::set<std::string> documented;
  for (const auto& t : schema("Error").at("properties").at("error").at("properties").at("type").at("enum").as_array())
    documented.emplace(t.as_string());
  std::set<std::string> produced;
  for (auto kind : {core::ErrorKind::invalid_request, core::ErrorKind::unauthorized, core::ErrorKind::not_found,
                    core::ErrorKind::conflict, core::ErrorKind::payload_too_large, core::ErrorKind::unavailable,
                    core::ErrorKind::internal})
    for (const char* code : {"some_code", "idempotency_key_reused"}) {
      const auto response = error_response(core::Error{kind, code, "message", {}}, "req_1");
      produced.emplace(json::parse(response.body).at("error").at("type").as_string());
    }
  EXPECT_EQ(documented, produced);
}

}  // namespace

// Every registered document kind's field list and its schema in the document agree: the same fields in
// the same order, the same required ones, and each field's type, nullability and enum values. A field
// added to a kind's struct without documenting it (or documented but not there) fails here.
TEST(OpenApiDocument, RegisteredDocumentKindsMatchTheirSchemas) {
  const auto& schemas = document().at("components").at("schemas").as_object();
  for (const auto& kind : billhook::billing::document_kinds().kinds()) {
    if (kind.openapi_name.empty()) continue;
    const std::string name(kind.openapi_name);
    SCOPED_TRACE(name);
    ASSERT_TRUE(schemas.contains(name)) << "components.schemas has no " << name;
    const auto& documented = schemas.at(name).as_object();
    const auto& doc_properties = documented.at("properties").as_object();
    const auto& code_properties = kind.schema.at("properties").as_object();
    std::vector<std::string> doc_names, code_names;
    for (const auto& p : doc_properties) doc_names.emplace_back(p.key());
    for (const auto& p : code_properties) code_names.emplace_back(p.key());
    EXPECT_EQ(doc_names, code_names) << "the fields of " << name;
    std::set<std::string> doc_required, code_required;
    for (const auto& r : documented.at("required").as_array()) doc_required.emplace(r.as_string());
    for (const auto& r : kind.schema.at("required").as_array()) code_required.emplace(r.as_string());
    EXPECT_EQ(doc_required, code_required) << "the required fields of " << name;
    for (const auto& p : code_properties) {
      const auto* doc = doc_properties.if_contains(p.key());
      if (!doc) continue;
      if (const auto* ref = doc->as_object().if_contains("$ref")) {  // "#/components/schemas/Metadata"
        const std::string_view target = ref->as_string();
        doc = &schemas.at(target.substr(target.rfind('/') + 1));
      }
      const auto& code = p.value().as_object();
      const std::string field(p.key());
      EXPECT_EQ(boost::json::serialize(doc->at("type")), boost::json::serialize(code.at("type"))) << field;
      const bool doc_nullable = doc->as_object().contains("nullable") && doc->at("nullable").as_bool();
      EXPECT_EQ(doc_nullable, code.contains("nullable")) << field << ": nullable";
      if (code.contains("enum")) {
        ASSERT_TRUE(doc->as_object().contains("enum")) << field << ": the document lists no enum values";
        EXPECT_EQ(boost::json::serialize(doc->at("enum")), boost::json::serialize(code.at("enum"))) << field;
      }
    }
  }
}

}  // namespace billhook::api
