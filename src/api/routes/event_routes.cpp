#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/routes.hpp"
#include "events/envelope.hpp"
#include "events/outbox.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxTypeLength = 200;
constexpr size_t kMaxAggregateFieldLength = 255;

// {type, id} naming the resource whose order the event follows.
core::Result<std::optional<events::Aggregate>> read_aggregate(const Body& body) {
  const auto* value = body.object().if_contains("aggregate");
  if (!value || value->is_null()) return std::optional<events::Aggregate>{};
  if (!value->is_object())
    return Error::invalid("invalid_type",
                          fmt::format("'aggregate' must be an object {{type, id}}, got {}", describe_kind(*value)),
                          "aggregate");
  events::Aggregate aggregate;
  const auto& o = value->get_object();
  for (const auto& item : o)
    if (item.key() != "type" && item.key() != "id")
      return Error::invalid("unknown_parameter",
                            fmt::format("unknown field 'aggregate.{}'; allowed: type, id",
                                        core::clip(item.key(), 100)),
                            "aggregate." + std::string(core::clip(item.key(), 100)));
  for (auto [field, target] : {std::pair{"type", &aggregate.type}, std::pair{"id", &aggregate.id}}) {
    const std::string param = fmt::format("aggregate.{}", field);
    const auto* v = o.if_contains(field);
    if (!v) return Error::invalid("missing_field", fmt::format("'{}' is required", param), param);
    if (!v->is_string() || v->get_string().empty() || v->get_string().size() > kMaxAggregateFieldLength)
      return Error::invalid("invalid_value", fmt::format("'{}' must be a string of 1 to {} characters", param,
                                                         kMaxAggregateFieldLength),
                            param);
    *target = std::string(v->get_string());
  }
  return std::optional<events::Aggregate>{std::move(aggregate)};
}

void publish_event(const std::shared_ptr<Call>& call) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto s = body->allow_only({"type", "data", "aggregate"}); !s) return call->fail(s.error());
  auto type_name = body->required_string("type", kMaxTypeLength);
  if (!type_name) return call->fail(type_name.error());
  const auto& catalog = call->services.catalog;
  const auto* type = catalog.resolve(*type_name);
  if (!type)
    return call->fail(Error::invalid(
        "unknown_event_type",
        fmt::format("'{}' is not an event type; see GET /v1/event-types for the catalog", core::clip(*type_name)),
        "type"));

  const auto* data = body->object().if_contains("data");
  if (!data) return call->fail(Error::invalid("missing_field", "'data' is required: {\"object\": {…}}", "data"));
  if (!data->is_object())
    return call->fail(Error::invalid("invalid_type",
                                     fmt::format("'data' must be an object, got {}", describe_kind(*data)), "data"));
  for (const auto& item : data->get_object())
    if (item.key() != "object" && item.key() != "previous_attributes")
      return call->fail(Error::invalid(
          "unknown_parameter",
          fmt::format("unknown field 'data.{}'; allowed: object, previous_attributes",
                      core::clip(item.key(), 100)),
          "data." + std::string(core::clip(item.key(), 100))));
  const auto* object = data->get_object().if_contains("object");
  if (!object) return call->fail(Error::invalid("missing_field", "'data.object' is required", "data.object"));
  if (!object->is_object())
    return call->fail(Error::invalid(
        "invalid_type", fmt::format("'data.object' must be an object, got {}", describe_kind(*object)), "data.object"));
  if (const auto* previous = data->get_object().if_contains("previous_attributes");
      previous && !previous->is_object())
    return call->fail(Error::invalid("invalid_type",
                                     fmt::format("'data.previous_attributes' must be an object, got {}",
                                                 describe_kind(*previous)),
                                     "data.previous_attributes"));
  if (auto violation = type->schema->validate(*object, "data.object"))
    return call->fail(Error::invalid("schema_violation",
                                     fmt::format("'{}' {} (schema of {})", violation->path, violation->message,
                                                 type->name),
                                     violation->path));

  auto aggregate = read_aggregate(*body);
  if (!aggregate) return call->fail(aggregate.error());
  // Without an explicit aggregate, an object with an id orders by that id.
  if (!*aggregate) {
    if (const auto* id = object->get_object().if_contains("id"); id && id->is_string() && !id->get_string().empty())
      *aggregate = events::Aggregate{type->aggregate, std::string(id->get_string()), 0};
  }

  auto& s = call->services;
  events::Event event;
  event.id = s.ids.next(core::IdKind::event);
  event.type = type->name;
  event.created_ms = core::to_unix_ms(s.clock.now());
  event.aggregate = std::move(*aggregate);
  event.data_json = to_json_text(*data);
  event.request_id = call->request_id;
  event.idempotency_key = call->idempotency_key;
  // Named so that the store can draw the sequences of many publishes at once.
  auto draws = events::sequence_draws(event);
  // May run again: append_event only assigns to the event (its sequence number).
  call->commit(
      [event = std::move(event), &s](store::WriteTx& tx) mutable -> core::Result<Reply> {
        auto deliveries = events::append_event(tx, s.catalog, s.profiles, s.ids, event);
        if (!deliveries) return std::move(deliveries).error();
        return Reply{202, events::render_envelope_text(event, s.catalog.api_version())};
      },
      {}, store::Store::Rerun::allowed, std::move(draws));
}

