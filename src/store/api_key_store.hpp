#pragma once

// What the API key management (/v1/api-keys) needs of a store beyond Store::api_keys() and
// WriteTx::insert_api_key, which starting a server uses: the keys with their prefix and last use, a
// revocation, and last uses written in the background. Kept apart from store.hpp's interfaces, which the
// rest of billhook works with, so that none of it depends on API key management; both SQL backends'
// Store and WriteTx implement these too, and api_key_reads()/api_key_writes() find them.
//
// A revoked key keeps its row (its hash stays taken, so a server started again with it as --api-key does
// not bring it back) but is live no more: Store::api_keys() and these reads leave it out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::store {

struct ApiKeyInfo {
  ApiKeyRecord key;    // key.label is the key's name
  std::string prefix;  // the key's first characters, to recognise it by; empty for keys made before migration 11
  std::optional<int64_t> last_used_ms;
};

class ApiKeyReads {
 public:
  virtual ~ApiKeyReads() = default;
  // The live keys, newest first, as the other lists.
  virtual core::Result<Page<ApiKeyInfo>> list_api_keys(const PageRequest& page) = 0;
  // The live key with this id, if there is one.
  virtual core::Result<std::optional<ApiKeyInfo>> find_api_key(std::string_view id) = 0;
};

class ApiKeyWrites {
 public:
  virtual ~ApiKeyWrites() = default;
  // As WriteTx::insert_api_key, with the key's prefix: conflict if its hash is taken (by a live key or a
  // revoked one).
  virtual core::Status insert_api_key(const ApiKeyRecord& record, std::string_view prefix) = 0;
  // Revokes the live key `id` at `now_ms`: not_found ("api_key_not_found") if no live key has that id,
  // conflict ("last_api_key") if it is the only live key, so the API can never be locked. The live keys
  // are held until the transaction ends, so two nodes revoking the last two keys at once cannot both win.
  virtual core::Status revoke_api_key(std::string_view id, int64_t now_ms) = 0;
  // Moves the key's last use forward to `used_ms` (never back); a key that is gone is no error.
  virtual core::Status note_api_key_used(std::string_view id, int64_t used_ms) = 0;
};

// The API key management of a store or of one of its transactions; null for a backend without it.
inline ApiKeyReads* api_key_reads(Store& store) { return dynamic_cast<ApiKeyReads*>(&store); }
inline ApiKeyWrites* api_key_writes(WriteTx& tx) { return dynamic_cast<ApiKeyWrites*>(&tx); }

// The error for a backend without it.
inline core::Error no_api_key_management() {
  return core::Error::internal("this store does not keep managed API keys");
}

}  // namespace billhook::store
