#include <array>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/routes.hpp"
#include "core/crypto.hpp"
#include "events/filter.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxDescriptionLength = 1000;
constexpr size_t kMaxFilterItems = 500;
constexpr size_t kMaxFilterItemLength = 200;

// An absolute http(s) URL with a host. Where it points is checked at each delivery attempt
// (the SSRF guard), since DNS can change after it is stored.
core::Status check_endpoint_url(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    return Error::invalid("invalid_url", fmt::format("'url' must be an absolute URL such as https://example.com/hook"),
                          "url");
  const auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https")
    return Error::invalid("invalid_url", fmt::format("'url' must use http or https, not '{}'", std::string(scheme)),
                          "url");
  if (!parsed->has_authority() || parsed->encoded_host().empty())
    return Error::invalid("invalid_url", "'url' must name a host", "url");
  if (parsed->has_fragment()) return Error::invalid("invalid_url", "'url' must not have a #fragment", "url");
  return {};
}

// whsec_ + base64 of 32 random bytes (Standard Webhooks allows 24 to 64).
std::string generate_secret(core::Random& random) {
  std::array<std::byte, 32> bytes{};
  random.fill(bytes);
  return "whsec_" + core::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// The fields of a create or update request, each present only if given.
struct EndpointFields {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> event_types;
  std::optional<std::vector<std::string>> categories;
  std::optional<bool> enabled;
  std::optional<std::string> metadata_json;
};

core::Result<EndpointFields> read_fields(const Body& body) {
  if (auto s = body.allow_only({"url", "description", "event_types", "categories", "enabled", "metadata"}); !s)
    return std::move(s).error();
  EndpointFields f;
  auto url = body.optional_string("url", kMaxUrlLength);
  if (!url) return std::move(url).error();
  if (*url) {
    if (auto s = check_endpoint_url(**url); !s) return std::move(s).error();
    f.url = std::move(*url);
  }
  auto description = body.optional_string("description", kMaxDescriptionLength);
  if (!description) return std::move(description).error();
  f.description = std::move(*description);
  auto types = body.optional_string_array("event_types", kMaxFilterItems, kMaxFilterItemLength);
  if (!types) return std::move(types).error();
  f.event_types = std::move(*types);
  auto categories = body.optional_string_array("categories", kMaxFilterItems, kMaxFilterItemLength);
  if (!categories) return std::move(categories).error();
  f.categories = std::move(*categories);
  auto enabled = body.optional_bool("enabled");
  if (!enabled) return std::move(enabled).error();
  f.enabled = *enabled;
  auto metadata = body.optional_metadata("metadata");
  if (!metadata) return std::move(metadata).error();
  f.metadata_json = std::move(*metadata);
  return f;
}

core::Status check_endpoint_id(const std::string& id) {
  if (core::is_valid_id(core::IdKind::endpoint, id)) return {};
  return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", core::clip(id, 100)));
}

void create_endpoint(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto fields = read_fields(*body);
  if (!fields) return call->fail(fields.error());
  if (!fields->url)
    return call->fail(Error::invalid("missing_field", "'url' is required: where events are sent", "url"));
  auto subscription = events::normalize_subscription(call->services.catalog, fields->event_types.value_or(std::vector<std::string>{}),
                                                     fields->categories.value_or(std::vector<std::string>{}));
  if (!subscription) return call->fail(subscription.error());
  events::default_to_everything(*subscription);

  auto& s = call->services;
  events::Endpoint ep;
  ep.id = s.ids.next(core::IdKind::endpoint);
  ep.url = *fields->url;
  ep.description = fields->description.value_or("");
  ep.event_types = std::move(subscription->event_types);
  ep.categories = std::move(subscription->categories);
  ep.secret = generate_secret(s.random);
  ep.metadata_json = fields->metadata_json.value_or("{}");
  ep.enabled = fields->enabled.value_or(true);
  ep.created_ms = ep.updated_ms = core::to_unix_ms(s.clock.now());
  call->commit([ep](store::WriteTx& tx) -> core::Result<Reply> {
    if (auto st = tx.insert_endpoint(ep); !st) return std::move(st).error();
    auto json = endpoint_json(ep);
    json["secret"] = ep.secret;  // shown on create; later only through GET …/secret
    return Reply{201, to_json_text(json)};
  });
}

void update_endpoint(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (auto st = check_endpoint_id(id); !st) return call->fail(st.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto fields = read_fields(*body);
  if (!fields) return call->fail(fields.error());
  // Each list given replaces its old value; a list left out keeps it.
  if (fields->event_types || fields->categories) {
    auto normalized = events::normalize_subscription(call->services.catalog, fields->event_types.value_or(std::vector<std::string>{}),
                                                     fields->categories.value_or(std::vector<std::string>{}));
    if (!normalized) return call->fail(normalized.error());
    if (fields->event_types) fields->event_types = normalized->event_types;
    if (fields->categories) fields->categories = normalized->categories;
  }
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  call->commit([id, f = std::move(*fields), now_ms](store::WriteTx& tx) -> core::Result<Reply> {
    // Read-modify-write inside the transaction, so concurrent updates do not undo each other.
    auto found = tx.find_endpoint(id);
    if (!found) return std::move(found).error();
    if (!*found) return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", id));
    events::Endpoint ep = std::move(**found);
    if (f.url) ep.url = *f.url;
    if (f.description) ep.description = *f.description;
    events::Subscription subscription{f.event_types.value_or(ep.event_types), f.categories.value_or(ep.categories)};
    events::default_to_everything(subscription);
    ep.event_types = std::move(subscription.event_types);
    ep.categories = std::move(subscription.categories);
    if (f.enabled) ep.enabled = *f.enabled;
    if (f.metadata_json) ep.metadata_json = *f.metadata_json;
    ep.updated_ms = now_ms;
    if (auto st = tx.update_endpoint(ep); !st) return std::move(st).error();
    return Reply{200, to_json_text(endpoint_json(ep))};
  });
}

void delete_endpoint(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (auto st = check_endpoint_id(id); !st) return call->fail(st.error());
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  call->commit([id, now_ms](store::WriteTx& tx) -> core::Result<Reply> {
    if (auto st = tx.delete_endpoint(id, now_ms); !st) return std::move(st).error();
    return Reply{200, to_json_text(boost::json::object{{"id", id}, {"object", "endpoint"}, {"deleted", true}})};
  });
}

// Reads one endpoint for a GET handler; answers 404 itself when there is none.
std::optional<events::Endpoint> load_endpoint(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (auto st = check_endpoint_id(id); !st) {
    call->fail(st.error());
    return std::nullopt;
  }
  auto found = call->services.store.find_endpoint(id);
  if (!found) {
    call->fail(found.error());
    return std::nullopt;
  }
  if (!*found) call->fail(Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", id)));
  return std::move(*found);
}

}  // namespace

void register_endpoint_routes(Routes& routes) {
  routes.add("POST", "/v1/endpoints", create_endpoint);
  routes.add("GET", "/v1/endpoints", [](const std::shared_ptr<Call>& call) {
    if (auto s = call->query.allow_only({"limit", "starting_after", "ending_before"}); !s) return call->fail(s.error());
    auto page = call->query.page(core::IdKind::endpoint);
    if (!page) return call->fail(page.error());
    auto result = call->services.store.list_endpoints(*page);
    if (!result) return call->fail(result.error());
    boost::json::array data;
    for (const auto& ep : result->items) data.push_back(endpoint_json(ep));
    call->reply(200, list_json(std::move(data), result->has_more, "/v1/endpoints"));
  });
  routes.add("GET", "/v1/endpoints/{id}", [](const std::shared_ptr<Call>& call) {
    if (auto ep = load_endpoint(call)) call->reply(200, endpoint_json(*ep));
  });
  routes.add("PATCH", "/v1/endpoints/{id}", update_endpoint);
  routes.add("DELETE", "/v1/endpoints/{id}", delete_endpoint);
  routes.add("GET", "/v1/endpoints/{id}/secret", [](const std::shared_ptr<Call>& call) {
    if (auto ep = load_endpoint(call)) call->reply(200, boost::json::object{{"secret", ep->secret}});
  });
}

}  // namespace billhook::api::routes
