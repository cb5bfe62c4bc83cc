#include "billing/invoice_batch_runner.hpp"

#include <string>
#include <utility>

#include "core/log.hpp"

namespace billhook::billing {

namespace {
constexpr int kPageSize = 100;
}

InvoiceBatchRunner::InvoiceBatchRunner(store::Store& store, InvoiceBatches& batches, std::chrono::milliseconds poll)
    : store_(store), batches_(batches), loop_("invoice batch", poll, [this] { return pass(); }) {}

void InvoiceBatchRunner::start() { loop_.start(); }

void InvoiceBatchRunner::stop() { loop_.stop(); }

void InvoiceBatchRunner::wake() { loop_.wake(); }

core::Status InvoiceBatchRunner::pass() {
  auto chunks = run_once();
  if (!chunks) return std::move(chunks).error();
  return {};
}

core::Result<int> InvoiceBatchRunner::run_once() {
  const int64_t now = core::to_unix_ms(batches_.clock().now()) / 1000;
  int chunks = 0;
  std::string after;
  for (;;) {
    auto ids = store_.documents_needing_time(kBatchKind, now, after, kPageSize);
    if (!ids) return std::move(ids).error();
    for (const auto& id : *ids) {
      // Items done before this run's first chunk were done by an earlier run that stopped half-way.
      if (auto stored = store_.find_document(kBatchKind, id); stored && *stored) {
        if (auto batch = decode_batch((**stored).body); batch && batch->succeeded_count + batch->failed_count > 0)
          core::log::info("invoice batch resumed",
                          {{"invoice_batch", id}, {"done", batch->succeeded_count + batch->failed_count}});
      }
      for (bool finished = false; !finished && !loop_.stopping();) {
        InvoiceBatch batch;
        auto s = store_.write_and_wait([&](store::WriteTx& tx) -> core::Status {
          auto r = batches_.process_chunk(tx, id);
          if (!r) return std::move(r).error();
          batch = std::move(*r);
          return {};
        });
        if (!s) {
          core::log::error("invoice batch: a chunk failed; it is retried on the next pass",
                           {{"invoice_batch", id}, {"error", s.error().message}});
          break;
        }
        ++chunks;
        finished = batch.finished();
        if (finished)
          core::log::info("invoice batch finished", {{"invoice_batch", id},
                                                    {"status", std::string(to_string(batch.status))},
                                                    {"succeeded", batch.succeeded_count},
                                                    {"failed", batch.failed_count}});
      }
      if (loop_.stopping()) return chunks;
    }
    if (ids->size() < static_cast<size_t>(kPageSize)) break;
    after = ids->back();
  }
  return chunks;
}

}  // namespace billhook::billing
