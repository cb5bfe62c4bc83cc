// The profile renderer: an event whose data is the input (any bytes — stored data is checked when it is
// published, but a renderer that trusted it would crash on a row an older version wrote) rendered by
// every built-in profile, and by billhook's own envelope. The first byte picks the event type, so every
// profile's rules for every type are reached.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "catalog/catalog.hpp"
#include "events/envelope.hpp"
#include "events/model.hpp"
#include "profiles/profile.hpp"
#include "profiles/render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace billhook;
  if (size == 0) return 0;
  const auto& catalog = catalog::Catalog::builtin();
  const auto& types = catalog.types();

  events::Event event;
  event.id = "evt_01JFZ2Y7Q8W3X4V5B6N7M8K9P0";
  event.type = types[data[0] % types.size()].name;
  event.created_ms = 1764547200000;
  event.aggregate = events::Aggregate{"invoice", "inv_01JFZ2Y7Q8W3X4V5B6N7M8K9P1", 3};
  event.data_json.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  event.request_id = "req_01JFZ2Y7Q8W3X4V5B6N7M8K9P2";

  const boost::json::object settings;
  for (const auto& profile : profiles::Registry::builtin().profiles()) {
    if (profile.native) {
      const std::string text = events::render_envelope_text(event, catalog.api_version());
      if (text.empty()) std::abort();
      continue;
    }
    if (auto rendered = profiles::render(profile, catalog, event, settings); rendered && rendered->name.empty()) {
      std::abort();  // a profile that sends an event sends it under a name
    }
  }
  return 0;
}
