#pragma once

#include <boost/json/object.hpp>

#include "catalog/catalog.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "events/model.hpp"
#include "events/profile_rules.hpp"
#include "store/store.hpp"

namespace billhook::events {

// The outbox step every event goes through, whether published by the API or emitted by the
// billing engine: inside the caller's write transaction it assigns the per-aggregate sequence
// (sequence_draws), stores the event and creates one pending delivery per enabled endpoint that
// subscribes to its type and whose profile sends it (`profiles`). Returns the number of deliveries
// created. `event.id`, `type` and `created_ms` must be set.
core::Result<int> append_event(store::WriteTx& tx, const catalog::Catalog& catalog, const ProfileRules& profiles,
                               core::IdGenerator& ids, Event& event);

// The sequences append_event draws for `event` (its aggregate's, if it has one): what a job that
// appends it names when it is queued (store::Store::write_in).
std::vector<store::SequenceKey> sequence_draws(const Event& event);

// Appends one of billhook's own events about a resource (endpoint.disabled about an endpoint,
// delivery.exhausted about a delivery, …), whose `data.object` is that resource's representation.
core::Status append_operational_event(store::WriteTx& tx, const catalog::Catalog& catalog,
                                      const ProfileRules& profiles, core::IdGenerator& ids, std::string type,
                                      Aggregate about, boost::json::object object, int64_t now_ms);

}  // namespace billhook::events
