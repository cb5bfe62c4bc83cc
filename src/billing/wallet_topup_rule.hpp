#pragma once

// A wallet's top-up rules (DOMAINS.md §3, issue 16 item 5; Lago's `recurring_transaction_rules`), pure:
// the rules as a request gives them, read into the stored form with errors naming
// `recurring_transaction_rules.<i>.<field>`, when an interval rule is next due, what a rule buys, and the
// threshold rules' arming.
//
//   trigger interval:  every week or month from `started_at` (else the wallet's creation): a top-up at each
//                      boundary anchor + k·interval (k ≥ 1) after the rules were set. A clock that jumps over
//                      several boundaries tops up once, for the latest: a top-up refills the wallet for the
//                      interval ahead, and charging a card for intervals already gone would not.
//   trigger threshold: when the ongoing balance in credits is at or below `threshold_credits` after a usage
//                      intake or an invoice's draw, once; the rule re-arms only when a change of the wallet
//                      takes the ongoing balance back above the threshold (`TopUpRuleState::armed`).
//   method fixed:      `paid_credits` (bought as POST …/transactions buys) and/or `granted_credits`.
//   method target:     paid credits worth exactly what brings the ongoing balance up to
//                      `target_ongoing_balance` (nothing when it is there already).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>

#include "core/result.hpp"

namespace billhook::billing {

struct Wallet;

enum class TopUpTrigger { interval, threshold };
BOOST_DESCRIBE_ENUM(TopUpTrigger, interval, threshold)
enum class TopUpInterval { weekly, monthly };
BOOST_DESCRIBE_ENUM(TopUpInterval, weekly, monthly)
enum class TopUpMethod { fixed, target };
BOOST_DESCRIBE_ENUM(TopUpMethod, fixed, target)

// At most this many rules on a wallet.
inline constexpr size_t kMaxTopUpRules = 5;

// A rule as stored and shown on the wallet (credits as exact decimal strings).
struct RecurringTransactionRule {
  TopUpTrigger trigger = TopUpTrigger::interval;
  std::optional<TopUpInterval> interval;
  std::optional<int64_t> started_at;
  std::optional<std::string> threshold_credits;
  TopUpMethod method = TopUpMethod::fixed;
  std::optional<std::string> paid_credits;
  std::optional<std::string> granted_credits;
  std::optional<std::string> target_ongoing_balance;
  bool operator==(const RecurringTransactionRule&) const = default;
};
BOOST_DESCRIBE_STRUCT(RecurringTransactionRule, (),
                      (trigger, interval, started_at, threshold_credits, method, paid_credits, granted_credits,
                       target_ongoing_balance))

// What time and the balance did to a rule (kept on the wallet, not shown), index for index with the rules.
struct TopUpRuleState {
  bool armed = true;             // threshold: may fire (cleared by firing, set again above the threshold)
  int64_t crossings = 0;         // threshold: firings so far, keying each firing's claim
  int64_t last_interval_at = 0;  // interval: boundaries up to this one are done (the rules' setting at first)
  bool operator==(const TopUpRuleState&) const = default;
};
BOOST_DESCRIBE_STRUCT(TopUpRuleState, (), (armed, crossings, last_interval_at))

// A rule as a request gives it: words checked here so that the error names the field.
struct NewRecurringTransactionRule {
  std::string trigger;
  std::optional<std::string> interval;
  std::optional<int64_t> started_at;
  std::optional<std::string> threshold_credits;
  std::optional<std::string> method;  // fixed when absent
  std::optional<std::string> paid_credits;
  std::optional<std::string> granted_credits;
  std::optional<std::string> target_ongoing_balance;
};
BOOST_DESCRIBE_STRUCT(NewRecurringTransactionRule, (),
                      (trigger, interval, started_at, threshold_credits, method, paid_credits, granted_credits,
                       target_ongoing_balance))

// The rules of a request for `wallet` (its rate decides which credits are whole minor units).
// invalid_request naming `recurring_transaction_rules[.<i>.<field>]`: too many rules, an unknown trigger,
// interval or method, an interval rule without its interval, a threshold missing or negative, a fixed rule
// with no credits, credits not > 0 or not worth whole minor units, a target missing or, on a threshold
// rule, not above the threshold.
core::Result<std::vector<RecurringTransactionRule>> read_topup_rules(
    const std::vector<NewRecurringTransactionRule>& rules, const Wallet& wallet);

// `wallet` with `rules` in place of its rules, from `now`: fresh states (armed; interval boundaries up to
// now done) under a new rules version, so that no claim of the old rules is mistaken for theirs.
void set_topup_rules(Wallet& wallet, std::vector<RecurringTransactionRule> rules, int64_t now);

// The latest boundary of an interval rule in (state.last_interval_at, now], if any.
std::optional<int64_t> due_boundary(const Wallet& wallet, size_t rule, int64_t now);

// The earliest moment an interval rule of an active wallet is next due (none without interval rules).
std::optional<int64_t> next_topup_at(const Wallet& wallet);

// Whether the wallet's ongoing credits are at or below a threshold rule's level.
bool at_or_below_threshold(const Wallet& wallet, const RecurringTransactionRule& rule);

// Arms every threshold rule whose level the ongoing balance is above (a change of the wallet took it there).
void rearm_threshold_rules(Wallet& wallet);

// What one firing of a rule adds: credits as exact decimals with their worth in minor units (0: none).
struct TopUp {
  std::string paid_credits;
  int64_t paid_amount = 0;
  std::string granted_credits;
  int64_t granted_amount = 0;
};
core::Result<TopUp> topup_for(const Wallet& wallet, const RecurringTransactionRule& rule);

}  // namespace billhook::billing
