#include "api/dashboard/front.hpp"

#include <fmt/format.h>

#include <span>

#include "api/dashboard/assets.hpp"
#include "api/dashboard/cookies.hpp"
#include "api/hosted/html.hpp"
#include "api/request.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace billhook::api::dashboard {
namespace {

// Scripts and styles only from this server's files (no inline script, no eval), fetches only back to it,
// forms only to it, never framed.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// The sign-in form's own token, checked against a cookie of the same value (the form has no session yet).
constexpr std::string_view kSignInCookie = "billhook_sign_in";
constexpr std::chrono::seconds kSignInFormLifetime{3600};
constexpr size_t kTokenBytes = 16;
constexpr size_t kMaxApiKeyLength = 200;

void lock_down(HttpResponse& response) { hosted::add_page_headers(response, kContentSecurityPolicy); }

HttpResponse html(int status, std::string_view title, std::string_view body_class, std::string_view body,
                  std::string_view head_extra = {}) {
  return hosted::html_document(status,
                               {.title = title,
                                .css_href = "assets/style.css",
                                .content_security_policy = kContentSecurityPolicy,
                                .body_class = body_class,
                                .head_extra = head_extra},
                               fmt::format("\n{}", body));
}

HttpResponse redirect(std::string location) {
  HttpResponse response;
  response.status = 303;
  response.content_type = "text/plain; charset=utf-8";
  response.headers.emplace_back("Location", std::move(location));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse plain(int status, std::string text) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(text);
  lock_down(response);
  return response;
}

// The answer when the sessions cannot be read or written (the database away, the disk full): nobody is
// signed in or out, and trying again later may work. The page says no more than that (it is shown before
// signing in); the log says why.
HttpResponse unavailable(const core::Error& error) {
  core::log::warn("dashboard sessions unavailable", {{"error", error.message}});
  auto response = plain(503,
                        "The dashboard cannot reach its sessions in the store right now. Nothing was changed; "
                        "please try again in a moment.");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

std::string_view content_type_of(std::string_view name) {
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

HttpResponse asset(std::string_view name) {
  for (const auto& a : assets()) {
    if (a.name != name) continue;
    HttpResponse response;
    response.content_type = std::string(content_type_of(name));
    response.body = std::string(a.bytes);
    lock_down(response);
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
  }
  return plain(404, "not found");
}

std::string_view session_token(const HttpRequest& request) {
  return cookie_value(request.header("cookie"), kSessionCookie);
}

bool changes_state(std::string_view method) { return method != "GET" && method != "HEAD"; }

}  // namespace

Front::Front(Sessions& sessions, const ApiKeys& keys, core::Random& random, std::function<bool()> secure)
    : sessions_(sessions), keys_(keys), random_(random), secure_(std::move(secure)) {}

std::string Front::random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  random_.fill(std::as_writable_bytes(std::span(raw)));
  return core::to_hex(raw);
}

HttpResponse Front::handle(const HttpRequest& request, std::string_view path) {
  const std::string_view method = request.method;
  if (path == "/dashboard") return redirect("/dashboard/");
  if (path == "/dashboard/") {
    if (method != "GET" && method != "HEAD") return plain(405, "use GET");
    auto session = live_session(session_token(request));
    if (!session) return unavailable(session.error());
    if (*session) return shell(**session);
    return sign_in_page(200, {});
  }
  if (path == "/dashboard/sign-in") return method == "POST" ? sign_in(request) : redirect("/dashboard/");
  if (path == "/dashboard/sign-out") return method == "POST" ? sign_out(request) : plain(405, "use POST");
  constexpr std::string_view kAssets = "/dashboard/assets/";
  if (path.starts_with(kAssets) && (method == "GET" || method == "HEAD")) return asset(path.substr(kAssets.size()));
  return plain(404, "not found");
}

HttpResponse Front::sign_in_page(int status, std::string_view message) {
  const std::string token = random_hex(kTokenBytes);
  const std::string notice =
      message.empty() ? std::string() : fmt::format("<p class=\"notice error\" id=\"sign-in-error\" role=\"alert\">{}</p>",
                                                    hosted::escape(message));
  auto response = html(status, "Sign in · billhook dashboard", "sign-in",
                       fmt::format("<main class=\"sign-in\"><form method=\"post\" action=\"sign-in\" class=\"card\">"
                                   "<h1>billhook</h1><p class=\"muted\">Sign in with an API key (billhook prints one "
                                   "when it first starts).</p>{}"
                                   "<label for=\"api_key\">API key</label>"
                                   "<input id=\"api_key\" name=\"api_key\" type=\"password\" autocomplete=\"off\" "
                                   "required autofocus>"
                                   "<input type=\"hidden\" name=\"sign_in_token\" value=\"{}\">"
                                   "<button type=\"submit\" id=\"sign-in\">Sign in</button></form></main>\n",
                                   notice, token));
  response.headers.emplace_back("Set-Cookie", dashboard_cookie(kSignInCookie, token, kSignInFormLifetime, secure_()));
  return response;
}

HttpResponse Front::sign_in(const HttpRequest& request) {
  auto form = Query::parse("/?" + request.body);
  if (!form) return sign_in_page(400, "The form could not be read.");
  const std::string expected(cookie_value(request.header("cookie"), kSignInCookie));
  const std::string given = form->get("sign_in_token").value_or("");
  if (expected.empty() || !core::constant_time_equal(expected, given))
    return sign_in_page(403, "The sign-in form expired. Please try again.");
  const std::string key = form->get("api_key").value_or("");
  const auto key_id = key.size() <= kMaxApiKeyLength ? keys_.authenticate(key) : std::nullopt;
  if (!key_id) return sign_in_page(401, "That API key is not valid.");
  const auto opened = sessions_.open(*key_id);
  if (!opened) return unavailable(opened.error());
  auto response = redirect("/dashboard/");
  response.headers.emplace_back("Set-Cookie", cleared_cookie(kSignInCookie, secure_()));
  response.headers.emplace_back("Set-Cookie",
                                dashboard_cookie(kSessionCookie, opened->token, sessions_.lifetime(), secure_()));
  return response;
}

HttpResponse Front::sign_out(const HttpRequest& request) {
  const std::string token(session_token(request));
  auto session = live_session(token);
  if (!session) return unavailable(session.error());
  if (!*session) return redirect("/dashboard/");
  auto form = Query::parse("/?" + request.body);
  std::string given(request.header(kCsrfHeader));
  if (given.empty() && form) given = form->get("csrf_token").value_or("");
  if (!core::constant_time_equal((*session)->csrf_token, given))
    return plain(403, "the CSRF token is missing or wrong");
  if (auto ended = sessions_.revoke(token); !ended) return unavailable(ended.error());
  auto response = redirect("/dashboard/");
  response.headers.emplace_back("Set-Cookie", cleared_cookie(kSessionCookie, secure_()));
  return response;
}

HttpResponse Front::shell(const Session& session) {
  // The page's one piece of per-session data: the CSRF token every state-changing request sends.
  return html(200, "billhook dashboard", "app",
              fmt::format(
                  "<a class=\"skip\" href=\"#view\">Skip to content</a>"
                  "<header class=\"top\"><span class=\"brand\">billhook</span>"
                  "<nav aria-label=\"Dashboard\" id=\"nav\">"
                  "<a href=\"#/overview\">Overview</a><a href=\"#/endpoints\">Endpoints</a><a href=\"#/events\">Events</a>"
                  "<a href=\"#/deliveries\">Deliveries</a><a href=\"#/customers\">Customers</a>"
                  "<a href=\"#/invoices\">Invoices</a><a href=\"#/proformas\">Proformas</a>"
                  "<a href=\"#/subscriptions\">Subscriptions</a>"
                  "<a href=\"#/wallets\">Wallets</a><a href=\"#/catalog\">Catalog</a></nav>"
                  "<form method=\"post\" action=\"sign-out\" class=\"sign-out\">"
                  "<input type=\"hidden\" name=\"csrf_token\" value=\"{0}\">"
                  "<button type=\"submit\" id=\"sign-out\">Sign out</button></form></header>\n"
                  "<main id=\"view\" tabindex=\"-1\"><p class=\"muted\">Loading…</p></main>\n"
                  "<script type=\"module\" src=\"assets/app.js\"></script>\n",
                  hosted::escape(session.csrf_token)),
              fmt::format("<meta name=\"csrf-token\" content=\"{}\">", hosted::escape(session.csrf_token)));
}

core::Result<std::optional<Session>> Front::live_session(std::string_view token) {
  auto session = sessions_.find(token);
  if (!session || !*session || keys_.contains((*session)->api_key_id)) return session;
  // Its key was revoked (here or, once the keys are refreshed, on another node): the session ends with it.
  if (auto ended = sessions_.revoke(token); !ended) return std::move(ended).error();
  return std::optional<Session>();
}

core::Result<std::string> Front::authorize_api(const HttpRequest& request) {
  auto found = live_session(session_token(request));
  if (!found) return std::move(found).error();
  const auto& session = *found;
  if (!session)
    return core::Error{core::ErrorKind::unauthorized, "session_required",
                       "sign in to the dashboard first: no live session", {}};
  if (changes_state(request.method) && !core::constant_time_equal(session->csrf_token, request.header(kCsrfHeader)))
    return core::Error::invalid(std::string(kCsrfRefused),
                                "this request must carry the session's CSRF token in the X-CSRF-Token header");
  return session->api_key_id;
}

void adjust_refusal_status(const core::Error& error, HttpResponse& response) {
  if (error.code == kCsrfRefused) response.status = 403;
}

}  // namespace billhook::api::dashboard
