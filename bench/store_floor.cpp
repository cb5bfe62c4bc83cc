// The store floor (issue 22): how fast billhook's embedded SQLite store alone takes durable publishes on
// this machine, with the real schema and the real write path but no HTTP and no JSON parsing. Whatever
// the HTTP side does, POST /v1/events cannot go faster than this: an upper bound for publish throughput.
//
//   store_floor --dir DIR [--count N] [--in-flight K] [--with-delivery | --no-delivery]
//
// Phase "publish": a fresh store, opened as `billhook serve` opens it (SqliteStore's defaults: WAL,
// one group-commit writer, each batch answered once WalSync has synced it), holding one enabled endpoint subscribed to invoice.paid
// as POST /v1/endpoints makes it. N invoice.paid events (the catalog's example, as bench/publish.lua
// sends it, with invoice id inv_floor_<n>) are each written by the job POST /v1/events queues
// (events::append_event, then its 202's envelope), durable, K jobs outstanding as wrk keeps one request
// per connection. Each event also gets its delivery row, as in bench/run.sh's figure 1.
//
// Phase "publish+delivery" (unless --no-delivery): the same on another fresh store, with the
// dispatcher's store work for each delivery running beside it as if a receiver answered 204 at once:
// claims, sends noted, one attempt recorded per delivery (the WriteTx calls of
// src/delivery/dispatcher.cpp, in its lanes and durabilities, and the reads it makes to sign a body).
// An event counts once its delivery is recorded: the figure is publish + delivery bookkeeping per event.
//
// Prints one JSON line per phase: events, in_flight, seconds, rate, the process's CPU time per event
// (getrusage) and the store writer thread's (/proc/self/task/TID/stat), the group commits the phase
// took and, with delivery, publish_seconds (when the last event was durable); progress goes to stderr
// every 2 s. Each phase's store is made in a new directory under DIR and removed after it.
//
// Group commit is what K decides: while one batch waits for its fsync the next jobs queue (and the writer
// runs them into its next transaction), so a batch holds about K/2 jobs and the rate is at most K/2 per
// fsync, or per K/2 jobs' work when that takes longer. A large K shows the other bound, the writer
// thread's CPU per event.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/signing.hpp"
#include "events/envelope.hpp"
#include "events/filter.hpp"
#include "events/outbox.hpp"
#include "profiles/profile.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using namespace billhook;
using SteadyClock = std::chrono::steady_clock;
using store::Store;

[[noreturn]] void die(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "store_floor: %s\n", message.c_str());
  std::_Exit(1);  // store threads may still run: no destructors
}

struct Options {
  std::string dir;
  uint64_t count = 200'000;
  size_t in_flight = 64;  // bench/run.sh's wrk connections
  bool with_delivery = true;
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (arg != "--with-delivery" && arg != "--no-delivery") {
      if (i + 1 >= argc) die("missing value for " + arg);
      value = argv[++i];
    }
    if (arg == "--dir") o.dir = value;
    else if (arg == "--count") o.count = std::strtoull(value.c_str(), nullptr, 10);
    else if (arg == "--in-flight") o.in_flight = std::strtoull(value.c_str(), nullptr, 10);
    else if (arg == "--with-delivery") o.with_delivery = true;
    else if (arg == "--no-delivery") o.with_delivery = false;
    else die("usage: store_floor --dir DIR [--count N] [--in-flight K] [--with-delivery | --no-delivery]");
  }
  if (o.dir.empty() || o.count == 0 || o.in_flight == 0) die("--dir is required; --count and --in-flight are > 0");
  return o;
}

double seconds_since(SteadyClock::time_point start, SteadyClock::time_point end = SteadyClock::now()) {
  return std::chrono::duration<double>(end - start).count();
}

double process_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

std::vector<long> thread_ids() {
  std::vector<long> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    out.push_back(std::stol(entry.path().filename().string()));
  std::sort(out.begin(), out.end());
  return out;
}

// The name a thread of this process gave itself (pthread_setname_np).
std::string thread_name(long tid) {
  std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  std::getline(file, name);
  return name;
}

