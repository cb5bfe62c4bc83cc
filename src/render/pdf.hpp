#pragma once

// Invoice and credit-note PDFs, rendered in-process with cairo and pango. The only public entry to
// render/: nothing here names cairo or pango, so the library's users need neither.
//
// The document: the seller's block and the title, number and status stamp at the top; the customer's
// block beside the dates; the line table (description with its period, quantity, unit price, tax rate,
// amount; numbers right-aligned, long descriptions wrapped and capped at a few lines); then the tax per
// rate, the totals and the notes. Rows flow onto further pages under a repeated table header; every
// page has a footer with the document's number and "Page N of M". Text is set in DejaVu Sans, with
// fontconfig's fallback for the scripts it lacks (CJK), so any text pango can shape prints.
//
// Safe to call from several threads at once: each call has its own cairo surface, and pango keeps a
// font map per thread.

#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "render/invoice_view.hpp"

namespace billhook::render {

// Receives the PDF's bytes in order, in pieces; false stops the rendering with an error.
using PdfSink = std::function<bool(std::string_view bytes)>;

// Renders into `sink`. Errors: an unknown currency (invalid_request "unknown_currency", param
// "currency"); the sink refusing bytes (unavailable "pdf_write_failed"); cairo failing otherwise
// (internal "pdf_render_failed", with cairo's reason). Never throws for cairo's or the sink's failures.
core::Status write_invoice_pdf(const InvoiceView& view, const PdfSink& sink);
core::Status write_credit_note_pdf(const CreditNoteView& view, const PdfSink& sink);

// The same, into memory: the whole PDF file.
core::Result<std::string> render_invoice_pdf(const InvoiceView& view);
core::Result<std::string> render_credit_note_pdf(const CreditNoteView& view);

}  // namespace billhook::render
