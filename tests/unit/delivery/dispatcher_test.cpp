// The dispatcher against a real SQLite store, a manual clock and an HttpClient double that the
// test answers by hand, so that what is in flight at any moment can be observed.
#include "delivery/dispatcher.hpp"

#include "core/crypto.hpp"
#include "profiles/signatures.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "delivery/signing.hpp"
#include "events/envelope.hpp"
#include "events/outbox.hpp"
#include "profiles/profile.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/forwarding_store.hpp"

namespace billhook::events {
// gtest prints a status by name (found by argument-dependent lookup).
[[maybe_unused]] static void PrintTo(DeliveryStatus status, std::ostream* os) { *os << to_string(status); }
}  // namespace billhook::events

namespace billhook::delivery {
namespace {

using namespace std::chrono_literals;
using events::DeliveryStatus;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kPatience = 5s;  // how long any awaited thing may take before the test fails

// Wakes whoever waits whenever something observable happened: a request sent, a write committed,
// a dispatcher cycle ended.
class Progress {
 public:
  void bump() {
    { std::lock_guard lock(mutex_); }
    cv_.notify_all();
  }

  // Re-checks `done` on every bump (and every 10 ms, for changes nobody announces) until it holds
  // or `timeout` has passed.
  bool await(const std::function<bool()>& done, std::chrono::milliseconds timeout = kPatience) {
    const auto deadline = SteadyClock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
      if (done()) return true;
      const auto now = SteadyClock::now();
      if (now >= deadline) return false;
      cv_.wait_until(lock, std::min(deadline, now + 10ms));
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

// Records each request; the test answers it when it wants by calling answer(), which runs the
// dispatcher's `done` on the test's thread.
class FakeHttpClient final : public HttpClient {
 public:
  explicit FakeHttpClient(Progress& progress) : progress_(progress) {}

  void send(OutboundRequest request, Done done) override {
    {
      std::lock_guard lock(mutex_);
      sent_.push_back({std::move(request), std::move(done), SteadyClock::now()});
      ++outstanding_;
      max_outstanding_ = std::max(max_outstanding_, outstanding_);
    }
    progress_.bump();
  }

  size_t in_flight() const override {
    std::lock_guard lock(mutex_);
    return outstanding_;
  }

  size_t sent() const {
    std::lock_guard lock(mutex_);
    return sent_.size();
  }

  size_t max_outstanding() const {
    std::lock_guard lock(mutex_);
    return max_outstanding_;
  }

  OutboundRequest request(size_t i) const {
    std::lock_guard lock(mutex_);
    return sent_.at(i).request;
  }

  SteadyClock::time_point sent_at(size_t i) const {
    std::lock_guard lock(mutex_);
    return sent_.at(i).at;
  }

  bool answered(size_t i) const {
    std::lock_guard lock(mutex_);
    return !sent_.at(i).done;
  }

  void answer(size_t i, OutboundResult result) {
    Done done;
    {
      std::lock_guard lock(mutex_);
      done = std::move(sent_.at(i).done);
      sent_.at(i).done = nullptr;
      if (done) --outstanding_;
    }
    ASSERT_TRUE(done) << "request " << i << " was answered twice";
    done(std::move(result));
    progress_.bump();
  }

 private:
  struct Sent {
    OutboundRequest request;
    Done done;
    SteadyClock::time_point at;
  };

  Progress& progress_;
  mutable std::mutex mutex_;
  std::vector<Sent> sent_;
  size_t outstanding_ = 0;
  size_t max_outstanding_ = 0;
};

// Forwards to the real store, announcing each finished write, and counts next_due_ms() calls:
// the dispatcher asks once per cycle, after claiming, so two more calls after a wake() mean a
// whole cycle has run since. It can also fail writes as a store does when its disk is full or its
// database is away: every write (take_away), or by losing the answer to one that committed.
class ObservedStore final : public testing::ForwardingStore {
 public:
  ObservedStore(store::Store& inner, Progress& progress) : ForwardingStore(inner), progress_(progress) {}

  void write(WriteJob job, WriteDone done) override {
    ++writes_;
    if (away_) {
      ++refused_;
      job = [](store::WriteTx&) -> core::Status { return core::Error::unavailable("the disk is full (test)"); };
    }
    bool lose_answer = false;
    {
      std::lock_guard lock(mutex_);
      if (lose_answer_on_ && *lose_answer_on_ == std::this_thread::get_id()) {
        lose_answer = true;
        lose_answer_on_.reset();
      }
    }
    inner_.write(std::move(job), [this, lose_answer, done = std::move(done)](core::Status status) {
      if (lose_answer && status) status = core::Error::unavailable("the connection dropped after COMMIT (test)");
      done(std::move(status));
      progress_.bump();
    });
  }
  // Notes each write's lane and durability, then commits it through write() as a one-writer store does.
  void write_in(Lane lane, Durability durability, Rerun rerun, std::vector<store::SequenceKey> draws, WriteJob job,
                WriteDone done) override {
    {
      std::lock_guard lock(mutex_);
      lanes_.emplace_back(lane, durability);
    }
    Store::write_in(lane, durability, rerun, std::move(draws), std::move(job), std::move(done));
  }
  std::vector<std::pair<Lane, Durability>> take_lanes() {
    std::lock_guard lock(mutex_);
    return std::exchange(lanes_, {});
  }
  void take_away() { away_ = true; }
  void bring_back() { away_ = false; }
  uint64_t refused() const { return refused_.load(); }
  // The next write made on this thread commits, but its caller is told it failed.
  void lose_next_answer_on_this_thread() {
    std::lock_guard lock(mutex_);
    lose_answer_on_ = std::this_thread::get_id();
  }
  core::Result<std::optional<int64_t>> next_due_ms() override {
    auto next = inner_.next_due_ms();
    ++next_due_calls_;
    progress_.bump();
    return next;
  }

  uint64_t next_due_calls() const { return next_due_calls_.load(); }
  uint64_t writes() const { return writes_.load(); }

 private:
  Progress& progress_;
  std::atomic<uint64_t> next_due_calls_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<bool> away_{false};
  std::atomic<uint64_t> refused_{0};
  std::mutex mutex_;
  std::optional<std::thread::id> lose_answer_on_;
  std::vector<std::pair<Lane, Durability>> lanes_;
};

std::string header(const OutboundRequest& request, std::string_view name) {
  for (const auto& [k, v] : request.headers)
    if (k == name) return v;
  return "<missing " + std::string(name) + ">";
}

std::vector<std::string> split_spaces(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t space = text.find(' ', start);
    out.push_back(text.substr(start, space == std::string::npos ? std::string::npos : space - start));
    if (space == std::string::npos) break;
    start = space + 1;
  }
  return out;
}

OutboundResult http_answer(int status, std::chrono::milliseconds duration = 12ms) {
  OutboundResult r;
  r.status_code = status;
  r.error_class = status >= 200 && status < 300 ? ErrorClass::none : ErrorClass::http_status;
  r.error_message = r.error_class == ErrorClass::none ? "" : "HTTP " + std::to_string(status);
  r.duration = duration;
  return r;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("billhook-dispatcher-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = store::sqlite::SqliteStore::open({.path = (dir_ / "billhook.db").string()}, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    sqlite_ = std::move(*opened);
    store_ = std::make_unique<ObservedStore>(*sqlite_, progress_);
  }

  void TearDown() override {
    // As the application shuts down: stop claiming, then commit what is queued while the
    // dispatcher its callbacks name still lives, then destroy it.
    if (dispatcher_) dispatcher_->stop();
    if (store_) store_->set_work_listener(nullptr);
    sqlite_.reset();
    dispatcher_.reset();
    std::filesystem::remove_all(dir_);
  }

  static DispatcherOptions options() {
    DispatcherOptions o;
    // Long, so that a test passes only if wake() (or the store's work listener) does the waking.
    o.idle_poll = 30s;
    return o;
  }

  void start(DispatcherOptions o = options()) {
    dispatcher_ = std::make_unique<Dispatcher>(*store_, catalog(), clock_, random_, ids_, client_, o);
    store_->set_work_listener([d = dispatcher_.get()] { d->wake(); });
    auto s = dispatcher_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  static const catalog::Catalog& catalog() { return catalog::Catalog::builtin(); }

  int64_t now_ms() const { return core::to_unix_ms(clock_.now()); }

  void write_ok(store::Store::WriteJob job) {
    auto s = store_->write_and_wait(std::move(job));
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  events::Endpoint add_endpoint(const std::function<void(events::Endpoint&)>& customize = {}) {
    events::Endpoint ep;
    ep.id = ids_.next(core::IdKind::endpoint);
    ep.url = "http://127.0.0.1:9/hooks/" + std::to_string(++endpoint_count_);
    ep.event_types = {"invoice.*"};
    ep.secret = generate_secret(random_);
    ep.metadata_json = "{}";
    ep.created_ms = ep.updated_ms = now_ms();
    if (customize) customize(ep);
    write_ok([&](store::WriteTx& tx) { return tx.insert_endpoint(ep); });
    return ep;
  }

  // Appends one invoice event per id, in one transaction, as the API would.
  std::vector<events::Event> publish(const std::vector<std::string>& invoice_ids,
                                     const std::string& type = "invoice.paid") {
    std::vector<events::Event> out;
    write_ok([&](store::WriteTx& tx) -> core::Status {
      out.clear();
      for (const auto& invoice_id : invoice_ids) {
        events::Event e;
        e.id = ids_.next(core::IdKind::event);
        e.type = type;
        e.created_ms = now_ms();
        e.aggregate = events::Aggregate{"invoice", invoice_id, 0};
        e.data_json = boost::json::serialize(
            boost::json::object{{"object", boost::json::object{{"id", invoice_id}, {"object", "invoice"}}}});
        auto created = events::append_event(tx, catalog(), profiles::Registry::builtin(), ids_, e);
        if (!created) return std::move(created).error();
        out.push_back(e);
      }
      return {};
    });
    return out;
  }

  events::Event publish_one(const std::string& invoice_id) {
    auto events = publish({invoice_id});
    return events.empty() ? events::Event{} : events.front();
  }

  std::optional<events::Delivery> delivery_of(const std::string& event_id, const std::string& endpoint_id) {
    store::DeliveryQuery q;
    q.event_id = event_id;
    q.endpoint_id = endpoint_id;
    auto page = store_->list_deliveries(q);
    if (!page.ok() || page->items.empty()) return std::nullopt;
    return page->items.front();
  }

  // Publishes one event for `ep` and waits for its request: answers its delivery, or nothing if
  // either did not happen.
  std::optional<events::Delivery> publish_and_await_request(const events::Endpoint& ep) {
    const size_t sent_before = client_.sent();  // read first: the request may go out at once
    const auto e = publish_one("in_1");
    if (!await_sent(sent_before + 1)) return std::nullopt;
    return delivery_of(e.id, ep.id);
  }

  events::Delivery delivery(const std::string& id) {
    auto found = store_->find_delivery(id);
    return found.ok() && found->has_value() ? **found : events::Delivery{};
  }

  events::Endpoint endpoint(const std::string& id) {
    auto found = store_->find_endpoint(id);
    return found.ok() && found->has_value() ? **found : events::Endpoint{};
  }

  std::vector<events::Attempt> attempts(const std::string& delivery_id) {
    auto found = store_->list_attempts(delivery_id);
    return found.ok() ? *found : std::vector<events::Attempt>{};
  }

  std::vector<events::Event> events_of_type(const std::string& type) {
    store::EventQuery q;
    q.type = type;
    q.page.limit = 100;
    auto page = store_->list_events(q);
    return page.ok() ? page->items : std::vector<events::Event>{};
  }

  bool await(const std::function<bool()>& done, std::chrono::milliseconds timeout = kPatience) {
    return progress_.await(done, timeout);
  }

  bool await_sent(size_t n) {
    return await([&] { return client_.sent() >= n; });
  }

  bool await_status(const std::string& delivery_id, DeliveryStatus status) {
    return await([&] { return delivery(delivery_id).status == status; });
  }

  bool await_attempts(const std::string& delivery_id, int count) {
    return await([&] { return delivery(delivery_id).attempt_count >= count; });
  }

  // Wakes the dispatcher and returns once a whole claim cycle has run since: whatever it would
  // send now has been handed to the client by then. Of the next_due_ms() calls after `before`,
  // only the first can end a cycle that began earlier; the second wake makes sure a second call
  // comes even when the first wake was taken up by that earlier cycle.
  bool wake_and_settle() {
    const uint64_t before = store_->next_due_calls();
    dispatcher_->wake();
    if (!await([&] { return store_->next_due_calls() >= before + 1; })) return false;
    dispatcher_->wake();
    return await([&] { return store_->next_due_calls() >= before + 2; });
  }

  void advance_and_wake(std::chrono::milliseconds by) {
    clock_.advance(by);
    dispatcher_->wake();
  }

  bool signature_verifies(const std::string& secret, const OutboundRequest& request,
                          std::optional<std::string> signature = std::nullopt) {
    auto key = decode_secret(secret);
    if (!key) return false;
    return verify(*key, header(request, "webhook-id"), header(request, "webhook-timestamp"),
                  signature.value_or(header(request, "webhook-signature")), request.body, now_ms() / 1000);
  }

  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
  core::ManualClock clock_{core::from_unix_ms(1'790'000'000'123)};
  core::SeededRandom random_{7};
  core::IdGenerator ids_{clock_, random_};
  Progress progress_;
  FakeHttpClient client_{progress_};
  std::unique_ptr<store::sqlite::SqliteStore> sqlite_;
  std::unique_ptr<ObservedStore> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
  int endpoint_count_ = 0;
};

TEST_F(DispatcherTest, NewDeliveryIsSentAtOnceSignedAndEnveloped) {
  const auto ep = add_endpoint();
  start();
  const auto e = publish_one("in_1");

  ASSERT_TRUE(await_sent(1)) << "a new delivery must go out without the clock moving";
  const auto request = client_.request(0);
  EXPECT_EQ(request.url, ep.url);
  EXPECT_EQ(header(request, "webhook-id"), e.id);
  EXPECT_EQ(header(request, "webhook-timestamp"), std::to_string(now_ms() / 1000));
  EXPECT_EQ(header(request, "Content-Type"), "application/json");

  auto stored = store_->find_event(e.id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(request.body, boost::json::serialize(events::render_envelope(**stored, catalog().api_version())));
  const auto body = boost::json::parse(request.body).as_object();
  EXPECT_EQ(body.at("id").as_string(), e.id);
  EXPECT_EQ(body.at("type").as_string(), "invoice.paid");

  const auto signature = header(request, "webhook-signature");
  EXPECT_EQ(split_spaces(signature).size(), 1u) << signature;
  EXPECT_TRUE(signature_verifies(ep.secret, request));
  EXPECT_FALSE(signature_verifies(generate_secret(random_), request));

  auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  EXPECT_GT(d->lease_until_ms, now_ms()) << "an in-flight delivery is leased";
}

// A profile endpoint gets the profile's body and headers beside the Standard Webhooks ones; a delivery
// queued before its endpoint switched to a profile with no name for the event is cancelled, not sent.
TEST_F(DispatcherTest, ProfilesRenderTheirBodyAndHeadersAndCancelWhatTheyDoNotName) {
  const auto stripe = add_endpoint([](events::Endpoint& ep) { ep.profile = "stripe"; });
  auto switching = add_endpoint();
  const auto e = publish_one("in_1");
  switching.profile = "lago";  // Lago's list has no invoice.paid
  write_ok([&](store::WriteTx& tx) { return tx.update_endpoint(switching); });
  start();

  ASSERT_TRUE(await_sent(1));
  const auto request = client_.request(0);
  EXPECT_EQ(request.url, stripe.url);
  const auto body = boost::json::parse(request.body).as_object();
  EXPECT_EQ(body.at("object").as_string(), "event");
  EXPECT_EQ(body.at("type").as_string(), "invoice.paid");
  EXPECT_EQ(body.at("livemode"), false);
  EXPECT_TRUE(signature_verifies(stripe.secret, request));  // the Standard Webhooks headers still
  const std::string expected_stripe =
      "t=" + header(request, "webhook-timestamp") + ",v1=" +
      core::to_hex(core::hmac_sha256(stripe.secret, header(request, "webhook-timestamp") + "." + request.body));
  EXPECT_EQ(header(request, "Stripe-Signature"), expected_stripe);

  const auto cancelled = delivery_of(e.id, switching.id);
  ASSERT_TRUE(cancelled);
  ASSERT_TRUE(await_status(cancelled->id, DeliveryStatus::cancelled));
  EXPECT_EQ(client_.sent(), 1u);
}

TEST_F(DispatcherTest, SuccessIsRecordedWithTheAttempt) {
  const auto ep = add_endpoint();
  start();
  const auto e = publish_one("in_1");
  ASSERT_TRUE(await_sent(1));
  auto answer = http_answer(200, 37ms);
  answer.headers = {{"x-receiver", "ok"}};
  answer.body = "thanks";
  client_.answer(0, answer);

  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  const auto got = delivery(d->id);
  EXPECT_EQ(got.attempt_count, 1);
  EXPECT_EQ(got.lease_until_ms, 0);
  EXPECT_EQ(got.last_attempt_ms, now_ms());
  EXPECT_EQ(got.last_error_class, "");
  EXPECT_EQ(got.last_status_code, 0);

  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].number, 1);
  EXPECT_EQ(history[0].status_code, 200);
  EXPECT_EQ(history[0].duration_ms, 37);
  EXPECT_EQ(history[0].error_class, "none");
  EXPECT_EQ(history[0].started_ms, now_ms());
  EXPECT_EQ(history[0].response_body, "thanks");
  EXPECT_EQ(history[0].next_attempt_ms, 0);
  EXPECT_NE(history[0].response_headers_json.find("x-receiver"), std::string::npos);
  EXPECT_EQ(endpoint(ep.id).failing_since_ms, 0);
}

// Each attempt keeps the request it sent — every header (the signatures too), names lower-cased, and
// the body — with the body capped as the response's is.
TEST_F(DispatcherTest, TheAttemptKeepsTheRequestItSentCappedLikeTheResponse) {
  const auto ep = add_endpoint();
  auto o = options();
  o.stored_response_bytes = 40;
  start(o);
  const auto e = publish_one("in_1");
  ASSERT_TRUE(await_sent(1));
  const auto request = client_.request(0);
  ASSERT_GT(request.body.size(), 40u);
  auto answer = http_answer(500, 5ms);
  answer.body = std::string(100, 'r');
  client_.answer(0, answer);

  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::retrying));
  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].request_body, request.body.substr(0, 40));
  EXPECT_EQ(history[0].response_body, std::string(40, 'r'));
  const auto headers = boost::json::parse(history[0].request_headers_json).as_object();
  EXPECT_EQ(headers.at("webhook-signature").as_string(), header(request, "webhook-signature"));
  EXPECT_EQ(headers.at("webhook-id").as_string(), e.id);
  EXPECT_EQ(headers.at("content-type").as_string(), "application/json");
  EXPECT_EQ(headers.size(), request.headers.size());
}

