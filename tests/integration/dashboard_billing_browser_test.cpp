// The dashboard's billing pages in headless Debian chromium (tests/support/dashboard_billing_browser.mjs):
// a customer (whose name holds a script), a card, a subscription and invoices in EUR and JPY made through
// the API, then read on the pages — lines and totals as exact money strings — and acted on from them:
// create a customer (after one the API refuses), finalize and collect an invoice and see its status and
// events change, a refund the API refuses (its message shown, nothing refunded), one it accepts, a credit
// note the API refuses (nothing created), one of 12.34 EUR issued and listed exactly, then voided, a dispute
// the API refuses (nothing opened), one opened on the payment and closed as lost, a subscription cancelled at
// its period's end, a wallet topped up, a card the API refuses (none added), one added, made the default and
// the other marked invalid, and a proforma found under Proformas, refused a credit (nothing credited), credited
// 12.34 EUR and converted by recording the rest as paid. Every page is photographed at desktop and phone width,
// like dashboard_browser_test.cpp.

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "integration/integration_helpers.hpp"
#include "support/browser_script.hpp"
#include "support/node_script.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

std::string joined(const json::value& texts) {
  std::string all;
  for (const auto& t : texts.as_array()) all += (all.empty() ? "" : " | ") + std::string(t.as_string());
  return all;
}

class DashboardBillingBrowserTest : public ServerTest {
 protected:
  void SetUp() override { start_server({"--allow-networks", "127.0.0.0/8"}); }

};

