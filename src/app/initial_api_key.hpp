#pragma once

// The API key a server starts with: the one given with --api-key (stored if new), or, on a first start
// without one, a new key that the caller shows once.

#include <cstdint>
#include <string>

#include "api/api_keys.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::app {

// Loads the stored keys into `keys` and makes sure at least one works. Answers the key minted on a first
// start (to be shown once), or an empty string. Several nodes starting at once with the same --api-key
// all succeed: the first to commit stores it and the others read it back. A --api-key revoked through
// the API stays revoked: the start goes on without it, with a warning in the log.
core::Result<std::string> ensure_api_key(const std::string& configured_key, store::Store& store, api::ApiKeys& keys,
                                         core::IdGenerator& ids, core::Random& random, int64_t now_ms);

}  // namespace billhook::app
