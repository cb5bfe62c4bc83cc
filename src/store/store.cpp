#include "store/store.hpp"

#include <future>

namespace billhook::store {

core::Status Store::write_and_wait(WriteJob job, Durability durability, Lane lane) {
  std::promise<core::Status> promise;
  auto future = promise.get_future();
  write_in(lane, durability, Rerun::never, {}, std::move(job), [&promise](core::Status status) { promise.set_value(std::move(status)); });
  return future.get();
}

core::Result<std::vector<events::Event>> Store::find_events(const std::vector<std::string>& ids) {
  std::vector<events::Event> found;
  for (const auto& id : ids) {
    auto event = find_event(id);
    if (!event) return std::move(event).error();
    if (*event) found.push_back(std::move(**event));
  }
  return found;
}

}  // namespace billhook::store
