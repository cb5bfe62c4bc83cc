// Issue 13 item 2 through the real binary: money that goes back is a credit note. A refund asked for
// directly and a lost dispute each issue a credit note whose refund part is that money, so receivers
// written from Ezypay's (seed 002) and Lago's (seed 003) documents — which know only credit notes —
// hear of them: Ezypay's credit_note_created then credit_note_paid / credit_note_failed, Lago's
// credit_note.created (then credit_note.refund_failure when the refund fails; Lago has no "paid"
// webhook), each with the amounts and the invoice. The note's refund is the refund: never a second one.

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class MoneyReturnedApiTest : public BillingServerTest {
 protected:
  // The invoice's credit notes, oldest first.
  json::array notes_of(const std::string& invoice) {
    auto notes = api_->get("/v1/credit-notes?invoice=" + invoice).at("data").as_array();
    std::reverse(notes.begin(), notes.end());
    return notes;
  }
};

// What a receiver recorded, grouped by credit note (the id `id_of` finds) in arrival order; every
// record went to a handler of the seed's names ("other" is the receivers' fallback).
template <class IdOf>
std::map<std::string, std::vector<json::object>> by_note(const json::array& records, IdOf id_of) {
  std::map<std::string, std::vector<json::object>> out;
  for (const auto& r : records) {
    const auto& record = r.as_object();
    EXPECT_NE(str(record.at("handler")), "other") << json::serialize(record);
    out[id_of(record)].push_back(record);
  }
  return out;
}

