#pragma once

// Signing in to the dashboard over plain HTTP, as a browser does: the sign-in page's form token and
// cookie, the posted API key, and the session cookie and CSRF token that come back.

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support/http_client.hpp"

namespace billhook::testing {

struct DashboardSession {
  std::string cookie;      // "billhook_session=<token>", as the browser sends it back
  std::string set_cookie;  // the whole Set-Cookie value that opened it
  std::string csrf;        // the page's CSRF token
};

// The first match of `pattern`'s group 1 in `text`, or "".
inline std::string find_group(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : std::string();
}

// The sign-in page's form token and the cookie that must come back with it.
struct SignInForm {
  std::string token;
  std::string cookie;
};

inline SignInForm open_sign_in(HttpClient& browser) {
  const auto page = browser.request("GET", "/dashboard/");
  EXPECT_EQ(page.status, 200) << describe(page);
  const std::string cookie_token = find_group(page.header("set-cookie"), "^billhook_sign_in=([0-9a-f]+);");
  return {find_group(page.body, "name=\"sign_in_token\" value=\"([0-9a-f]+)\""), "billhook_sign_in=" + cookie_token};
}

inline Response post_sign_in(HttpClient& browser, const SignInForm& form, const std::string& api_key) {
  return browser.request("POST", "/dashboard/sign-in", "api_key=" + api_key + "&sign_in_token=" + form.token,
                         {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", form.cookie}});
}

// Signs in with `api_key`; the test fails (and the session is empty) if that does not work.
inline DashboardSession sign_in(HttpClient& browser, const std::string& api_key) {
  const auto signed_in = post_sign_in(browser, open_sign_in(browser), api_key);
  EXPECT_EQ(signed_in.status, 303) << describe(signed_in);
  DashboardSession session;
  session.set_cookie = signed_in.header("set-cookie");
  session.cookie = "billhook_session=" + find_group(session.set_cookie, "^billhook_session=([0-9a-f]+);");
  const auto shell = browser.request("GET", "/dashboard/", {}, {{"Cookie", session.cookie}});
  session.csrf = find_group(shell.body, "name=\"csrf-token\" content=\"([0-9a-f]+)\"");
  EXPECT_FALSE(session.csrf.empty()) << describe(shell);
  return session;
}

}  // namespace billhook::testing
