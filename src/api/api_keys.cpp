#include "api/api_keys.hpp"

#include <array>

#include "core/crypto.hpp"

namespace billhook::api {

std::string ApiKeys::generate(core::Random& random) {
  std::array<std::byte, 24> bytes{};
  random.fill(bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key = "bhk_";
  for (auto b : bytes) {
    key.push_back(kHex[static_cast<unsigned>(b) >> 4]);
    key.push_back(kHex[static_cast<unsigned>(b) & 0xF]);
  }
  return key;
}

void ApiKeys::replace(std::vector<store::ApiKeyRecord> records) {
  std::lock_guard lock(mutex_);
  records_ = std::move(records);
}

void ApiKeys::add(store::ApiKeyRecord record) {
  std::lock_guard lock(mutex_);
  records_.push_back(std::move(record));
}

bool ApiKeys::empty() const {
  std::lock_guard lock(mutex_);
  return records_.empty();
}

std::optional<std::string> ApiKeys::authenticate(std::string_view presented) const {
  const std::string hash = core::sha256_hex(presented);
  std::lock_guard lock(mutex_);
  std::optional<std::string> found;
  for (const auto& r : records_)
    if (core::constant_time_equal(r.hash, hash)) found = r.id;
  return found;
}

}  // namespace billhook::api
