// Wallets on the store, on both backends: grants and card purchases settle (a declined card fails the
// purchase with wallet_transaction.payment_failed), an issued invoice draws on the wallets before any
// card (fully covered: paid with no charge), a voided invoice gives its credits back, expiry terminates
// once on the test clock, depletion is sent once per crossing, bad input names the field and changes
// nothing, and a random ledger keeps its sums exact.

#include "billing/wallet_service.hpp"

#include <memory>
#include <random>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/credit_service.hpp"
#include "billing/wallet_ledger.hpp"
#include "billing_fixture.hpp"
#include "core/decimal.hpp"
#include "core/described.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

constexpr const char* kGoodCard = "4242424242424242";
constexpr const char* kDeclinedCard = "4000000000000002";

class WalletServiceTest : public BillingFixture {
 protected:
  WalletServiceTest() : BillingFixture(61) {}

  void open_services() override { wallets_ = std::make_unique<WalletService>(*service_); }
  void close_services() override { wallets_.reset(); }

  std::string customer(const char* card = nullptr) {
    auto c = write([&](store::WriteTx& tx) {
      return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
    });
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    if (card) {
      AttachCard a{.customer_id = c->id, .number = card, .exp_month = 12, .exp_year = 2030, .make_default = true};
      EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->attach_card(tx, a, {}); }).ok());
    }
    return c->id;
  }

  core::Result<Wallet> create(const json::object& body) {
    auto request = core::described::from_json<NewWallet>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return wallets_->create(tx, *request, {}); });
  }

  core::Result<std::vector<WalletTransaction>> transact(const std::string& id, const json::object& body) {
    auto request = core::described::from_json<NewWalletTransactions>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return wallets_->add_transactions(tx, id, *request, {}); });
  }

  Wallet stored(const std::string& id) {
    auto found = store_->find_document(kWallets.kind, id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto w = kWallets.decode((*found)->body);
    EXPECT_TRUE(w.ok());
    return w.ok() ? *w : Wallet{};
  }

  std::vector<WalletTransaction> transactions_of(const std::string& wallet_id) {
    auto found = write([&](store::WriteTx& tx) -> core::Result<std::vector<store::DocumentRecord>> {
      return tx.find_documents({.kind = std::string(kWalletTransactions.kind), .parent_id = wallet_id});
    });
    EXPECT_TRUE(found.ok());
    std::vector<WalletTransaction> out;
    if (!found.ok()) return out;
    for (const auto& r : *found) out.push_back(*kWalletTransactions.decode(r.body));
    return out;
  }

  // An invoice issued as the server issues one: finalized, drawn on the wallets and balance, collected.
  Invoice issue_invoice(const std::string& customer_id, int64_t amount, const std::string& currency = "EUR",
                        CollectionMethod method = CollectionMethod::charge_automatically) {
    Invoice doc;
    doc.customer_id = customer_id;
    doc.currency = currency;
    doc.collection_method = method;
    if (method == CollectionMethod::send_invoice) doc.days_until_due = 30;
    doc.billing_reason = BillingReason::manual;
    doc.lines.push_back(LineItem{.description = "Consulting", .quantity_milli = 1000, .unit_amount = amount});
    auto out = write([&](store::WriteTx& tx) -> core::Result<Invoice> {
      auto made = service_->create_invoice(tx, std::move(doc), /*auto_finalize=*/true, {});
      if (!made) return std::move(made).error();
      auto drawn = CreditService(*service_).apply_balance(tx, made->invoice.id, /*only_if_any=*/true, {});
      if (!drawn) return drawn;
      if (drawn->status == InvoiceStatus::open && drawn->amount_remaining > 0 &&
          drawn->collection_method == CollectionMethod::charge_automatically) {
        auto paid = service_->pay(tx, drawn->id, PayRequest{}, {});
        if (!paid) return std::move(paid).error();
        return paid->invoice;
      }
      return drawn;
    });
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    return out.ok() ? *out : Invoice{};
  }

  static int count(const Strings& types, std::string_view type) {
    return static_cast<int>(std::count(types.begin(), types.end(), type));
  }

  // The ledger's invariants for one wallet: its balances are the sums of its settled transactions,
  // never below zero, and each transaction's credits at the rate are its amount to the minor unit.
  void expect_ledger(const Wallet& w) {
    int64_t sum = 0;
    core::Decimal credits;
    const core::Decimal rate = *core::Decimal::parse(w.rate_amount);
    for (const auto& t : transactions_of(w.id)) {
      auto worth = core::Decimal::parse(t.credits)->times(rate);
      ASSERT_TRUE(worth.ok());
      EXPECT_EQ(*core::to_minor_half_even(*worth, w.currency), t.amount) << t.id << " " << t.credits;
      if (t.status != WalletTransactionStatus::settled) continue;
      const bool in = t.type == WalletTransactionType::inbound;
      sum += in ? t.amount : -t.amount;
      credits = *(in ? credits.plus(*core::Decimal::parse(t.credits)) : credits.minus(*core::Decimal::parse(t.credits)));
    }
    EXPECT_EQ(w.balance, sum) << w.id;
    EXPECT_EQ(*core::Decimal::parse(w.credits_balance), credits) << w.id;
    EXPECT_GE(w.balance, 0);
    EXPECT_GE(credits.sign(), 0);
  }

  std::unique_ptr<WalletService> wallets_;
};

