// Invoice batches: POST /v1/invoice-batches takes up to billing::kMaxBatchItems items, each read like
// the body of POST /v1/invoices, and answers 202 with the batch (pending); a background runner then
// invoices the items. GET /v1/invoice-batches/{id} (a generic document route) shows the progress: the
// counts, and per item the invoice it made or why it failed.
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

core::Result<billing::InvoiceBatches*> batches_of(const Call& call) {
  auto* batches = call.services.domains ? call.services.domains->find<billing::InvoiceBatches>() : nullptr;
  if (!batches) return Error::unavailable("invoice batches are not enabled in this server");
  return batches;
}

// One item, with its errors named from the top of the body ("items.3.lines.0.unit_amount").
core::Result<billing::Invoice> read_item(const json::value& value, size_t index) {
  const std::string prefix = fmt::format("items.{}", index);
  if (!value.is_object())
    return Error::invalid("invalid_type", fmt::format("'{}' must be an object, got {}", prefix, describe_kind(value)),
                          prefix);
  if (value.get_object().contains("auto_finalize") || value.get_object().contains("kind"))
    return Error::invalid("unknown_parameter",
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
        return Reply{202, to_json_text(billing::kInvoiceBatches.api_json(*batch))};
      },
      // The document clock starts on it at once (it would also find it on its next poll).
      call->services.wake_document_clock);
}

}  // namespace

void register_batch_routes(Routes& routes) {
  // GET /v1/invoice-batches and GET /v1/invoice-batches/{id} are the registry's (document_routes.cpp).
  routes.add("POST", "/v1/invoice-batches", create_batch);
}

}  // namespace billhook::api::routes