void list_events(const std::shared_ptr<Call>& call) {
  const auto& q = call->query;
  if (auto s = q.allow_only({"limit", "starting_after", "ending_before", "type", "aggregate_type", "aggregate_id",
                             "created[gte]", "created[gt]", "created[lte]", "created[lt]"});
      !s)
    return call->fail(s.error());
  store::EventQuery query;
  auto page = q.page(core::IdKind::event);
  if (!page) return call->fail(page.error());
  query.page = *page;
  if (auto type = q.get("type")) {
    const auto* t = call->services.catalog.resolve(*type);
    if (!t)
      return call->fail(Error::invalid("unknown_event_type",
                                       fmt::format("'{}' is not an event type", core::clip(*type)), "type"));
    query.type = t->name;
  }
  query.aggregate_type = q.get("aggregate_type").value_or("");
  query.aggregate_id = q.get("aggregate_id").value_or("");
  // Times are whole unix seconds; the log keeps milliseconds, so bounds become half-open ms ranges.
  struct Bound {
    const char* name;
    int64_t offset_s;
    bool lower;
  };
  for (const auto& b : {Bound{"created[gte]", 0, true}, Bound{"created[gt]", 1, true}, Bound{"created[lt]", 0, false},
                        Bound{"created[lte]", 1, false}}) {
    auto seconds = q.unix_seconds(b.name);
    if (!seconds) return call->fail(seconds.error());
    if (!*seconds) continue;
    const int64_t ms = (**seconds + b.offset_s) * 1000;
    auto& slot = b.lower ? query.created_gte_ms : query.created_lt_ms;
    slot = slot ? (b.lower ? std::max(*slot, ms) : std::min(*slot, ms)) : ms;
  }
  auto result = call->services.store.list_events(query);
  if (!result) return call->fail(result.error());
  boost::json::array data;
  for (const auto& e : result->items) data.push_back(events::render_envelope(e, call->services.catalog.api_version()));
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/events"));
}

void get_event(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  const auto not_found = Error::not_found("event_not_found", fmt::format("no event has id '{}'", core::clip(id, 100)));
  if (!core::is_valid_id(core::IdKind::event, id)) return call->fail(not_found);
  auto found = call->services.store.find_event(id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(not_found);
  call->reply(Reply{200, events::render_envelope_text(**found, call->services.catalog.api_version())});
}

}  // namespace

void register_event_routes(Routes& routes) {
  routes.add("POST", "/v1/events", publish_event);
  routes.add("GET", "/v1/events", list_events);
  routes.add("GET", "/v1/events/{id}", get_event);
}

}  // namespace billhook::api::routes
