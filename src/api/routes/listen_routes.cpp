// Listen sessions: the temporary endpoints `billhook listen` forwards to a developer's local app
// (delivery/listen_hub.hpp explains how their requests travel).
//
// The CLI fetches requests with a long poll (GET …/next?wait=), not Server-Sent Events: the HTTP server
// (api/http_server.cpp) answers each request with one whole HttpResponse, and a streamed body would need a
// second response kind through its write path plus a way to end open streams when it stops. Handlers may
// already answer later from any thread, which is all a long poll needs; a poll ends with whatever is
// waiting, so latency is the same as a stream's.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/routes/routes.hpp"
#include "core/text.hpp"
#include "delivery/listen_client.hpp"
#include "delivery/listen_hub.hpp"
#include "delivery/signing.hpp"
#include "events/filter.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;
namespace json = boost::json;

constexpr size_t kMaxFilterItems = 500;
constexpr size_t kMaxFilterItemLength = 200;
constexpr int64_t kDefaultWaitS = 25;
constexpr int64_t kMaxWaitS = 50;  // below the CLI's 60 s request timeout
constexpr size_t kMaxReportedBody = 4096;

Error session_not_found(const std::string& id) {
  return Error::not_found("listen_session_not_found", fmt::format("no listen session has id '{}'", core::clip(id, 100)));
}

delivery::ListenHub* hub_of(const std::shared_ptr<Call>& call) {
  if (!call->services.listen_hub)
    call->fail(Error{core::ErrorKind::unavailable, "listen_unavailable", "this server does not serve listen sessions", {}});
  return call->services.listen_hub;
}

// The session's endpoint, or nullopt once the call has been answered with the reason.
std::optional<events::Endpoint> load_session(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::endpoint, id)) {
    call->fail(session_not_found(id));
    return std::nullopt;
  }
  auto found = call->services.store.find_endpoint(id);
  if (!found) {
    call->fail(found.error());
    return std::nullopt;
  }
  if (!*found || !delivery::listen_session_of((*found)->url)) {
    call->fail(session_not_found(id));
    return std::nullopt;
  }
  return std::move(**found);
}

json::object session_object(const events::Endpoint& ep) {
  json::array types;
  for (const auto& t : ep.event_types) types.emplace_back(t);
  json::array categories;
  for (const auto& c : ep.categories) categories.emplace_back(c);
  return {{"id", ep.id},          {"object", "listen_session"}, {"event_types", std::move(types)},
          {"categories", std::move(categories)}, {"profile", ep.profile}, {"secret", ep.secret},
          {"created", ep.created_ms / 1000}};
}

void create_session(const std::shared_ptr<Call>& call) {
  if (!hub_of(call)) return;
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"event_types", "categories", "profile"}); !s) return call->fail(s.error());
  auto types = body->optional_string_array("event_types", kMaxFilterItems, kMaxFilterItemLength);
  if (!types) return call->fail(types.error());
  auto categories = body->optional_string_array("categories", kMaxFilterItems, kMaxFilterItemLength);
  if (!categories) return call->fail(categories.error());
  auto& s = call->services;
  auto subscription = events::normalize_subscription(s.catalog, types->value_or(std::vector<std::string>{}),
                                                     categories->value_or(std::vector<std::string>{}));
  if (!subscription) return call->fail(subscription.error());
  events::default_to_everything(*subscription);
  auto profile_name = body->optional_string("profile", 40);
  if (!profile_name) return call->fail(profile_name.error());
  const std::string name = profile_name->value_or("billhook");
  const auto* profile = s.profiles.find(name);
  if (!profile)
    return call->fail(Error::invalid(
        "unknown_profile", fmt::format("'{}' is not a profile; use one of: {}", core::clip(name, 40), s.profiles.names()),
        "profile"));
  for (const auto& setting : profile->settings)
    if (setting.required)
      return call->fail(Error::invalid("profile_needs_settings",
                                       fmt::format("profile '{}' needs profile_settings.{}, which a listen session "
                                                   "cannot take; create an endpoint for it instead",
                                                   name, setting.name),
                                       "profile"));

  events::Endpoint ep;
  ep.id = s.ids.next(core::IdKind::endpoint);
  ep.url = delivery::listen_url(ep.id);
  ep.description = "billhook listen session";
  ep.event_types = std::move(subscription->event_types);
  ep.categories = std::move(subscription->categories);
  ep.secret = delivery::generate_secret(s.random);
  ep.profile = name;
  ep.created_ms = ep.updated_ms = core::to_unix_ms(s.clock.now());
  call->commit([ep](store::WriteTx& tx) -> core::Result<Reply> {
    if (auto st = tx.insert_endpoint(ep); !st) return std::move(st).error();
    return Reply{201, to_json_text(session_object(ep))};
  });
}

void delete_session(const std::shared_ptr<Call>& call) {
  auto* hub = hub_of(call);
  if (!hub) return;
  auto ep = load_session(call);
  if (!ep) return;
  const std::string id = ep->id;
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  call->commit(
      [id, now_ms](store::WriteTx& tx) -> core::Result<Reply> {
        if (auto st = tx.delete_endpoint(id, now_ms); !st) return std::move(st).error();
        return Reply{200, to_json_text(json::object{{"id", id}, {"object", "listen_session"}, {"deleted", true}})};
      },
      [hub, id] { hub->close(id); });
}

