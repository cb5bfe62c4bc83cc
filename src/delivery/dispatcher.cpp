#include "delivery/dispatcher.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "delivery/outcome.hpp"
#include "delivery/signing.hpp"
#include "events/envelope.hpp"
#include "events/outbox.hpp"
#include "events/representation.hpp"
#include "profiles/render.hpp"
#include "profiles/signatures.hpp"

namespace billhook::delivery {
namespace {

using Clock = std::chrono::steady_clock;

// Receivers answer with anything; the history is JSON, so keep only valid UTF-8.
std::string printable(std::string_view bytes, size_t cap) {
  std::string out(bytes.substr(0, cap));
  for (size_t bad = core::find_invalid_utf8(out); bad != std::string::npos; bad = core::find_invalid_utf8(out))
    out[bad] = '?';
  return out;
}

std::string headers_json(const std::vector<std::pair<std::string, std::string>>& headers) {
  boost::json::object o;
  for (const auto& [name, value] : headers) o[printable(name, 256)] = printable(value, 1024);
  return boost::json::serialize(o);
}

std::string random_bytes(core::Random& random, size_t n) {
  std::string out(n, '\0');
  random.fill(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

Schedule schedule_of(const events::Endpoint& endpoint) {
  if (endpoint.retry_schedule_s.empty()) return default_schedule();
  Schedule out;
  for (auto s : endpoint.retry_schedule_s) out.emplace_back(s);
  return out;
}

}  // namespace

struct Dispatcher::Held {
  events::Delivery delivery;
  std::shared_ptr<const events::Endpoint> endpoint;
  std::shared_ptr<const std::string> body;
  const profiles::Profile* profile = nullptr;  // null: billhook's own envelope
  std::vector<std::pair<std::string, std::string>> profile_headers;
};

struct Dispatcher::EndpointState {
  int in_flight = 0;
  double tokens = 0;
  Clock::time_point refilled = Clock::now();
  std::deque<Held> held;
};

Dispatcher::Dispatcher(store::Store& store, const catalog::Catalog& catalog, const core::Clock& clock,
                       core::Random& random, core::IdGenerator& ids, HttpClient& client, DispatcherOptions options)
    : store_(store),
      catalog_(catalog),
      clock_(clock),
      random_(random),
      ids_(ids),
      client_(client),
      options_(options) {}

Dispatcher::~Dispatcher() { stop(); }

core::Status Dispatcher::start() {
  if (options_.release_leases_at_start) {
    auto released = write_and_wait([](store::WriteTx& tx) { return tx.release_all_leases(); });
    // A full disk (or a database away) does not keep the node from starting: the leases of the run
    // before lapse on their own, and the deliveries they held are claimed then.
    if (!released && released.error().kind != core::ErrorKind::unavailable) return released;
    if (!released)
      core::log::warn("the leases of the last run could not be ended; their deliveries are sent once they lapse",
                      {{"lease_ms", options_.lease.count()}, {"error", released.error().message}});
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
    work_noted_ = true;
  }
  wake_cv_.notify_one();
}

void Dispatcher::run() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    drain_completions();
    retry_unrecorded();
    renew_leases();
    start_released();
    take_claimed();
    {
      std::lock_guard lock(mutex_);
      if (work_noted_) claim_wanted_ = next_due_stale_ = true;
      work_noted_ = false;
    }
    request_claim();
    mark_sent();
    const auto wait = sleep_time();
    std::unique_lock lock(mutex_);
    // Woken by nothing for the whole wait: something may have come due (a retry, a lease that lapsed).
    if (wait.count() > 0 && !wake_cv_.wait_for(lock, wait, [this] { return woken_ || stopping_; }))
      claim_wanted_ = true;
    woken_ = false;
  }
}

void Dispatcher::drain_completions() {
  std::vector<Completion> done;
  {
    std::lock_guard lock(mutex_);
    done.swap(completions_);
  }
  for (const auto& c : done) {
    if (c.kind == Completion::Kind::recorded) {
      if (c.retry_scheduled) next_due_stale_ = true;
      // The last claim skipped it as busy; due again (a retry whose time the clock passed), it is
      // found only by a claim made from now on.
      busy_.erase(c.delivery_id);
      claim_wanted_ = true;
      continue;
    }
    if (auto it = endpoints_.find(c.endpoint_id); it != endpoints_.end()) --it->second->in_flight;
    --in_flight_;
  }
}

void Dispatcher::report(Completion completion) {
  {
    std::lock_guard lock(mutex_);
    completions_.push_back(std::move(completion));
    woken_ = true;
  }
  wake_cv_.notify_one();
}

// Asks the store for due deliveries without waiting for the answer, which comes back through
// take_claimed(). Waiting here kept this thread from starting held deliveries for a whole group
// commit (the attempt records' fsync included) on every wake-up: with an endpoint's 16 requests in
// flight, that wait, not the receiver, set the delivery rate.
//
// It claims only when something may have changed what a claim finds: new or settled work (wake()),
// an attempt recorded (its delivery no longer busy), a full answer last time (more is due now), an
// endpoint whose held queue ran dry (the last claim skipped it), a wait that ended with nobody waking
// it (a due time reached), or idle_poll since the last claim. Claiming on every wake-up instead would
// spin, each empty answer waking the next.
void Dispatcher::request_claim() {
  if (claim_pending_) return;
  size_t held_total = 0;
  std::vector<std::string> skip_endpoints;
  for (const auto& [id, state] : endpoints_) {
    held_total += state->held.size();
    // An endpoint with a queue of its own already has enough claimed.
    if (!state->held.empty()) skip_endpoints.push_back(id);
  }
  std::sort(skip_endpoints.begin(), skip_endpoints.end());
  const bool queue_ran_dry = !std::includes(skip_endpoints.begin(), skip_endpoints.end(),
                                            last_skipped_.begin(), last_skipped_.end());
  // However busy the thread is kept by answers, nothing due waits longer than idle_poll for a claim.
  const auto now = Clock::now();
  if (now < next_claim_allowed_) return;  // the last claim failed: the store is away
  const bool overdue = now - last_claim_ >= options_.idle_poll;
  if (!claim_wanted_ && !queue_ran_dry && !overdue) return;
  const size_t used = in_flight_ + held_total;
  if (used >= options_.max_in_flight) {
    claim_wanted_ = true;  // once a slot frees
    return;
  }
  claim_wanted_ = false;
  last_skipped_ = skip_endpoints;
  last_claim_ = now;
  const size_t limit = std::min(options_.claim_batch, options_.max_in_flight - used);
  std::vector<std::string> skip_deliveries(busy_.begin(), busy_.end());
  const int64_t now_ms = core::to_unix_ms(clock_.now());
  auto claimed = std::make_shared<std::vector<events::Delivery>>();
  claim_pending_ = true;
  // Relaxed: a lease lost in a power cut only lets the delivery be claimed again, which at-least-once
  // delivery allows (and a single node ends every lease when it starts anyway).
  store_.write_in(store::Store::Lane::claims, store::Store::Durability::relaxed, store::Store::Rerun::allowed, {},
      [this, claimed, now_ms, limit, skip_endpoints = std::move(skip_endpoints),
       skip_deliveries = std::move(skip_deliveries)](store::WriteTx& tx) -> core::Status {
        auto due = tx.claim_due(now_ms, now_ms + options_.lease.count(), limit, skip_endpoints, skip_deliveries);
        if (!due) return std::move(due).error();
        *claimed = std::move(*due);
        return {};
      },
      [this, claimed](core::Status status) {
        {
          std::lock_guard lock(mutex_);
          if (!status) {
            if (auto failures = claim_failures_log_.note(Clock::now()))
              core::log::warn("claiming due deliveries failed; trying again with a growing pause",
                              {{"failures", *failures}, {"error", status.error().message}});
            claimed->clear();  // rolled back: none of them is leased
          }
          claim_answer_ = ClaimAnswer{std::move(*claimed), !status};
          woken_ = true;
        }
        wake_cv_.notify_one();
      });
}

std::optional<Dispatcher::ClaimAnswer> Dispatcher::take_claim_answer() {
  std::optional<ClaimAnswer> answer;
  {
    std::lock_guard lock(mutex_);
    answer.swap(claim_answer_);
  }
  if (answer) claim_pending_ = false;
  return answer;
}

void Dispatcher::take_claimed() {
  auto answer = take_claim_answer();
  if (!answer) return;
  if (answer->failed) {
    next_claim_allowed_ = Clock::now() + claim_delay_.failed();
    claim_wanted_ = true;  // nothing was looked at
    return;
  }
  claim_delay_.succeeded();
  std::vector<events::Delivery>& claimed = answer->claimed;
  if (claimed.size() >= options_.claim_batch) claim_wanted_ = true;
  // Leased but not started because what they need could not be read (the store went away after the
  // claim): given back so that a later claim takes them, rather than waiting for the lease to lapse.
  std::vector<std::string> unreadable;
  // The claim's events in one read: a read per delivery, a round trip each on PostgreSQL, held back
  // every delivery of a large claim behind the reads of those before it.
  std::unordered_map<std::string, events::Event> claimed_events;
  {
    std::vector<std::string> event_ids;
    for (const auto& d : claimed) event_ids.push_back(d.event_id);
    std::sort(event_ids.begin(), event_ids.end());
    event_ids.erase(std::unique(event_ids.begin(), event_ids.end()), event_ids.end());
    auto found = store_.find_events(event_ids);
    if (!found) {
      for (const auto& d : claimed) unreadable.push_back(d.id);
      claimed.clear();
    } else {
      for (auto& event : *found) claimed_events.emplace(event.id, std::move(event));
    }
  }
  std::unordered_map<std::string, std::shared_ptr<const events::Endpoint>> endpoints;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies;
  for (auto& d : claimed) {
    auto& endpoint = endpoints[d.endpoint_id];
    if (!endpoint) {
      auto found = store_.find_endpoint(d.endpoint_id);
      if (!found) {
        unreadable.push_back(d.id);
        continue;
      }
      if (!*found) continue;  // deleted meanwhile: its deliveries are cancelled
      endpoint = std::make_shared<const events::Endpoint>(std::move(**found));
    }
    const auto* profile = profiles::Registry::builtin().find(endpoint->profile);
    if (profile && profile->native) profile = nullptr;
    // Bodies in billhook's envelope are shared by every endpoint; a profile's may use endpoint settings.
    auto& body = bodies[profile ? d.event_id + "/" + d.endpoint_id : d.event_id];
    std::vector<std::pair<std::string, std::string>> profile_headers;
    if (!body || profile) {
      const auto event = claimed_events.find(d.event_id);
      if (event == claimed_events.end()) {
        core::log::error("a delivery's event is missing", {{"delivery_id", d.id}, {"event_id", d.event_id}});
        continue;
      }
      if (!profile) {
        body = std::make_shared<const std::string>(events::render_envelope_text(event->second, catalog_.api_version()));
      } else {
        boost::system::error_code ec;
        auto settings = boost::json::parse(endpoint->profile_settings_json, ec);
        auto rendered = profiles::render(*profile, catalog_, event->second,
                                         !ec && settings.is_object() ? settings.get_object() : boost::json::object());
        if (!rendered) {
          // The endpoint switched to a profile that does not send this event after it was queued.
          cancel_unsent(d, endpoint->profile);
          continue;
        }
        body = std::make_shared<const std::string>(std::move(rendered->body));
        profile_headers = std::move(rendered->headers);
      }
    }
    start_or_hold(Held{std::move(d), endpoint, body, profile, std::move(profile_headers)});
  }
  if (unreadable.empty()) return;
  core::log::warn("claimed deliveries could not be read; they are claimed again later",
                  {{"deliveries", unreadable.size()}});
  write(store::Store::Durability::relaxed,
        [unreadable](store::WriteTx& tx) { return tx.release_leases(unreadable); },
        [](core::Status) {});  // failing too, the leases lapse on their own
}

void Dispatcher::write(store::Store::Durability durability, store::Store::WriteJob job, store::Store::WriteDone done) {
  store_.write_in(store::Store::Lane::delivery, durability, store::Store::Rerun::allowed, {}, std::move(job),
                  std::move(done));
}

core::Status Dispatcher::write_and_wait(store::Store::WriteJob job, store::Store::Durability durability) {
  return store_.write_and_wait(std::move(job), durability, store::Store::Lane::delivery);
}

void Dispatcher::cancel_unsent(const events::Delivery& claimed, const std::string& profile) {
  const std::string id = claimed.id;
  const std::string message = fmt::format("not sent: the endpoint's profile '{}' has no name for {}", profile,
                                          claimed.event_type);
  auto status = write_and_wait([this, id, message](store::WriteTx& tx) -> core::Status {
    auto found = tx.find_delivery(id);
    if (!found) return std::move(found).error();
    if (!*found) return {};
    events::Delivery d = std::move(**found);
    if (!events::can_transition(d.status, events::DeliveryStatus::cancelled)) return {};
    d.status = events::DeliveryStatus::cancelled;
    d.lease_until_ms = 0;
    d.updated_ms = core::to_unix_ms(clock_.now());
    d.last_error_message = message;
    return tx.update_delivery(d);
  });
  if (!status) core::log::warn("cancelling an unsent delivery failed", {{"error", status.error().message}});
}

void Dispatcher::start_or_hold(Held held) {
  auto& state = endpoints_[held.endpoint->id];
  if (!state) {
    state = std::make_unique<EndpointState>();
    state->tokens = held.endpoint->rate_limit_per_second;
  }
  busy_.insert(held.delivery.id);
  if (state->held.empty() && may_start(*state, *held.endpoint)) send(std::move(held));
  else state->held.push_back(std::move(held));
}

void Dispatcher::start_released() {
  for (auto& [id, state] : endpoints_) {
    if (state->held.empty()) continue;
    // The endpoint may have been disabled (a 410, say) or deleted since these were claimed.
    auto current = store_.find_endpoint(id);
    if (current && (!*current || !(*current)->enabled)) {
      drop_held(*state);
      continue;
    }
    while (!state->held.empty() && may_start(*state, *state->held.front().endpoint)) {
      Held next = std::move(state->held.front());
      state->held.pop_front();
      send(std::move(next));
    }
  }
}

void Dispatcher::drop_held(EndpointState& state) {
  std::vector<std::string> ids;
  for (const auto& held : state.held) {
    ids.push_back(held.delivery.id);
    busy_.erase(held.delivery.id);
  }
  state.held.clear();
  // Released, they are claimed again once their endpoint is enabled (a deleted one cancelled them).
  auto status = write_and_wait([&ids](store::WriteTx& tx) { return tx.release_leases(ids); });
  if (!status) core::log::warn("releasing held deliveries failed", {{"error", status.error().message}});
}

bool Dispatcher::may_start(EndpointState& state, const events::Endpoint& endpoint) {
  if (state.in_flight >= std::max(1, endpoint.max_in_flight)) return false;
  if (endpoint.rate_limit_per_second > 0) {
    // Token bucket holding at most one second's worth. It runs on the steady clock, not the
    // injected one: a rate limit protects a real receiver in real time, and a test clock that
    // jumps days must not hand out days of tokens.
    const auto now = Clock::now();
    const double rate = endpoint.rate_limit_per_second;
    const double elapsed = std::chrono::duration<double>(now - state.refilled).count();
    state.tokens = std::min(rate, state.tokens + elapsed * rate);
    state.refilled = now;
    if (state.tokens < 1.0) return false;
    state.tokens -= 1.0;
  }
  return true;
}

void Dispatcher::send(Held held) {
  auto& state = *endpoints_[held.endpoint->id];
  ++state.in_flight;
  ++in_flight_;
  const auto now = clock_.now();
  const int64_t now_ms = core::to_unix_ms(now);
  const auto& endpoint = *held.endpoint;

  std::vector<std::string> keys;
  if (auto key = decode_secret(endpoint.secret)) keys.push_back(std::move(*key));
  if (!endpoint.previous_secret.empty() && endpoint.previous_secret_expires_ms > now_ms)
    if (auto key = decode_secret(endpoint.previous_secret)) keys.push_back(std::move(*key));
  if (keys.empty()) {
    OutboundResult refused;
    refused.error_class = ErrorClass::connect;
    refused.error_message = "the endpoint's signing secret is unusable; rotate it";
    record(held, std::move(refused), now_ms, false, Sent{});
    return;
  }
  const auto signed_headers = sign_headers(keys, held.delivery.event_id, now_ms / 1000, *held.body);
  OutboundRequest request;
  request.url = endpoint.url;
  request.body = *held.body;
  request.headers = {{"Content-Type", "application/json"},
                     {"webhook-id", signed_headers.id},
                     {"webhook-timestamp", signed_headers.timestamp},
                     {"webhook-signature", signed_headers.signature}};
  if (held.profile) {
    for (const auto& header : held.profile_headers) request.headers.push_back(header);
    profiles::SigningInput input;
    input.url = endpoint.url;
    input.body = *held.body;
    input.timestamp_s = now_ms / 1000;
    input.secrets.push_back(endpoint.secret);
    if (!endpoint.previous_secret.empty() && endpoint.previous_secret_expires_ms > now_ms)
      input.secrets.push_back(endpoint.previous_secret);
    boost::system::error_code ec;
    auto settings = boost::json::parse(endpoint.profile_settings_json, ec);
    const boost::json::object settings_object = !ec && settings.is_object() ? settings.get_object() : boost::json::object();
    input.settings = &settings_object;
    input.salt = core::to_hex(random_bytes(random_, 8));
    input.jwt_key = options_.jwt_key.get();
    if (options_.jwt_issuer) input.issuer = options_.jwt_issuer();
    for (auto& header : profiles::signature_headers(*held.profile, input)) request.headers.push_back(std::move(header));
  }
  request.connect_timeout = options_.connect_timeout;
  request.total_timeout = options_.total_timeout;
  request.max_response_bytes = options_.max_response_bytes;
  std::vector<std::pair<std::string, std::string>> lowered = request.headers;
  for (auto& header : lowered)
    for (auto& c : header.first) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Sent sent{headers_json(lowered), printable(request.body, options_.stored_response_bytes)};
  if (sent_unmarked_.empty()) first_unmarked_ms_ = now_ms;
  sent_unmarked_.push_back(held.delivery.id);
  client_.send(std::move(request), [this, held, now_ms, sent = std::move(sent)](OutboundResult result) mutable {
    // After a success the endpoint's slot is free at once: the receiver is not waiting for the
    // record to commit, the delivery stays busy until it has, and the next one of its aggregate
    // cannot be claimed before the store shows this one settled, so order holds. After a failure
    // the slot waits for the record, which may disable the endpoint (a 410) before anything else
    // is sent to it.
    const bool succeeded = result.error_class == ErrorClass::none;
    if (succeeded) report({Completion::Kind::answered, held.endpoint->id, held.delivery.id});
    record(held, std::move(result), now_ms, succeeded, std::move(sent));
  });
}

struct Dispatcher::Unrecorded {
  std::string attempt_id;  // the same on every try, so that a try can tell an earlier one committed
  std::string delivery_id;
  std::string endpoint_id;
  int64_t cut_off_ms = 0;  // when the request before this one went out, if its answer was never recorded
  OutboundResult result;
  int64_t started_ms = 0;
  bool slot_released = false;
  Sent sent;
  events::Delivery claimed;  // as the claim returned it (so as the store had it, unless something moved it)
  // 250 ms after the first failed write, then 500 ms, 1 s, and every 2 s.
  core::DoublingDelay write_delay{std::chrono::milliseconds(250), std::chrono::milliseconds(2000)};
  Clock::time_point retry_at{};
};

void Dispatcher::record(const Held& held, OutboundResult result, int64_t started_ms, bool slot_released, Sent sent) {
  if (options_.metrics) options_.metrics->attempt_finished(result.error_class, result.duration);
  auto pending = std::make_shared<Unrecorded>();
  pending->attempt_id = ids_.next(core::IdKind::attempt);
  pending->delivery_id = held.delivery.id;
  pending->endpoint_id = held.endpoint->id;
  pending->cut_off_ms = held.delivery.sending_ms;
  pending->claimed = held.delivery;
  pending->result = std::move(result);
  pending->started_ms = started_ms;
  pending->slot_released = slot_released;
  pending->sent = std::move(sent);
  write_record(std::move(pending));
}

void Dispatcher::write_record(std::shared_ptr<Unrecorded> pending) {
  // What the transaction decided, counted once it has committed (a batch that fails is not counted).
  struct Settled {
    std::optional<events::DeliveryStatus> status;
    int64_t since_created_ms = 0;
    std::string disabled_endpoint_for;  // the reason the endpoint was disabled, if it was
  };
  auto settled = std::make_shared<Settled>();
  write(store::Store::Durability::durable,
      [this, pending, settled](store::WriteTx& tx) -> core::Status {
        *settled = Settled{};  // a run before this one was rolled back
        const OutboundResult& result = pending->result;
        const auto now = clock_.now();
        const int64_t now_ms = core::to_unix_ms(now);
        // A write that failed may have committed all the same (the database went away between its
        // COMMIT and the answer): then the attempt is there already.
        if (pending->write_delay.failures() > 0) {
          auto stored = tx.attempt_stored(pending->attempt_id);
          if (!stored) return std::move(stored).error();
          if (*stored) return {};
        }
        events::Attempt attempt;
        attempt.id = pending->attempt_id;
        attempt.delivery_id = pending->delivery_id;
        attempt.started_ms = pending->started_ms;
        attempt.duration_ms = result.duration.count();
        attempt.status_code = result.status_code;
        attempt.error_class = std::string(to_string(result.error_class));
        attempt.error_message = printable(result.error_message, 1024);
        attempt.response_headers_json = headers_json(result.headers);
        attempt.response_body = printable(result.body, options_.stored_response_bytes);
        attempt.request_headers_json = pending->sent.headers_json;
        attempt.request_body = pending->sent.body;

        // The delivery as the claim returned it, written over only if nothing moved it since: one round
        // trip on PostgreSQL, where reading it first took two. Read from the store when it did move, and
        // when this is a write tried again.
        bool as_claimed = pending->write_delay.failures() == 0;
        events::Delivery d = pending->claimed;
        std::optional<events::Endpoint> found_endpoint;
        std::optional<events::Attempt> cut_off;
        AttemptOutcome outcome;
        for (;;) {
          if (!as_claimed) {
            auto found = tx.find_delivery(pending->delivery_id);
            if (!found) return std::move(found).error();
            if (!*found) return {};
            d = std::move(**found);
          }
          auto endpoint_found = tx.find_endpoint(d.endpoint_id);
          if (!endpoint_found) return std::move(endpoint_found).error();
          found_endpoint = std::move(*endpoint_found);
          attempt.number = d.attempt_count + 1;
          const bool open = events::is_open(d.status);
          if (!open || !found_endpoint) return tx.insert_attempt(attempt);  // cancelled while in flight
          cut_off.reset();
          if (pending->cut_off_ms != 0) {
            // The request before this one went out and its answer was never recorded: the history says so.
            cut_off.emplace();
            cut_off->id = ids_.next(core::IdKind::attempt);
            cut_off->delivery_id = d.id;
            cut_off->number = attempt.number++;
            cut_off->started_ms = pending->cut_off_ms;
            cut_off->error_class = "interrupted";
            cut_off->error_message =
                "billhook stopped before this attempt's answer was recorded (a crash, the database lost, or a "
                "shutdown deadline); the receiver may have received it";
            cut_off->response_headers_json = "{}";
            cut_off->request_headers_json = "{}";
          }
          outcome = decide(result, attempt.number, schedule_of(*found_endpoint), now, random_);
          attempt.next_attempt_ms =
              outcome.status == events::DeliveryStatus::retrying ? outcome.next_attempt_ms : 0;

          events::Delivery updated = d;
          updated.status = outcome.status;
          updated.attempt_count = attempt.number;
          if (outcome.status == events::DeliveryStatus::retrying) updated.next_attempt_ms = outcome.next_attempt_ms;
          updated.lease_until_ms = 0;
          updated.sending_ms = 0;
          updated.last_attempt_ms = now_ms;
          updated.updated_ms = now_ms;
          const bool succeeded = outcome.status == events::DeliveryStatus::succeeded;
          updated.last_error_class = succeeded ? "" : attempt.error_class;
          updated.last_status_code = succeeded ? 0 : result.status_code;
          updated.last_error_message = succeeded ? "" : attempt.error_message;
          if (!as_claimed) {
            if (auto s = tx.update_delivery(updated); !s) return s;
          } else {
            auto written = tx.update_delivery_if_unchanged(updated, d);
            if (!written) return std::move(written).error();
            if (!*written) {
              as_claimed = false;  // settled, cancelled or attempted since the claim: decide from what is stored
              continue;
            }
          }
          d = std::move(updated);
          break;
        }
        if (cut_off)
          if (auto s = tx.insert_attempt(*cut_off); !s) return s;
        if (auto s = tx.insert_attempt(attempt); !s) return s;
        const bool succeeded = outcome.status == events::DeliveryStatus::succeeded;
        settled->status = outcome.status;
        settled->since_created_ms = now_ms - d.created_ms;
        events::Endpoint endpoint = std::move(*found_endpoint);

        // The endpoint's health changes only on the edges, so most attempts do not rewrite it.
        bool endpoint_changed = false;
        std::string disable_reason;
        if (succeeded) {
          endpoint_changed = endpoint.failing_since_ms != 0;
          endpoint.failing_since_ms = 0;
        } else {
          if (endpoint.failing_since_ms == 0) {
            endpoint.failing_since_ms = now_ms;
            endpoint_changed = true;
          }
          if (outcome.disable) disable_reason = *outcome.disable;
          else if (should_disable_for_failing(endpoint.failing_since_ms, now_ms, options_.disable_after))
            disable_reason = "failing";
        }
        const bool disabling = !disable_reason.empty() && endpoint.enabled;
        if (disabling) {
          endpoint.enabled = false;
          endpoint.disabled_reason = disable_reason;
          endpoint.disabled_ms = now_ms;
          endpoint_changed = true;
        }
        if (endpoint_changed) {
          endpoint.updated_ms = now_ms;
          if (auto s = tx.update_endpoint(endpoint); !s) return s;
        }
        settled->disabled_endpoint_for = disabling ? disable_reason : std::string();
        if (disabling) {
          const auto& rules = profiles::Registry::builtin();
          if (auto s = events::append_operational_event(tx, catalog_, rules, ids_, "endpoint.disabled",
                                                        {"endpoint", endpoint.id, 0},
                                                        events::endpoint_object(endpoint, rules), now_ms);
              !s)
            return s;
        }
        // A dead letter (schedule used up, or 410) is announced, except for a dead letter about a
        // dead letter: that chain would never end for an endpoint subscribed to everything and down for good.
        if (d.status == events::DeliveryStatus::failed && d.event_type != "delivery.exhausted") {
          if (auto s = events::append_operational_event(tx, catalog_, profiles::Registry::builtin(), ids_,
                                                        "delivery.exhausted", {"delivery", d.id, 0},
                                                        events::delivery_object(d), now_ms);
              !s)
            return s;
        }
        // Settled: the next delivery of its aggregate may go now.
        if (d.status != events::DeliveryStatus::retrying) tx.notify_work();
        return {};
      },
      [this, pending, settled](core::Status status) {
        if (!status && status.error().kind == core::ErrorKind::unavailable) {
          {
            std::lock_guard lock(mutex_);
            if (auto failures = record_failures_log_.note(Clock::now()))
              core::log::warn("recording attempts failed; their outcomes are kept in memory and written again "
                              "once the store is back, not sent again",
                              {{"failures", *failures}, {"error", status.error().message}});
            pending->retry_at = Clock::now() + pending->write_delay.failed();
            unrecorded_.push_back(pending);
            woken_ = true;  // so that the dispatcher's sleep counts this retry
          }
          wake_cv_.notify_one();
          return;
        }
        if (!status)
          core::log::error("recording an attempt failed; the delivery will be tried again when its lease ends",
                           {{"delivery_id", pending->delivery_id}, {"error", status.error().message}});
        if (const int failures = pending->write_delay.failures(); failures > 0)
          core::log::info("an attempt kept in memory was recorded",
                          {{"delivery_id", pending->delivery_id}, {"tries", failures + 1}});
        if (status && !settled->disabled_endpoint_for.empty())
          core::log::warn("endpoint disabled",
                          {{"endpoint_id", pending->endpoint_id}, {"reason", settled->disabled_endpoint_for}});
        if (status && settled->status && options_.metrics) {
          options_.metrics->delivery_settled(*settled->status);
          if (*settled->status == events::DeliveryStatus::succeeded)
            options_.metrics->delivery_succeeded(std::chrono::milliseconds(settled->since_created_ms));
        }
        if (!pending->slot_released) report({Completion::Kind::answered, pending->endpoint_id, pending->delivery_id});
        report({Completion::Kind::recorded, pending->endpoint_id, pending->delivery_id,
                status && settled->status == events::DeliveryStatus::retrying});
      });
}

void Dispatcher::retry_unrecorded() {
  std::vector<std::shared_ptr<Unrecorded>> due;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    auto split = std::partition(unrecorded_.begin(), unrecorded_.end(),
                                [now](const auto& pending) { return pending->retry_at > now; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(unrecorded_.end()));
    unrecorded_.erase(split, unrecorded_.end());
  }
  for (auto& pending : due) write_record(std::move(pending));
}

std::optional<Dispatcher::Clock::time_point> Dispatcher::next_record_retry() {
  std::lock_guard lock(mutex_);
  std::optional<Clock::time_point> next;
  for (const auto& pending : unrecorded_)
    if (!next || pending->retry_at < *next) next = pending->retry_at;
  return next;
}

void Dispatcher::renew_leases() {
  const auto now = Clock::now();
  if (now - last_renewal_ < options_.lease / 3) return;
  last_renewal_ = now;
  if (busy_.empty()) return;
  const std::vector<std::string> ids(busy_.begin(), busy_.end());
  const int64_t now_ms = core::to_unix_ms(clock_.now());
  const int64_t until_ms = now_ms + options_.lease.count();
  // Relaxed: a renewal lost in a crash only lets the lease lapse sooner.
  auto status = write_and_wait([&](store::WriteTx& tx) { return tx.renew_leases(ids, now_ms, until_ms); },
                               store::Store::Durability::relaxed);
  if (!status) core::log::warn("renewing delivery leases failed", {{"error", status.error().message}});
}

// Relaxed and not waited for: the request is not held back for it. A crash before it commits (a few
// milliseconds) leaves an attempt out of the history, never a delivery unsent.
void Dispatcher::mark_sent() {
  if (sent_unmarked_.empty()) return;
  write(store::Store::Durability::relaxed,
      [ids = std::move(sent_unmarked_), sent_ms = first_unmarked_ms_](store::WriteTx& tx) {
        return tx.mark_sending(ids, sent_ms);
      },
      [](core::Status) {});  // lost, the history misses an attempt only if this node also crashes
  sent_unmarked_.clear();
}

std::chrono::milliseconds Dispatcher::sleep_time() {
  using std::chrono::milliseconds;
  milliseconds wait = options_.idle_poll;
  for (const auto& [id, state] : endpoints_) {
    // Wake up for the next token of a rate-limited endpoint that has work waiting.
    if (!state->held.empty() && state->held.front().endpoint->rate_limit_per_second > 0)
      wait = std::min(wait, milliseconds(1 + 1000 / state->held.front().endpoint->rate_limit_per_second));
  }
  if (auto retry = next_record_retry())
    wait = std::min(wait, std::chrono::ceil<milliseconds>(*retry - Clock::now()));
  // (A full claim answer needs no early wake-up: it made request_claim() ask again at once.)
  if (const auto now = Clock::now(); next_due_stale_ || now - next_due_read_ >= options_.idle_poll) {
    auto next = store_.next_due_ms();
    next_due_ms_ = next ? *next : std::nullopt;  // unreadable: no early wake-up, the poll still comes
    next_due_read_ = now;
    next_due_stale_ = false;
  }
  if (next_due_ms_) {
    const int64_t until = *next_due_ms_ - core::to_unix_ms(clock_.now());
    if (until > 0) wait = std::min(wait, milliseconds(until));
  }
  return std::max(wait, milliseconds(1));
}

size_t Dispatcher::drain(std::chrono::steady_clock::time_point deadline) {
  stop();
  // The thread has ended, so its state is this thread's now; answers and records still come in
  // through report() from the client's thread and the store's writer.
  const auto unsettled = [this] {
    size_t held = 0;
    for (const auto& [id, state] : endpoints_) held += state->held.size();
    return busy_.size() - held;
  };
  // What a claim still queued in the store when the thread stopped leased is released unsent.
  std::vector<std::string> ids;
  for (;;) {
    drain_completions();
    retry_unrecorded();
    if (auto answer = take_claim_answer())
      for (const auto& d : answer->claimed) ids.push_back(d.id);
    if (unsettled() == 0 && !claim_pending_) break;
    const auto retry = next_record_retry();
    const auto until = retry ? std::min(deadline, *retry) : deadline;
    std::unique_lock lock(mutex_);
    const bool news =
        wake_cv_.wait_until(lock, until, [this] { return !completions_.empty() || claim_answer_.has_value(); });
    if (!news && Clock::now() >= deadline) break;
  }
  const size_t unanswered = unsettled();
  ids.insert(ids.end(), busy_.begin(), busy_.end());
  size_t unrecorded = 0;
  {
    std::lock_guard lock(mutex_);
    unrecorded = unrecorded_.size();
  }
  if (unanswered > 0)
    core::log::warn("shutdown deadline reached with deliveries unanswered or their answers unrecorded (the store "
                    "unavailable); they will be sent again",
                    {{"deliveries", unanswered}, {"unrecorded", unrecorded}});
  if (ids.empty()) return 0;
  auto status = write_and_wait([&ids](store::WriteTx& tx) { return tx.release_leases(ids); });
  if (!status) {
    core::log::warn("releasing leases at shutdown failed; they lapse on their own",
                    {{"deliveries", ids.size()}, {"error", status.error().message}});
    return 0;
  }
  return ids.size();
}

}  // namespace billhook::delivery
