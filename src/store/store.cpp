#include "store/store.hpp"

#include <future>

namespace billhook::store {

core::Status Store::write_and_wait(WriteJob job, Durability durability, Lane lane) {
  std::promise<core::Status> promise;
  auto future = promise.get_future();
  write_in(lane, durability, std::move(job), [&promise](core::Status status) { promise.set_value(std::move(status)); });
  return future.get();
}

}  // namespace billhook::store
