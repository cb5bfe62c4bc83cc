#include "billing/registry/document_clock.hpp"

#include "billing/registry/registry.hpp"
#include "core/log.hpp"

namespace billhook::billing {
namespace {
constexpr int kPageSize = 100;
}

DocumentClock::DocumentClock(store::Store& store, const core::Clock& clock, std::chrono::milliseconds poll)
    : store_(store), clock_(clock), loop_("document clock", poll, [this]() -> core::Status {
        auto ran = run_once();
        if (!ran) return std::move(ran).error();
        return {};
      }) {}

void DocumentClock::on(std::string_view kind, WakeHandler handler) {
  entries_.push_back({std::string(kind), std::move(handler)});
}

void DocumentClock::on_registered(const DocumentRegistry& registry, const DomainServices& services) {
  for (const auto& kind : registry.kinds()) {
    if (!kind.wake) continue;
    if (auto handler = kind.wake(services)) on(kind.kind, std::move(handler));
  }
}

void DocumentClock::start() { loop_.start(); }
void DocumentClock::stop() { loop_.stop(); }
void DocumentClock::wake() { loop_.wake(); }

core::Result<int> DocumentClock::run_once() {
  if (!store_.runs_time_jobs()) return 0;
  const int64_t now_s = core::to_unix_ms(clock_.now()) / 1000;
  int committed = 0;
  for (const auto& entry : entries_) {
    auto ran = run_kind(entry, now_s);
    if (!ran) return std::move(ran).error();
    committed += *ran;
    if (loop_.stopping()) break;
  }
  return committed;
}

core::Result<int> DocumentClock::run_kind(const Entry& entry, int64_t now_s) {
  int committed = 0;
  std::string after;
  for (;;) {
    auto ids = store_.documents_needing_time(entry.kind, now_s, after, kPageSize);
    if (!ids) return std::move(ids).error();
    for (const auto& id : *ids) {
      // Checked again before each document: a node that lost the lead part-way stops soon after. (The
      // handlers' own claims make a step exactly once even so; this only keeps the overlap short.)
      if (!store_.runs_time_jobs()) return committed;
      bool again = true;
      for (int round = 0; again && !loop_.stopping(); ++round) {
        auto s = store_.write_and_wait([&](store::WriteTx& tx) -> core::Status {
          auto more = entry.handler(tx, Wake{id, round});
          if (!more) return std::move(more).error();
          again = *more;
          return {};
        });
        if (!s) {
          // Left as it was (the transaction rolled back): the next pass tries again.
          core::log::error("time-driven work on a document failed; it is retried on the next pass",
                           {{"kind", entry.kind}, {"id", id}, {"error", s.error().message}});
          break;
        }
        ++committed;
      }
      if (loop_.stopping()) return committed;
    }
    if (ids->size() < static_cast<size_t>(kPageSize)) break;
    after = ids->back();
  }
  return committed;
}

}  // namespace billhook::billing
