#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/store.hpp"

namespace billhook::api {

// The API keys the server accepts, held as SHA-256 hashes: the keys themselves are shown once
// and never stored.
class ApiKeys {
 public:
  // A new random key, "bhk_" + 48 hex characters.
  static std::string generate(core::Random& random);

  void replace(std::vector<store::ApiKeyRecord> records);
  void add(store::ApiKeyRecord record);
  bool empty() const;
  // The id of the key `presented` hashes to, if any.
  std::optional<std::string> authenticate(std::string_view presented) const;

 private:
  mutable std::mutex mutex_;
  std::vector<store::ApiKeyRecord> records_;
};

}  // namespace billhook::api