// A request as the CLI forwards it, with what it needs to print a line about it.
json::object item_object(Services& s, const std::string& session_id, const delivery::ListenItem& item) {
  json::object headers;
  for (const auto& [name, value] : item.request.headers) headers[name] = value;
  json::object out{{"id", item.id}, {"headers", std::move(headers)}, {"body", item.request.body}};
  if (auto event = s.store.find_event(item.id); event && *event) {
    out["event_type"] = (*event)->type;
    if ((*event)->aggregate)
      out["aggregate"] = json::object{{"type", (*event)->aggregate->type}, {"id", (*event)->aggregate->id},
                                      {"sequence", (*event)->aggregate->sequence}};
  }
  store::DeliveryQuery query;
  query.endpoint_id = session_id;
  query.event_id = item.id;
  query.page.limit = 1;
  if (auto deliveries = s.store.list_deliveries(query); deliveries && !deliveries->items.empty())
    out["delivery_id"] = deliveries->items.front().id;
  return out;
}

void next_requests(const std::shared_ptr<Call>& call) {
  auto* hub = hub_of(call);
  if (!hub) return;
  if (auto st = call->query.allow_only({"wait"}); !st) return call->fail(st.error());
  auto wait = call->query.optional_int("wait", 0, kMaxWaitS);
  if (!wait) return call->fail(wait.error());
  auto ep = load_session(call);
  if (!ep) return;
  hub->take(ep->id, std::chrono::seconds(wait->value_or(kDefaultWaitS)),
            [call, id = ep->id](std::vector<delivery::ListenItem> items) {
              json::array data;
              for (const auto& item : items) data.push_back(item_object(call->services, id, item));
              call->reply(200, json::object{{"object", "list"}, {"data", std::move(data)}});
            });
}

// The CLI's report: what the local app answered (status 0 when it could not be reached).
void report_result(const std::shared_ptr<Call>& call) {
  auto* hub = hub_of(call);
  if (!hub) return;
  auto ep = load_session(call);
  if (!ep) return;
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto st = body->allow_only({"status", "latency_ms", "error", "body"}); !st) return call->fail(st.error());
  auto status = body->optional_int("status", 0, 599);
  if (!status) return call->fail(status.error());
  if (!*status) return call->fail(Error::invalid("missing_field", "'status' is required (0: no answer)", "status"));
  auto latency = body->optional_int("latency_ms", 0, 24LL * 3600 * 1000);
  if (!latency) return call->fail(latency.error());
  auto error = body->optional_string("error", 1024);
  if (!error) return call->fail(error.error());
  auto answer = body->optional_string("body", 1 << 20);
  if (!answer) return call->fail(answer.error());

  const std::string& delivery_id = call->param("delivery_id");
  std::optional<events::Delivery> delivery;
  if (core::is_valid_id(core::IdKind::delivery, delivery_id)) {
    auto found = call->services.store.find_delivery(delivery_id);
    if (!found) return call->fail(found.error());
    if (*found && (*found)->endpoint_id == ep->id) delivery = std::move(**found);
  }
  if (!delivery)
    return call->fail(Error::not_found("delivery_not_found", fmt::format("session {} has no delivery '{}'", ep->id,
                                                                         core::clip(delivery_id, 100))));
  delivery::OutboundResult result;
  result.status_code = static_cast<int>(**status);
  if (result.status_code == 0) result.error_class = delivery::ErrorClass::connect;
  else if (result.status_code < 200 || result.status_code > 299) result.error_class = delivery::ErrorClass::http_status;
  result.error_message = error->value_or(result.status_code ? "" : "the local app did not answer");
  result.duration = std::chrono::milliseconds(latency->value_or(0));
  result.body = answer->value_or("").substr(0, kMaxReportedBody);
  if (!hub->report(ep->id, delivery->event_id, std::move(result)))
    return call->fail(Error{core::ErrorKind::conflict, "not_waiting",
                            fmt::format("delivery {} is not waiting for a result (already reported, or its session "
                                        "was restarted: take it again with GET …/next)",
                                        delivery_id),
                            {}});
  call->reply(200, json::object{{"object", "listen_result"}, {"delivery_id", delivery_id}, {"recorded", true}});
}

}  // namespace

void register_listen_routes(Routes& routes) {
  routes.add("POST", "/v1/listen-sessions", create_session);
  routes.add("GET", "/v1/listen-sessions/{id}", [](const std::shared_ptr<Call>& call) {
    if (auto ep = load_session(call)) call->reply(200, session_object(*ep));
  });
  routes.add("DELETE", "/v1/listen-sessions/{id}", delete_session);
  routes.add("GET", "/v1/listen-sessions/{id}/next", next_requests);
  routes.add("POST", "/v1/listen-sessions/{id}/deliveries/{delivery_id}/result", report_result);
}

}  // namespace billhook::api::routes
