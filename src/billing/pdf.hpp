#pragma once

// A rendered PDF of an invoice or a credit note (DOMAINS.md §4): one document per version. The
// commit that finalizes, adjusts, credits or pays an invoice, or issues a credit note, asks for the next
// version (`pending`, due now); the document clock renders it (pdf_service.hpp) and keeps the bytes
// here, then `rendered`. A registered document, kind "pdf", id "pdf_…", its parent the invoice or
// credit note; the bytes are kept (base64, so both stores hold them as text, every node can serve them,
// and they commit with the event that announces them) but not shown: GET /v1/invoices/{id}/pdf serves them.

#include <cstdint>
#include <optional>
#include <string>

#include <boost/describe.hpp>

#include "billing/registry/document_kind.hpp"

namespace billhook::billing {

enum class PdfStatus { pending, rendered };
BOOST_DESCRIBE_ENUM(PdfStatus, pending, rendered)

enum class PdfSubject { invoice, credit_note };
BOOST_DESCRIBE_ENUM(PdfSubject, invoice, credit_note)

struct RenderedPdf {
  std::string id;
  PdfSubject subject = PdfSubject::invoice;
  std::string subject_id;  // the invoice's or the credit note's id
  int64_t version = 1;     // 1, 2, … per subject
  PdfStatus status = PdfStatus::pending;
  int64_t attempts = 0;    // renderings that failed so far
  std::optional<std::string> last_error;
  std::optional<int64_t> next_attempt_at;  // while pending: when the clock renders it
  int64_t bytes = 0;                       // once rendered
  std::string sha256;                      // hex, once rendered
  int64_t created = 0;
  std::optional<int64_t> rendered_at;
  std::string content_base64;  // the PDF; not shown
  bool operator==(const RenderedPdf&) const = default;
};
BOOST_DESCRIBE_STRUCT(RenderedPdf, (),
                      (id, subject, subject_id, version, status, attempts, last_error, next_attempt_at, bytes, sha256,
                       created, rendered_at, content_base64))

// Parent: the subject; status: pending or rendered; wakes at next_attempt_at while pending.
extern const DocumentKind<RenderedPdf> kPdfs;

// The delay before rendering again after `attempts` failures: 30 s, doubling, at most an hour.
int64_t pdf_retry_delay_s(int64_t attempts);

}  // namespace billhook::billing
