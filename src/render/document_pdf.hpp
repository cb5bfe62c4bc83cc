#pragma once

// Draws a DocumentPlan as a PDF: the page layout of render/pdf.hpp. Knows pages, blocks and columns;
// every word it prints comes from the plan.

#include "core/result.hpp"
#include "render/document_plan.hpp"
#include "render/pdf.hpp"

namespace billhook::render {

// Errors as write_invoice_pdf's, but for the currency (the plan has formatted every amount).
core::Status write_document_pdf(const DocumentPlan& plan, const PdfSink& sink);

}  // namespace billhook::render
