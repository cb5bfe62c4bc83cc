#include "store/retention.hpp"

#include <thread>

namespace billhook::store {

RetentionCutoffs retention_cutoffs(int64_t now_ms, int64_t retention_days) {
  constexpr int64_t kDayMs = 24 * 3600 * 1000;
  return {.events_before_ms = now_ms - retention_days * kDayMs, .keys_before_ms = now_ms - kIdempotencyKeyTtlMs};
}

core::Result<PruneCounts> prune(Store& store, const RetentionCutoffs& cutoffs, const PruneOptions& options) {
  PruneCounts total;
  for (bool first = true;; first = false) {
    if (options.stopping()) break;
    if (!first) std::this_thread::sleep_for(options.pause);
    PruneCounts batch;
    auto status = store.write_and_wait(
        [&](WriteTx& tx) -> core::Status {
          auto done = tx.prune(cutoffs.events_before_ms, cutoffs.keys_before_ms, options.batch);
          if (!done) return std::move(done).error();
          batch = *done;
          return {};
        },
        Store::Durability::relaxed);
    if (!status) return std::move(status).error();
    total.events += batch.events;
    total.deliveries += batch.deliveries;
    total.attempts += batch.attempts;
    total.idempotency_keys += batch.idempotency_keys;
    if (batch.events < options.batch && batch.idempotency_keys < options.batch) break;
  }
  return total;
}

}  // namespace billhook::store
