// GET /v1/invoices/{id}/pdf and GET /v1/credit-notes/{id}/pdf: the rendered PDF (billing/pdf_service.hpp),
// the latest version or `?version=n`.

#include <limits>

#include <fmt/format.h>

#include "api/routes/routes.hpp"
#include "billing/billing_documents.hpp"
#include "billing/credit_note.hpp"
#include "billing/pdf_service.hpp"

namespace billhook::api::routes {
namespace {

core::Result<std::optional<int64_t>> version_of(const Query& query) {
  if (auto s = query.allow_only({"version"}); !s) return std::move(s).error();
  return query.optional_int("version", 1, std::numeric_limits<int64_t>::max());
}

// `kind`'s document `id` must exist (404 naming it); then its PDF, named after `file_name` of its body.
void serve_pdf(const std::shared_ptr<Call>& call, std::string_view kind, std::string_view noun,
               std::string_view not_found_code) {
  const std::string& id = call->param("id");
  auto version = version_of(call->query);
  if (!version) return call->fail(version.error());
  auto subject = call->services.store.find_document(kind, id);
  if (!subject) return call->fail(subject.error());
  if (!*subject)
    return call->fail(core::Error::not_found(std::string(not_found_code), fmt::format("no {} has id '{}'", noun, id)));
  auto bytes = billing::rendered_pdf_bytes(call->services.store, id, *version);
  if (!bytes) return call->fail(bytes.error());
  HttpResponse response{.status = 200, .content_type = "application/pdf", .body = std::move(*bytes), .headers = {}};
  response.headers.emplace_back("Content-Disposition", fmt::format("inline; filename=\"{}.pdf\"", id));
  response.headers.emplace_back("Cache-Control", "private, no-cache");
  call->send(std::move(response));
}

}  // namespace

void register_pdf_routes(Routes& routes) {
  routes.add("GET", "/v1/invoices/{id}/pdf", [](const std::shared_ptr<Call>& call) {
    serve_pdf(call, billing::stored::kInvoice, "invoice", "invoice_not_found");
  });
  routes.add("GET", "/v1/credit-notes/{id}/pdf", [](const std::shared_ptr<Call>& call) {
    serve_pdf(call, billing::kCreditNotes.kind, "credit note", "credit_note_not_found");
  });
}

}  // namespace billhook::api::routes
