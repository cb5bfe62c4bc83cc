// POST /v1/usage-events, POST /v1/usage-events/batch and GET /v1/subscriptions/{id}/usage: the usage
// intake and current usage (billing/usage_service.hpp). Hand-written rather than registry commands: the
// intake answers events that are not documents (a list, for a batch), and a repeat answers 200 where a
// new event answers 201.

#include <boost/json.hpp>

#include "api/routes/billing_common.hpp"
#include "api/routes/routes.hpp"
#include "billing/usage_service.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

billing::UsageService* usage_of(const Call& call) {
  return call.services.domains ? call.services.domains->find<billing::UsageService>() : nullptr;
}

void ingest(const std::shared_ptr<Call>& call, bool batch) {
  auto* usage = usage_of(*call);
  if (!usage) return call->fail(Error::unavailable("usage metering is not served by this server"));
  auto body = call->body();
  if (!body) return call->fail(body.error());
  core::Result<std::vector<billing::UsageEventInput>> events =
      batch ? billing::read_usage_batch(body->object()) : [&]() -> core::Result<std::vector<billing::UsageEventInput>> {
        auto one = billing::read_usage_event(body->object());
        if (!one) return std::move(one).error();
        return std::vector<billing::UsageEventInput>{std::move(*one)};
      }();
  if (!events) return call->fail(events.error());
  call->commit([usage, batch, events = std::move(*events),
                origin = origin_of(*call)](store::WriteTx& tx) -> core::Result<Reply> {
    auto ingested = usage->ingest(tx, events, batch ? "events" : "", origin);
    if (!ingested) return std::move(ingested).error();
    if (!batch)
      return Reply{ingested->front().repeat ? 200 : 201, to_json_text(billing::usage_event_json(ingested->front().record))};
    boost::json::array data;
    for (const auto& event : *ingested) data.push_back(billing::usage_event_json(event.record));
    return Reply{200, to_json_text(boost::json::object{{"object", "list"}, {"data", std::move(data)}})};
  });
}

}  // namespace

void register_usage_routes(Routes& routes) {
  routes.add("POST", "/v1/usage-events", [](const std::shared_ptr<Call>& call) { ingest(call, false); });
  routes.add("POST", "/v1/usage-events/batch", [](const std::shared_ptr<Call>& call) { ingest(call, true); });
  routes.add("POST", "/v1/usage-events/validate", [](const std::shared_ptr<Call>& call) {
    auto* usage = usage_of(*call);
    if (!usage) return call->fail(Error::unavailable("usage metering is not served by this server"));
    const billing::Origin origin = origin_of(*call);
    call->commit([usage, origin](store::WriteTx& tx) -> core::Result<Reply> {
      auto report = usage->report_now(tx, origin);
      if (!report) return std::move(report).error();
      return Reply{200, to_json_text(boost::json::object{
                            {"object", "usage_validation"},
                            {"reported", *report ? (*report)->at("events").as_array().size() : 0},
                            {"report", *report ? boost::json::value(**report) : boost::json::value(nullptr)}})};
    });
  });
  routes.add("GET", "/v1/subscriptions/{id}/usage", [](const std::shared_ptr<Call>& call) {
    auto* usage = usage_of(*call);
    if (!usage) return call->fail(Error::unavailable("usage metering is not served by this server"));
    auto answer = usage->current_usage(call->services.store, call->param("id"));
    if (!answer) return call->fail(answer.error());
    call->reply(200, *answer);
  });
}

}  // namespace billhook::api::routes
