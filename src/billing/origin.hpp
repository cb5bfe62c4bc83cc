#pragma once

#include <string>

namespace billhook::billing {

// Where a change came from (the API request that asked for it); copied onto the events it causes.
// Empty for what time does by itself.
struct Origin {
  std::string request_id;
  std::string idempotency_key;
};

}  // namespace billhook::billing
