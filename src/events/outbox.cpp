#include "events/outbox.hpp"

#include "events/filter.hpp"

namespace billhook::events {

core::Result<int> append_event(store::WriteTx& tx, const catalog::Catalog& catalog, core::IdGenerator& ids,
                               Event& event) {
  const auto* type = catalog.find(event.type);
  if (!type) return core::Error::internal("append_event: unknown event type " + event.type);
  if (event.aggregate) {
    auto sequence = tx.next_sequence(event.aggregate->type, event.aggregate->id);
    if (!sequence) return std::move(sequence).error();
    event.aggregate->sequence = *sequence;
  }
  if (auto s = tx.insert_event(event); !s) return std::move(s).error();

  auto endpoints = tx.enabled_endpoints();
  if (!endpoints) return std::move(endpoints).error();
  int created = 0;
  for (const auto& endpoint : **endpoints) {
    if (!subscribes_to(endpoint.event_types, endpoint.categories, *type)) continue;
    Delivery d;
    d.id = ids.next(core::IdKind::delivery);
    d.event_id = event.id;
    d.endpoint_id = endpoint.id;
    d.event_type = event.type;
    d.status = DeliveryStatus::pending;
    d.next_attempt_ms = event.created_ms;
    d.created_ms = event.created_ms;
    d.updated_ms = event.created_ms;
    if (auto s = tx.insert_delivery(d); !s) return std::move(s).error();
    ++created;
  }
  return created;
}

}  // namespace billhook::events
