#pragma once

#include "catalog/catalog.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "events/model.hpp"
#include "store/store.hpp"

namespace billhook::events {

// The outbox step every event goes through, whether published by the API or emitted by the
// billing engine: inside the caller's write transaction it assigns the per-aggregate sequence,
// stores the event and creates one pending delivery per enabled endpoint that subscribes to its
// type. Returns the number of deliveries created. `event.id`, `type` and `created_ms` must be set.
core::Result<int> append_event(store::WriteTx& tx, const catalog::Catalog& catalog, core::IdGenerator& ids,
                               Event& event);

}  // namespace billhook::events
