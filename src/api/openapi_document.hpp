#pragma once

// The OpenAPI document GET /openapi.json serves: src/api/openapi.json as written, completed from the
// document registry (billing/registry) with what a registered kind declares and the file does not
// describe: the kind's schema (from its field list), its list and get operations, and its commands
// (their bodies from their parameter structs). So a new domain documents itself; a kind whose
// operations the file describes by hand keeps that description, and tests/unit/api/openapi_test.cpp
// holds the two to the same fields.

#include <string>

#include <boost/json/object.hpp>

namespace billhook::api {

const boost::json::object& openapi_document();
// The same, serialized once.
const std::string& openapi_text();

}  // namespace billhook::api
