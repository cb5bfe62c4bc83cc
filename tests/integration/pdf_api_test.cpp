// Invoice and credit-note PDFs through the real binary: finalizing, crediting and paying an invoice
// through the API yields PDFs whose text (pdftotext) matches the invoice, each version announced once —
// under Lago's names to a receiver written from Lago's documentation, under the canonical ones to a
// billhook endpoint — and bad requests for them answer 4xx naming what is wrong.

#include <chrono>
#include <iostream>
#include <map>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"
#include "unit/render/pdf_tools.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using render::testing::PdfFile;
using Strings = std::vector<std::string>;

class PdfApiTest : public BillingServerTest {
 protected:
  void SetUp() override {
    start_server({"--allow-networks", "127.0.0.0/8", "--test-clock", "--public-url", "https://billing.example.test/",
                  "--seller-name", "Billhook Test GmbH", "--seller-address", "Hauptstraße 1; 10115 Berlin",
                  "--seller-tax-id", "DE123456789"});
    api_ = std::make_unique<BillingApi>(*client_);
  }

  // The text of `path`'s PDF once version `version` is rendered.
  std::string pdf_text(const std::string& path, int version) {
    Response r;
    const bool rendered = wait_until(
        [&] {
          r = client_->get(path + "?version=" + std::to_string(version));
          return r.status == 200;
        },
        15s, "version " + std::to_string(version) + " of " + path);
    EXPECT_TRUE(rendered) << describe(r);
    if (!rendered) return {};
    EXPECT_EQ(r.header("content-type"), "application/pdf");
    EXPECT_TRUE(r.body.starts_with("%PDF-"));
    return PdfFile(r.body).text();
  }
};

