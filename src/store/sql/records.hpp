#pragma once

#include <string>
#include <string_view>

#include "events/model.hpp"
#include "store/sql/session.hpp"
#include "store/api_key_store.hpp"
#include "store/dashboard_session_store.hpp"
#include "store/store.hpp"

// How each stored record maps to its table's columns, once for both backends: the column list in
// order, the record read from a row of those columns, and the record as parameters in that order.
namespace billhook::store::sql {

extern const char* const kEventColumns;
extern const char* const kEndpointColumns;
extern const char* const kDeliveryColumns;
extern const char* const kAttemptColumns;
extern const char* const kIdempotencyColumns;
extern const char* const kApiKeyColumns;
// kApiKeyColumns, then the prefix and last use (store/api_key_store.hpp).
extern const char* const kApiKeyInfoColumns;
extern const char* const kDocumentColumns;
extern const char* const kDashboardSessionColumns;

events::Event event_from_row(const Row& row);
events::Endpoint endpoint_from_row(const Row& row);
events::Delivery delivery_from_row(const Row& row);
events::Attempt attempt_from_row(const Row& row);
IdempotencyRecord idempotency_from_row(const Row& row);
ApiKeyRecord api_key_from_row(const Row& row);
ApiKeyInfo api_key_info_from_row(const Row& row);
DocumentRecord document_from_row(const Row& row);
DashboardSessionRecord dashboard_session_from_row(const Row& row);
std::string first_text(const Row& row);

Params event_params(const events::Event& e);
Params endpoint_params(const events::Endpoint& ep);
Params delivery_params(const events::Delivery& d);
Params attempt_params(const events::Attempt& a);
Params idempotency_params(const IdempotencyRecord& r);
Params api_key_params(const ApiKeyRecord& r);
Params document_params(const DocumentRecord& r);
Params dashboard_session_params(const DashboardSessionRecord& r);

// "?1, ?2, …, ?n" for an INSERT of n columns.
std::string placeholders(std::string_view columns);
// "d.a, d.b, …" from "a, b, …".
std::string prefixed_columns(std::string_view prefix, std::string_view columns);

}  // namespace billhook::store::sql
