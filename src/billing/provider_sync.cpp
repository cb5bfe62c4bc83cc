#include "billing/provider_sync.hpp"

#include <boost/json.hpp>

#include "core/crypto.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

DocumentLookup provider_sync_lookup(const ProviderSync& sync) {
  return {.customer_id = sync.customer,
          .parent_id = "",
          .status = std::string(core::described::name_of(sync.status)),
          .wake_at = sync.next_attempt_at};
}

}  // namespace

const DocumentKind<ProviderSync> kProviderSyncs{.kind = "provider_sync",
                                                .noun = "provider sync",
                                                .id_kind = core::IdKind::provider_sync,
                                                .hidden_fields = {"fingerprint", "tries"},
                                                .lookup = &provider_sync_lookup};

std::string provider_sync_id(std::string_view customer_id) {
  const auto underscore = customer_id.find('_');
  const std::string_view ulid = underscore == std::string_view::npos ? customer_id : customer_id.substr(underscore + 1);
  return std::string(core::id_prefix(core::IdKind::provider_sync)) + "_" + std::string(ulid);
}

std::string mirrored_fingerprint(const json::object& customer) {
  json::object mirrored;
  for (std::string_view key : {"name", "email", "locale", "currency", "address", "tax_id", "metadata"})
    if (const auto* v = customer.if_contains(key)) mirrored[key] = *v;
  return core::sha256_hex(json::serialize(mirrored));
}

ProviderSync new_provider_sync(std::string_view customer_id, std::string_view provider, std::string fingerprint,
                               int64_t now) {
  return {.id = provider_sync_id(customer_id),
          .customer = std::string(customer_id),
          .provider = std::string(provider),
          .status = ProviderSyncStatus::pending,
          .version = 1,
          .synced_version = std::nullopt,
          .attempts = 0,
          .next_attempt_at = now,
          .provider_customer_id = std::nullopt,
          .synced_at = std::nullopt,
          .last_error = std::nullopt,
          .created = now,
          .updated = now,
          .fingerprint = std::move(fingerprint),
          .tries = 0};
}

bool want_version(ProviderSync& sync, std::string fingerprint, int64_t now) {
  if (fingerprint == sync.fingerprint) return false;
  sync.fingerprint = std::move(fingerprint);
  ++sync.version;
  sync.status = ProviderSyncStatus::pending;
  sync.attempts = 0;
  sync.next_attempt_at = now;
  sync.updated = now;
  return true;
}

void record_synced(ProviderSync& sync, std::string provider_customer_id, int64_t now) {
  ++sync.tries;
  sync.status = ProviderSyncStatus::synced;
  sync.synced_version = sync.version;
  sync.provider_customer_id = std::move(provider_customer_id);
  sync.synced_at = now;
  sync.last_error.reset();
  sync.next_attempt_at.reset();
  sync.updated = now;
}

std::optional<int64_t> provider_sync_retry_delay(int64_t failed_attempts) {
  if (failed_attempts < 1 || failed_attempts >= kMaxProviderSyncAttempts) return std::nullopt;
  return kProviderSyncRetryDelays[static_cast<size_t>(failed_attempts - 1)];
}

void record_failed(ProviderSync& sync, ProviderError error, int64_t now) {
  ++sync.tries;
  ++sync.attempts;
  sync.status = ProviderSyncStatus::failed;
  sync.last_error = std::move(error);
  const auto delay = provider_sync_retry_delay(sync.attempts);
  sync.next_attempt_at = delay ? std::optional<int64_t>(now + *delay) : std::nullopt;
  sync.updated = now;
}

bool retry_now(ProviderSync& sync, int64_t now) {
  if (sync.status != ProviderSyncStatus::failed) return false;
  sync.attempts = 0;
  sync.next_attempt_at = now;
  sync.updated = now;
  return true;
}

}  // namespace billhook::billing
