#pragma once

// The seller block printed on invoice and credit-note PDFs, as the API may change it
// (GET/PATCH /v1/settings): one stored document (kind "settings", id "seller"). Each field the API has
// not set falls back to `billhook serve --seller-*`; null on PATCH gives a field back to the flag.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "render/invoice_view.hpp"
#include "store/store.hpp"

namespace billhook::billing {

inline constexpr size_t kMaxSellerTextLength = 500;
inline constexpr size_t kMaxSellerAddressLines = 8;

struct SellerSettings {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> address_lines;
  std::optional<std::string> email;
  std::optional<std::string> tax_id;
  int64_t updated = 0;
  bool operator==(const SellerSettings&) const = default;
};
BOOST_DESCRIBE_STRUCT(SellerSettings, (), (name, address_lines, email, tax_id, updated))

// PATCH /v1/settings's `seller`: absent leaves a field, null gives it back to the flag.
struct SellerUpdate {
  std::optional<std::optional<std::string>> name;
  std::optional<std::optional<std::vector<std::string>>> address_lines;
  std::optional<std::optional<std::string>> email;
  std::optional<std::optional<std::string>> tax_id;
};
BOOST_DESCRIBE_STRUCT(SellerUpdate, (), (name, address_lines, email, tax_id))

struct SettingsUpdate {
  std::optional<SellerUpdate> seller;
};
BOOST_DESCRIBE_STRUCT(SettingsUpdate, (), (seller))

// The stored settings (all unset when none were ever stored).
core::Result<SellerSettings> load_seller_settings(store::WriteTx& tx);
core::Result<SellerSettings> load_seller_settings(store::Store& store);
// Applies `change` and stores it; invalid_request naming the field ("seller.address_lines.2") for text
// that is empty or longer than 500 characters, or more than 8 address lines. Nothing changes then.
core::Result<SellerSettings> update_seller_settings(store::WriteTx& tx, const SettingsUpdate& change, int64_t now);
// What PDFs print: each field stored, or else the flag's.
render::Party effective_seller(const SellerSettings& stored, const render::Party& flags);
// GET /v1/settings: {"object": "settings", "seller": {name, address_lines, email, tax_id}} as PDFs print it.
boost::json::object settings_json(const render::Party& seller);

}  // namespace billhook::billing
