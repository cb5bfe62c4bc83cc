#pragma once

// A wallet's top-up rules at work (wallet_topup_rule.hpp), in the caller's write transaction: each firing
// is claimed once (`tx.claim_once`) in the transaction that makes its wallet transactions, so two nodes,
// or a node restarted mid-run, cannot both top up for the same trigger. The claim keys carry the rules'
// version (bumped whenever the rules are set) and the rule's index, then the interval boundary or the
// threshold rule's crossing number. Paid credits are bought through the one purchase path
// (wallet_purchase.hpp), granted ones settle at once; each transaction is tagged with its rule's trigger.

#include <string>

#include "billing/billing_service.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// After a usage intake or an invoice's draw changed the wallet's ongoing balance: every armed threshold
// rule now at or below its level fires once and is disarmed (saved before it buys, so that the top-up's
// own settlement re-arms it only if it takes the balance back above the level).
core::Status apply_threshold_rules(BillingService& billing, store::WriteTx& tx, const std::string& wallet_id,
                                   const Origin& origin);

// On the wallet's wake: every interval rule with a boundary come since its last top-up fires once, for
// the latest such boundary (a clock jump over several intervals tops up once).
core::Status apply_interval_rules(BillingService& billing, store::WriteTx& tx, const std::string& wallet_id,
                                  const Origin& origin);

}  // namespace billhook::billing
