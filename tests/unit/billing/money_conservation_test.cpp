// Money conservation: for a few hundred random sequences of payments (card and external, over- and
// underpaying), refunds (some declined by the processor), credit notes (before and after payment,
// split every way), voided credit notes and draws on the credit balance, the money the sequence
// moved — as the test counts it from what it asked and what each answer said — agrees with what the
// ledgers hold, to the minor unit:
//
//   paid − refunded − credited to the balance − given back out of band  =  what the invoices still hold
//   credited to the balance − drawn by invoices  =  −(customer balance)  =  −Σ balance ledger entries
//
// and every refused request leaves the documents and the event log exactly as they were.
#include <random>

#include "credit_fixture.hpp"

namespace billhook::billing::testing {
namespace {

constexpr int kSequences = 300;
constexpr int kStepsPerSequence = 9;

struct Model {
  int64_t paid = 0;
  int64_t refunded = 0;
  int64_t to_balance = 0;  // overpayments and credit notes' credit_amount, less voided credit
  int64_t drawn = 0;       // credit invoices drew from the balance
  int64_t out_of_band = 0;
};

struct Snapshot {
  std::vector<Invoice> invoices;
  Customer customer;
  int64_t events = 0;
  size_t documents = 0;
  bool operator==(const Snapshot&) const = default;
};

class MoneyConservationTest : public CreditTest {
 protected:
  Snapshot snapshot(const std::string& cus, const std::vector<std::string>& invoices) {
    Snapshot s;
    for (const auto& id : invoices) s.invoices.push_back(stored_invoice(id));
    s.customer = stored_customer(cus);
    s.events = *store_->count_events();
    for (const char* kind : {"refund", "credit_note", "balance_transaction"})
      s.documents += documents({.kind = kind, .customer_id = cus}).size();
    return s;
  }

  int64_t returnable(const Invoice& invoice) {
    auto money = write([&](store::WriteTx& tx) { return credit_->money_of(tx, invoice); });
    EXPECT_TRUE(money.ok());
    return money.ok() ? money->returnable : 0;
  }
};

TEST_P(MoneyConservationTest, LedgersHoldWhatTheSequencesMoved) {
  std::mt19937_64 random(20261201);
  const auto below = [&](int64_t n) { return n <= 0 ? 0 : static_cast<int64_t>(random() % static_cast<uint64_t>(n)); };
  int refused = 0, refunds_failed = 0, notes = 0, draws = 0;

  for (int sequence = 0; sequence < kSequences; ++sequence) {
    SCOPED_TRACE("sequence " + std::to_string(sequence));
    const auto cus = customer();
    attach(cus, below(3) == 0 ? kRefundsFailCard : kGoodCard);
    std::vector<std::string> invoices = {open_invoice(cus, 100 + below(20000)), open_invoice(cus, 100 + below(20000))};
    std::vector<std::string> note_ids;
    Model model;

    for (int step = 0; step < kStepsPerSequence; ++step) {
      const auto& id = invoices[static_cast<size_t>(below(2))];
      const Invoice before = stored_invoice(id);
      const bool open = before.status == InvoiceStatus::open;
      const Snapshot was = snapshot(cus, invoices);
      bool ok = true;
      switch (below(6)) {
        case 0: {  // an external payment, sometimes more than is due
          if (!open) continue;
          const int64_t amount = 1 + below(before.amount_remaining + 3000);
          ok = pay_external(id, amount).ok();
          if (ok) {
            model.paid += amount;
            model.to_balance += std::max<int64_t>(0, amount - before.amount_remaining);
          }
          break;
        }
        case 1: {  // the card collects what remains
          if (!open) continue;
          ok = pay_card(id).ok();
          if (ok) model.paid += before.amount_remaining;
          break;
        }
        case 2: {  // a refund, sometimes of more than can be given back
          const int64_t amount = 1 + below(before.amount_paid + 1000);
          auto r = refund(id, amount);
          ok = r.ok();
          if (ok && counts_as_refunded(*r)) model.refunded += amount;
          if (ok && r->status == RefundStatus::failed) {
            ++refunds_failed;
            EXPECT_EQ(snapshot(cus, invoices).invoices, was.invoices) << "a failed refund moves no money";
          }
          break;
        }
        case 3: {  // a credit note, its post-payment part split one of four ways
          const int64_t total = 1 + below(before.amount_remaining + before.amount_paid + 1000);
          const int64_t pre = open ? std::min(total, before.amount_remaining) : 0;
          const int64_t post = total - pre;
          std::optional<int64_t> refund_part, credit_part, oob_part;
          switch (below(4)) {
            case 0: break;  // all to the balance
            case 1: refund_part = post; break;
            case 2: refund_part = post / 2, credit_part = post - post / 2; break;
            default: oob_part = post; break;
          }
          auto note = credit_note(id, total, refund_part, credit_part, oob_part);
          ok = note.ok();
          if (ok) {
            ++notes;
            EXPECT_EQ(note->pre_payment_amount, pre);
            model.to_balance += note->credit_amount;
            model.out_of_band += note->out_of_band_amount;
            if (note->refund_status == CreditRefundStatus::succeeded) model.refunded += note->refund_amount;
            note_ids.push_back(note->id);
          }
          break;
        }
        case 4: {  // void a credit note
          if (note_ids.empty()) continue;
          const auto note_id = note_ids[static_cast<size_t>(below(static_cast<int64_t>(note_ids.size())))];
          const auto note = stored_note(note_id);
          ok = write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note_id, {}); }).ok();
          if (ok) {
            model.to_balance -= note.credit_amount;
            model.out_of_band -= note.out_of_band_amount;
          }
          break;
        }
        default: {  // draw on the balance
          auto applied = write([&](store::WriteTx& tx) { return credit_->apply_balance(tx, id, false, {}); });
          ok = applied.ok();
          if (ok) {
            ++draws;
            model.drawn += applied->amount_credited - before.amount_credited;
          }
          break;
        }
      }
      if (!ok) {
        ++refused;
        EXPECT_EQ(snapshot(cus, invoices), was) << "a refused request changed something";
      }
    }

