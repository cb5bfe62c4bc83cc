#include "api/errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include <boost/json.hpp>

namespace billhook::api {
namespace {

namespace json = boost::json;

json::object error_body(const HttpResponse& response) {
  return json::parse(response.body).as_object().at("error").as_object();
}

TEST(HttpStatus, OneStatusPerKind) {
  EXPECT_EQ(http_status(core::ErrorKind::invalid_request), 400);
  EXPECT_EQ(http_status(core::ErrorKind::unauthorized), 401);
  EXPECT_EQ(http_status(core::ErrorKind::not_found), 404);
  EXPECT_EQ(http_status(core::ErrorKind::conflict), 409);
  EXPECT_EQ(http_status(core::ErrorKind::payload_too_large), 413);
  EXPECT_EQ(http_status(core::ErrorKind::unavailable), 503);
  EXPECT_EQ(http_status(core::ErrorKind::internal), 500);
}

TEST(ErrorResponse, InvalidRequestHasTheFullBodyShape) {
  const auto response = error_response(
      core::Error::invalid("invalid_type", "'url' must be a string, got integer", "url"), "req_1");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  const json::value whole = json::parse(response.body);
  ASSERT_TRUE(whole.is_object());
  EXPECT_EQ(whole.as_object().size(), 1u) << "only the 'error' member";
  EXPECT_EQ(error_body(response), json::parse(R"({"type": "invalid_request_error", "code": "invalid_type",
      "message": "'url' must be a string, got integer", "param": "url", "request_id": "req_1"})"));
  EXPECT_TRUE(response.headers.empty());
}

TEST(ErrorResponse, EmptyParamIsNull) {
  const auto response = error_response(core::Error::not_found("no_such_endpoint", "no endpoint ep_1"), "req_2");
  EXPECT_EQ(response.status, 404);
  const auto body = error_body(response);
  ASSERT_TRUE(body.contains("param"));
  EXPECT_TRUE(body.at("param").is_null());
  EXPECT_EQ(body.at("type"), "invalid_request_error");
  EXPECT_EQ(body.at("code"), "no_such_endpoint");
  EXPECT_EQ(body.at("message"), "no endpoint ep_1");
}

TEST(ErrorResponse, TypesByKind) {
  const core::Error unauthorized{core::ErrorKind::unauthorized, "invalid_api_key", "bad key", {}};
  EXPECT_EQ(error_response(unauthorized, "r").status, 401);
  EXPECT_EQ(error_body(error_response(unauthorized, "r")).at("type"), "authentication_error");

  const auto idempotency = core::Error::conflict("idempotency_key_in_use", "used with another body");
  EXPECT_EQ(error_response(idempotency, "r").status, 409);
  EXPECT_EQ(error_body(error_response(idempotency, "r")).at("type"), "idempotency_error");

  const auto state = core::Error::conflict("invoice_not_open", "the invoice is a draft", "id");
  EXPECT_EQ(error_response(state, "r").status, 409);
  EXPECT_EQ(error_body(error_response(state, "r")).at("type"), "conflict_error");
  EXPECT_EQ(error_body(error_response(state, "r")).at("param"), "id");

  const core::Error too_large{core::ErrorKind::payload_too_large, "body_too_large", "at most 1 MiB", {}};
  EXPECT_EQ(error_response(too_large, "r").status, 413);
  EXPECT_EQ(error_body(error_response(too_large, "r")).at("type"), "invalid_request_error");
}

TEST(ErrorResponse, UnavailableAsksToRetry) {
  const auto response = error_response(core::Error::unavailable("database is locked"), "req_3");
  EXPECT_EQ(response.status, 503);
  const auto body = error_body(response);
  EXPECT_EQ(body.at("type"), "api_error");
  EXPECT_EQ(body.at("code"), "service_unavailable");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
}

TEST(ErrorResponse, InternalErrorsHideTheirDetail) {
  const auto response = error_response(
      core::Error::internal("sqlite3_step: UNIQUE constraint failed: deliveries.id at /srv/data/billhook.db"),
      "req_4");
  EXPECT_EQ(response.status, 500);
  const auto body = error_body(response);
  EXPECT_EQ(body.at("type"), "api_error");
  EXPECT_EQ(body.at("code"), "internal_error");
  EXPECT_TRUE(body.at("param").is_null());
  EXPECT_EQ(body.at("request_id"), "req_4");
  const std::string message(body.at("message").as_string());
  EXPECT_NE(message.find("req_4"), std::string::npos) << "the message points at the log entry";
  EXPECT_EQ(response.body.find("sqlite"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("UNIQUE"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("/srv/data"), std::string::npos) << response.body;
}

TEST(ErrorResponse, InternalErrorsHideTheirCodeAndParamToo) {
  const core::Error detailed{core::ErrorKind::internal, "invalid_catalog", "entry 12 is broken",
                             "catalog.event_types[12]"};
  const auto response = error_response(detailed, "req_5");
  EXPECT_EQ(response.status, 500);
  const auto body = error_body(response);
  EXPECT_EQ(body.at("code"), "internal_error");
  EXPECT_TRUE(body.at("param").is_null()) << response.body;
  EXPECT_EQ(response.body.find("entry 12"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("invalid_catalog"), std::string::npos) << response.body;
}

}  // namespace
}  // namespace billhook::api
