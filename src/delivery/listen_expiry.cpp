#include "delivery/listen_expiry.hpp"

#include <algorithm>
#include <set>

#include "core/log.hpp"
#include "delivery/listen_client.hpp"

namespace billhook::delivery {
namespace {

std::chrono::milliseconds pass_interval(std::chrono::milliseconds idle) {
  return std::clamp(idle / 3, std::chrono::milliseconds(100), std::chrono::milliseconds(30'000));
}

}  // namespace

ListenExpiry::ListenExpiry(store::Store& store, ListenHub& hub, const core::Clock& clock,
                           std::chrono::milliseconds idle)
    : store_(store),
      hub_(hub),
      clock_(clock),
      idle_(idle),
      loop_("listen session expiry", pass_interval(idle), [this]() -> core::Status {
        auto removed = sweep();
        if (!removed) return std::move(removed).error();
        return {};
      }) {}

core::Result<std::vector<std::string>> ListenExpiry::sweep() {
  std::vector<std::string> live;
  store::PageRequest page;
  page.limit = 100;
  for (;;) {
    auto endpoints = store_.list_endpoints(page);
    if (!endpoints) return std::move(endpoints).error();
    for (const auto& ep : endpoints->items)
      if (listen_session_of(ep.url)) live.push_back(ep.id);
    if (!endpoints->has_more || endpoints->items.empty()) break;
    page.starting_after = endpoints->items.back().id;
  }
  const std::set<std::string> stored(live.begin(), live.end());
  for (const auto& id : hub_.sessions())
    if (!stored.contains(id)) hub_.close(id);  // deleted through DELETE /v1/endpoints/{id}

  std::vector<std::string> removed;
  for (const auto& id : hub_.idle_sessions(live, idle_)) {
    const int64_t now_ms = core::to_unix_ms(clock_.now());
    auto status = store_.write_and_wait([&](store::WriteTx& tx) -> core::Status {
      auto s = tx.delete_endpoint(id, now_ms);
      if (!s && s.error().kind == core::ErrorKind::not_found) return {};
      return s;
    });
    if (!status) return std::move(status).error();
    hub_.close(id);
    core::log::info("listen session expired: no listen polled it", {{"session_id", id}, {"idle_ms", idle_.count()}});
    removed.push_back(id);
  }
  return removed;
}

}  // namespace billhook::delivery
