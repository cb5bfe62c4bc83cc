#include "app/webhook_signing_key.hpp"

#include <boost/json.hpp>

namespace billhook::app {
namespace {

constexpr std::string_view kKind = "settings";
constexpr std::string_view kId = "webhook_signing_key";

core::Result<std::optional<core::RsaKey>> stored_key(store::Store& store) {
  auto record = store.find_document(kKind, kId);
  if (!record) return std::move(record).error();
  if (!*record) return std::optional<core::RsaKey>();
  boost::system::error_code ec;
  const auto body = boost::json::parse((*record)->body, ec);
  const auto* pem = !ec && body.is_object() ? body.get_object().if_contains("private_key_pem") : nullptr;
  if (!pem || !pem->is_string()) return core::Error::internal("the stored webhook signing key is unreadable");
  auto key = core::RsaKey::from_private_pem(pem->get_string());
  if (!key) return core::Error::internal("the stored webhook signing key is unreadable: " + key.error().message);
  return std::optional<core::RsaKey>(std::move(*key));
}

}  // namespace

core::Result<core::RsaKey> ensure_webhook_signing_key(store::Store& store, int64_t now_ms) {
  auto existing = stored_key(store);
  if (!existing) return std::move(existing).error();
  if (*existing) return std::move(**existing);

  auto fresh = core::RsaKey::generate();
  if (!fresh) return std::move(fresh).error();
  const store::DocumentRecord record{
      .kind = std::string(kKind),
      .id = std::string(kId),
      .created_ms = now_ms,
      .body = boost::json::serialize(boost::json::object{{"private_key_pem", fresh->private_pem()}}),
  };
  auto written = store.write_and_wait([&record](store::WriteTx& tx) -> core::Status {
    auto found = tx.find_document(kKind, kId);
    if (!found) return std::move(found).error();
    if (*found) return {};  // another node stored its key first: that one is the installation's
    return tx.insert_document(record);
  });
  // Two nodes inserting at the same moment: the loser's insert conflicts, and the winner's key is read back.
  if (!written && written.error().kind != core::ErrorKind::conflict) return std::move(written).error();
  auto stored = stored_key(store);
  if (!stored) return std::move(stored).error();
  if (!*stored) return core::Error::internal("the webhook signing key was not stored");
  return std::move(**stored);
}

}  // namespace billhook::app
