#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/routes.hpp"
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
  for (const auto& d : result->items) data.push_back(delivery_json(d));
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/deliveries"));
}

void get_delivery(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  const auto not_found =
      Error::not_found("delivery_not_found", fmt::format("no delivery has id '{}'", core::clip(id, 100)));
  if (!core::is_valid_id(core::IdKind::delivery, id)) return call->fail(not_found);
  auto found = call->services.store.find_delivery(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(not_found);
  call->reply(200, delivery_json(**found));
}

}  // namespace

void register_delivery_routes(Routes& routes) {
  routes.add("GET", "/v1/deliveries", list_deliveries);
  routes.add("GET", "/v1/deliveries/{id}", get_delivery);
}

}  // namespace billhook::api::routes
