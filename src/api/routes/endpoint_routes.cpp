#include <algorithm>
#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/representations.hpp"
#include "api/routes/endpoint_test_route.hpp"
#include "api/routes/routes.hpp"
#include "delivery/endpoint_url.hpp"
#include "delivery/retry_policy.hpp"
#include "delivery/signing.hpp"
#include "events/filter.hpp"
#include "events/outbox.hpp"
#include "events/representation.hpp"
#include "core/text.hpp"
#include "profiles/profile.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxDescriptionLength = 1000;
constexpr size_t kMaxFilterItems = 500;
constexpr size_t kMaxFilterItemLength = 200;

// The fields of a create or update request, each present only if given.
struct EndpointFields {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> event_types;
  std::optional<std::vector<std::string>> categories;
  std::optional<bool> enabled;
  std::optional<std::string> metadata_json;
  // Delivery policy; for the last two, a present null (empty / 0) means "back to the default".
  std::optional<bool> ordered;
  std::optional<int> max_in_flight;
  std::optional<std::vector<int64_t>> retry_schedule_s;
  std::optional<int> rate_limit_per_second;
  // Compatibility profile; settings given are merged into the stored ones (a null removes one).
  std::optional<std::string> profile;
  std::optional<boost::json::object> profile_settings;
};

constexpr size_t kMaxSettingLength = 500;

core::Status read_profile(const Body& body, const profiles::Registry& registry, EndpointFields& f) {
  auto profile = body.optional_string("profile", 40);
  if (!profile) return std::move(profile).error();
  if (*profile) {
    if (!registry.find(**profile))
      return Error::invalid("unknown_profile",
                            fmt::format("'{}' is not a profile; use one of: {}", core::clip(**profile, 40),
                                        registry.names()),
                            "profile");
    f.profile = std::move(*profile);
  }
  if (const auto* settings = body.object().if_contains("profile_settings")) {
    if (!settings->is_object())
      return Error::invalid("invalid_type", "'profile_settings' must be an object of strings", "profile_settings");
    for (const auto& [name, value] : settings->get_object()) {
      const std::string param = fmt::format("profile_settings.{}", core::clip(name, 40));
      if (!value.is_null() && !value.is_string())
        return Error::invalid("invalid_type", fmt::format("'{}' must be a string (or null to remove it)", param), param);
      if (value.is_string() && (value.get_string().empty() || value.get_string().size() > kMaxSettingLength))
        return Error::invalid("invalid_value", fmt::format("'{}' must be 1 to {} characters", param, kMaxSettingLength),
                              param);
    }
    f.profile_settings = settings->get_object();
  }
  return {};
}

// Applies the profile fields to `ep` and checks the result: every setting is one the profile declares,
// and every setting it requires is present.
core::Status apply_profile(const EndpointFields& f, const profiles::Registry& registry, events::Endpoint& ep) {
  boost::json::object settings;
  boost::system::error_code ec;
  if (auto stored = boost::json::parse(ep.profile_settings_json, ec); !ec && stored.is_object())
    settings = std::move(stored.get_object());
  if (f.profile && *f.profile != ep.profile) {
    ep.profile = *f.profile;
    settings.clear();  // another provider's keys mean nothing to this one
  }
  if (f.profile_settings)
    for (const auto& [name, value] : *f.profile_settings) {
      if (value.is_null()) settings.erase(name);
      else settings[name] = value;
    }
  const auto* profile = registry.find(ep.profile);
  if (!profile) return Error::internal("endpoint has an unknown profile " + ep.profile);
  for (const auto& [name, value] : settings) {
    const auto declared = std::find_if(profile->settings.begin(), profile->settings.end(),
                                       [&](const profiles::Setting& s) { return s.name == name; });
    if (declared == profile->settings.end()) {
      std::string allowed;
      for (const auto& s : profile->settings) allowed += (allowed.empty() ? "" : ", ") + s.name;
      return Error::invalid("unknown_setting",
                            fmt::format("profile '{}' has no setting '{}'; its settings: {}", ep.profile,
                                        core::clip(name, 40), allowed.empty() ? "none" : allowed),
                            fmt::format("profile_settings.{}", core::clip(name, 40)));
    }
    const auto& allowed = declared->values;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), value.as_string()) == allowed.end())
      return Error::invalid("invalid_value",
                            fmt::format("'profile_settings.{}' must be one of: {}", declared->name,
                                        fmt::join(allowed, ", ")),
                            "profile_settings." + declared->name);
  }
  for (const auto& s : profile->settings)
    if (s.required && !settings.contains(s.name))
      return Error::invalid("missing_setting",
                            fmt::format("profile '{}' needs profile_settings.{}: {}", ep.profile, s.name, s.description),
                            "profile_settings." + s.name);
  ep.profile_settings_json = boost::json::serialize(settings);
  return {};
}

