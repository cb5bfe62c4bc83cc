#include "render/pdf.hpp"

#include "render/document_pdf.hpp"
#include "render/document_plan.hpp"

namespace billhook::render {
namespace {

template <class View>
core::Result<std::string> into_memory(const View& view, core::Status (*write)(const View&, const PdfSink&)) {
  std::string bytes;
  auto status = write(view, [&bytes](std::string_view chunk) {
    bytes.append(chunk);
    return true;
  });
  if (!status) return std::move(status).error();
  return bytes;
}

}  // namespace

core::Status write_invoice_pdf(const InvoiceView& view, const PdfSink& sink) {
  auto plan = plan_invoice(view);
  if (!plan) return std::move(plan).error();
  return write_document_pdf(*plan, sink);
}

core::Status write_credit_note_pdf(const CreditNoteView& view, const PdfSink& sink) {
  auto plan = plan_credit_note(view);
  if (!plan) return std::move(plan).error();
  return write_document_pdf(*plan, sink);
}

core::Result<std::string> render_invoice_pdf(const InvoiceView& view) { return into_memory(view, &write_invoice_pdf); }

core::Result<std::string> render_credit_note_pdf(const CreditNoteView& view) {
  return into_memory(view, &write_credit_note_pdf);
}

}  // namespace billhook::render
