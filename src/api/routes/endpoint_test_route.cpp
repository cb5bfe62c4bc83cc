// Sending an endpoint a test event, and counting what a recover would resend.

#include "api/routes/endpoint_test_route.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/text.hpp"
#include "events/envelope.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

// Without a chosen type: the first exact type the endpoint subscribes to, else this one.
constexpr std::string_view kDefaultTestType = "invoice.paid";
constexpr size_t kMaxTypeLength = 200;
constexpr int kCountPage = 100;

core::Result<const catalog::EventType*> chosen_type(const Body& body, const catalog::Catalog& catalog,
                                                    const events::Endpoint& endpoint) {
  auto given = body.optional_string("event_type", kMaxTypeLength);
  if (!given) return std::move(given).error();
  std::string name = given->value_or("");
  if (name.empty()) {
    for (const auto& t : endpoint.event_types)
      if (catalog.find(t)) {
        name = t;
        break;
      }
  }
  if (name.empty()) name = kDefaultTestType;
  const auto* type = catalog.resolve(name);
  if (!type)
    return Error::invalid("unknown_event_type",
                          fmt::format("'{}' is not an event type; see GET /v1/event-types", core::clip(name)),
                          "event_type");
  return type;
}

void send_test_event(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::endpoint, id))
    return call->fail(Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", core::clip(id))));
  auto body = call->request.body.empty() ? core::Result<Body>(Body()) : call->body();
  if (!body) return call->fail(body.error());
  if (auto st = body->allow_only({"event_type"}); !st) return call->fail(st.error());
  auto& s = call->services;
  auto found = s.store.find_endpoint(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", id)));
  auto type = chosen_type(*body, s.catalog, **found);
  if (!type) return call->fail(type.error());

  events::Event event;
  event.id = s.ids.next(core::IdKind::event);
  event.type = (*type)->name;
  event.created_ms = core::to_unix_ms(s.clock.now());
  event.data_json = to_json_text(boost::json::object{{"object", (*type)->example}});
  event.request_id = call->request_id;
  event.idempotency_key = call->idempotency_key;
  if (!s.profiles.sends(**found, s.catalog, event))
    return call->fail(Error::invalid(
        "event_type_not_sent",
        fmt::format("the endpoint's profile '{}' never sends {}; choose another type", (*found)->profile, event.type),
        "event_type"));
  std::string delivery_id = s.ids.next(core::IdKind::delivery);
  call->commit([id, event = std::move(event), delivery_id, &s](store::WriteTx& tx) -> core::Result<Reply> {
    auto endpoint = tx.find_endpoint(id);
    if (!endpoint) return std::move(endpoint).error();
    if (!*endpoint) return Error::not_found("endpoint_not_found", fmt::format("no endpoint has id '{}'", id));
    if (!(*endpoint)->enabled)
      return Error::conflict("endpoint_disabled", fmt::format("endpoint {} is disabled; enable it to test it", id));
    if (auto st = tx.insert_event(event); !st) return std::move(st).error();
    // Not ordered behind the endpoint's real events (no aggregate), and sent to this endpoint only.
    events::Delivery d;
    d.id = delivery_id;
    d.event_id = event.id;
    d.endpoint_id = id;
    d.event_type = event.type;
    d.status = events::DeliveryStatus::pending;
    d.next_attempt_ms = d.created_ms = d.updated_ms = event.created_ms;
    if (auto st = tx.insert_delivery(d); !st) return std::move(st).error();
    tx.notify_work();
    return Reply{202, to_json_text(boost::json::object{{"object", "endpoint_test"},
                                                       {"endpoint_id", id},
                                                       {"event_id", event.id},
                                                       {"delivery_id", d.id},
                                                       {"type", event.type},
                                                       {"event", events::render_envelope(event, s.catalog.api_version())}})};
  });
}

}  // namespace

core::Result<int64_t> count_recoverable(store::Store& store, const std::string& endpoint_id, int64_t since_ms) {
  store::DeliveryQuery query;
  query.endpoint_id = endpoint_id;
  query.status = events::DeliveryStatus::failed;
  query.page.limit = kCountPage;
  int64_t count = 0;
  for (;;) {
    auto page = store.list_deliveries(query);
    if (!page) return std::move(page).error();
    for (const auto& d : page->items) {
      if (d.created_ms < since_ms) return count;
      ++count;
    }
    if (!page->has_more || page->items.empty()) return count;
    query.page.starting_after = page->items.back().id;
  }
}

void register_endpoint_test_route(Routes& routes) { routes.add("POST", "/v1/endpoints/{id}/test", send_test_event); }

}  // namespace billhook::api::routes