// A claim goes to a lane of its own, so that with a writer per lane (PostgreSQL) it does not wait behind
// attempts being recorded; the dispatcher's other writes go to the delivery lane, none to the main one.
TEST_F(DispatcherTest, ClaimsHaveALaneOfTheirOwnAndAttemptRecordsTheDeliveryLane) {
  using Lane = store::Store::Lane;
  using Durability = store::Store::Durability;
  const auto ep = add_endpoint();
  start();
  // Nothing is due: what an idle dispatcher writes when woken is claims alone.
  (void)store_->take_lanes();
  const uint64_t before = store_->writes();
  dispatcher_->wake();
  ASSERT_TRUE(await([&] { return store_->writes() > before; }));
  std::this_thread::sleep_for(100ms);
  const auto idle = store_->take_lanes();
  ASSERT_FALSE(idle.empty()) << "a wake-up did not claim";
  for (const auto& [lane, durability] : idle) {
    EXPECT_EQ(lane, Lane::claims);
    EXPECT_EQ(durability, Durability::relaxed);
  }

  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  int main_writes = 0, durable_delivery_writes = 0;
  for (const auto& [lane, durability] : store_->take_lanes()) {
    if (lane == Lane::main) ++main_writes;
    if (lane == Lane::delivery && durability == Durability::durable) ++durable_delivery_writes;
    if (lane == Lane::claims) {
      EXPECT_EQ(durability, Durability::relaxed) << "a durable write went to the claims lane";
    }
  }
  EXPECT_EQ(main_writes, 1) << "only the test's publish belongs to the main lane";
  EXPECT_EQ(durable_delivery_writes, 1) << "the attempt is recorded, durably, on the delivery lane";
}

