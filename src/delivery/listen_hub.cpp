#include "delivery/listen_hub.hpp"

#include <algorithm>

namespace billhook::delivery {

ListenHub::ListenHub() : thread_([this] { run(); }) {}

ListenHub::~ListenHub() { stop(); }

void ListenHub::submit(const std::string& session_id, OutboundRequest request, HttpClient::Done done) {
  std::string id;
  for (const auto& [name, value] : request.headers)
    if (name == "webhook-id") id = value;
  {
    std::lock_guard lock(mutex_);
    sessions_[session_id].queue.push_back({ListenItem{std::move(id), std::move(request)}, std::move(done)});
  }
  changed_.notify_one();
}

void ListenHub::take(const std::string& session_id, std::chrono::milliseconds wait, Answer answer) {
  std::optional<Taker> replaced;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      replaced = Taker{std::move(answer), SteadyClock::now()};
    } else {
      auto& session = sessions_[session_id];
      session.last_seen = SteadyClock::now();
      replaced = std::exchange(session.taker, Taker{std::move(answer), session.last_seen + wait});
    }
  }
  if (replaced) replaced->answer({});
  changed_.notify_one();
}

bool ListenHub::report(const std::string& session_id, const std::string& item_id, OutboundResult result) {
  HttpClient::Done done;
  {
    std::lock_guard lock(mutex_);
    auto session = sessions_.find(session_id);
    if (session == sessions_.end()) return false;
    auto& queue = session->second.queue;
    auto it = std::find_if(queue.begin(), queue.end(), [&](const Queued& q) { return q.item.id == item_id; });
    if (it == queue.end()) return false;
    done = std::move(it->done);
    queue.erase(it);
    session->second.last_seen = SteadyClock::now();
  }
  done(std::move(result));
  return true;
}

void ListenHub::close(const std::string& session_id) {
  Session closed;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    closed = std::move(it->second);
    sessions_.erase(it);
  }
  if (closed.taker) closed.taker->answer({});
  for (auto& queued : closed.queue) {
    OutboundResult gone;
    gone.error_class = ErrorClass::connect;
    gone.error_message = "the listen session was closed";
    queued.done(std::move(gone));
  }
}

std::vector<std::string> ListenHub::idle_sessions(const std::vector<std::string>& session_ids,
                                                  std::chrono::milliseconds idle) {
  std::vector<std::string> out;
  const auto now = SteadyClock::now();
  std::lock_guard lock(mutex_);
  for (const auto& id : session_ids) {
    auto [it, met_now] = sessions_.try_emplace(id);
    if (met_now || it->second.taker) continue;
    if (now - it->second.last_seen >= idle) out.push_back(id);
  }
  return out;
}

std::vector<std::string> ListenHub::sessions() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [id, session] : sessions_) out.push_back(id);
  return out;
}

size_t ListenHub::pending() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [id, session] : sessions_) n += session.queue.size();
  return n;
}

void ListenHub::stop() {
  std::vector<Answer> waiting;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, session] : sessions_)
      if (session.taker) waiting.push_back(std::exchange(session.taker, std::nullopt)->answer);
    // Abandoned, not failed: a failure would be recorded as an attempt of a server that is stopping.
    for (auto& [id, session] : sessions_) session.queue.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& answer : waiting) answer({});
}

std::vector<ListenHub::PendingAnswer> ListenHub::due_answers(SteadyClock::time_point now) {
  std::vector<PendingAnswer> out;
  for (auto& [id, session] : sessions_) {
    if (!session.taker) continue;
    if (session.queue.empty() && session.taker->deadline > now) continue;
    std::vector<ListenItem> items;
    for (const auto& queued : session.queue) items.push_back(queued.item);
    session.last_seen = now;
    out.push_back([answer = std::exchange(session.taker, std::nullopt)->answer, items = std::move(items)]() mutable {
      answer(std::move(items));
    });
  }
  return out;
}

void ListenHub::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = SteadyClock::now();
    auto due = due_answers(now);
    if (!due.empty()) {
      lock.unlock();
      for (auto& answer : due) answer();
      lock.lock();
      continue;
    }
    auto next = SteadyClock::time_point::max();
    for (const auto& [id, session] : sessions_)
      if (session.taker) next = std::min(next, session.taker->deadline);
    if (next == SteadyClock::time_point::max()) changed_.wait(lock);
    else changed_.wait_until(lock, next);
  }
}

}  // namespace billhook::delivery
