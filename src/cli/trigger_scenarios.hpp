#pragma once

// `billhook trigger`'s table: for every event type the engine emits, one small scenario that drives the
// real engine through the API the way production produces that event.

#include <span>
#include <string_view>

#include "cli/trigger_driver.hpp"

namespace billhook::cli {

using ScenarioFn = void (*)(TriggerDriver&);

struct TriggerScenario {
  std::string_view event_type;
  std::string_view how;  // one line for `trigger --list`
  ScenarioFn run;
};

std::span<const TriggerScenario> trigger_scenarios();
// The scenario for `event_type`, or nullptr.
const TriggerScenario* find_trigger_scenario(std::string_view event_type);

// The scenarios, by domain (trigger_*_scenarios.cpp).
namespace scenarios {
// invoices and their payments
void issued_invoice(TriggerDriver& d);
void updated_draft(TriggerDriver& d);
void refreshed_draft(TriggerDriver& d);
void failed_finalization(TriggerDriver& d);
void adjusted_invoice(TriggerDriver& d);
void moved_due_date(TriggerDriver& d);
void duplicated_invoice(TriggerDriver& d);
void uncollectible_invoice(TriggerDriver& d);
void voided_invoice(TriggerDriver& d);
void deleted_draft(TriggerDriver& d);
void credited_invoice(TriggerDriver& d);
void paid_by_card(TriggerDriver& d);
void declined_card(TriggerDriver& d);
void expired_card(TriggerDriver& d);
void no_card(TriggerDriver& d);
void swapped_card(TriggerDriver& d);
void restored_card(TriggerDriver& d);
void needs_3ds(TriggerDriver& d);
void capture_fails(TriggerDriver& d);
void paid_with_fallback(TriggerDriver& d);
void partially_paid(TriggerDriver& d);
void overpaid(TriggerDriver& d);
void refund(TriggerDriver& d);
void confirmed_refund(TriggerDriver& d);
void failed_refund(TriggerDriver& d);
void dispute_opened(TriggerDriver& d);
void dispute_won(TriggerDriver& d);
void dispute_lost(TriggerDriver& d);
void due_soon(TriggerDriver& d);
void overdue(TriggerDriver& d);
void overdue_reminder(TriggerDriver& d);
void invoice_pdf(TriggerDriver& d);
void invoice_pdf_again(TriggerDriver& d);
void shared_invoice(TriggerDriver& d);
void proforma(TriggerDriver& d);
void proforma_voided(TriggerDriver& d);
void partner_invoice(TriggerDriver& d);
void partner_invoice_overdue(TriggerDriver& d);
// customers, cards, credit notes
void customer_updated(TriggerDriver& d);
void provider_synced(TriggerDriver& d);
void provider_sync_failed(TriggerDriver& d);
void checkout_link(TriggerDriver& d);
void card_attached(TriggerDriver& d);
void card_revalidated(TriggerDriver& d);
void card_invalidated(TriggerDriver& d);
void default_card_changed(TriggerDriver& d);
void card_replaced(TriggerDriver& d);
void credit_note_pdf(TriggerDriver& d);
void credit_note_voided(TriggerDriver& d);
// subscriptions, usage, wallets
void upcoming_invoice(TriggerDriver& d);
void subscription_started(TriggerDriver& d);
void subscription_cancel_scheduled(TriggerDriver& d);
void trial_ended(TriggerDriver& d);
void usage_threshold(TriggerDriver& d);
void collection_stopped(TriggerDriver& d);
void collection_reactivated(TriggerDriver& d);
void subscription_completed(TriggerDriver& d);
void subscription_canceled(TriggerDriver& d);
void subscription_terminated(TriggerDriver& d);
void wallet_created(TriggerDriver& d);
void wallet_topped_up(TriggerDriver& d);
void wallet_depleted(TriggerDriver& d);
void wallet_terminated(TriggerDriver& d);
void wallet_purchase_declined(TriggerDriver& d);
void metric_created(TriggerDriver& d);
void metric_updated(TriggerDriver& d);
void metric_archived(TriggerDriver& d);
void fee_in_advance(TriggerDriver& d);
void usage_not_billable(TriggerDriver& d);
// batches, baskets, commissions, settlements, webhooks themselves
void batch_succeeded(TriggerDriver& d);
void batch_failed(TriggerDriver& d);
void basket_abandoned(TriggerDriver& d);
void commission(TriggerDriver& d);
void payment_settled(TriggerDriver& d);
void delivery_exhausted(TriggerDriver& d);
void endpoint_disabled(TriggerDriver& d);
void endpoint_enabled(TriggerDriver& d);
}  // namespace scenarios

}  // namespace billhook::cli
