#include "billing/registry/document_reads.hpp"

#include "billing/document_json.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace billhook::billing {
namespace {

namespace json = boost::json;

core::Result<json::object> stored_object(const store::DocumentRecord& record) {
  return doc_json::parse_object(record.body, record.kind);
}

}  // namespace

core::Result<std::optional<json::object>> DocumentReads::get(const RegisteredKind& kind, std::string_view id) {
  auto found = store_.find_document(kind.kind, id);
  if (!found) return std::move(found).error();
  if (!*found) return std::optional<json::object>{};
  auto stored = stored_object(**found);
  if (!stored) return std::move(stored).error();
  auto out = kind.api_json(*stored);
  if (!out) return std::move(out).error();
  if (kind.children) {
    const ChildList& children = *kind.children;
    store::DocumentQuery query;
    query.page.limit = static_cast<int>(children.limit);
    query.filter = {.kind = std::string(children.kind), .customer_id = "", .parent_id = std::string(id), .status = ""};
    auto page = store_.list_documents(query);
    if (!page) return std::move(page).error();
    json::array items;
    // Pages come newest (highest id) first; children read best in their order.
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
      auto child = stored_object(*it);
      if (!child) return std::move(child).error();
      auto shown = children.api_json(*child);
      if (!shown) return std::move(shown).error();
      items.push_back(std::move(*shown));
    }
    (*out)[children.key] = std::move(items);
  }
  return std::optional<json::object>{std::move(*out)};
}

core::Result<store::Page<json::object>> DocumentReads::list(const RegisteredKind& kind, const store::PageRequest& page,
                                                            store::DocumentFilter filter) {
  filter.kind = std::string(kind.kind);
  auto found = store_.list_documents({page, std::move(filter)});
  if (!found) return std::move(found).error();
  store::Page<json::object> out;
  out.has_more = found->has_more;
  out.items.reserve(found->items.size());
  for (const auto& record : found->items) {
    auto stored = stored_object(record);
    if (!stored) return std::move(stored).error();
    auto shown = kind.api_json(*stored);
    if (!shown) return std::move(shown).error();
    out.items.push_back(std::move(*shown));
  }
  return out;
}

}  // namespace billhook::billing
