#include "billing/seller_settings.hpp"

#include <fmt/format.h>

#include "billing/document_json.hpp"
#include "core/described.hpp"

namespace billhook::billing {
namespace {

constexpr std::string_view kKind = "settings";
constexpr std::string_view kId = "seller";

core::Result<SellerSettings> decoded(core::Result<std::optional<store::DocumentRecord>> found) {
  if (!found) return std::move(found).error();
  if (!*found) return SellerSettings{};
  return doc_json::read_described<SellerSettings>((*found)->body, "settings");
}

core::Status check_text(const std::optional<std::string>& text, const std::string& field) {
  if (!text) return {};
  if (text->empty() || text->size() > kMaxSellerTextLength)
    return core::Error::invalid("parameter_invalid",
                                fmt::format("'{}' must be 1 to {} characters (null gives it back to --{})", field,
                                            kMaxSellerTextLength, "seller-*"),
                                field);
  return {};
}

}  // namespace

core::Result<SellerSettings> load_seller_settings(store::WriteTx& tx) { return decoded(tx.find_document(kKind, kId)); }

core::Result<SellerSettings> load_seller_settings(store::Store& store) {
  return decoded(store.find_document(kKind, kId));
}

core::Result<SellerSettings> update_seller_settings(store::WriteTx& tx, const SettingsUpdate& change, int64_t now) {
  auto before = load_seller_settings(tx);
  if (!before) return before;
  SellerSettings after = *before;
  if (change.seller) {
    const SellerUpdate& seller = *change.seller;
    if (seller.name) after.name = *seller.name;
    if (seller.address_lines) after.address_lines = *seller.address_lines;
    if (seller.email) after.email = *seller.email;
    if (seller.tax_id) after.tax_id = *seller.tax_id;
  }
  for (const auto& [text, field] : {std::pair{&after.name, "seller.name"}, std::pair{&after.email, "seller.email"},
                                    std::pair{&after.tax_id, "seller.tax_id"}})
    if (auto s = check_text(*text, field); !s) return std::move(s).error();
  if (after.address_lines) {
    if (after.address_lines->size() > kMaxSellerAddressLines)
      return core::Error::invalid("parameter_invalid",
                                  fmt::format("'seller.address_lines' has at most {} lines", kMaxSellerAddressLines),
                                  "seller.address_lines");
    for (size_t i = 0; i < after.address_lines->size(); ++i)
      if (auto s = check_text((*after.address_lines)[i], fmt::format("seller.address_lines.{}", i)); !s)
        return std::move(s).error();
  }
  if (after == *before) return after;
  const bool is_new = before->updated == 0;
  after.updated = now;
  const store::DocumentRecord record{.kind = std::string(kKind),
                                     .id = std::string(kId),
                                     .customer_id = {},
                                     .parent_id = {},
                                     .status = {},
                                     .created_ms = now * 1000,
                                     .body = doc_json::write_described(after),
                                     .wake_at = std::nullopt};
  if (auto s = is_new ? tx.insert_document(record) : tx.update_document(record); !s) return std::move(s).error();
  return after;
}

render::Party effective_seller(const SellerSettings& stored, const render::Party& flags) {
  return {.name = stored.name.value_or(flags.name),
          .address_lines = stored.address_lines.value_or(flags.address_lines),
          .email = stored.email.value_or(flags.email),
          .tax_id = stored.tax_id.value_or(flags.tax_id)};
}

boost::json::object settings_json(const render::Party& seller) {
  boost::json::array lines;
  for (const auto& line : seller.address_lines) lines.emplace_back(line);
  return {{"object", "settings"},
          {"seller", boost::json::object{{"name", seller.name},
                                         {"address_lines", std::move(lines)},
                                         {"email", seller.email},
                                         {"tax_id", seller.tax_id}}}};
}

}  // namespace billhook::billing
