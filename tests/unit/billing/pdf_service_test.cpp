// Invoice and credit-note PDFs on the store, on both backends: the change that calls for a PDF asks for
// the next version in its own transaction, the document clock renders it and announces it once
// (invoice.pdf_generated, then invoice.pdf_regenerated; credit_note.pdf_generated), the bytes read back
// as a reader sees them (pdftotext), and a rendering that fails is tried again later.

#include "billing/pdf_service.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "credit_fixture.hpp"
#include "unit/render/pdf_tools.hpp"

namespace billhook::billing::testing {
namespace {

using render::testing::PdfFile;

class PdfTest : public CreditTest {
 protected:
  void open_services() override {
    CreditTest::open_services();
    pdfs_ = std::make_unique<PdfService>(*service_, render::Party{.name = "Billhook Test GmbH",
                                                                  .address_lines = {"Hauptstraße 1", "10115 Berlin"},
                                                                  .email = "billing@billhook.test",
                                                                  .tax_id = "DE123456789"},
                                         [] { return std::string("https://billing.example.test"); });
  }
  void close_services() override {
    pdfs_.reset();
    CreditTest::close_services();
  }

  // One pass of the document clock with the PDF handler; answers the transactions committed.
  int run_pdfs() {
    await_lead();
    DocumentClock clock(*store_, clock_);
    clock.on(kPdfs.kind, [&](store::WriteTx& tx, const Wake& wake) { return pdfs_->on_wake(tx, wake); });
    auto n = clock.run_once();
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
    return n.ok() ? *n : -1;
  }

  std::vector<RenderedPdf> pdfs_of(const std::string& subject_id) {
    std::vector<RenderedPdf> out;
    for (const auto& r : documents({.kind = std::string(kPdfs.kind), .parent_id = subject_id})) {
      auto pdf = kPdfs.decode(r.body);
      EXPECT_TRUE(pdf.ok());
      if (pdf.ok()) out.push_back(*pdf);
    }
    return out;
  }

  std::string text_of_pdf(const std::string& subject_id, std::optional<int64_t> version = std::nullopt) {
    auto bytes = rendered_pdf_bytes(*store_, subject_id, version);
    EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().message);
    if (!bytes.ok()) return {};
    EXPECT_TRUE(bytes->starts_with("%PDF-"));
    return PdfFile(*bytes).text();
  }

  std::unique_ptr<PdfService> pdfs_;
};

TEST_P(PdfTest, AFinalizedInvoiceIsRenderedOnceAsVersionOne) {
  const auto cus = customer();
  const auto draft = draft_invoice(cus);
  EXPECT_TRUE(pdfs_of(draft).empty()) << "a draft has no PDF";
  const auto inv = open_invoice(cus);
  auto pending = pdfs_of(inv);
  ASSERT_EQ(pending.size(), 1u) << "asked for in the finalizing transaction";
  EXPECT_EQ(pending[0].status, PdfStatus::pending);
  EXPECT_EQ(pending[0].version, 1);
  EXPECT_EQ(rendered_pdf_bytes(*store_, inv, std::nullopt).error().code, "pdf_not_found");

  EXPECT_EQ(run_pdfs(), 1);
  EXPECT_EQ(run_pdfs(), 0) << "rendered once";
  reopen();
  EXPECT_EQ(run_pdfs(), 0) << "a restart renders nothing again";

  const auto rendered = pdfs_of(inv);
  ASSERT_EQ(rendered.size(), 1u);
  EXPECT_EQ(rendered[0].status, PdfStatus::rendered);
  EXPECT_GT(rendered[0].bytes, 1000);
  EXPECT_EQ(rendered[0].sha256.size(), 64u);
  const Invoice stored = stored_invoice(inv);
  EXPECT_EQ(stored.pdf_version, 1);
  EXPECT_EQ(stored.pdf_url, "https://billing.example.test/v1/invoices/" + inv + "/pdf");
  const auto generated = last_of(events_of(inv), "invoice.pdf_generated");
  ASSERT_TRUE(generated.has_value());
  EXPECT_EQ(generated->object.at("pdf_version"), 1);
  EXPECT_EQ(generated->object.at("pdf_url"), json::value(*stored.pdf_url));
  const Strings types = types_of(inv);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.pdf_generated"), 1);

  const std::string text = text_of_pdf(inv);
  EXPECT_NE(text.find(*stored.number), std::string::npos) << text;
  EXPECT_NE(text.find("Billhook Test GmbH"), std::string::npos) << text;
  EXPECT_NE(text.find("Ada"), std::string::npos) << text;
  EXPECT_NE(text.find("Consulting"), std::string::npos) << text;
  EXPECT_NE(text.find("119.00"), std::string::npos) << "the total, 2 × 50.00 + 19 %: " << text;
}

TEST_P(PdfTest, ACreditNoteRegeneratesTheInvoiceAndHasItsOwnPdf) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  ASSERT_EQ(run_pdfs(), 1);
  auto note = credit_note(inv, 2000);
  ASSERT_TRUE(note.ok()) << note.error().message;
  ASSERT_EQ(run_pdfs(), 2);  // the invoice's version 2 and the credit note's version 1

