#pragma once

// The HTML of the public pages: escaping and the one response shape every page has, with the headers
// that keep a page from being framed, cached, scripted or leaking its URL (which carries the token).

#include <string>
#include <string_view>

#include "api/http.hpp"

namespace billhook::api::hosted {

// `text` safe inside an element or a double-quoted attribute: & < > " ' escaped.
std::string escape(std::string_view text);

// The headers every page (and the dashboard's every answer) carries: its Content-Security-Policy, and
// never framed, never type-sniffed, no Referer.
void add_page_headers(HttpResponse& response, std::string_view content_security_policy);

// The shell of a page, shared by the public pages and the dashboard.
struct PageShell {
  std::string_view title;
  std::string_view css_href;  // a relative URL, so the pages also work behind a proxy that adds a path prefix
  std::string_view content_security_policy;
  std::string_view body_class = {};  // none when empty
  std::string_view head_extra = {};  // markup added to <head>, already escaped by its maker
};

// A whole page in `shell` with add_page_headers and Cache-Control: no-store; `body_content` goes inside
// <body> as it is, already escaped by its maker.
HttpResponse html_document(int status, const PageShell& shell, std::string_view body_content);

// A public page: html_document with the public pages' policy (no script at all) and `body_html` in <main>.
HttpResponse html_page(int status, std::string_view title, std::string_view css_href, std::string_view body_html);

// The one answer to every token that opens nothing: unknown, tampered, expired, rotated, or the wrong
// kind. The same bytes every time, so a caller learns nothing from it.
HttpResponse not_found_page(std::string_view css_href);

// 429 for a client that asks too often.
HttpResponse too_many_requests_page();

// The stylesheet (served as GET /hosted/hosted.css: a style-src 'self' CSP allows no inline style).
std::string_view stylesheet();

}  // namespace billhook::api::hosted