TEST_F(DashboardBillingBrowserTest, APersonReadsCustomersAndInvoicesAndActsOnThem) {
  require_chromium();
  if (chromium_missing()) return;
  const ScreenshotDir shots("billhook-billing-screens");
  const auto result =
      run_node_script("dashboard_billing_browser.mjs", {server_->base_url(), server_->api_key(), shots.path().string()}, 180s);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto seen = last_json_line(result.output);
  SCOPED_TRACE(json::serialize(seen));
  ASSERT_FALSE(seen.contains("error"));

  EXPECT_EQ(joined(seen.at("nav")),
            "Overview | Endpoints | Events | Deliveries | Customers | Invoices | Proformas | Subscriptions | Wallets | Catalog");
  EXPECT_EQ(seen.at("nav_current").as_string(), "Customers");
  // Three decimals for BHD, four for CLF, a sign, nothing for no amount; typed amounts read exactly, and
  // refused (null) with more decimals than the currency has or in any other notation.
  EXPECT_EQ(joined(seen.at("money_cases")),
            "0.005 BHD | -10.50 EUR | 0 JPY | 1,234,567.8901 CLF | — | 123450 | null | null | 1");
  // The name is shown as the text it is: no script ran, no element came of it.
  const std::string name = R"(Ada <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> Lovelace)";
  EXPECT_NE(joined(seen.at("customers_listed")).find(name), std::string::npos);
  EXPECT_EQ(seen.at("customer_name").as_string(), name);
  EXPECT_TRUE(seen.at("script_ran").is_null());
  EXPECT_EQ(joined(seen.at("customer_cards")), "visa •••• 4242, 12/2030");
  EXPECT_EQ(joined(seen.at("customer_subscriptions")).rfind("sub_", 0), 0u);
  EXPECT_EQ(joined(seen.at("customer_invoice_totals")), "138.99 EUR | 29.00 EUR") << "the draft and the subscription's first";
  EXPECT_NE(joined(seen.at("customer_events")).find("customer.created"), std::string::npos);

  // A new customer from the page: an unknown currency refused with the API's message, nobody created; then
  // one created (its currency upper-cased by the API) and its page opened.
  EXPECT_EQ(seen.at("refused_customer").as_string(), seen.at("api_customer_refusal").as_string());
  EXPECT_NE(std::string(seen.at("refused_customer").as_string()).find("ZZZ"), std::string::npos);
  EXPECT_EQ(seen.at("customers_after_refusal").as_int64(), 0);
  EXPECT_TRUE(seen.at("customer_new_labelled").as_bool());
  EXPECT_EQ(seen.at("customer_created").as_string(), "Customer created.");
  EXPECT_EQ(seen.at("new_customer_name").as_string(), "Grace Hopper");
  EXPECT_TRUE(seen.at("new_customer_page").as_bool());
  EXPECT_EQ(json::serialize(seen.at("new_customer_api")), R"(["Grace Hopper","grace@example.com","EUR","DE123456789"])");
  EXPECT_EQ(seen.at("customers_after_create").as_int64(), 1);

  // Filters: the customer's drafts only, the chosen status kept in the form.
  EXPECT_EQ(seen.at("invoices_filtered").as_array().size(), 1u);
  EXPECT_EQ(seen.at("status_filter_kept").as_string(), "draft");

  // Lines and totals: 2 × 50.00 at 19 % and 1 × 19.99 untaxed; money never passes through a float.
  EXPECT_EQ(seen.at("draft_status").as_string(), "draft");
  EXPECT_EQ(json::serialize(seen.at("lines")),
            R"([["Consulting","2","50.00 EUR","19.00 EUR19 %","100.00 EUR"],)"
            R"(["Hosting <b>bold</b>","1","19.99 EUR","0.00 EUR","19.99 EUR"]])");
  EXPECT_EQ(seen.at("subtotal").as_string(), "119.99 EUR");
  EXPECT_EQ(seen.at("tax").as_string(), "19.00 EUR");
  EXPECT_EQ(seen.at("total").as_string(), "138.99 EUR");
  EXPECT_EQ(joined(seen.at("draft_actions")), "invoice-finalize | invoice-delete");

  // Finalized from the page (its number given), then collected from the page: paid, with its events.
  EXPECT_EQ(seen.at("finalize_done").as_string(), "Finalized.");
  EXPECT_EQ(seen.at("finalized_status").as_string(), "open");
  EXPECT_EQ(std::string(seen.at("number").as_string()).rfind("INV-", 0), 0u);
  EXPECT_EQ(joined(seen.at("open_actions")),
            "invoice-pay | invoice-pay-external | invoice-uncollectible | invoice-void | invoice-credit-note | "
            "invoice-duplicate");
  EXPECT_EQ(seen.at("pay_done").as_string(), "Paid.");
  EXPECT_EQ(seen.at("paid_status").as_string(), "paid");
  EXPECT_EQ(seen.at("paid_amount").as_string(), "138.99 EUR");
  EXPECT_EQ(joined(seen.at("payments")), "138.99 EUR");
  const std::string events = joined(seen.at("invoice_events"));
  for (const char* type : {"invoice.created", "invoice.finalized", "invoice.paid"})
    EXPECT_NE(events.find(type), std::string::npos) << type;

  // Refused: the API's own message on the page, and nothing refunded. A bad amount never reaches the API.
  EXPECT_EQ(seen.at("refused_refund").as_string(), seen.at("api_refusal").as_string());
  EXPECT_EQ(seen.at("refunds_after_refusal").as_int64(), 0);
  EXPECT_EQ(std::string(seen.at("bad_amount").as_string()).rfind("Amount: write an amount above zero in EUR", 0), 0u);
  EXPECT_EQ(std::string(seen.at("refund_done").as_string()).rfind("Refund of 10.50 EUR: ", 0), 0u);
  EXPECT_EQ(seen.at("refunded").as_string(), "10.50 EUR");
  EXPECT_EQ(joined(seen.at("refunds")), "10.50 EUR");
  EXPECT_EQ(joined(seen.at("credit_notes")), "10.50 EUR") << "a refund is a credit note's refund part";
  EXPECT_TRUE(seen.at("event_page").as_bool());

  // Credit notes from the invoice page. By keyboard: Enter opens the panel on the amount, each field has its
  // label, Escape closes it and the focus returns to the button.
  EXPECT_EQ(joined(seen.at("paid_actions")), "invoice-refund | invoice-credit-note | invoice-dispute | invoice-duplicate");
  EXPECT_EQ(json::serialize(seen.at("credit_note_keyboard")),
            R"j(["invoice-credit-note-amount",["invoice-credit-note-amount: Amount (EUR)","invoice-credit-note-reason: Reason",)j"
            R"j("invoice-credit-note-memo: Memo (optional)"],true,"invoice-credit-note"])j");
  // More than the invoice can still give back: the API's message, and nothing created.
  EXPECT_EQ(seen.at("refused_credit_note").as_string(), seen.at("api_credit_refusal").as_string());
  EXPECT_NE(std::string(seen.at("refused_credit_note").as_string()).find("1000.00 EUR"), std::string::npos);
  EXPECT_EQ(seen.at("credit_notes_after_refusal").as_int64(), 0);
  // 12.34 EUR typed, 1234 cents sent: issued, listed with its exact amount, on the customer's balance.
  const std::string number = std::string(seen.at("number").as_string()) + "-CN-02";
  EXPECT_EQ(seen.at("credit_note_done").as_string(), "Credit note " + number + " of 12.34 EUR issued.");
  EXPECT_EQ(json::serialize(seen.at("credit_note_api")), R"(["issued","order_change","Two seats fewer",1234,0])");
  EXPECT_EQ(json::serialize(seen.at("credit_note_row")), "[[\"" + number + R"(","12.34 EUR","issued"]])");
  EXPECT_EQ(seen.at("customer_credit").as_string(), "12.34 EUR");
  EXPECT_EQ(seen.at("credit_note_void_label").as_string(), "Void credit note " + number);
  // Voided from the page: shown void, no Void left, the credit taken back.
  EXPECT_EQ(seen.at("void_done").as_string(), "Credit note " + number + " voided.");
  EXPECT_EQ(json::serialize(seen.at("voided_row")), "[[\"" + number + R"(","12.34 EUR","voided"]])");
  EXPECT_TRUE(seen.at("void_button_gone").as_bool());
  EXPECT_EQ(seen.at("voided_api").as_string(), "voided");
  EXPECT_EQ(seen.at("customer_credit_after_void").as_string(), "0.00 EUR");

  // Disputes from the invoice page: more than the payment has left (138.99 paid, 10.50 refunded) refused with
  // the API's message and nothing opened; 20.00 EUR opened on the payment, listed, then closed as lost.
  EXPECT_EQ(seen.at("refused_dispute").as_string(), seen.at("api_dispute_refusal").as_string());
  EXPECT_NE(std::string(seen.at("refused_dispute").as_string()).find("128.49 EUR"), std::string::npos);
  EXPECT_EQ(seen.at("disputes_after_refusal").as_int64(), 0);
  EXPECT_TRUE(seen.at("dispute_labelled").as_bool());
  EXPECT_EQ(json::serialize(seen.at("dispute_api")), R"(["needs_response",2000,"fraudulent",true])");
  const std::string dispute_id(seen.at("dispute_rows").as_array().at(0).as_array().at(0).as_string());
  EXPECT_EQ(dispute_id.rfind("dp_", 0), 0u);
  EXPECT_EQ(seen.at("dispute_done").as_string(), "Dispute " + dispute_id + " of 20.00 EUR opened.");
  EXPECT_EQ(json::serialize(seen.at("dispute_rows")), "[[\"" + dispute_id + R"(","20.00 EUR","needs_response","fraudulent"]])");
  EXPECT_EQ(seen.at("dispute_close_label").as_string(), "Close dispute " + dispute_id);
  EXPECT_EQ(seen.at("dispute_closed").as_string(), "Dispute " + dispute_id + " closed: lost.");
  EXPECT_EQ(json::serialize(seen.at("closed_dispute_rows")), "[[\"" + dispute_id + R"(","20.00 EUR","lost","fraudulent"]])");
  EXPECT_TRUE(seen.at("dispute_close_gone").as_bool());
  EXPECT_EQ(json::serialize(seen.at("closed_dispute_api")), R"(["lost",true])");
  EXPECT_TRUE(seen.at("dispute_lost_at").as_bool());

  // JPY has no minor digits: 3 × 1,500.
  EXPECT_EQ(seen.at("yen_total").as_string(), "4,500 JPY");
  EXPECT_EQ(seen.at("yen_unit").as_string(), "1,500 JPY");

  EXPECT_EQ(joined(seen.at("subscriptions_listed")).rfind("sub_", 0), 0u);
  EXPECT_EQ(seen.at("subscription_status").as_string(), "active");
  EXPECT_EQ(seen.at("subscription_cancels").as_string(), "yes");
  EXPECT_TRUE(seen.at("subscription_cancel_button_gone").as_bool());
  EXPECT_EQ(joined(seen.at("subscription_invoices")), "29.00 EUR");

  // 100 credits at 0.50 EUR, then 10 more granted from the page.
  EXPECT_EQ(joined(seen.at("wallets_listed")), "50.00 EUR");
  EXPECT_EQ(seen.at("wallet_balance").as_string(), "50.00 EUR");
  EXPECT_EQ(seen.at("wallet_credits_after").as_string(), "110");
  EXPECT_EQ(seen.at("wallet_balance_after").as_string(), "55.00 EUR");

  // Payment methods on the customer's page. A number the sandbox does not take: the API's message, no card.
  EXPECT_EQ(seen.at("refused_card").as_string(), seen.at("api_card_refusal").as_string());
  EXPECT_NE(std::string(seen.at("refused_card").as_string()).find("card.number"), std::string::npos);
  EXPECT_EQ(seen.at("cards_after_refusal").as_int64(), 0);
  EXPECT_EQ(json::serialize(seen.at("card_form_labelled")),
            R"j(["payment-method-add-number: Card number","payment-method-add-exp_month: Expiry month (1–12)",)j"
            R"j("payment-method-add-exp_year: Expiry year (e.g. 2030)","payment-method-add-default: Make it the default",)j"
            R"j("payment-method-add-fallback_order: Fallback order (optional; lower is tried first)",)j"
            R"j("payment-method-add-replaces: Replaces (optional)"])j");
  // Added as fallback 2 (only brand, last 4 digits and expiry kept), then made the default, then the first card
  // marked invalid: each shown on the page and so in the API.
  EXPECT_EQ(seen.at("card_added").as_string(), "Card visa •••• 9995 added.");
  EXPECT_EQ(json::serialize(seen.at("card_api")), R"(["valid",false,2,11,2031])");
  EXPECT_EQ(json::serialize(seen.at("card_rows")),
            R"([["visa •••• 9995, 11/2031","card","valid","fallback 2"],["visa •••• 4242, 12/2030","card","valid","default"]])");
  EXPECT_EQ(seen.at("card_default_done").as_string(), "visa •••• 9995, 11/2031 is the default.");
  EXPECT_EQ(json::serialize(seen.at("card_rows_default")),
            R"([["visa •••• 9995, 11/2031","card","valid","default"],["visa •••• 4242, 12/2030","card","valid","—"]])");
  EXPECT_EQ(seen.at("card_invalid_done").as_string(), "visa •••• 4242, 12/2030 marked invalid.");
  EXPECT_EQ(json::serialize(seen.at("card_rows_invalid")),
            R"j([["visa •••• 9995, 11/2031","card","valid","default"],["visa •••• 4242, 12/2030","card","invalid (expired)","—"]])j");
  EXPECT_EQ(joined(seen.at("card_actions_left")), "Mark invalid | Mark valid");
  EXPECT_EQ(json::serialize(seen.at("cards_api_after")), R"([["9995","valid",null,true],["4242","invalid","expired",false]])");

  // The proforma, found under Proformas (the nav marks it), its line and total in exact money.
  EXPECT_EQ(seen.at("proformas_nav_current").as_string(), "Proformas");
  EXPECT_EQ(seen.at("proformas_listed").as_array().size(), 1u);
  const std::string proforma(seen.at("proformas_listed").as_array().at(0).as_string());
  EXPECT_EQ(seen.at("proforma_status").as_string(), "open");
  EXPECT_EQ(json::serialize(seen.at("proforma_lines")),
            R"([["Deposit <i>for</i> the project","1","250.00 EUR","0.00 EUR","250.00 EUR"]])");
  EXPECT_EQ(seen.at("proforma_total").as_string(), "250.00 EUR");
  EXPECT_EQ(joined(seen.at("proforma_actions")), "proforma-pay | proforma-credit | proforma-void | proforma-duplicate");
  // A credit of all of it: the API's message, nothing credited. Then 12.34 EUR credited.
  EXPECT_EQ(seen.at("refused_proforma_credit").as_string(), seen.at("api_proforma_refusal").as_string());
  EXPECT_NE(std::string(seen.at("refused_proforma_credit").as_string()).find(proforma), std::string::npos);
  EXPECT_EQ(seen.at("proforma_credited_after_refusal").as_int64(), 0);
  EXPECT_EQ(seen.at("proforma_credit_done").as_string(), "Credited 12.34 EUR; 237.66 EUR is still due.");
  EXPECT_EQ(json::serialize(seen.at("proforma_credited_api")), R"(["open",1234,23766])");
  EXPECT_EQ(seen.at("proforma_remaining").as_string(), "237.66 EUR");
  // What is left, recorded as paid: converted into a numbered tax invoice, paid, linked from the proforma.
  EXPECT_EQ(seen.at("proforma_pay_amount").as_string(), "237.66");
  const auto& converted = seen.at("proforma_converted_api").as_array();
  ASSERT_EQ(converted.size(), 6u);
  const std::string tax_number(converted.at(3).as_string());
  EXPECT_EQ(tax_number.rfind("INV-", 0), 0u);
  EXPECT_EQ(seen.at("proforma_pay_done").as_string(), "Converted into invoice " + tax_number + ".");
  EXPECT_EQ(json::serialize(converted), R"(["converted","invoice","paid",")" + tax_number + R"(",23766,true])");
  EXPECT_EQ(seen.at("proforma_converted_status").as_string(), "converted");
  EXPECT_EQ(joined(seen.at("proforma_actions_after")), "proforma-duplicate");
  EXPECT_TRUE(seen.at("proforma_converted_link").as_bool());
  EXPECT_EQ(joined(seen.at("proformas_converted")), proforma);
  EXPECT_EQ(seen.at("proformas_status_kept").as_string(), "converted");
  EXPECT_TRUE(seen.at("proformas_open").as_bool()) << "no proforma is open any more";
  EXPECT_EQ(json::serialize(seen.at("not_a_proforma")), R"(["Not a proforma","#/invoices/)" + std::string(seen.at("invoices_filtered").as_array().at(0).as_string()) + R"("])");

  EXPECT_EQ(json::serialize(seen.at("phone_overflow")), "[]") << "no page scrolls sideways at 360 px";
  EXPECT_EQ(json::serialize(seen.at("csp_violations")), "[]");
  EXPECT_EQ(seen.at("screenshots").as_array().size(), 28u);
  for (const auto& shot : seen.at("screenshots").as_array()) {
    const auto path = shots.path() / std::string(shot.as_string());
    std::ifstream file(path, std::ios::binary);
    std::string magic(8, '\0');
    file.read(magic.data(), 8);
    EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n") << path;
    EXPECT_LT(std::filesystem::file_size(path), 600'000u) << path;
  }
}

}  // namespace
}  // namespace billhook::testing
