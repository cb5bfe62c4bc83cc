// Share and checkout links through the real binary: the links the API hands out, the public pages
// they open without the API key (in headless Debian chromium for what a visitor does), and every bad
// token — tampered, expired, rotated, of the other kind — answered with the same 404 that shows none of
// the invoice.

#include <cstdlib>
#include <filesystem>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/browser_script.hpp"
#include "support/node_script.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

// A field of the browser's report as text: a string as is, anything else (null: not on the page) as JSON,
// so that a failure shows what the page had instead.
std::string text(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

class HostedPagesTest : public BillingServerTest {
 protected:
  // An issued invoice of 119.00 EUR for a customer called Ada Lovelace, sent (not charged): its id.
  std::string open_invoice() {
    customer_ = api_->customer({{"name", "Ada Lovelace"}});
    return api_->invoice(customer_, {{"collection_method", "send_invoice"}});
  }

  json::object share(const std::string& invoice, json::object body = {}) {
    return api_->post("/v1/invoices/" + invoice + "/share", body);
  }

  // The path of a link URL on this server (the default public URL is http://127.0.0.1:<port>).
  std::string path_of(const std::string& url) const {
    const std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
    EXPECT_EQ(url.rfind(base, 0), 0u) << url << " is not on " << base;
    return url.substr(base.size());
  }

  // A request without the API key, as a visitor's browser makes it.
  Response visit(const std::string& path, std::string_view method = "GET", std::string_view form = {}) {
    HttpClient anonymous(server_->port(), std::nullopt);
    return anonymous.request(method, path, form, {{"Content-Type", "application/x-www-form-urlencoded"}});
  }

  // The browser's view (tests/support/hosted_browser.mjs), parsed; skipped without chromium outside CI.
  json::object browse(const std::vector<std::string>& args) {
    const auto result = run_node_script("hosted_browser.mjs", args, 60s);
    EXPECT_EQ(result.exit_code, 0) << "hosted_browser.mjs " << args.front() << " printed: " << result.output;
    // The JSON is the last line; anything before it is the browser's own chatter.
    return last_json_line(result.output);
  }


  std::string customer_;
};

TEST_F(HostedPagesTest, ASharedInvoiceOpensInChromiumAndIsPaidOnceThoughSubmittedTwice) {
  require_chromium();
  if (chromium_missing()) return;
  const auto invoice = open_invoice();
  const auto number = str(api_->invoice_of(invoice).at("number"));
  const auto url = str(share(invoice).at("url"));

  const auto seen = browse({"pay", url, "4242 4242 4242 4242"});
  SCOPED_TRACE(json::serialize(seen));
  const auto& before = seen.at("before").as_object();
  EXPECT_EQ(before.at("status").as_int64(), 200);
  EXPECT_EQ(text(before.at("number")), number);
  EXPECT_EQ(text(before.at("amount_due")), "119.00 EUR");
  EXPECT_EQ(text(before.at("customer")), "Ada Lovelace");
  EXPECT_TRUE(before.at("has_form").as_bool());
  EXPECT_TRUE(before.at("styled").as_bool()) << "the stylesheet did not apply under the page's CSP";
  EXPECT_TRUE(before.at("fits_phone").as_bool()) << "the page scrolls sideways on a phone";
  EXPECT_EQ(text(seen.at("paid").at("result")), "Payment received");
  EXPECT_EQ(text(seen.at("other_tab").at("result")), "Nothing to pay") << "a second tab must not pay again";
  EXPECT_EQ(seen.at("resent").at("status").as_int64(), 200);
  EXPECT_EQ(text(seen.at("resent").at("result")), "Already submitted") << "the same form sent again";
  EXPECT_EQ(text(seen.at("after").at("amount_due")), "0.00 EUR");
  EXPECT_FALSE(seen.at("after").at("has_form").as_bool()) << "nothing is due: no card form";

  EXPECT_EQ(text(api_->invoice_of(invoice).at("status")), "paid");
  int succeeded = 0;
  const auto payments = api_->get("/v1/invoices/" + invoice + "/payments");
  for (const auto& payment : payments.at("data").as_array())
    succeeded += payment.at("status") == "succeeded";
  EXPECT_EQ(succeeded, 1) << "paid once";
  EXPECT_EQ(count_all(api_->http(), "/v1/payment-methods?customer=" + customer_), 1u)
      << "one card attached: the later submissions attached none";
}

// Once the invoice's PDF is rendered, the shared page links to it, served by the token without the key.
TEST_F(HostedPagesTest, ASharedInvoiceLinksItsPdfServedByTheToken) {
  const auto invoice = api_->invoice(api_->customer());
  const std::string page_path = path_of(str(share(invoice).at("url")));
  Response page;
  ASSERT_TRUE(wait_until(
      [&] {
        page = visit(page_path);
        return page.body.find("id=\"pdf-link\"") != std::string::npos;
      },
      15s, "the page's PDF link"));
  const Response pdf = visit(page_path + "/pdf");
  EXPECT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.header("content-type"), "application/pdf");
  EXPECT_TRUE(pdf.body.starts_with("%PDF-"));
  EXPECT_EQ(pdf.header("cache-control"), "no-store");
  std::string tampered = page_path;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  const Response refused = visit(tampered + "/pdf");
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.body.find("%PDF"), std::string::npos);
}

