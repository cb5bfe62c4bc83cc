// POST /v1/invoices/{id}/share and POST /v1/customers/{id}/checkout-links: the links to the public
// pages (hosted_page_routes.cpp). Hand-written rather than registry commands: they act on invoices and
// customers, which keep their own routes (no registered api_path to hang a document_command on), and
// they need what only the API has — the secure random source for the secret and the public URL.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/routes/billing_common.hpp"
#include "api/routes/routes.hpp"
#include "billing/hosted_link_service.hpp"
#include "core/crypto.hpp"
#include "core/described.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

using Issue = core::Result<billing::IssuedLink> (billing::HostedLinks::*)(store::WriteTx&, const billing::LinkRequest&,
                                                                          const billing::Origin&);

void issue_link(const std::shared_ptr<Call>& call, core::IdKind subject_kind, std::string_view noun, Issue issue) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(subject_kind, id))
    return call->fail(Error::not_found(fmt::format("{}_not_found", noun),
                                       fmt::format("no {} has id '{}'", noun, core::clip(id, 100))));
  auto* links = call->services.domains ? call->services.domains->find<billing::HostedLinks>() : nullptr;
  if (!links) return call->fail(Error::unavailable("hosted links are not served by this server"));
  auto body = optional_body(*call);
  if (!body) return call->fail(body.error());
  auto params = core::described::from_json<billing::LinkParams>(body->object());
  if (!params) return call->fail(params.error());
  std::string secret(billing::kLinkSecretBytes, '\0');
  call->services.random.fill(std::as_writable_bytes(std::span(secret)));
  billing::LinkRequest request{.subject_id = id,
                               .params = *params,
                               .secret = core::to_hex(secret),
                               .base_url = call->services.public_url ? call->services.public_url() : std::string()};
  const billing::Origin origin = origin_of(*call);
  call->commit([links, issue, request = std::move(request), origin](store::WriteTx& tx) -> core::Result<Reply> {
    auto issued = (links->*issue)(tx, request, origin);
    if (!issued) return std::move(issued).error();
    return Reply{200, to_json_text(boost::json::object{{"url", issued->url}, {"expires_at", issued->expires_at}})};
  });
}

}  // namespace

void register_hosted_link_routes(Routes& routes) {
  routes.add("POST", "/v1/invoices/{id}/share", [](const std::shared_ptr<Call>& call) {
    issue_link(call, core::IdKind::invoice, "invoice", &billing::HostedLinks::share_invoice);
  });
  routes.add("POST", "/v1/customers/{id}/checkout-links", [](const std::shared_ptr<Call>& call) {
    issue_link(call, core::IdKind::customer, "customer", &billing::HostedLinks::checkout_link);
  });
}

}  // namespace billhook::api::routes