TEST_P(WalletServiceTest, GrantsAndCardPurchasesSettleWithTheirEvents) {
  const std::string c = customer(kGoodCard);
  auto wallet = create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "0.5"}, {"granted_credits", "10"},
                        {"name", "Prepaid"}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  EXPECT_EQ(wallet->id.rfind("wal_", 0), 0u);
  EXPECT_EQ(wallet->balance, 500);
  EXPECT_EQ(wallet->credits_balance, "10");
  EXPECT_EQ(wallet->ongoing_balance, 500);

  auto bought = transact(wallet->id, {{"paid_credits", "20.5"}});
  ASSERT_TRUE(bought.ok()) << bought.error().message;
  ASSERT_EQ(bought->size(), 1u);
  const WalletTransaction& t = (*bought)[0];
  EXPECT_EQ(t.id.rfind("wtx_", 0), 0u);
  EXPECT_EQ(t.status, WalletTransactionStatus::settled);
  EXPECT_EQ(t.amount, 1025);
  ASSERT_TRUE(t.invoice.has_value());
  const Invoice purchase = stored_invoice(*t.invoice);
  EXPECT_EQ(purchase.status, InvoiceStatus::paid);
  EXPECT_EQ(purchase.billing_reason, BillingReason::credit_purchase);
  EXPECT_EQ(purchase.total, 1025);
  EXPECT_EQ(purchase.amount_paid, 1025);  // charged to the card, not drawn from the wallet
  const Wallet after = stored(wallet->id);
  EXPECT_EQ(after.balance, 1525);
  EXPECT_EQ(after.credits_balance, "30.5");

  auto events = events_of(wallet->id);  // schema-checked
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "wallet.created");
  EXPECT_EQ(events[0].object.at("balance"), 0);
  EXPECT_EQ(events[1].type, "wallet.updated");
  EXPECT_EQ(events[1].object.at("balance"), 500);
  EXPECT_EQ(events[1].previous.at("balance"), 0);
  EXPECT_EQ(events[2].object.at("balance"), 1525);
  EXPECT_FALSE(events[2].object.contains("slot"));
  auto tx_events = events_of(t.id);
  ASSERT_EQ(tx_events.size(), 1u);
  EXPECT_EQ(tx_events[0].type, "wallet_transaction.updated");
  EXPECT_EQ(tx_events[0].object.at("status"), "settled");
  expect_ledger(after);
}

