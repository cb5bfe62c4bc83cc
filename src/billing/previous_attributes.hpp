#pragma once

// data.previous_attributes of an event (as Stripe's): what one step changed in an object's API JSON.

#include <boost/json/object.hpp>

namespace billhook::billing {

// For each top-level field whose value differs between `before` and `after`, its value in `before`:
// a field `after` added reports null (it had no old value), a field `after` no longer has reports its
// old value, an unchanged field is left out. Equal objects give {}.
boost::json::object previous_attributes(const boost::json::object& before, const boost::json::object& after);

}  // namespace billhook::billing