// Claims are answered asynchronously, and an answer wakes the thread: were it to claim again on
// every wake-up, each empty answer would start the next claim and an idle server would spin.
TEST_F(DispatcherTest, AnIdleDispatcherStopsClaiming) {
  add_endpoint();
  start();
  publish_one("in_1");
  ASSERT_TRUE(await_sent(1));
  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await([&] { return store_->writes() >= 3; }));  // the publish, the claim, the record
  std::this_thread::sleep_for(200ms);  // settling: the claims the record's wake-up asks for
  const uint64_t before = store_->writes();
  std::this_thread::sleep_for(300ms);  // a measuring window (idle_poll is 30 s here)
  EXPECT_LE(store_->writes() - before, 1u) << "claims kept coming with nothing to claim";
}

TEST_F(DispatcherTest, FailureRetriesAtTheScheduledDelayWithTheSameId) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.retry_schedule_s = {10, 20}; });
  start();
  const auto e = publish_one("in_1");
  ASSERT_TRUE(await_sent(1));
  const auto first = client_.request(0);
  const int64_t failed_at = now_ms();
  client_.answer(0, http_answer(500));

  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::retrying));
  const auto retrying = delivery(d->id);
  EXPECT_EQ(retrying.attempt_count, 1);
  EXPECT_GE(retrying.next_attempt_ms, failed_at + 8'000);
  EXPECT_LE(retrying.next_attempt_ms, failed_at + 12'000);
  EXPECT_EQ(retrying.last_status_code, 500);
  EXPECT_EQ(retrying.last_error_class, "http_status");
  EXPECT_EQ(retrying.lease_until_ms, 0);
  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].status_code, 500);
  EXPECT_EQ(history[0].error_class, "http_status");
  EXPECT_EQ(history[0].next_attempt_ms, retrying.next_attempt_ms);
  EXPECT_EQ(endpoint(ep.id).failing_since_ms, failed_at);

  // 1 ms early: nothing goes out.
  clock_.set(core::from_unix_ms(retrying.next_attempt_ms - 1));
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 1u);

  clock_.set(core::from_unix_ms(retrying.next_attempt_ms));
  dispatcher_->wake();
  ASSERT_TRUE(await_sent(2));
  const auto second = client_.request(1);
  EXPECT_EQ(header(second, "webhook-id"), header(first, "webhook-id"));
  EXPECT_EQ(header(second, "webhook-id"), e.id);
  EXPECT_EQ(header(second, "webhook-timestamp"), std::to_string(now_ms() / 1000));
  EXPECT_EQ(second.body, first.body);
  EXPECT_TRUE(signature_verifies(ep.secret, second));

  client_.answer(1, http_answer(200));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  EXPECT_EQ(delivery(d->id).attempt_count, 2);
  EXPECT_EQ(attempts(d->id).size(), 2u);
  EXPECT_EQ(endpoint(ep.id).failing_since_ms, 0) << "a success clears failing_since";
}

