#include "api/router.hpp"

#include "api/request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billhook::api {
namespace {

using Strings = std::vector<std::string>;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add("GET", "/health", 1);
    router_.add("GET", "/v1/endpoints", 2);
    router_.add("POST", "/v1/endpoints", 3);
    router_.add("GET", "/v1/endpoints/{id}", 4);
    router_.add("PATCH", "/v1/endpoints/{id}", 5);
    router_.add("DELETE", "/v1/endpoints/{id}", 6);
    router_.add("POST", "/v1/endpoints/{id}/rotate-secret", 7);
    router_.add("GET", "/v1/deliveries/{delivery_id}/attempts/{attempt_id}", 8);
  }

  int handler_of(std::string_view method, std::string_view path) const {
    const auto m = router_.match(method, path);
    return m.handler ? *m.handler : 0;
  }

  Router<int> router_;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
  EXPECT_EQ(handler_of("GET", "/health"), 1);
  EXPECT_EQ(handler_of("GET", "/v1/endpoints"), 2);
  EXPECT_EQ(handler_of("POST", "/v1/endpoints"), 3);
  EXPECT_TRUE(router_.match("GET", "/v1/endpoints").params.empty());
}

TEST_F(RouterTest, CapturesPathParameters) {
  const auto m = router_.match("PATCH", "/v1/endpoints/ep_01KANG36BVTSV4RRFFQ69G5FAV");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(*m.handler, 5);
  EXPECT_EQ(m.params, (PathParams{{"id", "ep_01KANG36BVTSV4RRFFQ69G5FAV"}}));

  const auto two = router_.match("GET", "/v1/deliveries/del_1/attempts/att_2");
  ASSERT_NE(two.handler, nullptr);
  EXPECT_EQ(*two.handler, 8);
  EXPECT_EQ(two.params, (PathParams{{"delivery_id", "del_1"}, {"attempt_id", "att_2"}}));
}

TEST_F(RouterTest, ActionSegmentsAreLiteral) {
  const auto m = router_.match("POST", "/v1/endpoints/ep_1/rotate-secret");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(*m.handler, 7);
  EXPECT_EQ(m.params.at("id"), "ep_1");
  EXPECT_EQ(handler_of("POST", "/v1/endpoints/ep_1/rotate-secrets"), 0);
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnesInOrder) {
  const auto m = router_.match("PUT", "/v1/endpoints/ep_1");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allowed, (Strings{"GET", "PATCH", "DELETE"}));
  EXPECT_TRUE(m.params.empty());

  EXPECT_EQ(router_.match("DELETE", "/v1/endpoints").allowed, (Strings{"GET", "POST"}));
  EXPECT_EQ(router_.match("GET", "/v1/endpoints/ep_1/rotate-secret").allowed, (Strings{"POST"}));
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  const auto m = router_.match("get", "/health");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allowed, (Strings{"GET"}));
}

TEST_F(RouterTest, UnknownPathsHaveNoRouteAndNoAllowedMethods) {
  for (const char* path : {"/v1/endpoints/ep_1/rotate-secret/extra", "/v1/endpoints/ep_1/extra", "/v1",
                           "/v2/endpoints", "/", "", "/v1/deliveries/del_1/attempts"}) {
    const auto m = router_.match("GET", path);
    EXPECT_EQ(m.handler, nullptr) << path;
    EXPECT_TRUE(m.allowed.empty()) << path;
  }
}

TEST_F(RouterTest, EmptySegmentsAndTrailingSlashesAreIgnored) {
  EXPECT_EQ(handler_of("GET", "/v1/endpoints/"), 2);
  EXPECT_EQ(handler_of("GET", "//v1//endpoints"), 2);
  const auto m = router_.match("GET", "/v1/endpoints/ep_1/");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("id"), "ep_1");
}

TEST_F(RouterTest, ListsRoutesInTheOrderAdded) {
  const auto routes = router_.list();
  ASSERT_EQ(routes.size(), 8u);
  EXPECT_EQ(routes[0], (std::pair<std::string, std::string>{"GET", "/health"}));
  EXPECT_EQ(routes[3], (std::pair<std::string, std::string>{"GET", "/v1/endpoints/{id}"}));
  EXPECT_EQ(routes[7],
            (std::pair<std::string, std::string>{"GET", "/v1/deliveries/{delivery_id}/attempts/{attempt_id}"}));
}

TEST(Router, DecodesPathParametersWithTheGivenDecoder) {
  Router<int> router([](std::string_view s) { return percent_decode(s, false); });
  router.add("GET", "/v1/endpoints/{id}", 1);
  const auto m = router.match("GET", "/v1/endpoints/ep%5F1");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("id"), "ep_1");

  // A segment the decoder refuses does not match: a 404, not a handler with a garbled id.
  const auto bad = router.match("GET", "/v1/endpoints/%zz");
  EXPECT_EQ(bad.handler, nullptr);
  EXPECT_TRUE(bad.allowed.empty());
  EXPECT_EQ(router.match("GET", "/v1/endpoints/%FF").handler, nullptr);
}

TEST(Router, WithoutADecoderParametersAreRaw) {
  Router<int> router;
  router.add("GET", "/v1/endpoints/{id}", 1);
  EXPECT_EQ(router.match("GET", "/v1/endpoints/ep%5F1").params.at("id"), "ep%5F1");
}

TEST(Router, EmptyRouterMatchesNothing) {
  Router<int> router;
  const auto m = router.match("GET", "/health");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.allowed.empty());
}

}  // namespace
}  // namespace billhook::api
