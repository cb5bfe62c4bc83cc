#pragma once

// Invoice and credit-note PDFs (DOMAINS.md §4), rendered after the change that calls for them.
//
// The commit that finalizes, adjusts, credits or pays an invoice, or issues a credit note, asks for the
// next version in that same transaction (an observer of their events: BillingService::observe_events),
// unless a version of it is still waiting — that one will draw the document as it is by then. The
// document clock renders each pending version in its own transaction: the bytes, the subject's
// `pdf_version`/`pdf_url` and the event (`invoice.pdf_generated` for version 1,
// `invoice.pdf_regenerated` after, `credit_note.pdf_generated`) commit together, so a crash part-way
// renders again and each version is announced once. A rendering that fails is tried again later
// (pdf_retry_delay_s) and never holds up the change that asked for it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/pdf.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "render/invoice_view.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class PdfService {
 public:
  // `public_url`: the base of the pdf_url it writes (--public-url).
  PdfService(BillingService& billing, render::Party seller, std::function<std::string()> public_url);
  ~PdfService();
  PdfService(const PdfService&) = delete;
  PdfService& operator=(const PdfService&) = delete;

  // The seller block of `billhook serve --seller-*`, under what PATCH /v1/settings stored
  // (seller_settings.hpp).
  const render::Party& seller_flags() const { return seller_; }

  // Renders a pending version (its handler on the document clock).
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

 private:
  core::Status on_invoice_event(store::WriteTx& tx, std::string_view type, const boost::json::object& invoice);
  core::Status on_credit_note_event(store::WriteTx& tx, std::string_view type, const boost::json::object& note);
  // The next version of `subject_id`, unless one is pending.
  core::Status ask_for(store::WriteTx& tx, PdfSubject subject, const std::string& subject_id);
  // The PDF of the subject as it is now.
  core::Result<std::string> render(store::WriteTx& tx, const RenderedPdf& pdf);
  // The subject's pdf_version and pdf_url, and the event that announces the version.
  core::Status announce(store::WriteTx& tx, const RenderedPdf& pdf);

  BillingService& billing_;
  render::Party seller_;
  std::function<std::string()> public_url_;
};

// The bytes of a subject's PDF: `version`, or the latest rendered when absent. not_found
// ("pdf_not_found") when there is none (yet), naming what is pending.
core::Result<std::string> rendered_pdf_bytes(store::Store& store, std::string_view subject_id,
                                             std::optional<int64_t> version);

// The rendered PDFs as documents (GET /v1/pdfs?…, /v1/pdfs/{id}: versions, status, size, checksum), the
// service the server makes for them and their handler on the document clock.
void register_pdfs(DocumentRegistry& registry);

}  // namespace billhook::billing