// The earliest due time is read again only when it may have moved earlier. A retry this node records is
// such a change that no wake-up announces (only settled deliveries wake the dispatcher), so recording it
// must make the next sleep ask again, or the retry would wait for idle_poll (30 s here).
TEST_F(DispatcherTest, ARecordedRetryHasTheNextDueTimeReadAgain) {
  add_endpoint([](events::Endpoint& e) { e.retry_schedule_s = {10}; });
  start();
  publish_one("in_1");
  ASSERT_TRUE(await_sent(1));
  ASSERT_TRUE(wake_and_settle());  // the publish's wake-ups have all been taken
  const uint64_t before = store_->next_due_calls();
  client_.answer(0, http_answer(500));
  EXPECT_TRUE(await([&] { return store_->next_due_calls() > before; }))
      << "the retry's due time was not read after it was recorded";
}

TEST_F(DispatcherTest, ExhaustingTheScheduleFailsAndAnnouncesItOnce) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.retry_schedule_s = {1, 1}; });
  const auto watcher = add_endpoint([](events::Endpoint& e) {
    e.event_types = {"delivery.exhausted"};
    e.retry_schedule_s = {1, 1};
  });
  start();
  const auto e = publish_one("in_1");
  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  EXPECT_FALSE(delivery_of(e.id, watcher.id)) << "the watcher does not subscribe to invoices";

  for (int attempt = 1; attempt <= 3; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    ASSERT_TRUE(await_sent(static_cast<size_t>(attempt)));
    EXPECT_EQ(client_.request(static_cast<size_t>(attempt - 1)).url, ep.url);
    client_.answer(static_cast<size_t>(attempt - 1), http_answer(503));
    ASSERT_TRUE(await_attempts(d->id, attempt));
    if (attempt < 3) advance_and_wake(2s);
  }
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::failed));
  EXPECT_EQ(attempts(d->id).back().next_attempt_ms, 0);

  auto exhausted = events_of_type("delivery.exhausted");
  ASSERT_EQ(exhausted.size(), 1u);
  ASSERT_TRUE(exhausted[0].aggregate);
  EXPECT_EQ(exhausted[0].aggregate->type, "delivery");
  EXPECT_EQ(exhausted[0].aggregate->id, d->id);
  const auto data = boost::json::parse(exhausted[0].data_json).as_object();
  EXPECT_EQ(data.at("object").at("id").as_string(), d->id);
  EXPECT_EQ(data.at("object").at("status").as_string(), "failed");
  EXPECT_TRUE(endpoint(ep.id).enabled);

  // The dead letter goes to the endpoint that subscribes to it, at once.
  const auto announced = delivery_of(exhausted[0].id, watcher.id);
  ASSERT_TRUE(announced);
  EXPECT_FALSE(delivery_of(exhausted[0].id, ep.id));
  ASSERT_TRUE(await_sent(4));
  EXPECT_EQ(client_.request(3).url, watcher.url);
  EXPECT_EQ(header(client_.request(3), "webhook-id"), exhausted[0].id);

  // It exhausts too, and no delivery.exhausted is made about a delivery.exhausted.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    SCOPED_TRACE("watcher attempt " + std::to_string(attempt));
    const size_t index = 3 + static_cast<size_t>(attempt - 1);
    ASSERT_TRUE(await_sent(index + 1));
    client_.answer(index, http_answer(500));
    ASSERT_TRUE(await_attempts(announced->id, attempt));
    if (attempt < 3) advance_and_wake(2s);
  }
  ASSERT_TRUE(await_status(announced->id, DeliveryStatus::failed));
  EXPECT_EQ(events_of_type("delivery.exhausted").size(), 1u);
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 6u);
}

