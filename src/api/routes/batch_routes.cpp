// Invoice batches: POST /v1/invoice-batches takes up to billing::kMaxBatchItems items, each read like
// the body of POST /v1/invoices, and answers 202 with the batch (pending); a background runner then
// invoices the items. GET /v1/invoice-batches/{id} shows the progress: the counts, and per item the
// invoice it made or why it failed.
//
// A body that cannot be read is refused whole (400, naming the item: "items.3.currency"); an item that
// reads well but cannot become an invoice (unknown customer, currency mismatch, …) fails alone while
// the batch runs, reported by invoice_batch.invoice_failed and in the item's result.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/invoice_reading.hpp"
#include "api/routes/routes.hpp"
#include "billing/invoice_batch_service.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;
namespace json = boost::json;

constexpr size_t kMaxDescriptionLength = 1000;

Error batch_not_found(const std::string& id) {
  return Error::not_found("invoice_batch_not_found", fmt::format("no invoice batch has id '{}'", core::clip(id, 100)));
}

core::Result<billing::InvoiceBatches*> batches_of(const Call& call) {
  if (!call.services.invoice_batches) return Error::unavailable("invoice batches are not enabled in this server");
  return call.services.invoice_batches;
}

// One item, with its errors named from the top of the body ("items.3.lines.0.unit_amount").
core::Result<billing::Invoice> read_item(const json::value& value, size_t index) {
  const std::string prefix = fmt::format("items.{}", index);
  if (!value.is_object())
    return Error::invalid("invalid_type", fmt::format("'{}' must be an object, got {}", prefix, describe_kind(value)),
                          prefix);
  if (value.get_object().contains("auto_finalize") || value.get_object().contains("kind"))
    return Error::invalid("unknown_field",
                          fmt::format("'{}' may not set auto_finalize or kind: the batch decides them", prefix),
                          prefix + (value.get_object().contains("kind") ? ".kind" : ".auto_finalize"));
  auto request = read_invoice_request(Body::of(value.get_object()));
  if (!request) {
    Error error = std::move(request).error();
    error.message = fmt::format("{}: {}", prefix, error.message);
    error.param = error.param.empty() ? prefix : prefix + "." + error.param;
    return error;
  }
  if (auto s = core::check_id(core::IdKind::customer, request->document.customer_id, prefix + ".customer"); !s)
    return s.error();
  return std::move(request->document);
}

core::Result<billing::NewBatch> read_batch(const Body& body) {
  if (auto s = body.allow_only({"description", "auto_finalize", "items"}); !s) return std::move(s).error();
  billing::NewBatch batch;
  auto description = body.optional_string("description", kMaxDescriptionLength);
  if (!description) return std::move(description).error();
  batch.description = std::move(*description);
  auto auto_finalize = body.optional_bool("auto_finalize");
  if (!auto_finalize) return std::move(auto_finalize).error();
  batch.auto_finalize = auto_finalize->value_or(true);
  const auto* items = body.object().if_contains("items");
  if (!items)
    return Error::invalid("missing_field", "'items' is required: one object per invoice, as for POST /v1/invoices",
                          "items");
  if (!items->is_array())
    return Error::invalid("invalid_type", fmt::format("'items' must be an array, got {}", describe_kind(*items)),
                          "items");
  const auto& array = items->get_array();
  if (array.empty())
    return Error::invalid("parameter_missing", "'items' is empty: a batch needs at least one item", "items");
  if (array.size() > billing::kMaxBatchItems)
    return Error::invalid("too_many_items",
                          fmt::format("'items' may hold at most {} items, got {}; split them into several batches",
                                      billing::kMaxBatchItems, array.size()),
                          "items");
  batch.items.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    auto item = read_item(array[i], i);
    if (!item) return std::move(item).error();
    batch.items.push_back(std::move(*item));
  }
  return batch;
}

void create_batch(const std::shared_ptr<Call>& call) {
  auto batches = batches_of(*call);
  if (!batches) return call->fail(batches.error());
  auto body = call->body();
  if (!body) return call->fail(body.error());
  auto request = read_batch(*body);
  if (!request) return call->fail(request.error());
  call->commit(
      [batches = *batches, request = std::move(*request), origin = origin_of(*call)](
          store::WriteTx& tx) -> core::Result<Reply> {
        auto batch = batches->create(tx, request, origin);
        if (!batch) return std::move(batch).error();
        return Reply{202, to_json_text(billing::to_json(*batch))};
      },
      // The runner starts on it at once (it would also find it on its next poll).
      call->services.invoice_batch_created);
}

void get_batch(const std::shared_ptr<Call>& call) {
  const std::string& id = call->param("id");
  if (!core::is_valid_id(core::IdKind::invoice_batch, id)) return call->fail(batch_not_found(id));
  auto& store = call->services.store;
  auto found = store.find_document(billing::kBatchKind, id);
  if (!found) return call->fail(found.error());
  if (!*found) return call->fail(batch_not_found(id));
  auto batch = billing::decode_batch((*found)->body);
  if (!batch) return call->fail(batch.error());
  store::DocumentQuery query;
  query.page.limit = static_cast<int>(billing::kMaxBatchItems);
  query.filter = {.kind = std::string(billing::kBatchItemKind), .customer_id = "", .parent_id = id, .status = ""};
  auto items = store.list_documents(query);
  if (!items) return call->fail(items.error());
  json::array data;
  // list_documents answers newest (highest id) first; items read best in their order.
  for (auto it = items->items.rbegin(); it != items->items.rend(); ++it) {
    auto item = billing::decode_batch_item(it->body);
    if (!item) return call->fail(item.error());
    data.push_back(billing::to_json(*item));
  }
  json::object out = billing::to_json(*batch);
  out["items"] = std::move(data);
  call->reply(200, out);
}

// A page of batches, newest first, without their items (GET one batch for those).
void list_batches(const std::shared_ptr<Call>& call) {
  const auto& q = call->query;
  if (auto s = q.allow_only({"limit", "starting_after", "ending_before"}); !s) return call->fail(s.error());
  auto page = q.page(core::IdKind::invoice_batch);
  if (!page) return call->fail(page.error());
  store::DocumentQuery query;
  query.page = *page;
  query.filter.kind = std::string(billing::kBatchKind);
  auto result = call->services.store.list_documents(query);
  if (!result) return call->fail(result.error());
  json::array data;
  for (const auto& r : result->items) {
    auto batch = billing::decode_batch(r.body);
    if (!batch) return call->fail(batch.error());
    data.push_back(billing::to_json(*batch));
  }
  call->reply(200, list_json(std::move(data), result->has_more, "/v1/invoice-batches"));
}

}  // namespace

void register_batch_routes(Routes& routes) {
  routes.add("POST", "/v1/invoice-batches", create_batch);
  routes.add("GET", "/v1/invoice-batches", list_batches);
  routes.add("GET", "/v1/invoice-batches/{id}", get_batch);
}

}  // namespace billhook::api::routes
