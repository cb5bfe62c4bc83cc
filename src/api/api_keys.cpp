#include "api/api_keys.hpp"

#include <algorithm>
#include <span>

#include "core/crypto.hpp"

namespace billhook::api {
namespace {
constexpr size_t kPrefixLength = 10;
}  // namespace

std::string ApiKeys::generate(core::Random& random) {
  std::string bytes(24, '\0');
  random.fill(std::as_writable_bytes(std::span(bytes.data(), bytes.size())));
  return "bhk_" + core::to_hex(bytes);
}

std::string ApiKeys::prefix_of(std::string_view key) {
  if (key.size() < 2 * kPrefixLength) return {};
  return std::string(key.substr(0, kPrefixLength));
}

bool ApiKeys::replace(std::vector<store::ApiKeyRecord> records, uint64_t read_at) {
  std::lock_guard lock(mutex_);
  if (read_at != generation_) return false;
  records_ = std::move(records);
  // Uses of keys that are gone no longer matter (those not yet written are dropped: the row is revoked).
  std::erase_if(used_ms_, [this](const auto& item) {
    return std::none_of(records_.begin(), records_.end(), [&](const auto& r) { return r.id == item.first; });
  });
  return true;
}

uint64_t ApiKeys::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void ApiKeys::add(store::ApiKeyRecord record) {
  std::lock_guard lock(mutex_);
  ++generation_;
  records_.push_back(std::move(record));
}

void ApiKeys::remove(std::string_view id) {
  std::lock_guard lock(mutex_);
  ++generation_;
  std::erase_if(records_, [id](const auto& r) { return r.id == id; });
}

bool ApiKeys::empty() const {
  std::lock_guard lock(mutex_);
  return records_.empty();
}

bool ApiKeys::contains(std::string_view id) const {
  std::lock_guard lock(mutex_);
  return std::any_of(records_.begin(), records_.end(), [id](const auto& r) { return r.id == id; });
}

std::optional<std::string> ApiKeys::authenticate(std::string_view presented) const {
  const std::string hash = core::sha256_hex(presented);
  std::lock_guard lock(mutex_);
  std::optional<std::string> found;
  // Every key is compared, in constant time, so the answer's timing says nothing about which matched.
  for (const auto& r : records_)
    if (core::constant_time_equal(r.hash, hash)) found = r.id;
  return found;
}

void ApiKeys::note_use(std::string_view id, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto [it, added] = used_ms_.try_emplace(std::string(id), now_ms);
  if (!added) {
    if (it->second >= now_ms) return;
    it->second = now_ms;
  }
  unwritten_[it->first] = now_ms;
}

std::optional<int64_t> ApiKeys::last_used_ms(std::string_view id, std::optional<int64_t> stored) const {
  std::lock_guard lock(mutex_);
  const auto it = used_ms_.find(std::string(id));
  if (it == used_ms_.end()) return stored;
  return stored ? std::max(*stored, it->second) : it->second;
}

std::vector<std::pair<std::string, int64_t>> ApiKeys::take_unwritten_uses() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, int64_t>> out(unwritten_.begin(), unwritten_.end());
  unwritten_.clear();
  return out;
}

void ApiKeys::requeue_use(const std::string& id, int64_t used_ms) {
  std::lock_guard lock(mutex_);
  auto [it, added] = unwritten_.try_emplace(id, used_ms);
  if (!added) it->second = std::max(it->second, used_ms);
}

}  // namespace billhook::api