TEST_F(DispatcherTest, GoneDisablesTheEndpoint) {
  const auto ep = add_endpoint();
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  client_.answer(0, http_answer(410));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::failed));

  const auto disabled = endpoint(ep.id);
  EXPECT_FALSE(disabled.enabled);
  EXPECT_EQ(disabled.disabled_reason, "gone");
  EXPECT_EQ(disabled.disabled_ms, now_ms());
  const auto announced = events_of_type("endpoint.disabled");
  ASSERT_EQ(announced.size(), 1u);
  ASSERT_TRUE(announced[0].aggregate);
  EXPECT_EQ(announced[0].aggregate->type, "endpoint");
  EXPECT_EQ(announced[0].aggregate->id, ep.id);
  const auto data = boost::json::parse(announced[0].data_json).as_object();
  EXPECT_EQ(data.at("object").at("id").as_string(), ep.id);
  EXPECT_EQ(data.at("object").at("disabled_reason").as_string(), "gone");
}

TEST_F(DispatcherTest, FailingLongerThanDisableAfterDisables) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.retry_schedule_s = {30, 30, 30}; });
  auto o = options();
  o.disable_after = 60s;
  start(o);
  const auto e = publish_one("in_1");
  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  const int64_t first_failure = now_ms();

  ASSERT_TRUE(await_sent(1));
  client_.answer(0, http_answer(500));
  ASSERT_TRUE(await_attempts(d->id, 1));
  EXPECT_EQ(endpoint(ep.id).failing_since_ms, first_failure);

  advance_and_wake(40s);  // 40 s of failing: still enabled
  ASSERT_TRUE(await_sent(2));
  client_.answer(1, http_answer(500));
  ASSERT_TRUE(await_attempts(d->id, 2));
  EXPECT_TRUE(endpoint(ep.id).enabled);
  EXPECT_EQ(endpoint(ep.id).failing_since_ms, first_failure) << "failing_since keeps the first failure";

  advance_and_wake(40s);  // 80 s: past disable_after
  ASSERT_TRUE(await_sent(3));
  client_.answer(2, http_answer(500));
  ASSERT_TRUE(await([&] { return !endpoint(ep.id).enabled; }));
  const auto disabled = endpoint(ep.id);
  EXPECT_EQ(disabled.disabled_reason, "failing");
  EXPECT_EQ(disabled.disabled_ms, now_ms());
  const auto announced = events_of_type("endpoint.disabled");
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(boost::json::parse(announced[0].data_json).at("object").at("disabled_reason").as_string(), "failing");

  // Its delivery keeps its place, but a disabled endpoint is not sent to.
  EXPECT_EQ(delivery(d->id).status, DeliveryStatus::retrying);
  advance_and_wake(1h);
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 3u);
}