constexpr int kMaxRateLimit = 10'000;
constexpr int kMaxInFlightLimit = 1'000;

core::Status read_policy(const Body& body, EndpointFields& f) {
  auto ordering = body.optional_string("ordering", 20);
  if (!ordering) return std::move(ordering).error();
  if (*ordering) {
    if (**ordering != "aggregate" && **ordering != "none")
      return Error::invalid("invalid_value", "'ordering' must be \"aggregate\" (events of one resource in order) or \"none\"",
                            "ordering");
    f.ordered = **ordering == "aggregate";
  }
  auto in_flight = body.optional_int("max_in_flight", 1, kMaxInFlightLimit);
  if (!in_flight) return std::move(in_flight).error();
  if (*in_flight) f.max_in_flight = static_cast<int>(**in_flight);
  if (body.is_null("retry_schedule")) {
    f.retry_schedule_s = std::vector<int64_t>{};
  } else if (const auto* schedule = body.object().if_contains("retry_schedule")) {
    auto parsed = delivery::parse_schedule(*schedule);
    if (!parsed) return std::move(parsed).error();
    std::vector<int64_t> seconds;
    for (auto delay : *parsed) seconds.push_back(delay.count());
    f.retry_schedule_s = std::move(seconds);
  }
  if (body.is_null("rate_limit")) {
    f.rate_limit_per_second = 0;
  } else {
    auto rate = body.optional_int("rate_limit", 1, kMaxRateLimit);
    if (!rate) return std::move(rate).error();
    if (*rate) f.rate_limit_per_second = static_cast<int>(**rate);
  }
  return {};
}

void apply_policy(const EndpointFields& f, events::Endpoint& ep) {
  if (f.ordered) ep.ordered = *f.ordered;
  if (f.max_in_flight) ep.max_in_flight = *f.max_in_flight;
  if (f.retry_schedule_s) ep.retry_schedule_s = *f.retry_schedule_s;
  if (f.rate_limit_per_second) ep.rate_limit_per_second = *f.rate_limit_per_second;
}

