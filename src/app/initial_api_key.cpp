#include "app/initial_api_key.hpp"

#include <utility>

#include "core/crypto.hpp"

namespace billhook::app {
namespace {

core::Status reload(store::Store& store, api::ApiKeys& keys) {
  auto stored = store.api_keys();
  if (!stored) return std::move(stored).error();
  keys.replace(std::move(*stored));
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
  auto written = store.write_and_wait([&record](store::WriteTx& tx) { return tx.insert_api_key(record); });
  if (written) {
    keys.add(std::move(record));
    return configured_key.empty() ? new_key : std::string();
  }
  // Another node given the same --api-key stored it between our read and our insert (its hash is unique):
  // the key is in the store all the same, which is all this start needs.
  if (written.error().kind != core::ErrorKind::conflict || configured_key.empty()) return std::move(written).error();
  if (auto s = reload(store, keys); !s) return std::move(s).error();
  if (!keys.authenticate(configured_key)) return std::move(written).error();
  return std::string();
}

}  // namespace billhook::app