// User + system CPU of one of this process's threads, in seconds (counted in clock ticks: 10 ms steps).
double thread_cpu_s(long tid) {
  std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The thread's name, in parentheses, may hold spaces: fields are counted from its closing one, which
  // ends field 2; utime and stime are fields 14 and 15.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  double ticks = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n)
    if (n >= 14) ticks += std::strtod(field.c_str(), nullptr);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// What the API's routes are given (server_app.cpp): the built-in catalog and profiles, the system clock, ids.
struct World {
  const catalog::Catalog& catalog = catalog::Catalog::builtin();
  const profiles::Registry& profiles = profiles::Registry::builtin();
  core::SystemClock clock;
  core::SecureRandom random;
  core::IdGenerator ids{clock, random};

  int64_t now_ms() const { return core::to_unix_ms(clock.now()); }
};

// A store of its own for one phase, and the id of its writer thread (the one named "store writer").
struct FreshStore {
  std::filesystem::path dir;
  std::unique_ptr<store::sqlite::SqliteStore> store;
  std::optional<long> writer_tid;
};

FreshStore open_fresh_store(const std::string& parent, const std::string& name, const World& world) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) die("cannot create " + parent + ": " + ec.message());
  std::string dir = parent + "/" + name + "-XXXXXX";
  if (!mkdtemp(dir.data())) die("cannot create a directory in " + parent + ": " + std::strerror(errno));
  FreshStore fresh{dir, nullptr, std::nullopt};
  const auto before = thread_ids();
  // Only the path, as app/open_store.cpp opens it: every other option is the service's default.
  auto opened = store::sqlite::SqliteStore::open({.path = (fresh.dir / "billhook.db").string()}, world.clock);
  if (!opened) die("opening the store: " + opened.error().message);
  fresh.store = std::move(*opened);
  std::vector<long> started;
  const auto after = thread_ids();
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(started));
  // A thread names itself once it runs: give the store's threads a moment to.
  for (int tries = 0; tries < 100 && !fresh.writer_tid; ++tries) {
    for (long tid : started)
      if (thread_name(tid) == "store writer") fresh.writer_tid = tid;
    if (!fresh.writer_tid) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return fresh;
}

// The endpoint POST /v1/endpoints makes of {"url": …, "event_types": ["invoice.paid"]} (endpoint_routes.cpp's
// create_endpoint: that code is the API's, out of reach here, so its steps are repeated).
events::Endpoint make_endpoint(World& world) {
  auto subscription = events::normalize_subscription(world.catalog, {"invoice.paid"}, {});
  if (!subscription) die("invoice.paid: " + subscription.error().message);
  events::default_to_everything(*subscription);
  events::Endpoint ep;
  ep.id = world.ids.next(core::IdKind::endpoint);
  ep.url = "http://127.0.0.1:9/hook";  // never sent to
  ep.event_types = std::move(subscription->event_types);
  ep.categories = std::move(subscription->categories);
  ep.secret = delivery::generate_secret(world.random);
  ep.metadata_json = "{}";
  ep.created_ms = ep.updated_ms = world.now_ms();
  return ep;
}

// The invoice.paid events bench/publish.lua sends, as publish_event builds them before queuing its job. The
// data is the catalog's example as data.object with publish_template.py's changes and "sent_ns": "0" as
// publish.lua fills it in, serialized once: each event only pastes its invoice id in.
class EventMaker {
 public:
  explicit EventMaker(World& world) : world_(world) {
    type_ = world.catalog.find("invoice.paid");
    if (!type_) die("the catalog has no invoice.paid");
    constexpr std::string_view kIdMark = "__ID__";
    boost::json::object example = type_->example.as_object();
    example["id"] = kIdMark;
    example["metadata"] = boost::json::object{{"sent_ns", "0"}};
    const std::string data = boost::json::serialize(boost::json::object{{"object", std::move(example)}});
    const size_t at = data.find(kIdMark);
    head_ = data.substr(0, at);
    tail_ = data.substr(at + kIdMark.size());
  }