TEST_F(MoneyReturnedApiTest, EzypayAndLagoReceiversGetACreditNoteForRefundsAndLostDisputes) {
  const json::array types = {"credit_note.created", "credit_note.paid", "credit_note.refund_failed"};
  NodeReceiver ezypay("ezypay.mjs");
  api_->endpoint({{"url", ezypay.url("/webhooks/ezypay")}, {"profile", "ezypay"}, {"event_types", types}});
  NodeReceiver lago("lago.mjs");
  api_->endpoint({{"url", lago.url("/webhooks/lago")}, {"profile", "lago"}, {"event_types", types}});
  lago.configure(lago_jwt_receiver_config(*server_));

  // A refund the processor accepts: one refund, one note whose refund part it is.
  const auto cus = api_->customer();
  api_->card(cus, kGoodCard);
  const auto inv = api_->invoice(cus);  // 119.00 EUR
  ASSERT_EQ(str(api_->pay(inv).at("status")), "paid");
  const auto refund = api_->refund(inv, {{"amount", 4000}, {"reason", "requested_by_customer"}});
  EXPECT_EQ(str(refund.at("status")), "processing");
  const auto refund_id = str(refund.at("id"));
  auto notes = notes_of(inv);
  ASSERT_EQ(notes.size(), 1u);
  const auto refund_note = notes.at(0).as_object();
  const auto refund_note_id = str(refund_note.at("id"));
  EXPECT_EQ(str(refund.at("credit_note")), refund_note_id);
  EXPECT_EQ(str(refund_note.at("refund")), refund_id);
  EXPECT_EQ(refund_note.at("total"), 4000);
  EXPECT_EQ(refund_note.at("refund_amount"), 4000);
  EXPECT_EQ(refund_note.at("credit_amount"), 0);
  EXPECT_EQ(str(refund_note.at("refund_status")), "succeeded");
  EXPECT_EQ(str(refund_note.at("memo")), "requested_by_customer");
  EXPECT_FALSE(refund_note.contains("records_return")) << "kept, not shown";
  EXPECT_EQ(api_->get("/v1/invoices/" + inv + "/refunds").at("data").as_array().size(), 1u) << "no second refund";
  EXPECT_EQ(api_->invoice_of(inv).at("amount_refunded"), 4000);
  // It records money that went back: nothing to void.
  EXPECT_TRUE(is_error(client_->post("/v1/credit-notes/" + refund_note_id + "/void", std::string_view{}), 409,
                       "credit_note_records_return"));

  // A lost dispute on the rest: the network paid it back, so the note is paid without a refund.
  const auto dispute = api_->dispute(inv, {{"reason", "fraudulent"}});
  EXPECT_EQ(dispute.at("amount"), 11900 - 4000);
  const auto dispute_id = str(dispute.at("id"));
  api_->close_dispute(dispute_id, "lost");
  notes = notes_of(inv);
  ASSERT_EQ(notes.size(), 2u);
  const auto dispute_note = notes.at(1).as_object();
  const auto dispute_note_id = str(dispute_note.at("id"));
  EXPECT_EQ(str(dispute_note.at("dispute")), dispute_id);
  EXPECT_TRUE(dispute_note.at("refund").is_null());
  EXPECT_EQ(dispute_note.at("refund_amount"), 7900);
  EXPECT_EQ(str(dispute_note.at("reason")), "fraudulent_charge");
  EXPECT_EQ(str(dispute_note.at("refund_status")), "succeeded");
  EXPECT_EQ(api_->get("/v1/invoices/" + inv + "/refunds").at("data").as_array().size(), 1u);
  EXPECT_EQ(api_->invoice_of(inv).at("amount_refunded"), 4000) << "a chargeback is not a refund";

  // A refund the processor declines: the note's refund failed.
  const auto other = api_->customer();
  api_->card(other, kRefundsFailCard);
  const auto declined_inv = api_->invoice(other);
  ASSERT_EQ(str(api_->pay(declined_inv).at("status")), "paid");
  EXPECT_EQ(str(api_->refund(declined_inv, {{"amount", 2500}}).at("status")), "failed");
  notes = notes_of(declined_inv);
  ASSERT_EQ(notes.size(), 1u);
  const auto failed_note = notes.at(0).as_object();
  const auto failed_note_id = str(failed_note.at("id"));
  EXPECT_EQ(str(failed_note.at("refund_status")), "failed");
  EXPECT_EQ(failed_note.at("refund_amount"), 2500);
  EXPECT_EQ(api_->invoice_of(declined_inv).at("amount_refunded"), 0);

  // Ezypay: each note created, then paid or failed, its status as seed 002 says.
  const auto ez = by_note(ezypay.received(6, 30s), [](const json::object& r) { return str(r.at("data").at("id")); });
  const auto ez_names = [&](const std::string& id) {
    std::vector<std::string> names;
    if (ez.contains(id))
      for (const auto& r : ez.at(id)) names.push_back(str(r.at("handler")) + ":" + str(r.at("data").at("status")));
    return names;
  };
  EXPECT_EQ(ez_names(refund_note_id), (std::vector<std::string>{"credit_note_created:issued", "credit_note_paid:paid"}));
  EXPECT_EQ(ez_names(dispute_note_id),
            (std::vector<std::string>{"credit_note_created:issued", "credit_note_paid:paid"}));
  EXPECT_EQ(ez_names(failed_note_id),
            (std::vector<std::string>{"credit_note_created:issued", "credit_note_failed:failed"}));
  ASSERT_TRUE(ez.contains(refund_note_id) && ez.contains(dispute_note_id) && ez.contains(failed_note_id));
  const auto& ez_paid = ez.at(refund_note_id).back().at("data").as_object();
  EXPECT_EQ(str(ez_paid.at("invoice")), inv);
  EXPECT_EQ(ez_paid.at("refundAmount"), 4000);
  EXPECT_EQ(str(ez_paid.at("refundStatus")), "succeeded");
  EXPECT_EQ(ez.at(dispute_note_id).back().at("data").at("refundAmount"), 7900);
  EXPECT_EQ(str(ez.at(failed_note_id).back().at("data").at("invoice")), declined_inv);
  EXPECT_EQ(str(ez.at(failed_note_id).back().at("data").at("refundStatus")), "failed");

  // Lago: credit_note.created for each (signed), then credit_note.refund_failure for the failed refund.
  const auto lg = by_note(lago.received(4, 30s), [](const json::object& r) { return str(r.at("object").at("lago_id")); });
  const auto lg_names = [&](const std::string& id) {
    std::vector<std::string> names;
    if (lg.contains(id))
      for (const auto& r : lg.at(id)) {
        EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
        EXPECT_EQ(str(r.at("object_type")), "credit_note");
        names.push_back(str(r.at("handler")));
      }
    return names;
  };
  EXPECT_EQ(lg_names(refund_note_id), std::vector<std::string>{"credit_note.created"});
  EXPECT_EQ(lg_names(dispute_note_id), std::vector<std::string>{"credit_note.created"});
  EXPECT_EQ(lg_names(failed_note_id),
            (std::vector<std::string>{"credit_note.created", "credit_note.refund_failure"}));
  ASSERT_TRUE(lg.contains(refund_note_id) && lg.contains(dispute_note_id) && lg.contains(failed_note_id));
  const auto& lg_refund = lg.at(refund_note_id).front().at("object").as_object();
  EXPECT_EQ(str(lg_refund.at("lago_invoice_id")), inv);
  EXPECT_EQ(lg_refund.at("refund_amount_cents"), 4000);
  EXPECT_EQ(lg_refund.at("total_amount_cents"), 4000);
  EXPECT_EQ(str(lg_refund.at("refund_status")), "pending");
  EXPECT_EQ(str(lg_refund.at("currency")), "EUR");
  EXPECT_EQ(lg.at(dispute_note_id).front().at("object").at("refund_amount_cents"), 7900);
  const auto& lg_failed = lg.at(failed_note_id).back().at("object").as_object();
  EXPECT_EQ(str(lg_failed.at("lago_invoice_id")), declined_inv);
  EXPECT_EQ(str(lg_failed.at("refund_status")), "failed");
  EXPECT_EQ(lg_failed.at("refund_amount_cents"), 2500);
}

}  // namespace
}  // namespace billhook::testing
