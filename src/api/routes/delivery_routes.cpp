#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/routes.hpp"
#include "core/clock.hpp"
#include "core/text.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

void list_deliveries(const std::shared_ptr<Call>& call) {
  const auto& q = call->query;
  if (auto s = q.allow_only({"limit", "starting_after", "ending_before", "endpoint_id", "event_id", "status"}); !s)
    return call->fail(s.error());
  store::DeliveryQuery query;
  auto page = q.page(core::IdKind::delivery);
  if (!page) return call->fail(page.error());
  query.page = *page;
  if (auto endpoint = q.get("endpoint_id")) {
    if (auto s = core::check_id(core::IdKind::endpoint, *endpoint, "endpoint_id"); !s) return call->fail(s.error());
    query.endpoint_id = *endpoint;
  }
  if (auto event = q.get("event_id")) {
    if (auto s = core::check_id(core::IdKind::event, *event, "event_id"); !s) return call->fail(s.error());
    query.event_id = *event;
  }
  if (auto status = q.get("status")) {
    query.status = events::parse_delivery_status(*status);
    if (!query.status)
      return call->fail(Error::invalid(
          "invalid_status",
          fmt::format("'status' must be one of pending, retrying, succeeded, failed, cancelled; got '{}'",
                      core::clip(*status)),
          "status"));
  }
  auto result = call->services.store.list_deliveries(query);
  if (!result) return call->fail(result.error());
  boost::json::array data;
  for (const auto& d : result->items) data.push_back(events::delivery_object(d));
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/deliveries"));
}

Error delivery_not_found(const std::string& id) {
  return Error::not_found("delivery_not_found", fmt::format("no delivery has id '{}'", core::clip(id, 100)));
}

// The delivery with every attempt made, first first.
void get_delivery(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::delivery, id)) return call->fail(delivery_not_found(id));
  auto found = call->services.store.find_delivery(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(delivery_not_found(id));
  auto attempts = call->services.store.list_attempts(id);
  if (!attempts) return call->fail(attempts.error());
  auto json = events::delivery_object(**found);
  boost::json::array list;
  for (const auto& a : *attempts) list.push_back(events::attempt_object(a));
  json["attempts"] = std::move(list);
  call->reply(200, json);
}

// A failed delivery is tried again now, with its history kept; any other state is a conflict.
void retry_delivery(const std::shared_ptr<Call>& call) {
  const std::string id = call->param("id");
  if (!core::is_valid_id(core::IdKind::delivery, id)) return call->fail(delivery_not_found(id));
  if (!call->request.body.empty()) {
    auto body = call->body();
    if (!body) return call->fail(body.error());
    if (auto s = body->allow_only({}); !s) return call->fail(s.error());
  }
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  call->commit([id, now_ms](store::WriteTx& tx) -> core::Result<Reply> {
    auto found = tx.find_delivery(id);
    if (!found) return std::move(found).error();
    if (!*found) return delivery_not_found(id);
    events::Delivery d = std::move(**found);
    if (!events::can_transition(d.status, events::DeliveryStatus::pending))
      return Error::conflict("delivery_not_failed",
                             fmt::format("delivery {} is {}; only a failed delivery can be retried by hand", id,
                                         events::to_string(d.status)),
                             "id");
    auto endpoint = tx.find_endpoint(d.endpoint_id);
    if (!endpoint) return std::move(endpoint).error();
    if (!*endpoint)
      return Error::conflict("endpoint_deleted",
                             fmt::format("delivery {} cannot be retried: its endpoint {} was deleted", id, d.endpoint_id),
                             "id");
    d.status = events::DeliveryStatus::pending;
    d.next_attempt_ms = now_ms;
    d.lease_until_ms = 0;
    d.updated_ms = now_ms;
    if (auto s = tx.update_delivery(d); !s) return std::move(s).error();
    tx.notify_work();
    return Reply{202, to_json_text(events::delivery_object(d))};
  });
}

}  // namespace

void register_delivery_routes(Routes& routes) {
  routes.add("GET", "/v1/deliveries", list_deliveries);
  routes.add("GET", "/v1/deliveries/{id}", get_delivery);
  routes.add("POST", "/v1/deliveries/{id}/retry", retry_delivery);
}

}  // namespace billhook::api::routes
