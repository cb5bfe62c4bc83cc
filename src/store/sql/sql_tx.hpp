#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "store/api_key_store.hpp"
#include "store/dashboard_session_store.hpp"
#include "store/sql/session.hpp"
#include "store/sql/stats_sql.hpp"
#include "store/store.hpp"

namespace billhook::store::sql {

// What WriteTx::next_sequence runs (?1 the sequence's type, ?2 its id): takes the sequence's next number
// and answers it. A backend that draws the numbers of several jobs at once runs it for each.
inline constexpr std::string_view kNextSequence =
    "INSERT INTO aggregate_sequences (type, id, last_sequence) VALUES (?1, ?2, 1) "
    "ON CONFLICT (type, id) DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1 "
    "RETURNING last_sequence";

// The WriteTx of one job, inside the writer's open transaction, in SQL both backends accept. What
// only one backend can say (claiming due deliveries) is left to its subclass.
class SqlTx : public WriteTx, public ApiKeyWrites, public DashboardSessionWrites {
 public:
  // `endpoint_cache` holds the enabled endpoints between calls: for as long as the backend knows that
  // nobody else changes them (SQLite: across transactions; PostgreSQL, shared by nodes: one batch).
  // `stats_shard` is the row of each minute's delivery statistics this writer adds to (stats_sql.hpp).
  SqlTx(Session& db, EndpointSnapshot& endpoint_cache, int stats_shard = 0)
      : db_(db), cache_(endpoint_cache), stats_shard_(stats_shard) {}

  // Whether a job called notify_work since the backend last reset it.
  bool work_noted = false;
  // The backend calls end_job after each job (kept: its changes stay) and record_batch_stats once its
  // jobs have run, before it commits: the attempts' statistics go in together (stats_sql.hpp says why).
  void end_job(bool kept);
  core::Status record_batch_stats();
  // The sequences the job about to run named when it was queued (Store::write_in), and their numbers
  // if the backend drew them ahead, in the order named (else each is drawn when the job asks for it).
  void begin_named_draws(const std::vector<SequenceKey>& named, std::vector<int64_t> drawn_ahead);
  // Once the job has run: an internal error if it left a named sequence undrawn (a number drawn
  // ahead and not used would be a gap in the sequence).
  core::Status end_named_draws();

  core::Result<int64_t> next_sequence(std::string_view type, std::string_view id) override;
  core::Status insert_event(const events::Event& event) override;
  core::Status insert_delivery(const events::Delivery& delivery) override;
  core::Status insert_endpoint(const events::Endpoint& endpoint) override;
  core::Status update_endpoint(const events::Endpoint& endpoint) override;
  core::Status delete_endpoint(std::string_view id, int64_t now_ms) override;
  core::Result<std::optional<events::Endpoint>> find_endpoint(std::string_view id) override;
  core::Result<EndpointSnapshot> enabled_endpoints() override;
  core::Result<std::optional<events::Delivery>> find_delivery(std::string_view id) override;
  core::Status update_delivery(const events::Delivery& delivery) override;
  core::Result<bool> update_delivery_if_unchanged(const events::Delivery& delivery,
                                                  const events::Delivery& as_claimed) override;
  core::Status insert_attempt(const events::Attempt& attempt) override;
  core::Result<bool> attempt_stored(std::string_view attempt_id) override;
  core::Status mark_sending(const std::vector<std::string>& delivery_ids, int64_t sent_ms) override;
  core::Result<int> retry_failed(std::string_view endpoint_id, int64_t since_ms, int64_t now_ms) override;
  core::Status release_leases(const std::vector<std::string>& delivery_ids) override;
  core::Status release_all_leases() override;
  core::Status renew_leases(const std::vector<std::string>& delivery_ids, int64_t now_ms,
                            int64_t lease_until_ms) override;
  void notify_work() override { work_noted = true; }
  core::Status insert_idempotency(const IdempotencyRecord& record) override;
  core::Result<PruneCounts> prune(int64_t before_ms, int64_t keys_before_ms, int limit) override;
  core::Status insert_api_key(const ApiKeyRecord& record) override;
  core::Status insert_api_key(const ApiKeyRecord& record, std::string_view prefix) override;
  core::Status revoke_api_key(std::string_view id, int64_t now_ms) override;
  core::Status note_api_key_used(std::string_view id, int64_t used_ms) override;
  core::Status insert_dashboard_session(const DashboardSessionRecord& record, size_t max_live) override;
  core::Status delete_dashboard_session(std::string_view token_hash) override;
  core::Status insert_document(const DocumentRecord& record) override;
  core::Status update_document(const DocumentRecord& record) override;
  core::Result<std::optional<DocumentRecord>> find_document(std::string_view kind, std::string_view id) override;
  core::Result<std::vector<DocumentRecord>> find_documents(const DocumentFilter& filter) override;
  core::Result<bool> claim_once(std::string_view key, std::string_view owner_id, int64_t now_ms) override;
  core::Result<std::optional<UsageEventRecord>> insert_usage_event(const UsageEventRecord& record) override;
  core::Result<std::optional<UsageAggregateRecord>> find_usage_aggregate(std::string_view subscription_id,
                                                                         std::string_view code,
                                                                         int64_t period_start, bool hold) override;
  core::Status put_usage_aggregate(const UsageAggregateRecord& record) override;
  core::Result<std::vector<UsageEventRecord>> list_usage_events(std::string_view subscription_id, std::string_view code,
                                                                int64_t period_start, int64_t period_end) override;
  core::Result<bool> add_usage_value(std::string_view subscription_id, std::string_view code, int64_t scope,
                                     std::string_view value) override;
  core::Result<std::optional<std::string>> find_usage_address(std::string_view external_id) override;
  core::Status set_usage_address(std::string_view external_id, std::string_view subscription_id) override;
  core::Result<std::vector<UsageEventRecord>> take_unreported_usage_errors(int limit) override;

 protected:
  Session& db_;
  std::vector<stats::AttemptStat> job_attempts_;    // of the job running now
  std::vector<stats::AttemptStat> batch_attempts_;  // of the batch's jobs that kept their changes
  EndpointSnapshot& cache_;
  int stats_shard_;

 private:
  struct NamedDraw {
    const SequenceKey* key;
    std::optional<int64_t> drawn_ahead;
    bool taken = false;
  };
  std::vector<NamedDraw> named_draws_;  // of the job running now
};

}  // namespace billhook::store::sql
