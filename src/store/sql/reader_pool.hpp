#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/result.hpp"

namespace billhook::store::sql {

// Read connections opened on demand up to a limit, each lent to one call at a time. A connection
// that `usable` rejects when it comes back (lost with its server) is closed, and a new one opens
// when next needed.
template <class Connection>
class ReaderPool {
 public:
  using Open = std::function<core::Result<std::unique_ptr<Connection>>()>;
  using Usable = std::function<bool(Connection&)>;

  // A connection borrowed for one call; goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> c) : pool_(&pool), connection_(std::move(c)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ && connection_) pool_->release(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ReaderPool(unsigned limit, Open open, Usable usable = {})
      : limit_(limit), open_(std::move(open)), usable_(std::move(usable)) {}

  // An idle connection, a new one while under the limit, or the next one given back.
  core::Result<Lease> acquire() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(c));
      }
      if (open_count_ < limit_) {
        ++open_count_;
        lock.unlock();
        auto c = open_();
        if (!c) {
          {
            std::lock_guard relock(mutex_);
            --open_count_;
          }
          cv_.notify_one();
          return std::move(c).error();
        }
        return Lease(*this, std::move(*c));
      }
      cv_.wait(lock);
    }
  }

  // Connections open (idle or lent) and lent out now, for the metrics.
  struct Use {
    unsigned open = 0;
    unsigned in_use = 0;
  };
  Use use() const {
    std::lock_guard lock(mutex_);
    return {open_count_, open_count_ - static_cast<unsigned>(idle_.size())};
  }
  unsigned limit() const { return limit_; }

 private:
  void release(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mutex_);
      if (usable_ && !usable_(*connection)) --open_count_;  // closed as it goes out of scope
      else idle_.push_back(std::move(connection));
    }
    cv_.notify_one();
  }

  const unsigned limit_;
  Open open_;
  Usable usable_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  unsigned open_count_ = 0;
};

}  // namespace billhook::store::sql
