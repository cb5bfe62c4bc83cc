#include "billing/pdf.hpp"

#include <algorithm>

#include "core/described.hpp"

namespace billhook::billing {
namespace {

DocumentLookup pdf_lookup(const RenderedPdf& pdf) {
  return {.customer_id = "",
          .parent_id = pdf.subject_id,
          .status = std::string(core::described::name_of(pdf.status)),
          .wake_at = pdf.status == PdfStatus::pending ? pdf.next_attempt_at : std::nullopt};
}

}  // namespace

const DocumentKind<RenderedPdf> kPdfs{.kind = "pdf",
                                      .noun = "PDF",
                                      .id_kind = core::IdKind::pdf,
                                      .hidden_fields = {"content_base64"},
                                      .lookup = &pdf_lookup,
                                      .object = {},
                                      .plural = "PDFs"};

int64_t pdf_retry_delay_s(int64_t attempts) {
  constexpr int64_t kFirst = 30;
  constexpr int64_t kMost = 3600;
  int64_t delay = kFirst;
  for (int64_t i = 1; i < attempts && delay < kMost; ++i) delay *= 2;
  return std::min(delay, kMost);
}

}  // namespace billhook::billing
