#include "store/store.hpp"

#include <future>

namespace billhook::store {

core::Status Store::write_and_wait(WriteJob job, Durability durability) {
  std::promise<core::Status> promise;
  auto future = promise.get_future();
  auto done = [&promise](core::Status status) { promise.set_value(std::move(status)); };
  if (durability == Durability::relaxed) write_relaxed(std::move(job), std::move(done));
  else write(std::move(job), std::move(done));
  return future.get();
}

}  // namespace billhook::store
