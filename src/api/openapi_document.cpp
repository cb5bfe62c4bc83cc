#include "api/openapi_document.hpp"

#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/routes/routes.hpp"
#include "billing/registry/registry.hpp"
#include "core/ids.hpp"

namespace billhook::embedded {
extern const std::string_view openapi_json;
}

namespace billhook::api {
namespace {

namespace json = boost::json;
using billing::DocumentCommand;
using billing::RegisteredKind;

json::object ref(std::string_view where, std::string_view name) {
  return {{"$ref", fmt::format("#/components/{}/{}", where, name)}};
}

std::string plural_of(const RegisteredKind& kind) {
  return kind.plural.empty() ? std::string(kind.noun) + "s" : std::string(kind.plural);
}

std::string snake(std::string_view words) {
  std::string out(words);
  for (char& c : out)
    if (c == ' ' || c == '-') c = '_';
  return out;
}

json::object id_schema(core::IdKind kind) {
  return {{"type", "string"}, {"pattern", fmt::format("^{}_[0-7][0-9A-HJKMNP-TV-Z]{{25}}$", core::id_prefix(kind))}};
}

json::object id_parameter(const RegisteredKind& kind) {
  return {{"name", "id"},
          {"in", "path"},
          {"required", true},
          {"description", fmt::format("The {}'s id (`{}_…`).", kind.noun, core::id_prefix(kind.id_kind))},
          {"schema", id_schema(kind.id_kind)}};
}

json::object query_parameter(std::string_view name, std::string description, json::object schema) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"description", std::move(description)},
          {"schema", std::move(schema)}};
}

json::object error_response(std::string description) {
  return {{"description", std::move(description)},
          {"headers", {{"Request-Id", ref("headers", "RequestId")}}},
          {"content", {{"application/json", {{"schema", ref("schemas", "Error")}}}}}};
}

json::object success_response(std::string description, std::string_view schema, bool replayable) {
  json::object headers{{"Request-Id", ref("headers", "RequestId")}};
  if (replayable) headers["Idempotent-Replayed"] = ref("headers", "IdempotentReplayed");
  return {{"description", std::move(description)},
          {"headers", std::move(headers)},
          {"content", {{"application/json", {{"schema", ref("schemas", schema)}}}}}};
}

// The answers every authenticated operation may give besides its own.
void add_common_responses(json::object& responses) {
  responses["401"] = ref("responses", "Unauthorized");
  responses["500"] = ref("responses", "InternalError");
  responses["503"] = ref("responses", "ServiceUnavailable");
}

json::object list_schema(const RegisteredKind& kind) {
  return {{"type", "object"},
          {"description", fmt::format("A page of {}, newest first.", plural_of(kind))},
          {"required", {"object", "url", "data", "has_more"}},
          {"properties",
           {{"object", {{"type", "string"}, {"enum", {"list"}}}},
            {"url", {{"type", "string"}, {"enum", {kind.api_path}}, {"description", "The path listed."}}},
            {"data", {{"type", "array"}, {"items", ref("schemas", kind.openapi_name)}}},
            {"has_more",
             {{"type", "boolean"},
              {"description", "Whether more items lie beyond this page in the direction of paging."}}}}}};
}

json::object list_operation(const RegisteredKind& kind) {
  const std::string plural = plural_of(kind);
  json::array parameters{ref("parameters", "Limit"),
                         query_parameter("starting_after",
                                         fmt::format("A cursor for the next (older) page: the id of the last {} "
                                                     "of the page you have.",
                                                     kind.noun),
                                         id_schema(kind.id_kind)),
                         query_parameter("ending_before",
                                         fmt::format("A cursor for the previous (newer) page: the id of the first "
                                                     "{} of the page you have.",
                                                     kind.noun),
                                         id_schema(kind.id_kind))};
  if (!kind.customer_filter.empty())
    parameters.push_back(query_parameter(kind.customer_filter, fmt::format("Only this customer's {}.", plural),
                                         id_schema(core::IdKind::customer)));
  if (!kind.parent_filter.empty())
    parameters.push_back(query_parameter(kind.parent_filter, fmt::format("Only the {} of this {}.", plural,
                                                                         kind.parent_filter),
                                         {{"type", "string"}}));
  json::object responses{
      {"200", success_response(fmt::format("A page of {}.", plural), fmt::format("{}List", kind.openapi_name), false)},
      {"400", error_response("The request is not valid. Codes: `unknown_parameter`, `invalid_limit`, `invalid_id`, "
                             "`invalid_cursor`.")}};
  add_common_responses(responses);
  return {{"operationId", "list_" + snake(plural)},
          {"tags", {plural}},
          {"summary", "List " + plural},
          {"description", fmt::format("A page of {}, newest first (cursor paged).", plural)},
          {"parameters", std::move(parameters)},
          {"responses", std::move(responses)}};
}

// GET <nested_list>: the list operation under the parent's path, its id a path parameter.
json::object nested_list_operation(const RegisteredKind& kind) {
  json::object op = list_operation(kind);
  auto& parameters = op["parameters"].as_array();
  json::array kept{json::object{{"name", "id"},
                                {"in", "path"},
                                {"required", true},
                                {"description", fmt::format("The id of the {} whose {} are listed.",
                                                            kind.parent_filter, plural_of(kind))},
                                {"schema", {{"type", "string"}}}}};
  for (auto& p : parameters) {
    const auto* name = p.is_object() ? p.as_object().if_contains("name") : nullptr;
    if (name && name->is_string() &&
        (name->get_string() == kind.parent_filter || name->get_string() == kind.customer_filter))
      continue;
    kept.push_back(std::move(p));
  }
  parameters = std::move(kept);
  op["operationId"] = fmt::format("list_{}_{}", snake(kind.parent_filter), snake(plural_of(kind)));
  op["description"] = fmt::format("A page of the {}'s {}, newest first (cursor paged); the same as `GET {}?{}=…`.",
                                  kind.parent_filter, plural_of(kind), kind.api_path, kind.parent_filter);
  return op;
}

