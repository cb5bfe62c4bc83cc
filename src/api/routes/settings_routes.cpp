// GET /v1/settings and PATCH /v1/settings: the seller block printed on PDFs (billing/seller_settings.hpp).

#include "api/routes/routes.hpp"
#include "billing/pdf_service.hpp"
#include "billing/seller_settings.hpp"
#include "core/described.hpp"

namespace billhook::api::routes {
namespace {

core::Result<const billing::PdfService*> pdfs_of(const Call& call) {
  const auto* pdfs = call.services.domains ? call.services.domains->find<billing::PdfService>() : nullptr;
  if (!pdfs) return core::Error::unavailable("settings are not served by this server");
  return pdfs;
}

void get_settings(const std::shared_ptr<Call>& call) {
  if (auto s = call->query.allow_only({}); !s) return call->fail(s.error());
  auto pdfs = pdfs_of(*call);
  if (!pdfs) return call->fail(pdfs.error());
  auto stored = billing::load_seller_settings(call->services.store);
  if (!stored) return call->fail(stored.error());
  call->reply(200, billing::settings_json(billing::effective_seller(*stored, (*pdfs)->seller_flags())));
}

void update_settings(const std::shared_ptr<Call>& call) {
  auto pdfs = pdfs_of(*call);
  if (!pdfs) return call->fail(pdfs.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto change = core::described::from_json<billing::SettingsUpdate>(body->object());
  if (!change) return call->fail(change.error());
  call->commit([change = std::move(*change), flags = (*pdfs)->seller_flags(),
                now = core::to_unix_ms(call->services.clock.now()) / 1000](store::WriteTx& tx) -> core::Result<Reply> {
    auto stored = billing::update_seller_settings(tx, change, now);
    if (!stored) return std::move(stored).error();
    return Reply{200, to_json_text(billing::settings_json(billing::effective_seller(*stored, flags)))};
  });
}

}  // namespace

void register_settings_routes(Routes& routes) {
  routes.add("GET", "/v1/settings", get_settings);
  routes.add("PATCH", "/v1/settings", update_settings);
}

}  // namespace billhook::api::routes