TEST_P(WalletServiceTest, ADeclinedPurchaseFailsAndChangesNoBalance) {
  const std::string c = customer(kDeclinedCard);
  auto wallet = create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "1"}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  auto bought = transact(wallet->id, {{"paid_credits", "25"}});
  ASSERT_TRUE(bought.ok()) << bought.error().message;
  const WalletTransaction& t = (*bought)[0];
  EXPECT_EQ(t.status, WalletTransactionStatus::failed);
  ASSERT_TRUE(t.failure.has_value());
  EXPECT_EQ(t.failure->code, "card_declined");
  EXPECT_EQ(stored_invoice(*t.invoice).status, InvoiceStatus::void_);
  EXPECT_EQ(stored(wallet->id).balance, 0);
  EXPECT_EQ(types_of(t.id), (Strings{"wallet_transaction.payment_failed", "wallet_transaction.updated"}));
  EXPECT_EQ(events_of(t.id)[0].object.at("invoice"), json::value(*t.invoice));
  // Voided: collection never retries it.
  advance_days(10);
  run_scheduler();
  EXPECT_EQ(stored(wallet->id).balance, 0);
  EXPECT_EQ(transactions_of(wallet->id).size(), 1u);
}

TEST_P(WalletServiceTest, AnInvoiceDrawsOnTheWalletsBeforeAnyCardAndAVoidGivesCreditsBack) {
  const std::string c = customer(kGoodCard);
  // Two wallets can't share a currency, so the order is shown across a terminated one and a new one.
  auto eur = create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "2"}, {"granted_credits", "30"}});
  ASSERT_TRUE(eur.ok()) << eur.error().message;
  auto usd = create({{"customer", c}, {"currency", "USD"}, {"rate_amount", "1"}, {"granted_credits", "5"}});
  ASSERT_TRUE(usd.ok());

  // 40.00 EUR: covered by the wallet (60.00), paid with no card charge.
  const Invoice covered = issue_invoice(c, 4000);
  EXPECT_EQ(covered.status, InvoiceStatus::paid);
  EXPECT_EQ(covered.paid_via, PaidVia::wallet);
  EXPECT_EQ(covered.amount_paid, 0);
  EXPECT_EQ(covered.amount_credited, 4000);
  EXPECT_FALSE(covered.payment.has_value());
  Wallet w = stored(eur->id);
  EXPECT_EQ(w.balance, 2000);
  EXPECT_EQ(w.credits_balance, "10");
  EXPECT_EQ(w.consumed_amount, 4000);
  EXPECT_EQ(stored(usd->id).balance, 500);  // another currency is not drawn
  Strings types = types_of(covered.id);
  EXPECT_EQ(count(types, "invoice.credited"), 1);
  EXPECT_EQ(count(types, "invoice.paid"), 1);
  EXPECT_EQ(count(types, "invoice.payment_succeeded"), 0);

  // 50.00 EUR: the wallet's last 20.00, then the card for 30.00.
  const Invoice split = issue_invoice(c, 5000);
  EXPECT_EQ(split.status, InvoiceStatus::paid);
  EXPECT_EQ(split.amount_credited, 2000);
  EXPECT_EQ(split.amount_paid, 3000);
  w = stored(eur->id);
  EXPECT_EQ(w.balance, 0);
  EXPECT_EQ(w.credits_balance, "0");
  expect_ledger(w);

  // A send_invoice invoice partly drawn, then voided: the credits come back.
  ASSERT_TRUE(transact(eur->id, {{"granted_credits", "5"}}).ok());
  const Invoice open = issue_invoice(c, 2500, "EUR", CollectionMethod::send_invoice);
  EXPECT_EQ(open.status, InvoiceStatus::open);
  EXPECT_EQ(open.amount_credited, 1000);
  EXPECT_EQ(stored(eur->id).balance, 0);
  auto voided = write([&](store::WriteTx& tx) { return service_->apply(tx, open.id, Void{}, {}); });
  ASSERT_TRUE(voided.ok()) << voided.error().message;
  w = stored(eur->id);
  EXPECT_EQ(w.balance, 1000);
  EXPECT_EQ(w.credits_balance, "5");
  EXPECT_EQ(w.consumed_amount, 6000);
  expect_ledger(w);
}