// The links' events reach a receiver written from Lago's documentation under Lago's name
// (customer.checkout_url_generated; Lago has none for a shared invoice) and a billhook endpoint under the
// canonical ones, carrying the URL.
TEST_F(HostedPagesTest, TheLinksEventsReachLagoAndBillhookReceivers) {
  NodeReceiver lago("lago.mjs");
  api_->endpoint({{"url", lago.url("/webhooks/lago")}, {"profile", "lago"}});
  lago.configure(lago_jwt_receiver_config(*server_));
  endpoint("/links", json::array{"invoice.shared", "customer.checkout_url_generated"});
  const std::string invoice = open_invoice();
  const std::string share_url = str(share(invoice).at("url"));
  const std::string checkout_url = str(api_->post("/v1/customers/" + customer_ + "/checkout-links").at("url"));

  ASSERT_TRUE(await_received("/links", invoice, 1));
  EXPECT_EQ(received("/links", invoice), (std::vector<std::string>{"invoice.shared"}));
  ASSERT_TRUE(await_received("/links", customer_, 1));
  EXPECT_EQ(received("/links", customer_), (std::vector<std::string>{"customer.checkout_url_generated"}));

  json::object checkout;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : lago.received(0, 1s))
          if (str(r.at("handler")) == "customer.checkout_url_generated") checkout = r.as_object();
        return !checkout.empty();
      },
      10s, "Lago's customer.checkout_url_generated"));
  EXPECT_TRUE(checkout.at("verified").as_bool()) << json::serialize(checkout);
  EXPECT_EQ(str(checkout.at("object_type")), "customer");
  EXPECT_EQ(str(checkout.at("object").at("checkout_url")), checkout_url);
  EXPECT_NE(share_url, checkout_url);
}

TEST_F(HostedPagesTest, TamperedExpiredRotatedAndMisdirectedTokensGetTheSame404) {
  const auto invoice = open_invoice();
  const auto number = str(api_->invoice_of(invoice).at("number"));
  const auto first = path_of(str(share(invoice).at("url")));

  const auto page = visit(first);
  ASSERT_EQ(page.status, 200) << describe(page);
  EXPECT_NE(page.body.find(number), std::string::npos);
  EXPECT_NE(page.body.find("Ada Lovelace"), std::string::npos);

  const auto not_found = [&](const std::string& path, std::string_view why) {
    const auto r = visit(path);
    EXPECT_EQ(r.status, 404) << why << ": " << describe(r);
    for (const std::string& secret : {number, std::string("Ada Lovelace"), std::string("119.00"), invoice, customer_})
      EXPECT_EQ(r.body.find(secret), std::string::npos) << why << " reveals " << secret;
    return r.body;
  };
  std::string tampered = first;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  const auto reference = not_found(tampered, "a tampered secret");
  EXPECT_EQ(not_found("/hosted/invoices/" + first.substr(first.rfind('/') + 1, 29) + ".x", "a malformed token"), reference);
  EXPECT_EQ(not_found("/hosted/invoices/nothing", "no token at all"), reference);
  EXPECT_EQ(not_found("/hosted/checkout/" + first.substr(first.rfind('/') + 1), "a share token on the checkout page"),
            reference);
  EXPECT_EQ(visit(tampered + "/pay", "POST", "nonce=00000000000000000000000000000000&number=4242424242424242"
                                             "&exp_month=12&exp_year=2035").status,
            404)
      << "paying with a tampered token";

  // Rotating: the old URL stops working, the new one works.
  const auto second = path_of(str(share(invoice).at("url")));
  EXPECT_NE(second, first);
  EXPECT_EQ(not_found(first, "a rotated token"), reference);
  EXPECT_EQ(visit(second).status, 200);

  // Expiring: a one-day link is gone two days on.
  const auto short_lived = share(invoice, {{"expires_in_days", 1}});
  const auto third = path_of(str(short_lived.at("url")));
  EXPECT_EQ(visit(third).status, 200);
  api_->post("/v1/test/clock", {{"advance_seconds", 2 * 86400}});
  EXPECT_EQ(not_found(third, "an expired token"), reference);

  EXPECT_EQ(api_->get("/v1/events?type=invoice.shared&aggregate_id=" + invoice).at("data").as_array().size(), 3u)
      << "invoice.shared once per share";
}

