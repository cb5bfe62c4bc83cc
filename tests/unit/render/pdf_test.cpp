// The PDFs as a reader gets them: their text through pdftotext, their pages through pdfinfo, their
// first page's pixels through pdftoppm.

#include "render/pdf.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "pdf_tools.hpp"
#include "render/page_size.hpp"
#include "sample_views.hpp"

namespace billhook::render {
namespace {

using testing::count_of;
using testing::PdfFile;
using testing::sample_credit_note;
using testing::sample_invoice;

std::string rendered(const InvoiceView& view) {
  auto pdf = render_invoice_pdf(view);
  EXPECT_TRUE(pdf.ok()) << (pdf.ok() ? "" : pdf.error().code + ": " + pdf.error().message);
  return pdf.ok() ? std::move(pdf).value() : std::string();
}

std::string rendered(const CreditNoteView& view) {
  auto pdf = render_credit_note_pdf(view);
  EXPECT_TRUE(pdf.ok()) << (pdf.ok() ? "" : pdf.error().code + ": " + pdf.error().message);
  return pdf.ok() ? std::move(pdf).value() : std::string();
}

void expect_contains(const std::string& text, const std::vector<std::string>& needles) {
  for (const std::string& needle : needles) {
    EXPECT_NE(text.find(needle), std::string::npos) << "missing \"" << needle << "\" in:\n" << text;
  }
}

TEST(RenderInvoicePdf, ItsTextHasEveryPartOfTheInvoice) {
  const PdfFile pdf(rendered(sample_invoice()));
  EXPECT_EQ(pdf.page_count(), 1);
  expect_contains(pdf.text(), {
                                  "Invoice",
                                  "INV-2026-000042",
                                  "OPEN",
                                  "Acme Analytics GmbH",
                                  "Friedrichstraße 12",
                                  "billing@acme.example",
                                  "Tax ID DE123456789",
                                  "Bill to",
                                  "Globex Corporation",
                                  "Springfield, IL 62701",
                                  "Issue date",
                                  "2026-03-01",
                                  "Due date",
                                  "2026-03-31",
                                  "Analytics Pro plan",
                                  "2026-03-01 \u2013 2026-03-31",
                                  "Extra seats",
                                  "Consulting hours",
                                  "Unit price (EUR)",
                                  "999.00",
                                  "45.00",
                                  "135.00",
                                  "2.5",
                                  "120.00",
                                  "19%",
                                  "Taxable amount",
                                  "1,434.00",
                                  "272.46",
                                  "EUR 1,434.00",
                                  "EUR 272.46",
                                  "EUR 1,706.46",
                                  "Credits applied",
                                  "-EUR 50.00",
                                  "Amount paid",
                                  "EUR 0.00",
                                  "Amount due",
                                  "EUR 1,656.46",
                                  "Thank you for your business.",
                                  "Page 1 of 1",
                              });
}

TEST(RenderInvoicePdf, NamesInEveryScriptComeOutAsText) {
  InvoiceView view = sample_invoice();
  view.seller.name = "ООО «Ромашка»";                     // Cyrillic
  view.customer.name = "Αθηναϊκή Εταιρεία Λογισμικού";    // Greek
  view.customer.address_lines = {"株式会社山田商事", "北京科技有限公司", "한국상사"};  // Japanese, Chinese, Korean
  view.lines[0].description = "شركة الأفق";              // Arabic
  const PdfFile pdf(rendered(view));
  const std::string text = pdf.text();
  expect_contains(text, {"ООО «Ромашка»", "Αθηναϊκή Εταιρεία Λογισμικού", "株式会社山田商事", "北京科技有限公司",
                         "한국상사"});
  // pdftotext may put right-to-left text in visual order: each letter must be there, whatever the order.
  for (const std::string letter : {"ش", "ر", "ك", "ة", "ا", "ل", "أ", "ف", "ق"}) {
    EXPECT_NE(text.find(letter), std::string::npos) << "missing Arabic letter " << letter << " in:\n" << text;
  }
}

TEST(RenderInvoicePdf, ManyLinesFlowOntoFurtherPagesUnderARepeatedHeader) {
  constexpr int kLines = 300;
  InvoiceView view = sample_invoice();
  view.lines.clear();
  for (int i = 1; i <= kLines; ++i) {
    view.lines.push_back({.description = fmt::format("Line-item-{:03}", i), .unit_amount = 100, .amount = 100});
  }
  const PdfFile pdf(rendered(view));
  const int pages = pdf.page_count();
  ASSERT_GT(pages, 1);

  const std::string all = pdf.text();
  for (int i = 1; i <= kLines; ++i) EXPECT_EQ(count_of(all, fmt::format("Line-item-{:03}", i)), 1u) << i;

  int next_line = 1;
  for (int page = 1; page <= pages; ++page) {
    SCOPED_TRACE("page " + std::to_string(page));
    const std::string text = pdf.text(page);
    EXPECT_EQ(count_of(text, fmt::format("Page {} of {}", page, pages)), 1u) << text;
    // Page one names the invoice under its title, in its facts and in the footer; later pages in their
    // header and footer.
    EXPECT_EQ(count_of(text, "INV-2026-000042"), page == 1 ? 3u : 2u) << text;
    // The lines continue in order from the page before, under the table's header.
    int on_page = 0;
    while (next_line <= kLines && text.find(fmt::format("Line-item-{:03}", next_line)) != std::string::npos) {
      ++next_line;
      ++on_page;
    }
    if (on_page > 0) {
      EXPECT_EQ(count_of(text, "Description"), 1u) << text;
    }
    if (page < pages) {
      EXPECT_GT(on_page, 0);
    }
    EXPECT_EQ(text.find("Amount due") != std::string::npos, page == pages);
  }
  EXPECT_EQ(next_line, kLines + 1);
}

TEST(RenderInvoicePdf, ThePaperFollowsTheCustomersLocale) {
  InvoiceView view = sample_invoice();
  view.page_size = page_size_for_locale("fr-FR");
  EXPECT_EQ(PdfFile(rendered(view)).page_points(), (std::pair<double, double>{595, 842}));
  view.page_size = page_size_for_locale("en-US");
  EXPECT_EQ(PdfFile(rendered(view)).page_points(), (std::pair<double, double>{612, 792}));
}

TEST(RenderInvoicePdf, TheFirstPageIsDrawnWhereExpected) {
  const PdfFile pdf(rendered(sample_invoice()));
  const testing::GrayPage page = pdf.gray_page(1, 50);
  ASSERT_NEAR(page.width, 595.0 * 50 / 72, 1);  // A4 at 50 dpi
  ASSERT_NEAR(page.height, 842.0 * 50 / 72, 1);
  // Seller, title and stamp at the top; the customer and dates, then the table below them.
  EXPECT_GT(page.ink_share(0.04, 0.18), 0.03);
  EXPECT_GT(page.ink_share(0.25, 0.45), 0.03);
  // The margins stay white, and so does the empty lower half under the totals.
  EXPECT_LT(page.ink_share(0, 1, 0, 0.04), 0.002);
  EXPECT_LT(page.ink_share(0.75, 0.9), 0.002);
}

// The sample invoice's first page against a reviewed reference (tests/golden/render/, a 50 dpi grey
// image; BILLHOOK_UPDATE_GOLDEN=1 rewrites it — look at it before committing it). Anti-aliasing may
// differ by a shade here and there; a moved or missing block differs in many pixels.
TEST(RenderInvoicePdf, TheFirstPageLooksLikeItsReviewedReference) {
  const PdfFile pdf(rendered(sample_invoice()));
  const testing::GrayPage page = pdf.gray_page(1, 50);
  ASSERT_GT(page.width, 0);
  const std::filesystem::path reference = std::filesystem::path(BILLHOOK_RENDER_GOLDEN_DIR) / "sample_invoice_page1.pgm";
  if (std::getenv("BILLHOOK_UPDATE_GOLDEN")) {
    testing::write_pgm(page, reference);
    GTEST_SKIP() << "rewrote " << reference;
  }
  const testing::GrayPage expected = testing::read_pgm(reference);
  ASSERT_EQ(page.width, expected.width);
  ASSERT_EQ(page.height, expected.height);
  size_t different = 0;
  for (size_t i = 0; i < page.pixels.size(); ++i)
    if (std::abs(int{page.pixels[i]} - int{expected.pixels[i]}) > 48) ++different;
  EXPECT_LT(static_cast<double>(different) / static_cast<double>(page.pixels.size()), 0.005)
      << different << " of " << page.pixels.size() << " pixels differ from " << reference;
}

TEST(RenderInvoicePdf, CurrenciesWithoutOrWithThreeDecimalsAreExact) {
  InvoiceView yen = sample_invoice();
  yen.currency = "JPY";
  yen.lines = {{.description = "Widget", .quantity_milli = 3000, .unit_amount = 1'500, .amount = 4'500}};
  yen.taxes.clear();
  yen.subtotal = yen.total = yen.amount_due = 4'500;
  yen.tax = yen.credits_applied = 0;
  const std::string yen_text = PdfFile(rendered(yen)).text();
  expect_contains(yen_text, {"1,500", "4,500", "JPY 4,500", "Amount (JPY)"});
  EXPECT_EQ(yen_text.find("4,500.0"), std::string::npos);

  InvoiceView dinar = sample_invoice();
  dinar.currency = "BHD";
  dinar.lines = {{.description = "Service", .unit_amount = 1'234'567, .amount = 1'234'567}};
  dinar.taxes.clear();
  dinar.subtotal = dinar.total = 1'234'567;
  dinar.tax = dinar.credits_applied = 0;
  dinar.amount_paid = 1'000'001;
  dinar.amount_due = 234'566;
  expect_contains(PdfFile(rendered(dinar)).text(), {"1,234.567", "BHD 1,234.567", "BHD 1,000.001", "BHD 234.566"});
}

TEST(RenderInvoicePdf, FailuresAreErrorsNotCrashes) {
  InvoiceView view = sample_invoice();
  view.currency = "XYZ";
  const auto unknown = render_invoice_pdf(view);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "unknown_currency");

