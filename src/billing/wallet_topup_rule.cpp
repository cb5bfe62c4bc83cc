#include "billing/wallet_topup_rule.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "billing/subscription_period.hpp"
#include "billing/wallet.hpp"
#include "core/decimal.hpp"
#include "core/described.hpp"

namespace billhook::billing {
namespace {

using core::Decimal;
using core::Error;
using core::Result;

constexpr std::string_view kRules = "recurring_transaction_rules";

std::string field(size_t i, std::string_view name) { return fmt::format("{}.{}.{}", kRules, i, name); }

Error invalid(std::string message, std::string param) {
  return Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

Error missing(const std::string& param, std::string_view why) {
  return Error::invalid("parameter_missing", fmt::format("'{}' is required {}", param, why), param);
}

template <class E>
Result<E> word(std::string_view text, const std::string& param) {
  if (auto parsed = core::described::parse<E>(text)) return *parsed;
  std::string allowed;
  for (auto name : core::described::names_of<E>())
    allowed += allowed.empty() ? std::string(name) : fmt::format(", {}", name);
  return Error::invalid("invalid_value", fmt::format("'{}' must be one of: {}", param, allowed), param);
}

// A stored decimal (written by this file's reading, so it parses).
Decimal stored(const std::string& text) {
  auto d = Decimal::parse(text);
  return d ? *d : Decimal{};
}

// The boundary anchor + k intervals.
int64_t boundary(const RecurringTransactionRule& rule, int64_t anchor, int64_t k) {
  return add_intervals(anchor, rule.interval == TopUpInterval::weekly ? BillingInterval::week : BillingInterval::month,
                       k);
}

int64_t anchor_of(const Wallet& wallet, const RecurringTransactionRule& rule) {
  return rule.started_at.value_or(wallet.created);
}

// The first k ≥ 1 whose boundary is after `t`. A week is a fixed length, so it is computed; months are
// walked from an estimate (add_intervals clamps month ends, so boundaries always come from the anchor).
int64_t first_after(const RecurringTransactionRule& rule, int64_t anchor, int64_t t) {
  constexpr int64_t kWeek = 7 * 24 * 3600;
  int64_t k = 1;
  if (t > anchor) {
    // No boundary k is later than anchor + k·(longest interval), so this k is not past t.
    const int64_t longest = rule.interval == TopUpInterval::weekly ? kWeek : 31 * 24 * 3600;
    k = std::max<int64_t>(1, (t - anchor) / longest);
  }
  while (boundary(rule, anchor, k) <= t) ++k;
  return k;
}

}  // namespace

Result<std::vector<RecurringTransactionRule>> read_topup_rules(const std::vector<NewRecurringTransactionRule>& rules,
                                                               const Wallet& wallet) {
  if (rules.size() > kMaxTopUpRules)
    return invalid(fmt::format("a wallet has at most {} top-up rules", kMaxTopUpRules), std::string(kRules));
  std::vector<RecurringTransactionRule> out;
  for (size_t i = 0; i < rules.size(); ++i) {
    const NewRecurringTransactionRule& in = rules[i];
    RecurringTransactionRule rule;
    auto trigger = word<TopUpTrigger>(in.trigger, field(i, "trigger"));
    if (!trigger) return std::move(trigger).error();
    rule.trigger = *trigger;
    auto method = word<TopUpMethod>(in.method.value_or("fixed"), field(i, "method"));
    if (!method) return std::move(method).error();
    rule.method = *method;
    if (rule.trigger == TopUpTrigger::interval) {
      if (!in.interval) return missing(field(i, "interval"), "for an interval rule");
      auto interval = word<TopUpInterval>(*in.interval, field(i, "interval"));
      if (!interval) return std::move(interval).error();
      rule.interval = *interval;
      if (in.started_at && *in.started_at < 0)
        return invalid(fmt::format("'{}' must be a time", field(i, "started_at")), field(i, "started_at"));
      rule.started_at = in.started_at;
    }
    std::optional<Decimal> threshold;
    if (rule.trigger == TopUpTrigger::threshold) {
      if (!in.threshold_credits) return missing(field(i, "threshold_credits"), "for a threshold rule");
      auto level = Decimal::parse(*in.threshold_credits, field(i, "threshold_credits"));
      if (!level) return std::move(level).error();
      if (level->sign() < 0)
        return invalid(fmt::format("'{}' must not be negative", field(i, "threshold_credits")),
                       field(i, "threshold_credits"));
      threshold = *level;
      rule.threshold_credits = level->to_string();
    }
    // Credits are checked as a purchase checks them: > 0 and worth whole minor units at the rate.
    const auto credits = [&](const std::optional<std::string>& given,
                             std::string_view name) -> Result<std::optional<std::string>> {
      if (!given) return std::optional<std::string>{};
      if (auto ok = credits_amount(wallet, *given, field(i, name)); !ok) return std::move(ok).error();
      return std::optional<std::string>(stored(*given).to_string());
    };
    if (rule.method == TopUpMethod::fixed) {
      if (!in.paid_credits && !in.granted_credits)
        return missing(field(i, "paid_credits"), "(or granted_credits) for a fixed rule");
      auto paid = credits(in.paid_credits, "paid_credits");
      if (!paid) return std::move(paid).error();
      auto granted = credits(in.granted_credits, "granted_credits");
      if (!granted) return std::move(granted).error();
      rule.paid_credits = *paid;
      rule.granted_credits = *granted;
    } else {
      if (!in.target_ongoing_balance) return missing(field(i, "target_ongoing_balance"), "for a target rule");
      auto target = credits(in.target_ongoing_balance, "target_ongoing_balance");
      if (!target) return std::move(target).error();
      // A target at or below the threshold would fire again at once, after every top-up.
      if (threshold && stored(**target) <= *threshold)
        return invalid(fmt::format("'{}' must be above threshold_credits", field(i, "target_ongoing_balance")),
                       field(i, "target_ongoing_balance"));
      rule.target_ongoing_balance = *target;
    }
    out.push_back(std::move(rule));
  }
  return out;
}

void set_topup_rules(Wallet& wallet, std::vector<RecurringTransactionRule> rules, int64_t now) {
  wallet.recurring_transaction_rules = std::move(rules);
  wallet.topup_state.assign(wallet.recurring_transaction_rules.size(), TopUpRuleState{.last_interval_at = now});
  ++wallet.rules_version;
}

std::optional<int64_t> due_boundary(const Wallet& wallet, size_t i, int64_t now) {
  const RecurringTransactionRule& rule = wallet.recurring_transaction_rules.at(i);
  if (rule.trigger != TopUpTrigger::interval || i >= wallet.topup_state.size()) return std::nullopt;
  const int64_t anchor = anchor_of(wallet, rule);
  const int64_t after = wallet.topup_state[i].last_interval_at;
  int64_t k = first_after(rule, anchor, after);
  if (boundary(rule, anchor, k) > now) return std::nullopt;
  // The latest boundary not after now: once per jump, however many intervals it skipped.
  while (boundary(rule, anchor, k + 1) <= now) ++k;
  return boundary(rule, anchor, k);
}

std::optional<int64_t> next_topup_at(const Wallet& wallet) {
  std::optional<int64_t> next;
  for (size_t i = 0; i < wallet.recurring_transaction_rules.size() && i < wallet.topup_state.size(); ++i) {
    const RecurringTransactionRule& rule = wallet.recurring_transaction_rules[i];
    if (rule.trigger != TopUpTrigger::interval) continue;
    const int64_t anchor = anchor_of(wallet, rule);
    const int64_t at = boundary(rule, anchor, first_after(rule, anchor, wallet.topup_state[i].last_interval_at));
    if (!next || at < *next) next = at;
  }
  return next;
}

bool at_or_below_threshold(const Wallet& wallet, const RecurringTransactionRule& rule) {
  if (rule.trigger != TopUpTrigger::threshold || !rule.threshold_credits) return false;
  return stored(wallet.ongoing_credits_balance) <= stored(*rule.threshold_credits);
}

void rearm_threshold_rules(Wallet& wallet) {
  for (size_t i = 0; i < wallet.recurring_transaction_rules.size() && i < wallet.topup_state.size(); ++i) {
    const RecurringTransactionRule& rule = wallet.recurring_transaction_rules[i];
    if (rule.trigger == TopUpTrigger::threshold && !at_or_below_threshold(wallet, rule))
      wallet.topup_state[i].armed = true;
  }
}

Result<TopUp> topup_for(const Wallet& wallet, const RecurringTransactionRule& rule) {
  TopUp out;
  if (rule.method == TopUpMethod::fixed) {
    for (auto [given, credits, amount, name] :
         {std::tuple{&rule.paid_credits, &out.paid_credits, &out.paid_amount, "paid_credits"},
          std::tuple{&rule.granted_credits, &out.granted_credits, &out.granted_amount, "granted_credits"}}) {
      if (!*given) continue;
      auto worth = credits_amount(wallet, **given, name);
      if (!worth) return std::move(worth).error();
      *credits = **given;
      *amount = *worth;
    }
    return out;
  }
  // Target: the gap in minor units is exact (the target is worth whole minor units), and its credits at
  // the rate bring ongoing_credits_balance to the target exactly.
  auto target = credits_amount(wallet, *rule.target_ongoing_balance, "target_ongoing_balance");
  if (!target) return std::move(target).error();
  if (*target <= wallet.ongoing_balance) return out;
  out.paid_amount = *target - wallet.ongoing_balance;
  auto credits = credits_at_rate(wallet, out.paid_amount);
  if (!credits) return std::move(credits).error();
  out.paid_credits = std::move(*credits);
  return out;
}

}  // namespace billhook::billing
