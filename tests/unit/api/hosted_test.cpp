// The public pages' pure parts: escaping and the per-client token bucket.

#include <gtest/gtest.h>

#include "api/hosted/html.hpp"
#include "api/hosted/rate_limiter.hpp"

namespace billhook::api::hosted {
namespace {

TEST(HostedHtml, EscapesEverythingThatCouldEndAnElementOrAnAttribute) {
  EXPECT_EQ(escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(escape("Zoë 東京"), "Zoë 東京");
}

TEST(HostedHtml, EveryPageIsLockedDown) {
  const auto page = html_page(200, "<t>", "../hosted.css", "<p>x</p>");
  EXPECT_NE(page.body.find("<title>&lt;t&gt;</title>"), std::string::npos);
  std::map<std::string, std::string> headers(page.headers.begin(), page.headers.end());
  EXPECT_EQ(headers["X-Frame-Options"], "DENY");
  EXPECT_EQ(headers["Cache-Control"], "no-store");
  EXPECT_EQ(headers["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(headers["Content-Security-Policy"].find("unsafe"), std::string::npos);
  EXPECT_EQ(not_found_page("../hosted.css").body, not_found_page("../hosted.css").body);
}

TEST(HostedRateLimiter, AllowsTheBurstThenRefillsWithTime) {
  core::ManualClock clock(core::from_unix_ms(1'800'000'000'000));
  RateLimiter limiter(clock, 3, 60);  // one a second
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  EXPECT_TRUE(limiter.allow("10.0.0.2")) << "each client has its own bucket";
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
}

TEST(HostedRateLimiter, ForgetsIdleClientsButNeverGrowsPastItsLimit) {
  core::ManualClock clock(core::from_unix_ms(1'800'000'000'000));
  RateLimiter limiter(clock, 2, 60, /*max_clients=*/2);
  EXPECT_TRUE(limiter.allow("a"));
  EXPECT_TRUE(limiter.allow("b"));
  EXPECT_FALSE(limiter.allow("c")) << "both buckets are in use";
  clock.advance(std::chrono::seconds(5));
  EXPECT_TRUE(limiter.allow("c")) << "full buckets are forgotten to make room";
}

}  // namespace
}  // namespace billhook::api::hosted
