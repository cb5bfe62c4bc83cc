#pragma once

// A customer's mirror at the payment provider, as a job (DOMAINS.md §5): one registered document per
// customer (kind "provider_sync", id `psync_<the customer id's ULID>`), written in the transaction
// that created or changed the customer, so no change is lost to a crash before it is mirrored; the
// document clock then works it after the commit (provider_sync_service.hpp).
//
// `version` counts the changes of the fields the provider holds (a balance move is not one); each
// version is synced once. A failed attempt is retried after kProviderSyncRetryDelays (1 min, 5 min,
// 30 min, 2 h, 2 h), kMaxProviderSyncAttempts in all; then it stays failed until the customer changes
// again or a retry is asked for. A newer version starts the count over.
//
//   pending ──attempt ok──▶ synced ──customer changed──▶ pending
//      │                                                  ▲
//      └──attempt refused──▶ failed ──retry due / asked / customer changed
//                              │ (attempt refused again: failed, later retry or none)

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>

#include "billing/payment_provider.hpp"
#include "billing/registry/document_kind.hpp"

namespace billhook::billing {

enum class ProviderSyncStatus { pending, synced, failed };
BOOST_DESCRIBE_ENUM(ProviderSyncStatus, pending, synced, failed)

// Delays before the 2nd, 3rd, … attempt at one version, in seconds.
inline constexpr std::array<int64_t, 5> kProviderSyncRetryDelays = {60, 300, 1800, 7200, 7200};
inline constexpr int64_t kMaxProviderSyncAttempts = kProviderSyncRetryDelays.size() + 1;

struct ProviderSync {
  std::string id;
  std::string customer;
  std::string provider;  // the provider's name ("sandbox")
  ProviderSyncStatus status = ProviderSyncStatus::pending;
  int64_t version = 0;                   // the customer's version the provider should have
  std::optional<int64_t> synced_version;  // the last version it has
  int64_t attempts = 0;                   // failed attempts at `version` (since a retry was asked)
  std::optional<int64_t> next_attempt_at;  // unix seconds; null: nothing to do until a change
  std::optional<std::string> provider_customer_id;
  std::optional<int64_t> synced_at;
  std::optional<ProviderError> last_error;  // of the last failed attempt; cleared by a success
  int64_t created = 0;
  int64_t updated = 0;
  // Kept, not shown: a hash of the mirrored fields of `version` (a change of anything else is no new
  // version), and every attempt ever made, which keys each attempt's exactly-once claim.
  std::string fingerprint;
  int64_t tries = 0;
};
BOOST_DESCRIBE_STRUCT(ProviderSync, (),
                      (id, customer, provider, status, version, synced_version, attempts, next_attempt_at,
                       provider_customer_id, synced_at, last_error, created, updated, fingerprint, tries))

// Looked up by customer and status; due at next_attempt_at.
extern const DocumentKind<ProviderSync> kProviderSyncs;

// The job's id for a customer: one job per customer, found without a search.
std::string provider_sync_id(std::string_view customer_id);

// What the provider holds of a customer's API JSON, as one hash: name, email, locale, currency,
// address, tax id and metadata.
std::string mirrored_fingerprint(const boost::json::object& customer);

// A new job for `customer`, wanting its first version now.
ProviderSync new_provider_sync(std::string_view customer_id, std::string_view provider, std::string fingerprint,
                               int64_t now);
// The customer changed: a new version is due now when a mirrored field did. False: no change to sync.
bool want_version(ProviderSync& sync, std::string fingerprint, int64_t now);
// An attempt worked: `version` is synced under `provider_customer_id`.
void record_synced(ProviderSync& sync, std::string provider_customer_id, int64_t now);
// An attempt was refused: failed, the next attempt after the backoff, or none after the last.
void record_failed(ProviderSync& sync, ProviderError error, int64_t now);
// The delay before the next attempt after `failed_attempts` failures; nullopt once they are used up.
std::optional<int64_t> provider_sync_retry_delay(int64_t failed_attempts);
// A retry asked for: a failed job is due now with a fresh count of attempts. Only a failed job can be
// retried (a synced version is never sent twice); false otherwise, and nothing changes.
bool retry_now(ProviderSync& sync, int64_t now);

}  // namespace billhook::billing
