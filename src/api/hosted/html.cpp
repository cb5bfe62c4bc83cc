#include "api/hosted/html.hpp"

#include <fmt/format.h>

namespace billhook::api::hosted {
namespace {

// No script at all; styles only from this server; forms post only back to it; never framed.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

constexpr std::string_view kStylesheet = R"css(*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f4f5f7}
main{max-width:44rem;margin:0 auto;padding:1.5rem 1rem}
.card{background:#fff;border-radius:.5rem;padding:1.25rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 .5rem}
h2{font-size:1.1rem;margin:0 0 .75rem}
.parties{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between}
.muted{color:#5b6475}
.status{display:inline-block;padding:.1rem .6rem;border-radius:1rem;background:#e8ebf0;font-size:.85rem}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.4rem .3rem;border-bottom:1px solid #e8ebf0;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
.totals td{border:none}
.due{font-size:1.2rem;font-weight:600}
label{display:block;margin:.5rem 0 .2rem}
input{width:100%;padding:.55rem;font-size:1rem;border:1px solid #c5cbd6;border-radius:.35rem}
.row{display:flex;gap:.75rem}
.row>div{flex:1}
button{margin-top:1rem;width:100%;padding:.75rem;font-size:1rem;border:0;border-radius:.35rem;background:#2456d3;color:#fff}
.notice{padding:.75rem 1rem;border-radius:.35rem;background:#e7f4ea}
.notice.error{background:#fbe9e9}
@media (max-width:30rem){.row{flex-direction:column;gap:0}th.hide,td.hide{display:none}}
)css";

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void add_page_headers(HttpResponse& response, std::string_view content_security_policy) {
  response.headers.emplace_back("Content-Security-Policy", std::string(content_security_policy));
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

HttpResponse html_document(int status, const PageShell& shell, std::string_view body_content) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  const std::string body_class =
      shell.body_class.empty() ? std::string() : fmt::format(" class=\"{}\"", escape(shell.body_class));
  response.body = fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>{}</title>"
      "<link rel=\"stylesheet\" href=\"{}\">{}</head>\n<body{}>{}</body></html>\n",
      escape(shell.title), escape(shell.css_href), shell.head_extra, body_class, body_content);
  add_page_headers(response, shell.content_security_policy);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse html_page(int status, std::string_view title, std::string_view css_href, std::string_view body_html) {
  return html_document(status, {.title = title, .css_href = css_href, .content_security_policy = kContentSecurityPolicy},
                       fmt::format("<main>\n{}</main>", body_html));
}

HttpResponse not_found_page(std::string_view css_href) {
  return html_page(404, "Link not available", css_href,
                   "<div class=\"card\"><h1>This link is not available</h1>"
                   "<p class=\"muted\">It may have expired or been replaced. Ask the sender for a new one.</p></div>\n");
}

HttpResponse too_many_requests_page() {
  auto response = html_page(429, "Too many requests", "/hosted/hosted.css",
                            "<div class=\"card\"><h1>Too many requests</h1>"
                            "<p class=\"muted\">Please wait a minute and try again.</p></div>\n");
  response.headers.emplace_back("Retry-After", "60");
  return response;
}

std::string_view stylesheet() { return kStylesheet; }

}  // namespace billhook::api::hosted