TEST_F(DispatcherTest, ASuccessClearsFailingSince) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.retry_schedule_s = {5}; });
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  client_.answer(0, http_answer(500));
  ASSERT_TRUE(await_attempts(d->id, 1));
  EXPECT_NE(endpoint(ep.id).failing_since_ms, 0);

  advance_and_wake(10s);
  ASSERT_TRUE(await_sent(2));
  client_.answer(1, http_answer(204));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  EXPECT_EQ(endpoint(ep.id).failing_since_ms, 0);
  EXPECT_TRUE(endpoint(ep.id).enabled);
}

TEST_F(DispatcherTest, EventsOfOneInvoiceGoOutInOrder) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.retry_schedule_s = {5}; });
  start();
  const auto published = publish({"in_1", "in_1"});
  ASSERT_EQ(published.size(), 2u);

  ASSERT_TRUE(await_sent(1));
  EXPECT_EQ(header(client_.request(0), "webhook-id"), published[0].id);
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 1u) << "the second event waits while the first is in flight";

  // A retrying first event still holds the second back.
  client_.answer(0, http_answer(500));
  const auto first = delivery_of(published[0].id, ep.id);
  ASSERT_TRUE(first);
  ASSERT_TRUE(await_attempts(first->id, 1));
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 1u) << "the second event waits while the first is retrying";

  advance_and_wake(10s);
  ASSERT_TRUE(await_sent(2));
  EXPECT_EQ(header(client_.request(1), "webhook-id"), published[0].id);
  client_.answer(1, http_answer(200));
  ASSERT_TRUE(await_sent(3)) << "the second event goes once the first has succeeded";
  EXPECT_EQ(header(client_.request(2), "webhook-id"), published[1].id);
  client_.answer(2, http_answer(200));
  const auto second = delivery_of(published[1].id, ep.id);
  ASSERT_TRUE(second);
  ASSERT_TRUE(await_status(second->id, DeliveryStatus::succeeded));
}

TEST_F(DispatcherTest, DifferentInvoicesDoNotWaitForEachOther) {
  add_endpoint();
  start();
  publish({"in_1", "in_2", "in_3"});
  ASSERT_TRUE(await_sent(3));
}

TEST_F(DispatcherTest, MaxInFlightCapsOutstandingRequests) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.max_in_flight = 2; });
  start();
  const auto published = publish({"in_1", "in_2", "in_3", "in_4", "in_5"});

  ASSERT_TRUE(await_sent(2));
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 2u);
  EXPECT_EQ(client_.in_flight(), 2u);

  for (size_t next = 0; next < 5; ++next) {
    SCOPED_TRACE("answering request " + std::to_string(next));
    client_.answer(next, http_answer(200));
    if (next + 2 < 5) {
      ASSERT_TRUE(await_sent(next + 3));
    }
  }
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 5u);
  EXPECT_EQ(client_.max_outstanding(), 2u);
  for (const auto& e : published) {
    const auto d = delivery_of(e.id, ep.id);
    ASSERT_TRUE(d);
    EXPECT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  }
}

TEST_F(DispatcherTest, RateLimitHoldsSendsBack) {
  add_endpoint([](events::Endpoint& e) { e.rate_limit_per_second = 5; });
  start();
  publish({"in_1", "in_2", "in_3", "in_4", "in_5", "in_6", "in_7", "in_8"});

  // Answer everything at once, so only the rate limit holds anything back.
  size_t answered = 0;
  while (answered < 8) {
    ASSERT_TRUE(await_sent(answered + 1)) << "after " << answered << " requests";
    const size_t sent = client_.sent();
    for (; answered < sent; ++answered) client_.answer(answered, http_answer(200));
  }
  const auto t0 = client_.sent_at(0);
  size_t first_burst = 0;
  for (size_t i = 0; i < 8; ++i)
    if (client_.sent_at(i) - t0 < 100ms) ++first_burst;
  EXPECT_LE(first_burst, 5u);
  EXPECT_GE(first_burst, 1u);
  // One token every 200 ms after the first five: the eighth cannot go before ~600 ms.
  EXPECT_GE(client_.sent_at(5) - t0, 150ms);
  EXPECT_GE(client_.sent_at(7) - t0, 550ms);
}

TEST_F(DispatcherTest, RotationSignsWithBothSecretsUntilThePreviousExpires) {
  const std::string old_secret = generate_secret(random_);
  const auto ep = add_endpoint([&](events::Endpoint& e) {
    e.previous_secret = old_secret;
    e.previous_secret_expires_ms = now_ms() + 3'600'000;
  });
  start();
  const auto e1 = publish_one("in_1");
  ASSERT_TRUE(await_sent(1));
  const auto during = client_.request(0);
  const auto entries = split_spaces(header(during, "webhook-signature"));
  ASSERT_EQ(entries.size(), 2u) << header(during, "webhook-signature");
  EXPECT_TRUE(entries[0].starts_with("v1,"));
  EXPECT_TRUE(entries[1].starts_with("v1,"));
  EXPECT_TRUE(signature_verifies(ep.secret, during, entries[0]));
  EXPECT_TRUE(signature_verifies(old_secret, during, entries[1]));
  EXPECT_FALSE(signature_verifies(ep.secret, during, entries[1]));
  EXPECT_FALSE(signature_verifies(old_secret, during, entries[0]));
  EXPECT_TRUE(signature_verifies(ep.secret, during));
  EXPECT_TRUE(signature_verifies(old_secret, during));
  client_.answer(0, http_answer(200));
  const auto d1 = delivery_of(e1.id, ep.id);
  ASSERT_TRUE(d1);
  ASSERT_TRUE(await_status(d1->id, DeliveryStatus::succeeded));

  clock_.advance(1h);  // the previous secret expires exactly now
  publish_one("in_2");
  ASSERT_TRUE(await_sent(2));
  const auto after = client_.request(1);
  const auto after_entries = split_spaces(header(after, "webhook-signature"));
  EXPECT_EQ(after_entries.size(), 1u) << header(after, "webhook-signature");
  EXPECT_TRUE(signature_verifies(ep.secret, after));
  EXPECT_FALSE(signature_verifies(old_secret, after));
}

