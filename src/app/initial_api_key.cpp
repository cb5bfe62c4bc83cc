#include "app/initial_api_key.hpp"

#include <utility>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "store/api_key_store.hpp"

namespace billhook::app {
namespace {

core::Status reload(store::Store& store, api::ApiKeys& keys) {
  const uint64_t read_at = keys.generation();
  auto stored = store.api_keys();
  if (!stored) return std::move(stored).error();
  keys.replace(std::move(*stored), read_at);
  return {};
}

}  // namespace

core::Result<std::string> ensure_api_key(const std::string& configured_key, store::Store& store, api::ApiKeys& keys,
                                         core::IdGenerator& ids, core::Random& random, int64_t now_ms) {
  if (auto s = reload(store, keys); !s) return std::move(s).error();
  std::string new_key;
  std::string label;
  if (!configured_key.empty()) {
    if (keys.authenticate(configured_key)) return std::string();
    new_key = configured_key;
    label = "--api-key";
  } else if (keys.empty()) {
    new_key = api::ApiKeys::generate(random);
    label = "generated on first start";
  } else {
    return std::string();
  }
  store::ApiKeyRecord record{ids.next(core::IdKind::api_key), core::sha256_hex(new_key), label, now_ms};
  auto written = store.write_and_wait([&record, &new_key](store::WriteTx& tx) {
    // With its prefix where the store keeps API key details (both SQL backends do).
    auto* writes = store::api_key_writes(tx);
    return writes ? writes->insert_api_key(record, api::ApiKeys::prefix_of(new_key)) : tx.insert_api_key(record);
  });
  if (written) {
    keys.add(std::move(record));
    return configured_key.empty() ? new_key : std::string();
  }
  // Its hash is taken: another node given the same --api-key stored it between our read and our insert
  // (the key is in the store all the same, which is all this start needs), or the key was revoked.
  if (written.error().kind != core::ErrorKind::conflict || configured_key.empty()) return std::move(written).error();
  if (auto s = reload(store, keys); !s) return std::move(s).error();
  if (!keys.authenticate(configured_key)) {
    // Revoked through the API: it stays revoked (bringing it back at each start would undo the revocation
    // of a leaked key). The server starts with the keys that still work; the operator drops --api-key.
    core::log::warn("the key given with --api-key (or BILLHOOK_API_KEY / --api-key-file) was revoked and is not "
                    "accepted; starting with the API keys that still work. Remove it from the configuration.");
  }
  return std::string();
}

}  // namespace billhook::app
