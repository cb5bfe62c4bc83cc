#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"

namespace billhook::core {

// Ids look like `evt_01JD3Y8F6W5Q2N4M7K9C1B3X5Z`: a type prefix, then a ULID in Crockford
// base32 (48 bits of unix milliseconds, 80 random bits). They sort by creation time, which
// is what makes them usable as pagination cursors, and the prefix says what they name.
enum class IdKind { event, endpoint, delivery, attempt, invoice, customer, payment_method, payment,
                    refund, credit_note, request, api_key, invoice_batch, dispute, balance_transaction, plan, subscription,
                    pdf, hosted_link, provider_sync, billable_metric, usage_event, usage_event_error,
                    settlement_batch, payment_settlement, basket, commission, commission_rule,
                    fee, wallet, wallet_transaction };

std::string_view id_prefix(IdKind kind);

// True if `text` is `<prefix>_` followed by 26 Crockford base32 characters.
bool is_valid_id(IdKind kind, std::string_view text);

// An id of `kind` whose ULID is given rather than minted: 48 bits of unix milliseconds and the low 64
// of the random part (its top 16 are zero). For a document found by what it is about rather than by a
// search: the settlement batch of one payout day and currency has one id on every node.
std::string derived_id(IdKind kind, uint64_t ms, uint64_t low64);

// Checks an id taken from a request; the error names `param` and says what an id looks like.
Status check_id(IdKind kind, std::string_view text, std::string_view param);

// Mints ids that increase strictly within one process, even within one millisecond.
class IdGenerator {
 public:
  IdGenerator(const Clock& clock, Random& random) : clock_(clock), random_(random) {}
  std::string next(IdKind kind);

 private:
  const Clock& clock_;
  Random& random_;
  std::mutex mutex_;
  uint64_t last_ms_ = 0;
  uint64_t last_high_ = 0;  // top 16 of the 80 random bits
  uint64_t last_low_ = 0;   // low 64 of the 80 random bits
};

}  // namespace billhook::core
