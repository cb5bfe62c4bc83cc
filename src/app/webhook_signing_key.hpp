#pragma once

// The installation's RSA key pair for webhook signatures receivers verify with a public key (Lago's JWT).
// One per installation, not per node: kept in the store (a "settings" document), so every node on one
// PostgreSQL database signs with the same key and GET /v1/webhooks/public_key answers the same on each.

#include <cstdint>

#include "core/result.hpp"
#include "core/rsa_key.hpp"
#include "store/store.hpp"

namespace billhook::app {

// The stored key; on the first start, a new one, stored before it is used. When several nodes start at
// once, the first to commit wins and the others read its key back.
core::Result<core::RsaKey> ensure_webhook_signing_key(store::Store& store, int64_t now_ms);

}  // namespace billhook::app