core::Result<EndpointFields> read_fields(const Body& body, const profiles::Registry& registry) {
  if (auto s = body.allow_only({"url", "description", "event_types", "categories", "enabled", "metadata", "ordering",
                                 "retry_schedule", "rate_limit", "max_in_flight", "profile", "profile_settings"});
      !s)
    return std::move(s).error();
  EndpointFields f;
  auto url = body.optional_string("url", kMaxUrlLength);
  if (!url) return std::move(url).error();
  if (*url) {
    if (auto s = delivery::check_endpoint_url(**url); !s) return std::move(s).error();
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
  if (auto s = read_policy(body, f); !s) return std::move(s).error();
  if (auto s = read_profile(body, registry, f); !s) return std::move(s).error();
  return f;
}

core::Status check_endpoint_id(const std::string& id) {
  if (core::is_valid_id(core::IdKind::endpoint, id)) return {};
  return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", core::clip(id, 100)));
}

void create_endpoint(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto fields = read_fields(*body, call->services.profiles);
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
  ep.secret = delivery::generate_secret(s.random);
  ep.metadata_json = fields->metadata_json.value_or("{}");
  ep.enabled = fields->enabled.value_or(true);
  if (!ep.enabled) ep.disabled_reason = "manual";
  ep.created_ms = ep.updated_ms = core::to_unix_ms(s.clock.now());
  if (!ep.enabled) ep.disabled_ms = ep.created_ms;
  apply_policy(*fields, ep);
  if (auto st = apply_profile(*fields, s.profiles, ep); !st) return call->fail(st.error());
  call->commit([ep, &profiles = s.profiles](store::WriteTx& tx) -> core::Result<Reply> {
    if (auto st = tx.insert_endpoint(ep); !st) return std::move(st).error();
    auto json = events::endpoint_object(ep, profiles);
    json["secret"] = ep.secret;  // shown on create; later only through GET …/secret
    return Reply{201, to_json_text(json)};
  });
}

void update_endpoint(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (auto st = check_endpoint_id(id); !st) return call->fail(st.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto fields = read_fields(*body, call->services.profiles);
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
  auto& services = call->services;
  call->commit([id, f = std::move(*fields), now_ms, &services](store::WriteTx& tx) -> core::Result<Reply> {
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
    if (f.metadata_json) ep.metadata_json = *f.metadata_json;
    apply_policy(f, ep);
    if (auto st = apply_profile(f, services.profiles, ep); !st) return std::move(st).error();
    const bool switching = f.enabled && *f.enabled != ep.enabled;
    if (switching) {
      ep.enabled = *f.enabled;
      // Enabling gives the endpoint a fresh start: its health is judged from now on.
      ep.disabled_reason = ep.enabled ? "" : "manual";
      ep.disabled_ms = ep.enabled ? 0 : now_ms;
      ep.failing_since_ms = 0;
    }
    ep.updated_ms = now_ms;
    if (auto st = tx.update_endpoint(ep); !st) return std::move(st).error();
    if (switching) {
      // Said after the update, so the endpoint hears its own re-enabling.
      if (auto st = events::append_operational_event(
              tx, services.catalog, services.profiles, services.ids,
              ep.enabled ? "endpoint.enabled" : "endpoint.disabled", {"endpoint", ep.id, 0},
              events::endpoint_object(ep, services.profiles), now_ms);
          !st)
        return std::move(st).error();
      if (ep.enabled) tx.notify_work();  // its waiting deliveries may go again
    }
    return Reply{200, to_json_text(events::endpoint_object(ep, services.profiles))};
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

// The endpoint as GET shows it: its representation and its health from the attempts made.
boost::json::object endpoint_with_health(const events::Endpoint& ep, const std::vector<store::EndpointHealth>& health,
                                         const profiles::Registry& profiles) {
  auto json = events::endpoint_object(ep, profiles);
  const auto it = std::find_if(health.begin(), health.end(), [&](const auto& h) { return h.endpoint_id == ep.id; });
  json["health"] = endpoint_health_json(ep, it == health.end() ? nullptr : &*it);
  return json;
}

constexpr int64_t kDefaultRotationOverlapS = 24 * 3600;
constexpr int64_t kMaxRotationOverlapS = 7 * 24 * 3600;

// A new secret; the old one keeps signing beside it for `expire_previous_in` seconds (default
// a day), so receivers can switch over without losing a webhook.
void rotate_secret(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (auto st = check_endpoint_id(id); !st) return call->fail(st.error());
  auto body = call->request.body.empty() ? core::Result<Body>(Body()) : call->body();
  if (!body) return call->fail(body.error());
  if (auto st = body->allow_only({"expire_previous_in"}); !st) return call->fail(st.error());
  auto overlap = body->optional_int("expire_previous_in", 0, kMaxRotationOverlapS);
  if (!overlap) return call->fail(overlap.error());
  auto& s = call->services;
  const int64_t now_ms = core::to_unix_ms(s.clock.now());
  const int64_t expires_ms = now_ms + overlap->value_or(kDefaultRotationOverlapS) * 1000;
  std::string secret = delivery::generate_secret(s.random);
  call->commit([id, secret, now_ms, expires_ms](store::WriteTx& tx) -> core::Result<Reply> {
    auto found = tx.find_endpoint(id);
    if (!found) return std::move(found).error();
    if (!*found) return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", id));
    events::Endpoint ep = std::move(**found);
    ep.previous_secret = ep.secret;
    ep.previous_secret_expires_ms = expires_ms;
    ep.secret = secret;
    ep.updated_ms = now_ms;
    if (auto st = tx.update_endpoint(ep); !st) return std::move(st).error();
    return Reply{200, to_json_text(boost::json::object{{"object", "endpoint_secret"},
                                                       {"endpoint_id", id},
                                                       {"secret", secret},
                                                       {"previous_secret_expires_at", expires_ms / 1000}})};
  });
}

// Bulk retry: every failed delivery of the endpoint created since a time goes back to pending.
void recover(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (auto st = check_endpoint_id(id); !st) return call->fail(st.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto st = body->allow_only({"since"}); !st) return call->fail(st.error());
  if (!body->has("since") || body->is_null("since"))
    return call->fail(Error::invalid("missing_field", "'since' is required: a unix time in seconds", "since"));
  auto since = body->optional_int("since", 0, 253402300799);
  if (!since) return call->fail(since.error());
  const int64_t since_s = since->value_or(0);
  if (auto st = call->query.allow_only({"dry_run"}); !st) return call->fail(st.error());
  const auto dry_run = call->query.get("dry_run");
  if (dry_run && *dry_run != "true" && *dry_run != "false")
    return call->fail(Error::invalid("invalid_value", "'dry_run' must be true or false", "dry_run"));
  if (dry_run == "true") {
    // Only counts: what the same request without dry_run would resend now.
    auto endpoint = load_endpoint(call);
    if (!endpoint) return;
    auto count = count_recoverable(call->services.store, id, since_s * 1000);
    if (!count) return call->fail(count.error());
    return call->reply(200, boost::json::object{{"object", "recovery"},
                                                {"endpoint_id", id},
                                                {"since", since_s},
                                                {"dry_run", true},
                                                {"would_recover", *count}});
  }
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  call->commit([id, since_s, now_ms](store::WriteTx& tx) -> core::Result<Reply> {
    auto found = tx.find_endpoint(id);
    if (!found) return std::move(found).error();
    if (!*found) return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", id));
    auto recovered = tx.retry_failed(id, since_s * 1000, now_ms);
    if (!recovered) return std::move(recovered).error();
    if (*recovered > 0) tx.notify_work();
    return Reply{202, to_json_text(boost::json::object{
                          {"object", "recovery"}, {"endpoint_id", id}, {"since", since_s}, {"recovered", *recovered}})};
  });
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
    std::vector<std::string> ids;
    for (const auto& ep : result->items) ids.push_back(ep.id);
    auto health = call->services.store.endpoint_health(ids);
    if (!health) return call->fail(health.error());
    boost::json::array data;
    for (const auto& ep : result->items) data.push_back(endpoint_with_health(ep, *health, call->services.profiles));
    call->reply(200, list_json(std::move(data), result->has_more, "/v1/endpoints"));
  });
  routes.add("GET", "/v1/endpoints/{id}", [](const std::shared_ptr<Call>& call) {
    auto ep = load_endpoint(call);
    if (!ep) return;
    auto health = call->services.store.endpoint_health({ep->id});
    if (!health) return call->fail(health.error());
    call->reply(200, endpoint_with_health(*ep, *health, call->services.profiles));
  });
  routes.add("PATCH", "/v1/endpoints/{id}", update_endpoint);
  routes.add("DELETE", "/v1/endpoints/{id}", delete_endpoint);
  routes.add("POST", "/v1/endpoints/{id}/rotate-secret", rotate_secret);
  routes.add("POST", "/v1/endpoints/{id}/recover", recover);
  register_endpoint_test_route(routes);
  routes.add("GET", "/v1/endpoints/{id}/secret", [](const std::shared_ptr<Call>& call) {
    if (auto ep = load_endpoint(call)) call->reply(200, boost::json::object{{"secret", ep->secret}});
  });
}

}  // namespace billhook::api::routes