TEST_F(DispatcherTest, CancelledWhileInFlightRecordsTheAttemptOnly) {
  const auto ep = add_endpoint();
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);

  write_ok([&](store::WriteTx& tx) { return tx.delete_endpoint(ep.id, now_ms()); });
  ASSERT_EQ(delivery(d->id).status, DeliveryStatus::cancelled);

  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await([&] { return attempts(d->id).size() == 1; }));
  const auto history = attempts(d->id);
  EXPECT_EQ(history[0].status_code, 200);
  EXPECT_EQ(history[0].number, 1);
  const auto got = delivery(d->id);
  EXPECT_EQ(got.status, DeliveryStatus::cancelled);
  EXPECT_EQ(got.attempt_count, 0);
  EXPECT_TRUE(events_of_type("endpoint.disabled").empty());
}

// An answer is recorded over the delivery as its claim returned it only if nothing moved it meanwhile;
// when something did, the record is decided again from what the store has.
TEST_F(DispatcherTest, ADeliveryCancelledAloneWhileInFlightStaysCancelled) {
  const auto ep = add_endpoint();
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  auto cancelled = delivery(d->id);
  cancelled.status = DeliveryStatus::cancelled;
  write_ok([&](store::WriteTx& tx) { return tx.update_delivery(cancelled); });

  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await([&] { return attempts(d->id).size() == 1; }));
  EXPECT_EQ(attempts(d->id)[0].status_code, 200);
  EXPECT_EQ(delivery(d->id).status, DeliveryStatus::cancelled) << "the answer overwrote the cancellation";
  EXPECT_EQ(delivery(d->id).attempt_count, 0);
}

TEST_F(DispatcherTest, AnAttemptRecordedElsewhereSinceTheClaimIsCountedBeforeThisOne) {
  const auto ep = add_endpoint();
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  // As another node would after this one's lease lapsed: one attempt made, due again.
  auto elsewhere = delivery(d->id);
  elsewhere.status = DeliveryStatus::retrying;
  elsewhere.attempt_count = 1;
  write_ok([&](store::WriteTx& tx) { return tx.update_delivery(elsewhere); });

  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  EXPECT_EQ(delivery(d->id).attempt_count, 2);
  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].number, 2) << "numbered as if the other attempt had not been made";
}

// Deliveries the dispatcher holds back (in-flight cap, rate limit) were claimed while their
// endpoint was enabled; one that is disabled or deleted meanwhile must not be sent to.
TEST_F(DispatcherTest, HeldDeliveriesOfAnEndpointDisabledMeanwhileAreNotSent) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.max_in_flight = 1; });
  start();
  const auto published = publish({"in_1", "in_2", "in_3"});
  ASSERT_TRUE(await_sent(1));
  ASSERT_TRUE(wake_and_settle());
  ASSERT_EQ(client_.sent(), 1u);

  client_.answer(0, http_answer(410));
  ASSERT_TRUE(await([&] { return !endpoint(ep.id).enabled; }));
  ASSERT_TRUE(wake_and_settle());
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 1u) << "sent to an endpoint that answered 410 Gone and was disabled";
  for (size_t i = 1; i < client_.sent(); ++i) {
    if (!client_.answered(i)) client_.answer(i, http_answer(410));
  }
  for (size_t i = 1; i < published.size(); ++i) {
    const auto d = delivery_of(published[i].id, ep.id);
    ASSERT_TRUE(d);
    ASSERT_TRUE(wake_and_settle());
    EXPECT_EQ(delivery(d->id).status, DeliveryStatus::pending)
        << "a delivery waiting behind a disabled endpoint should wait for it to be enabled again";
  }
}

TEST_F(DispatcherTest, HeldDeliveriesOfAnEndpointDeletedMeanwhileAreNotSent) {
  const auto ep = add_endpoint([](events::Endpoint& e) { e.max_in_flight = 1; });
  start();
  publish({"in_1", "in_2"});
  ASSERT_TRUE(await_sent(1));
  ASSERT_TRUE(wake_and_settle());
  ASSERT_EQ(client_.sent(), 1u);

  write_ok([&](store::WriteTx& tx) { return tx.delete_endpoint(ep.id, now_ms()); });
  client_.answer(0, http_answer(200));
  ASSERT_TRUE(wake_and_settle());
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 1u) << "a cancelled delivery of a deleted endpoint was sent";
}

TEST_F(DispatcherTest, LeasesOfDeliveriesInFlightAreRenewedUntilAnswered) {
  const auto ep = add_endpoint();
  auto o = options();
  o.lease = 600ms;
  o.idle_poll = 20ms;  // renewal happens in the claim loop, which must come round without a wake
  start(o);
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  const int64_t first_lease = d->lease_until_ms;
  EXPECT_EQ(first_lease, now_ms() + 600);

  // Time passes while the receiver takes its time: the lease moves along with it, so no other
  // node takes the delivery over from a node that is still working on it.
  clock_.advance(400ms);
  EXPECT_TRUE(await([&] { return delivery(d->id).lease_until_ms == now_ms() + 600; }))
      << "the lease stayed at " << delivery(d->id).lease_until_ms - first_lease << " ms past the first one";

  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  EXPECT_EQ(delivery(d->id).lease_until_ms, 0);
}