  events::Event make(uint64_t n) const {
    std::string invoice_id = "inv_floor_" + std::to_string(n);
    events::Event event;
    event.id = world_.ids.next(core::IdKind::event);
    event.type = type_->name;
    event.created_ms = world_.now_ms();
    event.data_json = head_ + invoice_id + tail_;
    // No explicit aggregate: the object's id orders it, so each event is an invoice of its own.
    event.aggregate = events::Aggregate{type_->aggregate, std::move(invoice_id), 0};
    event.request_id = world_.ids.next(core::IdKind::request);
    return event;
  }

 private:
  World& world_;
  const catalog::EventType* type_ = nullptr;
  std::string head_, tail_;
};

// Counts finished jobs (written from the writer thread) and when the last of them finished.
class Tally {
 public:
  explicit Tally(uint64_t expected) : expected_(expected) {}
  void add(const core::Status& status) {
    if (!status) die("a write failed: " + status.error().message);
    if (done_.fetch_add(1) + 1 == expected_) {
      std::lock_guard lock(mutex_);
      finished_at_ = SteadyClock::now();
    }
  }
  uint64_t done() const { return done_.load(); }
  bool finished() const { return done() >= expected_; }
  SteadyClock::time_point finished_at() const {
    std::lock_guard lock(mutex_);
    return finished_at_;
  }

 private:
  const uint64_t expected_;
  std::atomic<uint64_t> done_{0};
  mutable std::mutex mutex_;
  SteadyClock::time_point finished_at_{};
};

// Keeps `in_flight` publish jobs queued: each one's done frees a slot for the next, as each wrk connection
// sends its next request once the last is answered. Events are made on this (the caller's) thread, which
// plays the HTTP threads' part, so the writer thread does only what it does in the service.
class Publisher {
 public:
  Publisher(Store& store, World& world, uint64_t count, size_t in_flight)
      : store_(store), world_(world), maker_(world), count_(count), slots_(static_cast<std::ptrdiff_t>(in_flight)),
        tally_(count) {}

  void run(const std::function<void()>& tick) {
    for (uint64_t n = 0; n < count_; ++n) {
      slots_.acquire();
      publish(maker_.make(n));
      if ((n & 1023) == 0) tick();
    }
  }
  const Tally& tally() const { return tally_; }

 private:
  void publish(events::Event event) {
    // What publish_event's job does (Call::commit adds nothing without an Idempotency-Key): append the event
    // with its deliveries, then render the 202's body, the envelope, which needs the sequence just assigned.
    // The answer is kept until done, as Call::commit keeps it.
    auto answer = std::make_shared<std::string>();
    auto draws = events::sequence_draws(event);
    store_.write_in(
        Store::Lane::main, Store::Durability::durable, Store::Rerun::allowed, std::move(draws),
        [&world = world_, event = std::move(event), answer](store::WriteTx& tx) mutable -> core::Status {
          auto deliveries = events::append_event(tx, world.catalog, world.profiles, world.ids, event);
          if (!deliveries) return std::move(deliveries).error();
          *answer = events::render_envelope_text(event, world.catalog.api_version());
          return {};
        },
        [this, answer](core::Status status) {
          tally_.add(status);
          slots_.release();
        });
  }

  Store& store_;
  World& world_;
  const EventMaker maker_;
  const uint64_t count_;
  std::counting_semaphore<> slots_;
  Tally tally_;
};