TEST_P(WalletServiceTest, AnExpiredWalletTerminatesOnceByItself) {
  const std::string c = customer();
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "1"},
                        {"expires_at", kStartMs / 1000 + 2 * kSecondsPerDay}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  advance_days(1);
  run_scheduler();
  EXPECT_EQ(stored(wallet->id).status, WalletStatus::active);
  advance_days(1);
  run_scheduler();
  reopen();
  run_scheduler();
  const Wallet w = stored(wallet->id);
  EXPECT_EQ(w.status, WalletStatus::terminated);
  EXPECT_EQ(w.terminated_at, kStartMs / 1000 + 2 * kSecondsPerDay);
  EXPECT_EQ(types_of(wallet->id), (Strings{"wallet.created", "wallet.terminated"}));
  // Its slot is free again: a new wallet in the currency.
  EXPECT_TRUE(create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "1"}}).ok());
}

TEST_P(WalletServiceTest, DepletionIsSentOncePerCrossing) {
  const std::string c = customer();
  auto wallet = create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "1"}, {"granted_credits", "10"}});
  ASSERT_TRUE(wallet.ok());
  ASSERT_TRUE(transact(wallet->id, {{"voided_credits", "10"}}).ok());
  EXPECT_EQ(count(types_of(wallet->id), "wallet.balance_depleted"), 1);
  ASSERT_TRUE(transact(wallet->id, {{"granted_credits", "5"}}).ok());
  ASSERT_TRUE(transact(wallet->id, {{"voided_credits", "2"}}).ok());
  EXPECT_EQ(count(types_of(wallet->id), "wallet.balance_depleted"), 1);  // still positive
  ASSERT_TRUE(transact(wallet->id, {{"voided_credits", "3"}}).ok());
  auto events = events_of(wallet->id);
  int depleted = 0;
  for (const auto& e : events)
    if (e.type == "wallet.balance_depleted") {
      ++depleted;
      EXPECT_EQ(e.object.at("ongoing_balance"), 0);
    }
  EXPECT_EQ(depleted, 2);
  // At zero, a further void is refused: credits never go below zero.
  auto refused = transact(wallet->id, {{"voided_credits", "1"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "voided_credits");
}

TEST_P(WalletServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  const std::string c = customer(kGoodCard);
  auto wallet = create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "1"}, {"granted_credits", "10"}});
  ASSERT_TRUE(wallet.ok());
  const int64_t before = event_count();
  struct Case {
    json::object body;
    std::string param;
  };
  const Case cases[] = {
      {{{"customer", c}, {"currency", "EUR"}, {"rate_amount", "1"}}, "currency"},  // a second EUR wallet
      {{{"customer", c}, {"currency", "GBP"}, {"rate_amount", "0"}}, "rate_amount"},
      {{{"customer", c}, {"currency", "GBP"}, {"rate_amount", "-1"}}, "rate_amount"},
      {{{"customer", c}, {"currency", "GBP"}, {"rate_amount", "x"}}, "rate_amount"},
      {{{"customer", c}, {"currency", "XXQ"}, {"rate_amount", "1"}}, "currency"},
      {{{"customer", c}, {"currency", "GBP"}, {"rate_amount", "1"}, {"granted_credits", "-5"}}, "granted_credits"},
      {{{"customer", c}, {"currency", "GBP"}, {"rate_amount", "1"}, {"paid_credits", "0.001"}}, "paid_credits"},
      {{{"customer", c}, {"currency", "GBP"}, {"rate_amount", "1"}, {"expires_at", 1}}, "expires_at"},
  };
  for (const auto& k : cases) {
    auto refused = create(k.body);
    ASSERT_FALSE(refused.ok()) << json::serialize(k.body);
    EXPECT_EQ(refused.error().param, k.param) << json::serialize(k.body);
    EXPECT_NE(refused.error().kind, core::ErrorKind::internal);
  }
  auto negative = transact(wallet->id, {{"granted_credits", "5"}, {"paid_credits", "-1"}});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().param, "paid_credits");
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return wallets_->terminate(tx, wallet->id, {}); }).ok());
  const int64_t terminated = event_count();
  EXPECT_EQ(terminated, before + 1);
  auto topped = transact(wallet->id, {{"paid_credits", "5"}});
  ASSERT_FALSE(topped.ok());
  EXPECT_EQ(topped.error().code, "wallet_terminated");
  EXPECT_EQ(topped.error().param, "paid_credits");
  EXPECT_EQ(event_count(), terminated);
  EXPECT_EQ(stored(wallet->id).balance, 1000);
  EXPECT_EQ(transactions_of(wallet->id).size(), 1u);
}

