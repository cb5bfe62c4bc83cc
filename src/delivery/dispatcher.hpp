#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/doubling_delay.hpp"
#include "core/ids.hpp"
#include "core/log_throttle.hpp"
#include "core/random.hpp"
#include "core/rsa_key.hpp"
#include "delivery/delivery_metrics.hpp"
#include "delivery/http_client.hpp"
#include "store/store.hpp"

namespace billhook::delivery {

struct DispatcherOptions {
  size_t max_in_flight = 512;  // requests in flight across all endpoints
  size_t claim_batch = 256;
  // How long a claimed delivery stays this node's. Renewed every third of it while the delivery is
  // held or in flight, so only a node that stopped (crashed, lost its database) lets leases lapse.
  std::chrono::milliseconds lease{std::chrono::minutes(5)};
  // A node alone on its store ends every lease at start (they can only be its own, from a run that
  // crashed). Never with several nodes on one database: the others' leases are live.
  bool release_leases_at_start = true;
  // How long to sleep when nothing is due and nobody calls wake(): retries come due this late at most.
  std::chrono::milliseconds idle_poll{500};
  std::chrono::milliseconds disable_after{std::chrono::hours(24 * 5)};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  size_t max_response_bytes = 256 * 1024;  // read at most this much of an answer
  size_t stored_response_bytes = 4096;     // and keep this much of it in the attempt history
  // The installation's key pair for profiles whose receivers verify with a public key (Lago's JWT), and
  // the issuer such a signature names (this server's public URL); without a key those are not signed.
  std::shared_ptr<const core::RsaKey> jwt_key;
  std::function<std::string()> jwt_issuer;
  // Where attempts and their outcomes are counted for GET /metrics; null counts nothing.
  DeliveryMetrics* metrics = nullptr;
};

// Sends due deliveries and records what happened. One thread claims due deliveries from the
// store (leasing them, so a crashed node's work is picked up again), signs and sends them
// through the HttpClient within each endpoint's rate limit and in-flight cap, and records each
// attempt, the delivery's new state, the endpoint's health and any operational events in one
// transaction. New work wakes it at once (the store's work listener calls wake()).
class Dispatcher {
 public:
  Dispatcher(store::Store& store, const catalog::Catalog& catalog, const core::Clock& clock, core::Random& random,
             core::IdGenerator& ids, HttpClient& client, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Ends leases left by a previous run of this (single) node, if the options say so, then starts
  // the thread.
  core::Status start();
  // Stops claiming and joins the thread. Requests in flight finish in the background; their
  // results are still recorded as long as the store lives.
  void stop();
  // The graceful stop (SIGTERM): stops claiming as stop() does, waits until `deadline` for the requests in
  // flight to be answered and their attempts recorded, then releases the leases of every delivery still
  // held (claimed and not sent, or unanswered at the deadline), so another node or the next start takes it
  // at once. Answers how many it released.
  size_t drain(std::chrono::steady_clock::time_point deadline);
  // Something may have become due: new deliveries, a retry, an enabled endpoint, a moved clock.
  void wake();

 private:
  // Every write of the dispatcher but its claims goes to the store's delivery lane, the claims to
  // the claims lane (store::Store::Lane): with a database that takes several writers at once,
  // recording attempts does not wait behind publishing, nor a claim behind attempts being recorded.
  // Every job given to write() may run again (store::Store::Rerun): what it decides goes to what it
  // captured by assignment, and what it reports (logs, metrics) waits for its `done`.
  void write(store::Store::Durability durability, store::Store::WriteJob job, store::Store::WriteDone done);
  core::Status write_and_wait(store::Store::WriteJob job,
                              store::Store::Durability durability = store::Store::Durability::durable);
  struct Held;
  // Cancels a claimed delivery its endpoint's profile no longer sends.
  void cancel_unsent(const events::Delivery& claimed, const std::string& profile);
  struct EndpointState;
  using Clock = std::chrono::steady_clock;
  // What the other threads report back: a request answered (its endpoint may start another) or
  // an attempt recorded (its delivery is settled in the store and may be claimed again if due).
  struct Completion {
    enum class Kind { answered, recorded } kind;
    std::string endpoint_id;
    std::string delivery_id;
    bool retry_scheduled = false;  // recorded, and the delivery is due again later
  };

  void run();
  // Claims what is due, one claim at a time, without waiting for the store's answer.
  void request_claim();
  // Starts or holds what the last claim answered, if its answer has come.
  void take_claimed();
  // A claim's answer as the writer thread hands it over: what it leased, or that it failed.
  struct ClaimAnswer {
    std::vector<events::Delivery> claimed;
    bool failed = false;
  };
  // The last claim's answer, if it has come (the claim is then no longer pending).
  std::optional<ClaimAnswer> take_claim_answer();
  void start_or_hold(Held held);
  void start_released();
  // Gives back the deliveries held for an endpoint that is disabled or gone.
  void drop_held(EndpointState& state);
  bool may_start(EndpointState& state, const events::Endpoint& endpoint);
  void send(Held held);
  // Writes the attempt and its consequences; `slot_released` says whether the endpoint's in-flight
  // slot was already given back (after a success) or is given back once this is recorded.
  // The request an attempt sent, as its history keeps it (headers as JSON, body capped).
  struct Sent {
    std::string headers_json = "{}";
    std::string body;
  };
  void record(const Held& held, OutboundResult result, int64_t started_ms, bool slot_released, Sent sent);
  struct Unrecorded;
  // One try at writing an attempt's outcome. While the store is unavailable (a full disk, the database
  // away) the outcome stays in memory and is written again (retry_unrecorded), the delivery still busy
  // and its lease renewed: recording it later, not sending it again, is what keeps the receiver from
  // getting it twice.
  void write_record(std::shared_ptr<Unrecorded> pending);
  // Writes again the outcomes whose next try is due.
  void retry_unrecorded();
  // When the next outcome kept in memory is to be written again, if there is one.
  std::optional<Clock::time_point> next_record_retry();
  void report(Completion completion);
  void drain_completions();
  std::chrono::milliseconds sleep_time();
  // Extends the leases of what this node holds or sends, once a third of a lease has passed.
  void renew_leases();
  // Notes in the store that the requests sent since the last call went out (Delivery::sending_ms).
  void mark_sent();

  store::Store& store_;
  const catalog::Catalog& catalog_;
  const core::Clock& clock_;
  core::Random& random_;
  core::IdGenerator& ids_;
  HttpClient& client_;
  DispatcherOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_cv_;
  bool woken_ = false;
  bool work_noted_ = false;  // wake() was called: new or settled work may be due
  bool stopping_ = false;
  std::vector<Completion> completions_;
  std::optional<ClaimAnswer> claim_answer_;  // set by the writer thread
  std::vector<std::shared_ptr<Unrecorded>> unrecorded_;  // outcomes to write again, once due
  core::LogThrottle claim_failures_log_{std::chrono::seconds(10)};
  core::LogThrottle record_failures_log_{std::chrono::seconds(10)};
  std::thread thread_;

  // Touched by the dispatcher thread only.
  std::unordered_map<std::string, std::unique_ptr<EndpointState>> endpoints_;
  std::unordered_set<std::string> busy_;  // deliveries in flight, held, or being recorded
  std::vector<std::string> sent_unmarked_;  // sent since the last mark_sent()
  int64_t first_unmarked_ms_ = 0;
  size_t in_flight_ = 0;                  // requests sent and not yet answered
  bool claim_pending_ = false;            // a claim is queued in the store, its answer not yet taken
  bool claim_wanted_ = true;              // something may be due that no claim has looked for yet
  std::chrono::steady_clock::time_point last_claim_{};
  // After a claim failed (the store away), claims wait, longer each time, rather than failing and
  // logging several times a second.
  core::DoublingDelay claim_delay_{std::chrono::milliseconds(250), std::chrono::milliseconds(5000)};
  std::chrono::steady_clock::time_point next_claim_allowed_{};
  std::vector<std::string> last_skipped_;  // endpoints the last claim skipped (their queues were full), sorted
  std::chrono::steady_clock::time_point last_renewal_ = std::chrono::steady_clock::now();
  // The store's earliest due time as last read, for sleep_time(). Read on every loop it was a query per
  // answer received (hundreds a second under load, each one a round trip on PostgreSQL); now it is read
  // again only when it may have moved earlier: after wake() (new or settled work), after this node
  // recorded a retry, or once it is idle_poll old (another node's retries, which idle_poll bounds anyway).
  std::optional<int64_t> next_due_ms_;
  bool next_due_stale_ = true;
  std::chrono::steady_clock::time_point next_due_read_{};
};

}  // namespace billhook::delivery
