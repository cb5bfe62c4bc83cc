#pragma once

// The dashboard's sign-ins: a session is a random token tied to the API key that opened it, with its own
// CSRF token. Sessions are kept in the store (store/dashboard_session_store.hpp), found by the token's
// SHA-256, so every node on one database knows each of them and a sign-out on one node ends the session on
// all. A session ends when it expires, when it is signed out, or when its API key is revoked (Front checks
// the key at each use), whichever comes first; it outlives a restart.
//
// Opening and ending a session wait for their write to commit, on the thread that asked: a sign-in or a
// sign-out is rare, and its answer must not be sent before the session is stored (or gone).

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "store/dashboard_session_store.hpp"
#include "store/store.hpp"

namespace billhook::api::dashboard {

struct Session {
  std::string api_key_id;
  std::string csrf_token;
  core::TimePoint expires;
};

// What a new session hands the browser: the cookie's value and the token its forms and fetches send.
struct OpenedSession {
  std::string token;
  std::string csrf_token;
};

class Sessions {
 public:
  // At most `max_sessions` live at once: a new one past that ends those closest to expiring.
  Sessions(store::Store& store, const core::Clock& clock, core::Random& random, std::chrono::seconds lifetime,
           size_t max_sessions = 10000);

  core::Result<OpenedSession> open(std::string_view api_key_id);
  // The live session of `token`, if any.
  core::Result<std::optional<Session>> find(std::string_view token);
  // Ends the session of `token` (signing out); unknown tokens are ignored.
  core::Status revoke(std::string_view token);

  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  std::string random_token();
  // Runs `change` on the store's sessions in a write, and waits for its commit.
  core::Status write(const std::function<core::Status(store::DashboardSessionWrites&)>& change);

  store::Store& store_;
  const core::Clock& clock_;
  core::Random& random_;
  const std::chrono::seconds lifetime_;
  const size_t max_sessions_;
};

}  // namespace billhook::api::dashboard
