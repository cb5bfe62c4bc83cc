#include "api/request_metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "api/router.hpp"

namespace billhook::api {
namespace {

using std::chrono::milliseconds;

TEST(RequestMetricsTest, CountsByRouteTemplateAndStatusWithUnknownStatusesAsOther) {
  RequestMetrics m({{"GET", "/v1/endpoints/{id}"}, {"POST", "/v1/events"}});
  m.record(0, 200, milliseconds(1));
  m.record(0, 200, milliseconds(1));
  m.record(0, 404, milliseconds(1));
  m.record(0, 418, milliseconds(1));  // not in the list
  m.record(m.unmatched(), 404, milliseconds(1));
  core::metrics::TextWriter out;
  m.write(out);
  const auto& text = out.text();
  EXPECT_NE(text.find("billhook_http_requests_total{method=\"GET\",route=\"/v1/endpoints/{id}\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{method=\"GET\",route=\"/v1/endpoints/{id}\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("{method=\"GET\",route=\"/v1/endpoints/{id}\",status=\"other\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("{method=\"\",route=\"unmatched\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("route=\"/v1/events\",status"), std::string::npos) << "series that never counted are left out";
}

TEST(RequestMetricsTest, TimesOnlySuccessfulPublications) {
  RequestMetrics m({{"GET", "/v1/events"}, {"POST", "/v1/events"}});
  m.record(1, 202, milliseconds(20));
  m.record(1, 400, milliseconds(1));  // refused: not a publication
  m.record(0, 200, milliseconds(5));  // the list, not the publish route
  core::metrics::TextWriter out;
  m.write(out);
  EXPECT_NE(out.text().find("billhook_publish_duration_seconds_count 1\n"), std::string::npos) << out.text();
  EXPECT_NE(out.text().find("billhook_publish_duration_seconds_sum 0.02\n"), std::string::npos) << out.text();
}

TEST(RequestMetricsTest, EveryListedStatusHasItsOwnSlot) {
  for (size_t i = 0; i < RequestMetrics::kStatuses.size(); ++i)
    EXPECT_EQ(RequestMetrics::status_slot(RequestMetrics::kStatuses[i]), i);
  EXPECT_EQ(RequestMetrics::status_slot(0), RequestMetrics::kOther);
  EXPECT_EQ(RequestMetrics::status_slot(599), RequestMetrics::kOther);
  EXPECT_TRUE(std::is_sorted(RequestMetrics::kStatuses.begin(), RequestMetrics::kStatuses.end()));
}

TEST(RequestMetricsTest, TheRouterSaysWhichRouteMatchedByItsPlaceInTheList) {
  Router<int> router;
  router.add("GET", "/v1/endpoints", 1);
  router.add("GET", "/v1/endpoints/{id}", 2);
  router.add("DELETE", "/v1/endpoints/{id}", 3);
  const auto match = router.match("DELETE", "/v1/endpoints/ep_1");
  ASSERT_NE(match.handler, nullptr);
  EXPECT_EQ(match.index, 2u);
  EXPECT_EQ(router.list()[match.index].second, "/v1/endpoints/{id}");
}

}  // namespace
}  // namespace billhook::api
