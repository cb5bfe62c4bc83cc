#include "billing/invoice_batch_runner.hpp"

#include <exception>
#include <string>

#include "core/log.hpp"

namespace billhook::billing {

namespace {
constexpr int kPageSize = 100;
}

InvoiceBatchRunner::InvoiceBatchRunner(store::Store& store, InvoiceBatches& batches, std::chrono::milliseconds poll)
    : store_(store), batches_(batches), poll_(poll) {}

InvoiceBatchRunner::~InvoiceBatchRunner() { stop(); }

void InvoiceBatchRunner::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void InvoiceBatchRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void InvoiceBatchRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool InvoiceBatchRunner::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
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
      for (bool finished = false; !finished && !stopping();) {
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
      if (stopping()) return chunks;
    }
    if (ids->size() < static_cast<size_t>(kPageSize)) break;
    after = ids->back();
  }
  return chunks;
}

void InvoiceBatchRunner::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, poll_, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    try {
      if (auto r = run_once(); !r) core::log::error("invoice batch pass failed", {{"error", r.error().message}});
    } catch (const std::exception& e) {
      core::log::error("invoice batch pass threw", {{"error", e.what()}});
    }
  }
}

}  // namespace billhook::billing
