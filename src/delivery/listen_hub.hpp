#pragma once

// Where requests to listen sessions wait for the `billhook listen` that forwards them.
//
// A listen session is an endpoint whose URL is `listen:<endpoint id>` (listen_client.hpp). The dispatcher
// claims, renders, signs and orders its deliveries like any endpoint's, and hands each request to the
// HttpClient; for a session that request comes here instead of going out on the network. It waits until the
// session's CLI takes it (GET /v1/listen-sessions/{id}/next, a long poll) and reports what its local app
// answered (POST …/result): that report is the attempt's result, so the dispatcher records it and retries as
// for any endpoint. A request taken but not reported (the CLI was killed) is handed out again by the next
// take, so a restarted CLI resumes without gaps. In memory: after a restart of the server the dispatcher
// sends the session's open deliveries again once their leases end.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "delivery/http_client.hpp"

namespace billhook::delivery {

// One request waiting for a session's CLI. `id` is its webhook-id (its event: a session has one delivery per
// event), which the CLI's report names.
struct ListenItem {
  std::string id;
  OutboundRequest request;
};

class ListenHub {
 public:
  using Answer = std::function<void(std::vector<ListenItem>)>;
  using SteadyClock = std::chrono::steady_clock;

  ListenHub();
  // stop()
  ~ListenHub();
  ListenHub(const ListenHub&) = delete;
  ListenHub& operator=(const ListenHub&) = delete;

  // Queues `request` for the session; `done` is called once, with the CLI's report, or with a connect error
  // if the session is closed first.
  void submit(const std::string& session_id, OutboundRequest request, HttpClient::Done done);
  // Answers every request of the session not reported yet (oldest first): at once if there is one, else as
  // soon as one comes, or with none after `wait`. One taker per session: a new take answers the previous
  // one's wait with nothing. Answers run on the hub's thread.
  void take(const std::string& session_id, std::chrono::milliseconds wait, Answer answer);
  // The CLI's report on request `item_id` of the session: calls its `done`. False if no such request waits.
  bool report(const std::string& session_id, const std::string& item_id, OutboundResult result);
  // The session is gone: its requests fail (their deliveries are cancelled by then), its taker gets nothing.
  void close(const std::string& session_id);
  // Of `session_ids`, those with no take waiting and none for `idle` (real time). A session the hub has not
  // met yet (the server restarted) is met now, so it gets a whole `idle` from now.
  std::vector<std::string> idle_sessions(const std::vector<std::string>& session_ids, std::chrono::milliseconds idle);
  // Sessions the hub holds state for.
  std::vector<std::string> sessions() const;
  // Requests queued and not reported, across sessions.
  size_t pending() const;
  // Answers every waiting take with nothing and joins the thread. Queued requests are abandoned without
  // calling `done` (their deliveries stay leased until the next start), as the curl client does.
  void stop();

 private:
  struct Queued {
    ListenItem item;
    HttpClient::Done done;
  };
  struct Taker {
    Answer answer;
    SteadyClock::time_point deadline;
  };
  struct Session {
    std::vector<Queued> queue;
    std::optional<Taker> taker;
    SteadyClock::time_point last_seen = SteadyClock::now();
  };
  using PendingAnswer = std::function<void()>;

  void run();
  // Moves the answers that are due (requests arrived, or wait over) out of the lock.
  std::vector<PendingAnswer> due_answers(SteadyClock::time_point now);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Session> sessions_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace billhook::delivery
