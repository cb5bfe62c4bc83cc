#include "events/outbox.hpp"

#include <boost/json.hpp>

#include "events/filter.hpp"

namespace billhook::events {

core::Result<int> append_event(store::WriteTx& tx, const catalog::Catalog& catalog, const ProfileRules& profiles,
                               core::IdGenerator& ids, Event& event) {
  const auto* type = catalog.find(event.type);
  if (!type) return core::Error::internal("append_event: unknown event type " + event.type);
  if (event.aggregate) {  // what sequence_draws names, drawn without building its list
    auto sequence = tx.next_sequence(event.aggregate->type, event.aggregate->id);
    if (!sequence) return std::move(sequence).error();
    event.aggregate->sequence = *sequence;
  }
  if (auto s = tx.insert_event(event); !s) return std::move(s).error();

  auto endpoints = tx.enabled_endpoints();
  if (!endpoints) return std::move(endpoints).error();
  const std::string aggregate_key =
      event.aggregate ? event.aggregate->type + "/" + event.aggregate->id : std::string();
  int created = 0;
  for (const auto& endpoint : **endpoints) {
    if (!subscribes_to(endpoint.event_types, endpoint.categories, *type)) continue;
    // A profile that has no name for this event (Calmony has three) never sends it: decided here, at
    // delivery creation, so the endpoint's history shows only what it is sent.
    if (!profiles.sends(endpoint, catalog, event)) continue;
    Delivery d;
    d.id = ids.next(core::IdKind::delivery);
    d.event_id = event.id;
    d.endpoint_id = endpoint.id;
    d.event_type = event.type;
    d.status = DeliveryStatus::pending;
    d.next_attempt_ms = event.created_ms;
    d.created_ms = event.created_ms;
    d.updated_ms = event.created_ms;
    d.aggregate_key = aggregate_key;
    d.sequence = event.aggregate ? event.aggregate->sequence : 0;
    if (auto s = tx.insert_delivery(d); !s) return std::move(s).error();
    ++created;
  }
  if (created > 0) tx.notify_work();
  return created;
}

std::vector<store::SequenceKey> sequence_draws(const Event& event) {
  if (!event.aggregate) return {};
  return {{event.aggregate->type, event.aggregate->id}};
}

core::Status append_operational_event(store::WriteTx& tx, const catalog::Catalog& catalog,
                                      const ProfileRules& profiles, core::IdGenerator& ids, std::string type,
                                      Aggregate about, boost::json::object object, int64_t now_ms) {
  Event event;
  event.id = ids.next(core::IdKind::event);
  event.type = std::move(type);
  event.created_ms = now_ms;
  event.aggregate = std::move(about);
  event.data_json = boost::json::serialize(boost::json::object{{"object", std::move(object)}});
  auto appended = append_event(tx, catalog, profiles, ids, event);
  if (!appended) return std::move(appended).error();
  return {};
}

}  // namespace billhook::events