// The receiver got it and said so, but the store cannot take the attempt (disk full, database away):
// sent again when its lease lapsed, it would arrive twice. The outcome waits in memory instead, the
// lease held, and is written once the store is back.
TEST_F(DispatcherTest, AnAnswerThatCannotBeRecordedIsWrittenLaterAndNotSentAgain) {
  const auto ep = add_endpoint();
  auto o = options();
  o.lease = 2s;
  start(o);
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);

  store_->take_away();
  client_.answer(0, http_answer(200));
  // It keeps trying (250 ms, then 500 ms, …), and nothing is sent meanwhile, though the lease's time passes.
  ASSERT_TRUE(await([&] { return store_->refused() >= 3; })) << "the record was not written again";
  clock_.advance(10s);
  dispatcher_->wake();
  ASSERT_TRUE(await([&] { return store_->refused() >= 5; }));
  EXPECT_EQ(delivery(d->id).status, DeliveryStatus::pending);

  store_->bring_back();
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].status_code, 200);
  EXPECT_EQ(delivery(d->id).lease_until_ms, 0);
  clock_.advance(10s);
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 1u) << "the delivery was sent again after its answer was recorded late";
}

// A node restarted on a full disk (or with its database away) cannot end the leases of its last run:
// it starts all the same, and sends once the store takes writes again.
TEST_F(DispatcherTest, ItStartsWhileTheStoreTakesNoWritesAndSendsOnceItDoes) {
  const auto ep = add_endpoint();
  publish({"inv_1"});
  store_->take_away();
  start();  // asserts that it started
  EXPECT_GE(store_->refused(), 1u) << "the leases of the last run were not asked to end";
  EXPECT_EQ(client_.sent(), 0u);
  store_->bring_back();
  dispatcher_->wake();
  EXPECT_TRUE(await([&] { return client_.sent() == 1; })) << "nothing was sent once the store was back";
}

// A COMMIT can succeed and its answer be lost (the connection to PostgreSQL dropped right after):
// the second write of the outcome finds the attempt there and adds nothing.
TEST_F(DispatcherTest, AnAttemptWhoseCommitWasNotConfirmedIsNotRecordedTwice) {
  const auto ep = add_endpoint();
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);

  store_->lose_next_answer_on_this_thread();  // answer() records on this thread
  client_.answer(0, http_answer(500));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::retrying));
  ASSERT_TRUE(wake_and_settle());  // the second write has come and gone
  ASSERT_TRUE(wake_and_settle());
  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 1u) << "the attempt was recorded twice";
  EXPECT_EQ(delivery(d->id).attempt_count, 1);
  EXPECT_EQ(client_.sent(), 1u);
}

// Each request sent is noted on its delivery, and the note goes with the answer's record.
TEST_F(DispatcherTest, ARequestInFlightIsNotedUntilItsAnswerIsRecorded) {
  const auto ep = add_endpoint();
  start();
  const auto d = publish_and_await_request(ep);
  ASSERT_TRUE(d);
  ASSERT_TRUE(await([&] { return delivery(d->id).sending_ms == now_ms(); }));
  client_.answer(0, http_answer(500));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::retrying));
  EXPECT_EQ(delivery(d->id).sending_ms, 0);
  // A note that reaches the store after the answer's record (a fast receiver) does not outlive it.
  write_ok([&](store::WriteTx& tx) { return tx.mark_sending({d->id}, now_ms()); });
  EXPECT_EQ(delivery(d->id).sending_ms, 0);
}

// A delivery whose last request went out and was never answered (the process that sent it died):
// the attempt that follows is recorded after an `interrupted` one.
TEST_F(DispatcherTest, ARequestCutOffBeforeItsAnswerIsInTheHistoryAsInterrupted) {
  const auto ep = add_endpoint();
  const auto e = publish_one("in_1");
  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  const int64_t cut_off_at = now_ms() - 60'000;
  write_ok([&](store::WriteTx& tx) { return tx.mark_sending({d->id}, cut_off_at); });
  start();
  ASSERT_TRUE(await_sent(1));
  client_.answer(0, http_answer(200));
  ASSERT_TRUE(await_status(d->id, DeliveryStatus::succeeded));
  const auto history = attempts(d->id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].number, 1);
  EXPECT_EQ(history[0].error_class, "interrupted");
  EXPECT_EQ(history[0].started_ms, cut_off_at);
  EXPECT_EQ(history[0].status_code, 0);
  EXPECT_EQ(history[1].number, 2);
  EXPECT_EQ(history[1].error_class, "none");
  const auto got = delivery(d->id);
  EXPECT_EQ(got.attempt_count, 2);
  EXPECT_EQ(got.sending_ms, 0);
}

TEST_F(DispatcherTest, WithSeveralNodesALeaseHeldAtStartIsLeftToItsHolder) {
  const auto ep = add_endpoint();
  const auto e = publish_one("in_1");
  const auto d = delivery_of(e.id, ep.id);
  ASSERT_TRUE(d);
  // Another node holds the delivery for another minute.
  write_ok([&](store::WriteTx& tx) -> core::Status {
    auto claimed = tx.claim_due(now_ms(), now_ms() + 60'000, 10, {}, {});
    if (!claimed) return std::move(claimed).error();
    EXPECT_EQ(claimed->size(), 1u);
    return {};
  });
  auto o = options();
  o.release_leases_at_start = false;
  start(o);
  ASSERT_TRUE(wake_and_settle());
  EXPECT_EQ(client_.sent(), 0u) << "a node took over a delivery whose lease another node still holds";
  EXPECT_GT(delivery(d->id).lease_until_ms, now_ms());

  // The other node is gone: its lease lapses and this node takes the delivery over.
  advance_and_wake(61s);
  ASSERT_TRUE(await_sent(1));
  EXPECT_EQ(header(client_.request(0), "webhook-id"), e.id);
}

}  // namespace
}  // namespace billhook::delivery
