#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::store {

// What retention removes as of a moment: events (with their deliveries and attempts) created before
// events_before_ms whose deliveries are all finished, and idempotency keys created before keys_before_ms.
struct RetentionCutoffs {
  int64_t events_before_ms = 0;
  int64_t keys_before_ms = 0;
};

// The cut-offs at `now_ms` for a retention of `retention_days` (> 0); idempotency keys go after
// kIdempotencyKeyTtlMs whatever the retention.
RetentionCutoffs retention_cutoffs(int64_t now_ms, int64_t retention_days);

struct PruneOptions {
  int batch = 500;                            // rows of each kind per transaction
  std::chrono::milliseconds pause{20};        // between two batches, so the writer serves others meanwhile
  std::function<bool()> stopping = [] { return false; };  // asked between batches: end early
};

// Deletes what retention removes, one small write transaction (WriteTx::prune) at a time, until nothing is left,
// pausing between batches: writers queue behind one short batch at most. Batches are committed without waiting
// for the disk (a batch lost in a power cut is simply pruned again). Answers the totals (kept_events is not
// counted).
core::Result<PruneCounts> prune(Store& store, const RetentionCutoffs& cutoffs, const PruneOptions& options = {});

}  // namespace billhook::store
