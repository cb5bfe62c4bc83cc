#include "api/api_key_sync.hpp"

#include <utility>

#include "core/log.hpp"
#include "store/api_key_store.hpp"

namespace billhook::api {

ApiKeySync::ApiKeySync(store::Store& store, ApiKeys& keys, std::chrono::milliseconds refresh,
                       std::chrono::milliseconds write_uses)
    : store_(store),
      keys_(keys),
      refresh_loop_("api key refresh", refresh, [this] { return this->refresh(); }),
      write_loop_("api key use", write_uses, [this] { return this->write_uses(); }) {}

ApiKeySync::~ApiKeySync() {
  // Only the loops: the store may be gone by now (stop() is what writes the last uses).
  refresh_loop_.stop();
  write_loop_.stop();
}

void ApiKeySync::start() {
  refresh_loop_.start();
  write_loop_.start();
}

void ApiKeySync::stop() {
  refresh_loop_.stop();
  write_loop_.stop();
  // A failure here loses a few last uses, which harms nothing worth holding the shutdown for.
  (void)write_uses();
}

core::Status ApiKeySync::refresh() {
  // The whole (small) table of live keys in one query: simpler than tracking changes, and a revoked key
  // is simply absent.
  const uint64_t read_at = keys_.generation();
  auto live = store_.api_keys();
  if (!live) {
    // Said once (the loop logs the error), not every second of a database outage; the keys read last
    // stay in force meanwhile.
    if (refresh_failing_.exchange(true)) return {};
    return std::move(live).error();
  }
  if (refresh_failing_.exchange(false)) core::log::info("api key refresh works again");
  keys_.replace(std::move(*live), read_at);
  return {};
}

core::Status ApiKeySync::write_uses() {
  auto uses = keys_.take_unwritten_uses();
  if (uses.empty()) return {};
  // Relaxed: a last use lost in a power cut misleads no one for long.
  auto written = store_.write_and_wait(
      [&uses](store::WriteTx& tx) -> core::Status {
        auto* writes = store::api_key_writes(tx);
        if (!writes) return store::no_api_key_management();
        for (const auto& [id, used_ms] : uses)
          if (auto s = writes->note_api_key_used(id, used_ms); !s) return s;
        return {};
      },
      store::Store::Durability::relaxed);
  if (!written)
    for (const auto& [id, used_ms] : uses) keys_.requeue_use(id, used_ms);  // tried again next time
  return written;
}

}  // namespace billhook::api
