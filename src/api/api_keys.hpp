#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/store.hpp"

namespace billhook::api {

// The API keys the server accepts, held as SHA-256 hashes: the keys themselves are shown once
// and never stored. The set is this node's copy of the store's live keys (ApiKeySync refreshes it), and
// it notes each key's uses in memory so that a request never waits for a write to record one.
class ApiKeys {
 public:
  // A new random key, "bhk_" + 48 hex characters.
  static std::string generate(core::Random& random);
  // What a key is shown by once it is stored: its first 10 characters ("bhk_" and 6 hex digits of a
  // generated key), enough to tell keys apart and far too few to guess the rest. Empty for a key so short
  // that 10 characters would be more than half of it.
  static std::string prefix_of(std::string_view key);

  // The store's live keys, read by ApiKeySync. Ignored (answers false) if this node added or removed a
  // key since `generation()` was `read_at`: the read may predate that change, and the next one will not.
  bool replace(std::vector<store::ApiKeyRecord> records, uint64_t read_at);
  // The count of add() and remove() calls so far; read before reading the store for replace().
  uint64_t generation() const;
  // A key this node created (or revoked) and committed: effective here at once.
  void add(store::ApiKeyRecord record);
  void remove(std::string_view id);

  bool empty() const;
  bool contains(std::string_view id) const;
  // The id of the key `presented` hashes to, if any.
  std::optional<std::string> authenticate(std::string_view presented) const;

  // Records that key `id` was used at `now_ms` (in memory; ApiKeySync writes it out).
  void note_use(std::string_view id, int64_t now_ms);
  // The key's last use as far as this node knows: the stored one or a later use seen here.
  std::optional<int64_t> last_used_ms(std::string_view id, std::optional<int64_t> stored) const;
  // The uses noted since the last call, latest per key, for writing to the store.
  std::vector<std::pair<std::string, int64_t>> take_unwritten_uses();
  // A use taken but not written after all, to be taken again.
  void requeue_use(const std::string& id, int64_t used_ms);

 private:
  mutable std::mutex mutex_;
  std::vector<store::ApiKeyRecord> records_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, int64_t> used_ms_;  // latest use seen on this node, by key id
  std::unordered_map<std::string, int64_t> unwritten_;
};

}  // namespace billhook::api
