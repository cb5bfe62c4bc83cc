#include "core/worker_loop.hpp"

#include <exception>
#include <utility>

#include "core/log.hpp"

namespace billhook::core {

WorkerLoop::WorkerLoop(std::string name, std::chrono::milliseconds interval, std::function<Status()> pass)
    : name_(std::move(name)), interval_(interval), pass_(std::move(pass)) {}

WorkerLoop::~WorkerLoop() { stop(); }

void WorkerLoop::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void WorkerLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WorkerLoop::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool WorkerLoop::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void WorkerLoop::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    // The top of the worker: an exception from the pass ends the pass, never the loop.
    try {
      if (auto s = pass_(); !s) log::error(name_ + " pass failed", {{"error", s.error().message}});
    } catch (const std::exception& e) {
      log::error(name_ + " pass threw", {{"error", e.what()}});
    } catch (...) {
      log::error(name_ + " pass threw", {{"error", "an exception that is not a std::exception"}});
    }
  }
}

}  // namespace billhook::core
