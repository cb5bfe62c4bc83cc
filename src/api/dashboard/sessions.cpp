#include "api/dashboard/sessions.hpp"

#include <span>

#include "core/crypto.hpp"

namespace billhook::api::dashboard {
namespace {
constexpr size_t kTokenBytes = 32;
}  // namespace

Sessions::Sessions(const core::Clock& clock, core::Random& random, std::chrono::seconds lifetime, size_t max_sessions)
    : clock_(clock), random_(random), lifetime_(lifetime), max_sessions_(max_sessions) {}

std::string Sessions::random_token() {
  std::string bytes(kTokenBytes, '\0');
  random_.fill(std::as_writable_bytes(std::span(bytes)));
  return core::to_hex(bytes);
}

OpenedSession Sessions::open(std::string api_key_id) {
  OpenedSession opened{random_token(), random_token()};
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  if (by_hash_.size() >= max_sessions_) drop_expired(now);
  // Still full: the oldest-expiring session makes room, so sign-ins can never be locked out.
  if (by_hash_.size() >= max_sessions_) {
    auto oldest = by_hash_.begin();
    for (auto it = by_hash_.begin(); it != by_hash_.end(); ++it)
      if (it->second.expires < oldest->second.expires) oldest = it;
    by_hash_.erase(oldest);
  }
  by_hash_[core::sha256_hex(opened.token)] = Session{std::move(api_key_id), opened.csrf_token, now + lifetime_};
  return opened;
}

std::optional<Session> Sessions::find(std::string_view token) {
  if (token.empty()) return std::nullopt;
  const std::string hash = core::sha256_hex(token);
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    by_hash_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::revoke(std::string_view token) {
  if (token.empty()) return;
  const std::string hash = core::sha256_hex(token);
  std::lock_guard lock(mutex_);
  by_hash_.erase(hash);
}

void Sessions::drop_expired(core::TimePoint now) {
  std::erase_if(by_hash_, [now](const auto& item) { return item.second.expires <= now; });
}

}  // namespace billhook::api::dashboard
