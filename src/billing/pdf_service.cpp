#include "billing/pdf_service.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/credit_note.hpp"
#include "billing/pdf_views.hpp"
#include "billing/seller_settings.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "render/pdf.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

// The changes that alter what an invoice's PDF shows.
constexpr std::array<std::string_view, 4> kInvoiceChanges = {"invoice.finalized", "invoice.adjusted",
                                                             "invoice.credited", "invoice.paid"};

std::string text_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::string_view path_of(PdfSubject subject) {
  return subject == PdfSubject::invoice ? "invoices" : "credit-notes";
}

}  // namespace

PdfService::PdfService(BillingService& billing, render::Party seller, std::function<std::string()> public_url)
    : billing_(billing), seller_(std::move(seller)), public_url_(std::move(public_url)) {
  billing_.observe_events(this, "invoice",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                 const Origin&) { return on_invoice_event(tx, type, invoice); });
  billing_.observe_events(this, "credit_note",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& note,
                                 const Origin&) { return on_credit_note_event(tx, type, note); });
}

PdfService::~PdfService() { billing_.stop_observing(this); }

Status PdfService::on_invoice_event(store::WriteTx& tx, std::string_view type, const json::object& invoice) {
  if (std::find(kInvoiceChanges.begin(), kInvoiceChanges.end(), type) == kInvoiceChanges.end()) return {};
  return ask_for(tx, PdfSubject::invoice, text_of(invoice, "id"));
}

Status PdfService::on_credit_note_event(store::WriteTx& tx, std::string_view type, const json::object& note) {
  // A credit note is drawn once it is issued (a draft issued later announces credit_note.created then).
  if (type != "credit_note.created" || text_of(note, "status") == "draft") return {};
  return ask_for(tx, PdfSubject::credit_note, text_of(note, "id"));
}

Status PdfService::ask_for(store::WriteTx& tx, PdfSubject subject, const std::string& subject_id) {
  if (subject_id.empty()) return Error::internal("a PDF was asked for a document without an id");
  // One waiting version is enough: it draws the document as it is when it is rendered.
  auto waiting = tx.find_documents({.kind = std::string(kPdfs.kind),
                                    .customer_id = "",
                                    .parent_id = subject_id,
                                    .status = std::string(core::described::name_of(PdfStatus::pending))});
  if (!waiting) return std::move(waiting).error();
  if (!waiting->empty()) return {};
  auto version = tx.next_sequence("pdf_version", subject_id);
  if (!version) return std::move(version).error();
  const int64_t now = billing_.now_s();
  const RenderedPdf pdf{.id = billing_.ids().next(core::IdKind::pdf),
                        .subject = subject,
                        .subject_id = subject_id,
                        .version = *version,
                        .next_attempt_at = now,
                        .created = now};
  return kPdfs.insert(tx, pdf, pdf.id, now * 1000);
}

Result<std::string> PdfService::render(store::WriteTx& tx, const RenderedPdf& pdf) {
  auto settings = load_seller_settings(tx);
  if (!settings) return std::move(settings).error();
  const render::Party seller = effective_seller(*settings, seller_);
  if (pdf.subject == PdfSubject::invoice) {
    auto invoice = billing_.load_invoice(tx, pdf.subject_id);
    if (!invoice) return std::move(invoice).error();
    auto customer = billing_.load_customer(tx, invoice->customer_id, "");
    if (!customer) return std::move(customer).error();
    return render::render_invoice_pdf(invoice_view(*invoice, *customer, seller));
  }
  auto note = kCreditNotes.find(tx, pdf.subject_id);
  if (!note) return std::move(note).error();
  if (!*note) return kCreditNotes.not_found(pdf.subject_id);
  auto invoice = billing_.load_invoice(tx, (*note)->invoice);
  if (!invoice) return std::move(invoice).error();
  auto customer = billing_.load_customer(tx, invoice->customer_id, "");
  if (!customer) return std::move(customer).error();
  return render::render_credit_note_pdf(credit_note_view(**note, *invoice, *customer, seller));
}