  size_t offered = 0;
  const auto refused = write_invoice_pdf(sample_invoice(), [&offered](std::string_view bytes) {
    offered += bytes.size();
    return false;
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, core::ErrorKind::unavailable);
  EXPECT_EQ(refused.error().code, "pdf_write_failed");
  EXPECT_GT(offered, 0u);

  const auto thrown =
      write_invoice_pdf(sample_invoice(), [](std::string_view) -> bool { throw std::runtime_error("disk full"); });
  ASSERT_FALSE(thrown.ok());
  EXPECT_EQ(thrown.error().code, "pdf_write_failed");
}

TEST(RenderInvoicePdf, TextThatIsNotUtf8StillRenders) {
  InvoiceView view = sample_invoice();
  view.customer.name = std::string("Bad \xff\xfe bytes and a \0 NUL", 25);
  view.lines[0].description = std::string(20'000, 'x');  // wrapped, capped in lines, on one page
  const PdfFile pdf(rendered(view));
  EXPECT_EQ(pdf.page_count(), 1);
  expect_contains(pdf.text(), {"Bad", "bytes and a", "NUL", "Amount due"});
}

TEST(RenderCreditNotePdf, ItsTextNamesTheNoteTheInvoiceAndTheTotal) {
  const PdfFile pdf(rendered(sample_credit_note()));
  EXPECT_EQ(pdf.page_count(), 1);
  expect_contains(pdf.text(), {"Credit note", "INV-2026-000042-CN-01", "Credits invoice", "INV-2026-000042", "Reason",
                               "Duplicate charge", "Credit to", "Globex Corporation", "Acme Analytics GmbH",
                               "2026-03-06", "Extra seat refund", "42.02", "Total credited", "EUR 50.00",
                               "Credited to the invoice", "ISSUED", "Seat charged twice in March.", "Page 1 of 1"});
}

TEST(RenderCreditNotePdf, ANoteWithoutLinesHasNoTable) {
  CreditNoteView view = sample_credit_note();
  view.lines.clear();
  view.taxes.clear();
  view.page_size = PageSize::letter;
  const PdfFile pdf(rendered(view));
  EXPECT_EQ(pdf.page_points(), (std::pair<double, double>{612, 792}));
  const std::string text = pdf.text();
  EXPECT_EQ(text.find("Description"), std::string::npos);
  expect_contains(text, {"Total credited", "EUR 50.00", "Page 1 of 1"});
}

}  // namespace
}  // namespace billhook::render
