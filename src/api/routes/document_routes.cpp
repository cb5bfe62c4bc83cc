// GET /v1/<path> (a page, newest first; unless the kind is not listed), GET /v1/<path>/{id} and, for a kind
// listed under its parent, GET <nested_list> for
// every registered document kind that has an API path (billing::document_kinds()), and the write
// routes of their commands (billing/registry/domain.hpp): one set of handlers for all of them.

#include <boost/json.hpp>

#include "api/representations.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/routes.hpp"
#include "billing/registry/document_reads.hpp"

namespace billhook::api::routes {
namespace {

core::Result<billing::DocumentReads*> documents_of(const Call& call) {
  if (!call.services.documents) return core::Error::unavailable("billing documents are not served by this server");
  return call.services.documents;
}

void get_document(const billing::RegisteredKind& kind, const std::shared_ptr<Call>& call) {
  auto documents = documents_of(*call);
  if (!documents) return call->fail(documents.error());
  const std::string& id = call->param("id");
  if (!core::is_valid_id(kind.id_kind, id)) return call->fail(kind.not_found(id));
  auto found = (*documents)->get(kind, id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(kind.not_found(id));
  call->reply(200, **found);
}

// GET <nested_list>: the page of documents whose parent is {id} (only the page's parameters).
void list_nested(const billing::RegisteredKind& kind, const std::shared_ptr<Call>& call) {
  auto documents = documents_of(*call);
  if (!documents) return call->fail(documents.error());
  const auto& q = call->query;
  if (auto allowed = q.allow_only({"limit", "starting_after", "ending_before"}); !allowed)
    return call->fail(allowed.error());
  auto page = q.page(kind.id_kind);
  if (!page) return call->fail(page.error());
  store::DocumentFilter filter;
  filter.parent_id = call->param("id");
  auto found = (*documents)->list(kind, *page, std::move(filter));
  if (!found) return call->fail(found.error());
  boost::json::array data;
  for (auto& item : found->items) data.push_back(std::move(item));
  call->reply(200, list_json(std::move(data), found->has_more, std::string(kind.api_path)));
}

void list_documents(const billing::RegisteredKind& kind, const std::shared_ptr<Call>& call) {
  auto documents = documents_of(*call);
  if (!documents) return call->fail(documents.error());
  const auto& q = call->query;
  // The page's parameters, then the kind's filters (parent, customer) where it has them.
  const std::string_view parent = kind.parent_filter, customer = kind.customer_filter;
  const core::Status allowed =
      !parent.empty() && !customer.empty()
          ? q.allow_only({"limit", "starting_after", "ending_before", parent, customer})
      : !parent.empty()   ? q.allow_only({"limit", "starting_after", "ending_before", parent})
      : !customer.empty() ? q.allow_only({"limit", "starting_after", "ending_before", customer})
                          : q.allow_only({"limit", "starting_after", "ending_before"});
  if (!allowed) return call->fail(allowed.error());
  auto page = q.page(kind.id_kind);
  if (!page) return call->fail(page.error());
  store::DocumentFilter filter;
  if (!customer.empty()) filter.customer_id = q.get(customer).value_or("");
  if (!parent.empty()) filter.parent_id = q.get(parent).value_or("");
  auto found = (*documents)->list(kind, *page, std::move(filter));
  if (!found) return call->fail(found.error());
  boost::json::array data;
  for (auto& item : found->items) data.push_back(std::move(item));
  call->reply(200, list_json(std::move(data), found->has_more, std::string(kind.api_path)));
}

// A command: its body read (400 naming the field, nothing written), then its write, answered once durable.
void run_command(const billing::RegisteredKind& kind, const billing::DocumentCommand& command,
                 const std::shared_ptr<Call>& call) {
  if (!call->services.domains) return call->fail(core::Error::unavailable("billing documents are not served by this server"));
  std::string id;
  if (command.on_document) {
    id = call->param("id");
    if (!core::is_valid_id(kind.id_kind, id)) return call->fail(kind.not_found(id));
  }
  auto body = optional_body(*call);  // {} when empty: a command whose fields are all optional needs none
  if (!body) return call->fail(body.error());
  const billing::Origin origin = origin_of(*call);
  auto job = command.prepare(*call->services.domains, {.id = id, .body = body->object(), .origin = origin});
  if (!job) return call->fail(job.error());
  call->commit(
      [job = std::move(*job), status = command.status](store::WriteTx& tx) -> core::Result<Reply> {
        auto document = job(tx);
        if (!document) return std::move(document).error();
        return Reply{status, to_json_text(*document)};
      },
      command.wakes_clock ? call->services.wake_document_clock : std::function<void()>());
}

}  // namespace

std::string command_path(const billing::RegisteredKind& kind, const billing::DocumentCommand& command) {
  std::string path(kind.api_path);
  if (command.on_document) path += "/{id}";
  if (!command.action.empty()) path += "/" + std::string(command.action);
  return path;
}

void register_document_routes(Routes& routes) {
  for (const auto& kind : billing::document_kinds().kinds()) {
    if (kind.api_path.empty()) continue;
    const billing::RegisteredKind* k = &kind;
    if (kind.list)
      routes.add("GET", std::string(kind.api_path),
                 [k](const std::shared_ptr<Call>& call) { list_documents(*k, call); });
    routes.add("GET", std::string(kind.api_path) + "/{id}",
               [k](const std::shared_ptr<Call>& call) { get_document(*k, call); });
    if (!kind.nested_list.empty())
      routes.add("GET", std::string(kind.nested_list), [k](const std::shared_ptr<Call>& call) { list_nested(*k, call); });
    for (const auto& command : kind.commands) {
      const billing::DocumentCommand* c = &command;
      routes.add(std::string(command.method), command_path(kind, command),
                 [k, c](const std::shared_ptr<Call>& call) { run_command(*k, *c, call); });
    }
  }
}

}  // namespace billhook::api::routes