TEST_F(PdfApiTest, FinalizingCreditingAndPayingYieldPdfsThatReadLikeTheInvoice) {
  NodeReceiver lago("lago.mjs");
  api_->endpoint({{"url", lago.url("/webhooks/lago")}, {"profile", "lago"}});
  lago.configure(lago_jwt_receiver_config(*server_, "https://billing.example.test"));
  endpoint("/canonical", json::array{"invoice.pdf_generated", "invoice.pdf_regenerated", "credit_note.pdf_generated"});

  const auto customer = api_->customer({{"name", "Ольга Иванова"}, {"locale", "en-US"}});
  const auto invoice = api_->invoice(customer);  // 2 × 50.00 EUR + 19 %, issued at once
  const auto number = str(api_->invoice_of(invoice).at("number"));

  const std::string v1 = pdf_text("/v1/invoices/" + invoice + "/pdf", 1);
  for (const char* expected : {"Billhook Test GmbH", "DE123456789", "Ольга Иванова", "Consulting", "119.00", "DUE"})
    EXPECT_NE(v1.find(expected), std::string::npos) << expected << " in:\n" << v1;
  EXPECT_NE(v1.find(number), std::string::npos) << v1;
  const auto shown = api_->invoice_of(invoice);
  EXPECT_EQ(shown.at("pdf_version").as_int64(), 1);
  EXPECT_EQ(str(shown.at("pdf_url")), "https://billing.example.test/v1/invoices/" + invoice + "/pdf");

  const auto note = api_->credit_note({{"invoice", invoice}, {"amount", 1900}, {"reason", "order_change"}});
  const auto note_id = str(note.at("id"));
  const std::string v2 = pdf_text("/v1/invoices/" + invoice + "/pdf", 2);
  EXPECT_NE(v2.find("100.00"), std::string::npos) << "what is due after 19.00 credited:\n" << v2;
  const std::string note_text = pdf_text("/v1/credit-notes/" + note_id + "/pdf", 1);
  EXPECT_NE(note_text.find(str(note.at("number"))), std::string::npos) << note_text;
  EXPECT_NE(note_text.find(number), std::string::npos) << note_text;

  api_->pay(invoice, {{"external", true}, {"amount", 10000}});
  const std::string v3 = pdf_text("/v1/invoices/" + invoice + "/pdf", 3);
  EXPECT_NE(v3.find("PAID"), std::string::npos) << v3;
  EXPECT_EQ(PdfFile(client_->get("/v1/invoices/" + invoice + "/pdf").body).text(), v3) << "the latest by default";

  ASSERT_TRUE(await_received("/canonical", invoice, 3));
  EXPECT_EQ(received("/canonical", invoice),
            (Strings{"invoice.pdf_generated", "invoice.pdf_regenerated", "invoice.pdf_regenerated"}));
  ASSERT_TRUE(await_received("/canonical", note_id, 1));
  EXPECT_EQ(received("/canonical", note_id), (Strings{"credit_note.pdf_generated"}));

  // Lago names a PDF's first version invoice.generated and a credit note's credit_note.generated, signed.
  const auto lago_pdf_names = [&] {
    Strings names;
    for (const auto& r : lago.received(0, 1s)) {
      const std::string name = str(r.at("handler"));
      if (name != "invoice.generated" && name != "credit_note.generated") continue;
      EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
      names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  Strings lago_names;
  EXPECT_TRUE(wait_until([&] { return (lago_names = lago_pdf_names()).size() >= 2; }, 10s, "Lago's PDF webhooks"));
  EXPECT_EQ(lago_names, (Strings{"credit_note.generated", "invoice.generated"}));
}

// kill -9 while PDFs are being rendered: after the restart every invoice's version 1 is rendered, and
// announced exactly once (a rendering and its event commit together; one cut short is done again).
TEST_F(PdfApiTest, Kill9WhileRenderingAnnouncesEachVersionOnce) {
  constexpr size_t kInvoices = 40;
  json::array lines;  // long invoices, so that rendering them all takes a while
  for (int i = 0; i < 80; ++i)
    lines.push_back(json::object{{"description", "Support hour " + std::to_string(i + 1)}, {"unit_amount", 1000}});
  const auto customer = api_->customer();
  std::vector<std::string> invoices;
  for (size_t i = 0; i < kInvoices; ++i) invoices.push_back(api_->invoice(customer, {{"lines", lines}}));

  const auto announced = [&] {
    std::map<std::string, int> per_invoice;
    const auto page = api_->get("/v1/events?limit=100&type=invoice.pdf_generated");
    for (const auto& e : page.at("data").as_array()) ++per_invoice[str(e.at("aggregate").at("id"))];
    return per_invoice;
  };
  ASSERT_TRUE(wait_until([&] { return !announced().empty(); }, 15s, "the first PDF"));
  const size_t at_kill = announced().size();
  server_->kill9();
  restart_server();
  ASSERT_TRUE(wait_until([&] { return announced().size() == kInvoices; }, 60s, "every invoice's PDF"));
  for (const auto& [invoice, count] : announced()) EXPECT_EQ(count, 1) << invoice;
  for (const auto& invoice : invoices) EXPECT_EQ(api_->invoice_of(invoice).at("pdf_version").as_int64(), 1) << invoice;
  std::cout << "[ crash    ] kill -9 after about " << at_kill << " of " << kInvoices << " PDFs\n";
}

// The seller block: `serve --seller-*`, under what PATCH /v1/settings stores; null gives a field back.
TEST_F(PdfApiTest, TheSellerBlockComesFromTheFlagsUnderTheSettings) {
  auto settings = api_->get("/v1/settings");
  EXPECT_EQ(str(settings.at("seller").at("name")), "Billhook Test GmbH");
  EXPECT_EQ(settings.at("seller").at("address_lines").as_array().size(), 2u);

  const auto patch = [&](const json::object& body) { return client_->patch("/v1/settings", body); };
  settings = expect_json(patch({{"seller", {{"name", "Acme Κατασκευές ΑΕ"}, {"address_lines", {"Odos 1", "Athens"}}}}}),
                         200, "PATCH settings");
  EXPECT_EQ(str(settings.at("seller").at("name")), "Acme Κατασκευές ΑΕ");
  EXPECT_EQ(str(settings.at("seller").at("tax_id")), "DE123456789") << "a field not set stays the flag's";
  EXPECT_TRUE(is_error(patch({{"seller", {{"name", ""}}}}), 400, "", "seller.name"));
  EXPECT_TRUE(is_error(patch({{"seller", {{"address_lines", {"ok", std::string(501, 'x')}}}}}), 400, "",
                       "seller.address_lines.1"));
  EXPECT_TRUE(is_error(patch({{"buyer", {}}}), 400, "unknown_parameter", "buyer"));
  EXPECT_EQ(str(api_->get("/v1/settings").at("seller").at("name")), "Acme Κατασκευές ΑΕ") << "refused: unchanged";

  const auto invoice = api_->invoice(api_->customer());
  const std::string text = pdf_text("/v1/invoices/" + invoice + "/pdf", 1);
  EXPECT_NE(text.find("Acme Κατασκευές ΑΕ"), std::string::npos) << text;
  EXPECT_NE(text.find("Athens"), std::string::npos) << text;
  EXPECT_EQ(text.find("Billhook Test GmbH"), std::string::npos) << text;

  settings = expect_json(patch({{"seller", {{"name", nullptr}}}}), 200, "PATCH settings");
  EXPECT_EQ(str(settings.at("seller").at("name")), "Billhook Test GmbH") << "null gives it back to the flag";
}

TEST_F(PdfApiTest, BadRequestsForAPdfNameWhatIsWrong) {
  const auto customer = api_->customer();
  const auto draft = api_->draft(customer);
  EXPECT_TRUE(is_error(client_->get("/v1/invoices/" + draft + "/pdf"), 404, "pdf_not_found"))
      << "a draft has no PDF";
  EXPECT_TRUE(is_error(client_->get("/v1/invoices/inv_01KGGCS100AAPJXX9DWP7W7209/pdf"), 404, "invoice_not_found"));
  EXPECT_TRUE(is_error(client_->get("/v1/invoices/" + draft + "/pdf?version=0"), 400, "", "version"));
  EXPECT_TRUE(is_error(client_->get("/v1/invoices/" + draft + "/pdf?version=two"), 400, "", "version"));
  EXPECT_TRUE(is_error(client_->get("/v1/invoices/" + draft + "/pdf?page=1"), 400, "unknown_parameter"));
  const auto invoice = api_->invoice(customer);
  pdf_text("/v1/invoices/" + invoice + "/pdf", 1);
  EXPECT_TRUE(is_error(client_->get("/v1/invoices/" + invoice + "/pdf?version=9"), 404, "pdf_not_found"));
}

}  // namespace
}  // namespace billhook::testing
