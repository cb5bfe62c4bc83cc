#pragma once

// The usage intake's statements (store/usage_records.hpp), once for both backends: what SqlTx and
// SqlStore run for the usage methods of WriteTx and Store.

#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/sql/session.hpp"
#include "store/usage_records.hpp"

namespace billhook::store::sql::usage {

core::Result<std::optional<UsageEventRecord>> insert_event(Session& db, const UsageEventRecord& record);
core::Result<std::optional<UsageAggregateRecord>> find_aggregate(Session& db, std::string_view subscription_id,
                                                                 std::string_view code, int64_t period_start,
                                                                 bool hold);
core::Status put_aggregate(Session& db, const UsageAggregateRecord& record);
core::Result<bool> add_value(Session& db, std::string_view subscription_id, std::string_view code, int64_t scope,
                             std::string_view value);
core::Result<std::optional<std::string>> find_address(Session& db, std::string_view external_id);
core::Status set_address(Session& db, std::string_view external_id, std::string_view subscription_id);
core::Result<std::vector<UsageEventRecord>> list_billed_events(Session& db, std::string_view subscription_id,
                                                              std::string_view code, int64_t period_start,
                                                              int64_t period_end);
core::Result<std::vector<UsageEventRecord>> take_unreported_errors(Session& db, int limit);
core::Result<std::vector<UsageAggregateRecord>> list_aggregates(Session& db, std::string_view subscription_id);

}  // namespace billhook::store::sql::usage