  const auto regenerated = last_of(events_of(inv), "invoice.pdf_regenerated");
  ASSERT_TRUE(regenerated.has_value());
  EXPECT_EQ(regenerated->object.at("pdf_version"), 2);
  EXPECT_EQ(stored_invoice(inv).pdf_version, 2);
  EXPECT_NE(text_of_pdf(inv).find("99.00"), std::string::npos) << "what is due after 20.00 credited";
  EXPECT_NE(text_of_pdf(inv, 1).find("119.00"), std::string::npos) << "version 1 is kept as it was";

  EXPECT_EQ(types_of(note->id), (Strings{"credit_note.created", "credit_note.pdf_generated"}));
  const std::string note_text = text_of_pdf(note->id);
  EXPECT_NE(note_text.find(note->number), std::string::npos) << note_text;
  EXPECT_NE(note_text.find(*stored_invoice(inv).number), std::string::npos) << note_text;
  EXPECT_NE(note_text.find("20.00"), std::string::npos) << note_text;
}

// Changes before the waiting version is rendered do not ask for more: it draws the invoice as it is then.
TEST_P(PdfTest, ChangesWhileAVersionWaitsShareIt) {
  const auto cus = customer();
  attach(cus, kGoodCard);
  const auto inv = open_invoice(cus);
  ASSERT_TRUE(pay_card(inv).ok());
  ASSERT_EQ(pdfs_of(inv).size(), 1u);
  EXPECT_EQ(run_pdfs(), 1);
  EXPECT_NE(text_of_pdf(inv).find("PAID"), std::string::npos);
  const Strings types = types_of(inv);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.pdf_regenerated"), 0);
}

// A rendering that fails keeps the failure and is tried again later, with a growing delay; nothing is
// announced until it succeeds. (A version whose invoice cannot be read stands for any failure.)
TEST_P(PdfTest, AFailedRenderingIsTriedAgainLater) {
  const std::string missing = "inv_01KGGCS100AAPJXX9DWP7W7209";
  const RenderedPdf orphan{.id = "pdf_01KGGCS100AAPJXX9DWP7W7209",
                           .subject_id = missing,
                           .next_attempt_at = kStartMs / 1000,
                           .created = kStartMs / 1000};
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return kPdfs.insert(tx, orphan, orphan.id, kStartMs); }).ok());
  const int64_t events = event_count();
  EXPECT_EQ(run_pdfs(), 1);
  auto failed = pdfs_of(missing);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].status, PdfStatus::pending);
  EXPECT_EQ(failed[0].attempts, 1);
  EXPECT_TRUE(failed[0].last_error.has_value());
  EXPECT_EQ(failed[0].next_attempt_at, kStartMs / 1000 + 30);
  EXPECT_EQ(run_pdfs(), 0) << "not before its time";
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(run_pdfs(), 1);
  EXPECT_EQ(pdfs_of(missing)[0].attempts, 2);
  EXPECT_EQ(pdfs_of(missing)[0].next_attempt_at, kStartMs / 1000 + 30 + 60);
  EXPECT_EQ(event_count(), events);
  EXPECT_EQ(pdf_retry_delay_s(1), 30);
  EXPECT_EQ(pdf_retry_delay_s(20), 3600);
}

// Two nodes may both render for a moment (one lost the lead mid-pass): the second copy is refused.
TEST_P(PdfTest, AStaleCopyCannotAnnounceAVersionTwice) {
  const auto cus = customer();
  const auto inv = open_invoice(cus);
  const RenderedPdf waiting = pdfs_of(inv).at(0);
  ASSERT_EQ(run_pdfs(), 1);
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return kPdfs.update(tx, waiting, waiting.id); }).ok());
  const int64_t events = event_count();
  auto again = write([&](store::WriteTx& tx) { return pdfs_->on_wake(tx, Wake{waiting.id, 0}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "pdf_already_rendered");
  EXPECT_EQ(event_count(), events);
}

INSTANTIATE_TEST_SUITE_P(Backends, PdfTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
