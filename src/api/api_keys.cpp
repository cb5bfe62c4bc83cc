#include "api/api_keys.hpp"

#include <span>

#include "core/crypto.hpp"

namespace billhook::api {

std::string ApiKeys::generate(core::Random& random) {
  std::string bytes(24, '\0');
  random.fill(std::as_writable_bytes(std::span(bytes.data(), bytes.size())));
  return "bhk_" + core::to_hex(bytes);
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