// Random purchases, grants, voids, invoices drawing on the wallet, voided invoices and expiries: after
// every step the wallet's balances are the sums of its settled transactions, never below zero, every
// transaction's credits × rate is its amount to the minor unit, and what invoices were credited equals
// what the wallets gave them.
TEST_P(WalletServiceTest, ARandomLedgerKeepsItsSumsExact) {
  const std::string c = customer(kGoodCard);
  std::mt19937_64 rng(7);
  const char* rates[] = {"1", "0.5", "3", "0.01", "1.25"};
  std::vector<std::string> wallets;
  std::vector<std::string> open_invoices;
  const auto make_wallet = [&] {
    std::string rate = rates[rng() % 5];
    auto w = create({{"customer", c},
                     {"currency", "EUR"},
                     {"rate_amount", rate},
                     {"expires_at", service_->now_s() + static_cast<int64_t>(30 + rng() % 60) * kSecondsPerDay}});
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    if (w.ok()) wallets.push_back(w->id);
  };
  make_wallet();
  // Credits whose worth is whole cents at every rate above: whole credits up to 400.
  const auto some_credits = [&] { return std::to_string(1 + rng() % 400); };
  for (int step = 0; step < 60; ++step) {
    const std::string id = wallets.back();
    const Wallet now = stored(id);
    switch (rng() % 7) {
      case 0:
        if (now.status == WalletStatus::active) {
          EXPECT_TRUE(transact(id, {{"paid_credits", some_credits()}}).ok());
        }
        break;
      case 1:
        if (now.status == WalletStatus::active) {
          EXPECT_TRUE(transact(id, {{"granted_credits", some_credits()}}).ok());
        }
        break;
      case 2: {
        auto v = transact(id, {{"voided_credits", some_credits()}});
        if (!v.ok()) {
          EXPECT_NE(v.error().kind, core::ErrorKind::internal) << v.error().message;
        }
        break;
      }
      case 3:
      case 4: {
        const bool send = rng() % 2 == 0;
        const Invoice inv = issue_invoice(c, 1 + static_cast<int64_t>(rng() % 30000), "EUR",
                                          send ? CollectionMethod::send_invoice : CollectionMethod::charge_automatically);
        if (inv.status == InvoiceStatus::open) open_invoices.push_back(inv.id);
        break;
      }
      case 5:
        if (!open_invoices.empty()) {
          const std::string inv = open_invoices.back();
          open_invoices.pop_back();
          EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->apply(tx, inv, Void{}, {}); }).ok());
        }
        break;
      case 6:
        advance_days(static_cast<double>(rng() % 20));
        run_scheduler();
        if (stored(id).status == WalletStatus::terminated) make_wallet();
        break;
    }
    for (const auto& w : wallets) expect_ledger(stored(w));
  }
  // Money is conserved: what every invoice was credited is what the wallets' draws less give-backs say.
  int64_t drawn = 0;
  for (const auto& w : wallets)
    for (const auto& t : transactions_of(w))
      if (t.source == WalletTransactionSource::consumed && t.status == WalletTransactionStatus::settled)
        drawn += t.type == WalletTransactionType::outbound ? t.amount : -t.amount;
  int64_t credited = 0;
  auto invoices = write([&](store::WriteTx& tx) -> core::Result<std::vector<store::DocumentRecord>> {
    return tx.find_documents({.kind = std::string(stored::kInvoice), .customer_id = c});
  });
  ASSERT_TRUE(invoices.ok());
  for (const auto& r : *invoices) {
    const Invoice inv = *decode_invoice(r.body);
    if (inv.status != InvoiceStatus::void_) credited += inv.amount_credited;
  }
  EXPECT_EQ(credited, drawn);
  // The sequence did what it claims to exercise: draws, and a wallet that expired and was replaced.
  EXPECT_GT(drawn, 0);
  EXPECT_GT(wallets.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, WalletServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