TEST_F(HostedPagesTest, SharingAnnouncesTheUrlRefusesDraftsAndThePagesAreLockedDown) {
  const auto invoice = open_invoice();
  const auto link = share(invoice);
  const auto url = str(link.at("url"));
  EXPECT_GT(link.at("expires_at").as_int64(), 0);
  const auto events = api_->get("/v1/events?type=invoice.shared&aggregate_id=" + invoice).at("data").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(str(events[0].at("data").at("object").at("share_url")), url);
  EXPECT_EQ(str(events[0].at("data").at("object").at("id")), invoice);

  EXPECT_TRUE(is_error(api_->http().post("/v1/invoices/" + api_->draft(customer_) + "/share", json::value(json::object{})),
                       409, "invoice_not_shareable"));
  EXPECT_TRUE(is_error(api_->http().post("/v1/invoices/" + invoice + "/share",
                                         json::value(json::object{{"expires_in_days", 0}})),
                       400, "parameter_invalid", "expires_in_days"));
  EXPECT_EQ(api_->http().post("/v1/invoices/" + invoice + "/share", json::value(json::object{{"expires_in_days", 1}}),
                              {{"Authorization", ""}})
                .status,
            401)
      << "making a link needs the API key";

  const auto page = visit(path_of(url));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(page.header("Content-Security-Policy").find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(page.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(page.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(page.header("Cache-Control"), "no-store");
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  EXPECT_EQ(visit("/hosted/hosted.css").status, 200);
  EXPECT_EQ(visit("/v1/invoices/" + invoice).status, 401) << "the pages open nothing else of the API";

  // A client asking again and again is turned away; the burst is 60.
  int refused = 0;
  for (int i = 0; i < 80; ++i) refused += visit("/hosted/invoices/nothing").status == 429;
  EXPECT_GE(refused, 15);
}

TEST_F(HostedPagesTest, ACheckoutPageInChromiumAddsTheCardOnce) {
  require_chromium();
  if (chromium_missing()) return;
  customer_ = api_->customer({{"name", "Grace Hopper"}});
  const auto link = api_->post("/v1/customers/" + customer_ + "/checkout-links");
  const auto url = str(link.at("url"));
  const auto events =
      api_->get("/v1/events?type=customer.checkout_url_generated&aggregate_id=" + customer_).at("data").as_array();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(str(events[0].at("data").at("object").at("checkout_url")), url);
  EXPECT_EQ(events[0].at("data").at("object").at("checkout_url_expires_at"), link.at("expires_at"));

  const auto seen = browse({"checkout", url, "4242424242424242"});
  SCOPED_TRACE(json::serialize(seen));
  EXPECT_EQ(text(seen.at("before").at("customer")), "Grace Hopper");
  EXPECT_EQ(text(seen.at("saved").at("result")), "Card saved");
  EXPECT_EQ(text(seen.at("resent").at("result")), "Already submitted");
  const auto methods = list_all(api_->http(), "/v1/payment-methods?customer=" + customer_);
  ASSERT_EQ(methods.size(), 1u);
  EXPECT_EQ(str(methods[0].at("card").at("last4")), "4242");
  EXPECT_TRUE(methods[0].at("is_default").as_bool());
}

}  // namespace
}  // namespace billhook::testing