// The dispatcher's store work (src/delivery/dispatcher.cpp) for a receiver that answers each request with 204
// at once: no HTTP, but the same WriteTx calls in the same order, lane and durability, and the same reads. One
// thread, as the dispatcher's: it claims (queued, not waited for, one claim at a time, and only when something
// may have changed what a claim finds), reads what it needs to sign each claimed delivery, notes the sends,
// and records one 2xx attempt per delivery. Leases are never renewed: no delivery is held near 5 minutes.
class Bookkeeper {
 public:
  Bookkeeper(Store& store, World& world, uint64_t expected) : store_(store), world_(world), tally_(expected) {}
  ~Bookkeeper() {
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  // The store's work listener: something may be due (new deliveries, one settled).
  void wake() {
    std::lock_guard lock(mutex_);
    claim_wanted_ = true;
    woken_ = true;
    cv_.notify_one();
  }
  // Ends once every expected delivery is recorded and no claim is left in the store.
  void join() { thread_.join(); }
  const Tally& tally() const { return tally_; }

 private:
  // What a request carried, for its attempt's history (dispatcher.cpp's Sent).
  struct Sent {
    std::string delivery_id;
    int64_t started_ms = 0;
    std::string headers_json;
    std::string body;
  };

  // One turn of Dispatcher::run: take the last claim's answer and send it, ask for the next claim, note the
  // sends. The answers (here: at once) then come back one by one, each recorded on its own.
  void run() {
    for (;;) {
      std::vector<events::Delivery> claimed;
      std::vector<std::string> skip;
      bool claim_now = false;
      {
        std::unique_lock lock(mutex_);
        // A wait that nobody ended: something may have come due.
        if (!cv_.wait_for(lock, options_.idle_poll, [this] { return woken_; })) claim_wanted_ = true;
        woken_ = false;
        if (answer_) {
          claimed = std::move(*answer_);
          answer_.reset();
          claim_pending_ = false;
          if (claimed.size() >= options_.claim_batch) claim_wanted_ = true;  // more is due
          for (const auto& d : claimed) busy_.insert(d.id);
        }
        if (tally_.finished() && !claim_pending_) return;
        if (claim_wanted_ && !claim_pending_ && !tally_.finished()) {
          claim_wanted_ = false;
          claim_pending_ = claim_now = true;
          skip.assign(busy_.begin(), busy_.end());  // sent, their attempts not yet recorded
        }
      }
      std::vector<Sent> sent = send(claimed);
      if (claim_now) claim(std::move(skip));
      if (!sent.empty()) mark_sending(sent);
      for (auto& s : sent) record(std::move(s));
    }
  }

  void claim(std::vector<std::string> skip) {
    const int64_t now_ms = world_.now_ms();
    auto claimed = std::make_shared<std::vector<events::Delivery>>();
    // request_claim's limit is min(claim_batch, max_in_flight - sent and unanswered - held): with answers at
    // once and nothing held, claim_batch.
    store_.write_in(
        Store::Lane::claims, Store::Durability::relaxed, Store::Rerun::allowed, {},
        [claimed, now_ms, skip = std::move(skip), lease_ms = options_.lease.count(),
         limit = options_.claim_batch](store::WriteTx& tx) -> core::Status {
          auto due = tx.claim_due(now_ms, now_ms + lease_ms, limit, {}, skip);
          if (!due) return std::move(due).error();
          *claimed = std::move(*due);
          return {};
        },
        [this, claimed](core::Status status) {
          if (!status) die("claiming failed: " + status.error().message);
          std::lock_guard lock(mutex_);
          answer_ = std::move(*claimed);
          woken_ = true;
          cv_.notify_one();
        });
  }

  // Dispatcher::take_claimed and send: each endpoint read once per claim's answer, the claim's events in one
  // read, each rendered as billhook's envelope and signed; the request's headers and body kept for its attempt.
  std::vector<Sent> send(const std::vector<events::Delivery>& claimed) {
    std::vector<Sent> out;
    if (claimed.empty()) return out;
    auto endpoint = store_.find_endpoint(claimed.front().endpoint_id);  // the only one
    if (!endpoint || !*endpoint) die("the endpoint could not be read");
    auto key = delivery::decode_secret((*endpoint)->secret);
    if (!key) die("the endpoint's secret: " + key.error().message);
    std::vector<std::string> event_ids;
    for (const auto& d : claimed) event_ids.push_back(d.event_id);
    auto found = store_.find_events(event_ids);
    if (!found) die("the claim's events could not be read: " + found.error().message);
    std::unordered_map<std::string, events::Event> events_by_id;
    for (auto& event : *found) events_by_id.emplace(event.id, std::move(event));
    for (const auto& d : claimed) {
      const auto event = events_by_id.find(d.event_id);
      if (event == events_by_id.end()) die("a delivery's event is missing: " + d.event_id);
      std::string body = events::render_envelope_text(event->second, world_.catalog.api_version());
      const int64_t now_ms = world_.now_ms();
      const auto signature = delivery::sign_headers({*key}, d.event_id, now_ms / 1000, body);
      boost::json::object headers{{"content-type", "application/json"},
                                  {"webhook-id", signature.id},
                                  {"webhook-timestamp", signature.timestamp},
                                  {"webhook-signature", signature.signature}};
      body.resize(std::min(body.size(), options_.stored_response_bytes));
      out.push_back(Sent{d.id, now_ms, boost::json::serialize(headers), std::move(body)});
    }
    return out;
  }

  // Dispatcher::mark_sent: relaxed, not waited for.
  void mark_sending(const std::vector<Sent>& sent) {
    std::vector<std::string> ids;
    for (const auto& s : sent) ids.push_back(s.delivery_id);
    store_.write_in(
        Store::Lane::delivery, Store::Durability::relaxed, Store::Rerun::allowed, {},
        [ids = std::move(ids), sent_ms = sent.front().started_ms](store::WriteTx& tx) {
          return tx.mark_sending(ids, sent_ms);
        },
        [](core::Status status) {
          if (!status) die("noting sends failed: " + status.error().message);
        });
  }

  // Dispatcher::write_record for a 204 answered at once, durable: the delivery read again, its endpoint, the
  // attempt, the delivery succeeded. A healthy endpoint is not rewritten (its health is written on edges only).
  void record(Sent sent) {
    const std::string attempt_id = world_.ids.next(core::IdKind::attempt);
    const std::string delivery_id = sent.delivery_id;
    store_.write_in(
        Store::Lane::delivery, Store::Durability::durable, Store::Rerun::allowed, {},
        [this, attempt_id, sent = std::move(sent)](store::WriteTx& tx) -> core::Status {
          const int64_t now_ms = world_.now_ms();
          auto found = tx.find_delivery(sent.delivery_id);
          if (!found) return std::move(found).error();
          if (!*found) return {};
          events::Delivery d = std::move(**found);
          auto endpoint = tx.find_endpoint(d.endpoint_id);
          if (!endpoint) return std::move(endpoint).error();

          events::Attempt attempt;
          attempt.id = attempt_id;
          attempt.delivery_id = d.id;
          attempt.number = d.attempt_count + 1;
          attempt.started_ms = sent.started_ms;
          attempt.duration_ms = now_ms - sent.started_ms;
          attempt.status_code = 204;
          attempt.error_class = "none";
          attempt.response_headers_json = R"({"content-type":"application/json","content-length":"0"})";
          attempt.request_headers_json = sent.headers_json;
          attempt.request_body = sent.body;
          const bool open = d.status == events::DeliveryStatus::pending || d.status == events::DeliveryStatus::retrying;
          if (!open || !*endpoint) return tx.insert_attempt(attempt);
          if (auto s = tx.insert_attempt(attempt); !s) return s;

          d.status = events::DeliveryStatus::succeeded;
          d.attempt_count = attempt.number;
          d.lease_until_ms = 0;
          d.sending_ms = 0;
          d.last_attempt_ms = now_ms;
          d.updated_ms = now_ms;
          d.last_error_class.clear();
          d.last_status_code = 0;
          d.last_error_message.clear();
          if (auto s = tx.update_delivery(d); !s) return s;
          tx.notify_work();  // settled: the next delivery of its aggregate may go
          return {};
        },
        [this, delivery_id](core::Status status) {
          tally_.add(status);
          std::lock_guard lock(mutex_);
          busy_.erase(delivery_id);
          claim_wanted_ = true;  // no longer busy: a claim may find it due again
          woken_ = true;
          cv_.notify_one();
        });
  }

  Store& store_;
  World& world_;
  const delivery::DispatcherOptions options_;  // the service's claim batch, lease, idle poll, stored bytes
  Tally tally_;  // attempts recorded
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool claim_wanted_ = true;
  bool claim_pending_ = false;
  std::optional<std::vector<events::Delivery>> answer_;  // the last claim's, set on the writer thread
  std::unordered_set<std::string> busy_;
};

// Prints progress to stderr every 2 s while a phase runs.
class Progress {
 public:
  explicit Progress(std::function<std::string()> line) : line_(std::move(line)) {}
  void tick() {
    const auto now = SteadyClock::now();
    if (now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    std::fprintf(stderr, "[store_floor] %s\n", line_().c_str());
  }
  void wait_until(const std::function<bool()>& done) {
    while (!done()) {
      tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::function<std::string()> line_;
  SteadyClock::time_point last_ = SteadyClock::now();
};

void run_phase(const Options& o, World& world, bool with_delivery) {
  const std::string phase = with_delivery ? "publish+delivery" : "publish";
  FreshStore fresh = open_fresh_store(o.dir, with_delivery ? "delivery" : "publish", world);
  Store& store = *fresh.store;
  const events::Endpoint endpoint = make_endpoint(world);
  if (auto s = store.write_and_wait([&](store::WriteTx& tx) { return tx.insert_endpoint(endpoint); }); !s)
    die("creating the endpoint: " + s.error().message);

  Publisher publisher(store, world, o.count, o.in_flight);
  std::unique_ptr<Bookkeeper> bookkeeper;
  if (with_delivery) {
    bookkeeper = std::make_unique<Bookkeeper>(store, world, o.count);
    store.set_work_listener([b = bookkeeper.get()] { b->wake(); });
  }
  const auto started = SteadyClock::now();
  Progress progress([&] {
    std::string line = fmt::format("{}: {:.0f} s, {} of {} published", phase, seconds_since(started),
                                   publisher.tally().done(), o.count);
    if (bookkeeper) line += fmt::format(", {} recorded", bookkeeper->tally().done());
    return line;
  });
  const double cpu_before = process_cpu_s();
  const double writer_before = fresh.writer_tid ? thread_cpu_s(*fresh.writer_tid) : 0;
  const uint64_t commits_before = fresh.store->commit_count();

  if (bookkeeper) bookkeeper->start();
  publisher.run([&] { progress.tick(); });
  progress.wait_until([&] { return publisher.tally().finished(); });
  SteadyClock::time_point finished = publisher.tally().finished_at();
  const double publish_seconds = seconds_since(started, finished);
  if (bookkeeper) {
    progress.wait_until([&] { return bookkeeper->tally().finished(); });
    bookkeeper->join();
    finished = bookkeeper->tally().finished_at();
  }
  const double seconds = seconds_since(started, finished);
  const double cpu = process_cpu_s() - cpu_before;
  const auto events = static_cast<double>(o.count);

  std::string line = fmt::format(
      R"({{"phase":"{}","events":{},"in_flight":{},"seconds":{:.3f},"rate":{:.0f},"cpu_us_per_event":{:.1f})", phase,
      o.count, o.in_flight, seconds, events / seconds, cpu / events * 1e6);
  if (fresh.writer_tid)
    line += fmt::format(R"(,"writer_cpu_us_per_event":{:.1f})",
                        (thread_cpu_s(*fresh.writer_tid) - writer_before) / events * 1e6);
  line += fmt::format(R"(,"commits":{})", fresh.store->commit_count() - commits_before);
  if (bookkeeper) line += fmt::format(R"(,"publish_seconds":{:.3f})", publish_seconds);
  line += "}";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);

  store.set_work_listener({});
  fresh.store.reset();  // commits nothing more: every job has finished
  bookkeeper.reset();
  std::filesystem::remove_all(fresh.dir);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  core::log::configure(core::log::Level::warn, /*json=*/false);
  World world;
  run_phase(options, world, /*with_delivery=*/false);
  if (options.with_delivery) run_phase(options, world, /*with_delivery=*/true);
  return 0;
}
