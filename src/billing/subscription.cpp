#include "billing/subscription.hpp"

#include <algorithm>

#include "core/money.hpp"

namespace billhook::billing {
namespace {

DocumentLookup subscription_lookup(const Subscription& sub) {
  return {.customer_id = sub.customer,
          .parent_id = sub.plan,
          .status = std::string(core::described::name_of(sub.status)),
          .wake_at = subscription_wake_at(sub)};
}

std::optional<int64_t> earliest(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

const DocumentKind<Subscription> kSubscriptions{.kind = "subscription",
                                                .noun = "subscription",
                                                .id_kind = core::IdKind::subscription,
                                                .hidden_fields = {"upcoming_at", "collection_check_at", "request_id", "idempotency_key"},
                                                .lookup = &subscription_lookup};

bool is_live(SubscriptionStatus status) {
  switch (status) {
    case SubscriptionStatus::pending:
    case SubscriptionStatus::trialing:
    case SubscriptionStatus::active:
    case SubscriptionStatus::past_due: return true;
    case SubscriptionStatus::completed:
    case SubscriptionStatus::canceled:
    case SubscriptionStatus::terminated: return false;
  }
  return false;
}

bool is_billed(SubscriptionStatus status) {
  return status == SubscriptionStatus::active || status == SubscriptionStatus::past_due;
}

std::optional<int64_t> subscription_wake_at(const Subscription& sub) {
  switch (sub.status) {
    case SubscriptionStatus::pending: return earliest(sub.start_date, sub.ending_at);
    case SubscriptionStatus::trialing: return earliest(earliest(sub.trial_end, sub.ending_at), sub.upcoming_at);
    case SubscriptionStatus::active:
      return earliest(earliest(earliest(sub.current_period_end, sub.ending_at), sub.upcoming_at),
                      sub.collection_check_at);
    case SubscriptionStatus::past_due: return earliest(earliest(sub.current_period_end, sub.ending_at), sub.upcoming_at);
    case SubscriptionStatus::completed:
    case SubscriptionStatus::canceled:
    case SubscriptionStatus::terminated: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Period> current_period(const Subscription& sub) {
  if (!sub.current_period_start || !sub.current_period_end) return std::nullopt;
  return Period{*sub.current_period_start, *sub.current_period_end};
}

core::Result<int64_t> period_amount(const Subscription& sub) {
  return core::line_amount(sub.quantity * 1000, sub.amount);
}

}  // namespace billhook::billing