    // What the ledgers hold.
    int64_t paid = 0, refunded = 0, held = 0;
    for (const auto& id : invoices) {
      const Invoice invoice = stored_invoice(id);
      paid += invoice.amount_paid;
      refunded += invoice.amount_refunded;
      held += returnable(invoice);
      // The invoice's credit is its credit notes' pre-payment parts plus what it drew from the balance.
      int64_t credited = 0;
      for (const auto& r : documents({.kind = "credit_note", .parent_id = id})) {
        const auto note = *kCreditNotes.decode(r.body);
        if (note.status == CreditNoteStatus::issued) credited += note.pre_payment_amount;
      }
      for (const auto& entry : ledger_of(cus))
        if (entry.type == BalanceEntryType::applied_to_invoice && entry.invoice == id) credited += entry.amount;
      EXPECT_EQ(invoice.amount_credited, credited) << id;
      EXPECT_EQ(invoice.amount_remaining,
                std::max<int64_t>(0, invoice.total - invoice.amount_credited - invoice.amount_paid))
          << id;
    }
    int64_t refund_documents = 0;
    for (const auto& r : documents({.kind = "refund", .customer_id = cus})) {
      const auto doc = *kRefunds.decode(r.body);
      if (counts_as_refunded(doc)) refund_documents += doc.amount;
    }
    int64_t ledger = 0;
    for (const auto& entry : ledger_of(cus)) ledger += entry.amount;

    EXPECT_EQ(paid, model.paid);
    EXPECT_EQ(refunded, model.refunded);
    EXPECT_EQ(refund_documents, model.refunded);
    EXPECT_EQ(ledger, stored_customer(cus).balance);
    EXPECT_EQ(-ledger, model.to_balance - model.drawn);
    EXPECT_EQ(model.paid - model.refunded - model.to_balance - model.out_of_band, held);
    if (::testing::Test::HasFailure()) break;  // one broken sequence says enough
  }
  // The sequences exercised what they are meant to.
  EXPECT_GT(refused, 50);
  EXPECT_GT(refunds_failed, 5);
  EXPECT_GT(notes, 100);
  EXPECT_GT(draws, 20);
}

INSTANTIATE_TEST_SUITE_P(Backends, MoneyConservationTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