json::object get_operation(const RegisteredKind& kind) {
  json::object responses{
      {"200", success_response(fmt::format("The {}.", kind.noun), kind.openapi_name, false)},
      {"404", error_response(fmt::format("No {} has this id (`{}_not_found`).", kind.noun, kind.kind))}};
  responses["400"] = error_response("The request is not valid. Codes: `unknown_parameter`.");
  add_common_responses(responses);
  return {{"operationId", "get_" + snake(kind.kind)},
          {"tags", {plural_of(kind)}},
          {"summary", fmt::format("Get a {}", kind.noun)},
          {"description", fmt::format("The {} with this id.", kind.noun)},
          {"parameters", {id_parameter(kind)}},
          {"responses", std::move(responses)}};
}

// A request body's schema as OpenAPI 3.0 wants it: no empty `required` (it must have an entry).
void to_openapi_30(json::object& schema) {
  if (const auto* required = schema.if_contains("required"); required && required->as_array().empty())
    schema.erase("required");
  if (auto* properties = schema.if_contains("properties"))
    for (auto& property : properties->as_object())
      if (property.value().is_object()) to_openapi_30(property.value().as_object());
  if (auto* items = schema.if_contains("items"); items && items->is_object()) to_openapi_30(items->as_object());
}

json::object command_operation(const RegisteredKind& kind, const DocumentCommand& command) {
  const std::string verb = !command.action.empty()  ? snake(command.action)
                           : command.on_document ? "update"
                                                 : "create";
  json::object body_schema = command.request_schema;
  to_openapi_30(body_schema);
  body_schema["additionalProperties"] = false;
  // An empty body is `{}` to the routes: a body is required only when some field is.
  const bool body_required = body_schema.contains("required");
  json::array parameters;
  if (command.on_document) parameters.push_back(id_parameter(kind));
  const bool post = command.method == "POST";
  if (post) parameters.push_back(ref("parameters", "IdempotencyKey"));
  json::object responses{
      {std::to_string(command.status),
       success_response(fmt::format("The {} after the change.", kind.noun), kind.openapi_name, post)},
      {"400", error_response("The request is not valid; nothing was stored. `error.param` names the field at fault. "
                             "Codes: `malformed_json`, `invalid_body`, `unknown_parameter`, `missing_field`, "
                             "`invalid_type`, `invalid_value`, `out_of_range`, and the command's own.")},
      {"409", error_response(post ? "The document's state does not allow this (`error.type` `conflict_error`; the "
                                    "message names the state), or the Idempotency-Key was used before with another "
                                    "body (`error.type` `idempotency_error`, `idempotency_key_reused`)."
                                  : "The document's state does not allow this (`error.type` `conflict_error`); the "
                                    "message names the state.")},
      {"413", ref("responses", "PayloadTooLarge")}};
  if (command.on_document)
    responses["404"] = error_response(fmt::format("No {} has this id (`{}_not_found`).", kind.noun, kind.kind));
  add_common_responses(responses);
  json::object operation{{"operationId", fmt::format("{}_{}", verb, snake(kind.kind))},
                         {"tags", {plural_of(kind)}},
                         {"summary", command.summary},
                         {"description", command.description},
                         {"requestBody",
                          {{"required", body_required},
                           {"description", fmt::format("The {}'s fields.", kind.noun)},
                           {"content", {{"application/json", {{"schema", std::move(body_schema)}}}}}}},
                         {"responses", std::move(responses)}};
  if (!parameters.empty()) operation["parameters"] = std::move(parameters);
  return operation;
}

std::string lower(std::string_view method) {
  std::string out(method);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// Adds `operation` under paths[path][method] unless the file already describes it.
void add_if_absent(json::object& paths, const std::string& path, std::string_view method, json::object operation) {
  auto& item = paths[path];
  if (!item.is_object()) item = json::object();
  auto& object = item.as_object();
  const std::string key = lower(method);
  if (!object.contains(key)) object[key] = std::move(operation);
}

json::object build() {
  json::object doc = json::parse(embedded::openapi_json).as_object();
  auto& paths = doc["paths"].as_object();
  auto& schemas = doc["components"].as_object()["schemas"].as_object();
  for (const auto& kind : billing::document_kinds().kinds()) {
    if (kind.openapi_name.empty()) continue;
    if (!schemas.contains(kind.openapi_name)) schemas[kind.openapi_name] = kind.schema;
    if (kind.api_path.empty()) continue;
    const std::string path(kind.api_path);
    if (kind.list) {
      add_if_absent(paths, path, "GET", list_operation(kind));
      const std::string list_name = fmt::format("{}List", kind.openapi_name);
      if (!schemas.contains(list_name)) schemas[list_name] = list_schema(kind);
    }
    add_if_absent(paths, path + "/{id}", "GET", get_operation(kind));
    if (!kind.nested_list.empty())
      add_if_absent(paths, std::string(kind.nested_list), "GET", nested_list_operation(kind));
    for (const auto& command : kind.commands)
      add_if_absent(paths, routes::command_path(kind, command), command.method, command_operation(kind, command));
  }
  return doc;
}

}  // namespace

const boost::json::object& openapi_document() {
  static const json::object document = build();
  return document;
}

const std::string& openapi_text() {
  static const std::string text = json::serialize(openapi_document());
  return text;
}

}  // namespace billhook::api