Status PdfService::announce(store::WriteTx& tx, const RenderedPdf& pdf) {
  const std::string base = public_url_ ? public_url_() : std::string();
  const std::string url =
      fmt::format("{}/v1/{}/{}/pdf", base.empty() ? "http://localhost" : base, path_of(pdf.subject), pdf.subject_id);
  const Origin time_driven;  // it answers no request
  if (pdf.subject == PdfSubject::invoice) {
    auto invoice = billing_.load_invoice(tx, pdf.subject_id);
    if (!invoice) return std::move(invoice).error();
    invoice->pdf_version = static_cast<int>(std::max<int64_t>(invoice->pdf_version, pdf.version));
    invoice->pdf_url = url;
    if (auto s = billing_.save_invoice(tx, *invoice, false); !s) return s;
    auto object = to_json(*invoice);
    object["pdf_version"] = pdf.version;  // the version this event announces
    return billing_.append(tx, pdf.version == 1 ? "invoice.pdf_generated" : "invoice.pdf_regenerated", "invoice",
                           invoice->id, std::move(object), {}, time_driven);
  }
  auto note = kCreditNotes.find(tx, pdf.subject_id);
  if (!note) return std::move(note).error();
  if (!*note) return kCreditNotes.not_found(pdf.subject_id);
  CreditNote& doc = **note;
  doc.pdf_version = std::max(doc.pdf_version, pdf.version);
  doc.pdf_url = url;
  if (auto s = kCreditNotes.update(tx, doc, doc.id); !s) return s;
  auto object = kCreditNotes.api_json(doc);
  object["pdf_version"] = pdf.version;
  return billing_.append(tx, "credit_note.pdf_generated", "credit_note", doc.id, std::move(object), {}, time_driven);
}

Result<bool> PdfService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kPdfs.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found || (*found)->status != PdfStatus::pending) return false;
  RenderedPdf pdf = std::move(**found);
  const int64_t now = billing_.now_s();
  if (pdf.next_attempt_at && *pdf.next_attempt_at > now) return false;
  auto bytes = render(tx, pdf);
  if (!bytes) {
    // Tried again later, with the failure kept on the document; what asked for it has long been answered.
    ++pdf.attempts;
    pdf.last_error = bytes.error().message;
    pdf.next_attempt_at = now + pdf_retry_delay_s(pdf.attempts);
    core::log::warn("rendering a PDF failed; it is tried again later",
                    {{"pdf", pdf.id}, {"subject", pdf.subject_id}, {"attempts", pdf.attempts},
                     {"error", bytes.error().message}});
    if (auto s = kPdfs.update(tx, pdf, pdf.id); !s) return std::move(s).error();
    return false;
  }
  // Each version once, whatever copy of it this transaction read (a node that lost the lead mid-pass).
  auto claimed = tx.claim_once(fmt::format("{}:rendered", pdf.id), pdf.subject_id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed) return Error::conflict("pdf_already_rendered", fmt::format("{} is already rendered", pdf.id));
  pdf.status = PdfStatus::rendered;
  pdf.content_base64 = core::base64_encode(*bytes);
  pdf.bytes = static_cast<int64_t>(bytes->size());
  pdf.sha256 = core::sha256_hex(*bytes);
  pdf.rendered_at = now;
  pdf.next_attempt_at.reset();
  pdf.last_error.reset();
  if (auto s = kPdfs.update(tx, pdf, pdf.id); !s) return std::move(s).error();
  if (auto s = announce(tx, pdf); !s) return std::move(s).error();
  return false;
}

Result<std::string> rendered_pdf_bytes(store::Store& store, std::string_view subject_id,
                                       std::optional<int64_t> version) {
  auto records = store.find_documents(
      {.kind = std::string(kPdfs.kind), .customer_id = "", .parent_id = std::string(subject_id), .status = ""});
  if (!records) return std::move(records).error();
  std::optional<RenderedPdf> best;
  bool pending = false;
  for (const auto& record : *records) {
    auto pdf = kPdfs.decode(record.body);
    if (!pdf) return std::move(pdf).error();
    if (pdf->status == PdfStatus::pending) {
      pending = pending || !version || pdf->version == *version;
      continue;
    }
    if (version ? pdf->version == *version : (!best || pdf->version > best->version)) best = std::move(*pdf);
  }
  if (!best) {
    const std::string which = version ? fmt::format("version {} of the PDF of {}", *version, subject_id)
                                      : fmt::format("a PDF of {}", subject_id);
    return Error::not_found("pdf_not_found", pending ? fmt::format("{} is being rendered; try again shortly", which)
                                                     : fmt::format("there is no {}", which));
  }
  auto bytes = core::base64_decode(best->content_base64);
  if (!bytes) return Error::internal(fmt::format("{}'s stored bytes do not decode", best->id));
  return std::move(*bytes);
}

void register_pdfs(DocumentRegistry& registry) {
  registry.provide(service_factory<PdfService>([](const DomainDeps& deps) {
    return std::make_unique<PdfService>(deps.billing, deps.seller, deps.public_url);
  }));
  RegisteredKind pdfs = registered(kPdfs, "/v1/pdfs", "Pdf");
  pdfs.parent_filter = "subject";
  pdfs.wake = wake_with(&PdfService::on_wake);
  registry.add(std::move(pdfs));
}

}  // namespace billhook::billing
