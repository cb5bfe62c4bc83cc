#pragma once

// The dashboard's sign-ins, held by the server: a session is a random token (kept only as its SHA-256)
// tied to the API key that opened it, with its own CSRF token. It ends when it expires, when it is
// signed out, when its API key is revoked (Front checks the key at each use), or when the server
// restarts (sessions are not stored), whichever comes first.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/random.hpp"

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
  Sessions(const core::Clock& clock, core::Random& random, std::chrono::seconds lifetime,
           size_t max_sessions = 10000);

  OpenedSession open(std::string api_key_id);
  // The live session of `token`, if any; an expired one is forgotten.
  std::optional<Session> find(std::string_view token);
  // Ends the session of `token` (signing out); unknown tokens are ignored.
  void revoke(std::string_view token);

  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  std::string random_token();
  void drop_expired(core::TimePoint now);

  const core::Clock& clock_;
  core::Random& random_;
  const std::chrono::seconds lifetime_;
  const size_t max_sessions_;
  std::mutex mutex_;
  std::unordered_map<std::string, Session> by_hash_;  // SHA-256 of the token, hex → session
};

}  // namespace billhook::api::dashboard
