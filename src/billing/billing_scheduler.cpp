#include "billing/billing_scheduler.hpp"

#include <utility>

#include "core/log.hpp"

namespace billhook::billing {

namespace {
constexpr int kPageSize = 100;
}

BillingScheduler::BillingScheduler(store::Store& store, BillingService& service, std::chrono::milliseconds poll)
    : store_(store), service_(service), loop_("billing scheduler", poll, [this] { return pass(); }) {}

void BillingScheduler::start() { loop_.start(); }

void BillingScheduler::stop() { loop_.stop(); }

void BillingScheduler::wake() { loop_.wake(); }

core::Status BillingScheduler::pass() {
  // With several nodes on one database, one of them at a time runs the passes.
  if (!store_.runs_time_jobs()) return {};
  auto emitted = run_once();
  if (!emitted) return std::move(emitted).error();
  return {};
}

core::Result<int> BillingScheduler::run_once() {
  const int64_t now = core::to_unix_ms(service_.clock().now()) / 1000;
  int emitted = 0;
  std::string after;
  for (;;) {
    auto ids = store_.invoices_needing_time(now, after, kPageSize);
    if (!ids) return std::move(ids).error();
    for (const auto& id : *ids) {
      int count = 0;
      auto s = store_.write_and_wait([&](store::WriteTx& tx) -> core::Status {
        auto n = service_.run_time(tx, id);
        if (!n) return std::move(n).error();
        count = *n;
        return {};
      });
      if (!s) {
        core::log::error("billing scheduler: an invoice failed", {{"invoice", id}, {"error", s.error().message}});
        continue;
      }
      emitted += count;
    }
    if (ids->size() < static_cast<size_t>(kPageSize)) break;
    after = ids->back();
  }
  return emitted;
}

}  // namespace billhook::billing
