#include "events/envelope.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/json.hpp>

namespace billhook::events {
namespace {

namespace json = boost::json;

Event sample_event() {
  Event e;
  e.id = "evt_01KANG36BVTSV4RRFFQ69G5FAV";
  e.type = "invoice.payment_failed";
  e.created_ms = 1763805600123;
  e.aggregate = Aggregate{"invoice", "inv_01KANG36BVTSV4RRFFQ69G5FAV", 3};
  e.data_json = R"({"object":{"id":"inv_01KANG36BVTSV4RRFFQ69G5FAV","total":1250},"previous_attributes":{"status":"open"}})";
  e.request_id = "req_01KANG36BVTSV4RRFFQ69G5FAV";
  e.idempotency_key = "retry-7";
  return e;
}

TEST(RenderEnvelope, HasEveryFieldWithItsValue) {
  const json::object out = render_envelope(sample_event(), "2026-11-01");
  EXPECT_EQ(out.at("id"), "evt_01KANG36BVTSV4RRFFQ69G5FAV");
  EXPECT_EQ(out.at("object"), "event");
  EXPECT_EQ(out.at("type"), "invoice.payment_failed");
  EXPECT_EQ(out.at("api_version"), "2026-11-01");
  ASSERT_TRUE(out.at("created").is_int64());
  EXPECT_EQ(out.at("created").as_int64(), 1763805600);
  EXPECT_EQ(out.at("occurred_at"), "2025-11-22T10:00:00.123Z");
  EXPECT_EQ(out.at("aggregate"),
            json::parse(R"({"type":"invoice","id":"inv_01KANG36BVTSV4RRFFQ69G5FAV","sequence":3})"));
  EXPECT_EQ(out.at("data"), json::parse(sample_event().data_json));
  EXPECT_EQ(out.at("request"), json::parse(R"({"id":"req_01KANG36BVTSV4RRFFQ69G5FAV","idempotency_key":"retry-7"})"));
}

TEST(RenderEnvelope, FieldsComeInTheDocumentedOrder) {
  const json::object out = render_envelope(sample_event(), "2026-11-01");
  std::vector<std::string> keys;
  for (const auto& item : out) keys.emplace_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "object", "type", "api_version", "created", "occurred_at",
                                            "aggregate", "data", "request"}));
}

TEST(RenderEnvelope, OccurredAtPadsMilliseconds) {
  Event e = sample_event();
  e.created_ms = 1763805600007;
  const json::object out = render_envelope(e, "2026-11-01");
  EXPECT_EQ(out.at("occurred_at"), "2025-11-22T10:00:00.007Z");
  EXPECT_EQ(out.at("created").as_int64(), 1763805600);
}

TEST(RenderEnvelope, AggregateIsNullWhenAbsent) {
  Event e = sample_event();
  e.aggregate.reset();
  const json::object out = render_envelope(e, "2026-11-01");
  ASSERT_TRUE(out.contains("aggregate"));
  EXPECT_TRUE(out.at("aggregate").is_null());
}

TEST(RenderEnvelope, EmptyRequestIdsAreNull) {
  Event e = sample_event();
  e.request_id.clear();
  e.idempotency_key.clear();
  const json::object out = render_envelope(e, "2026-11-01");
  EXPECT_EQ(out.at("request"), json::parse(R"({"id":null,"idempotency_key":null})"));

  e.request_id = "req_01KANG36BVTSV4RRFFQ69G5FAV";
  const json::object with_request = render_envelope(e, "2026-11-01");
  EXPECT_EQ(with_request.at("request"),
            json::parse(R"({"id":"req_01KANG36BVTSV4RRFFQ69G5FAV","idempotency_key":null})"));
}

TEST(RenderEnvelope, DataIsAnEmptyObjectWhenTheStoredJsonIsUnreadable) {
  Event e = sample_event();
  e.data_json = "{not json";
  EXPECT_EQ(render_envelope(e, "v").at("data"), json::object());
  e.data_json.clear();
  EXPECT_EQ(render_envelope(e, "v").at("data"), json::object());
}


// The text form skips parsing `data` again; it must stay byte for byte what serializing the object
// form gives, for every shape an event takes (data is always text boost::json wrote).
TEST(RenderEnvelopeText, IsTheSerializedObjectByteForByte) {
  std::vector<Event> cases;
  cases.push_back(sample_event());
  Event bare = sample_event();
  bare.aggregate.reset();
  bare.request_id.clear();
  bare.idempotency_key.clear();
  cases.push_back(bare);
  Event awkward = sample_event();
  awkward.type = "invoice.\"quoted\"";
  awkward.aggregate = Aggregate{"customer", "cus_é\\\n\u2028", 9007199254740993};
  awkward.idempotency_key = "</script>\t\x01";
  awkward.data_json = json::serialize(json::parse(
      R"({"object":{"amount":12.5,"tiny":1e-9,"big":18446744073709551615,"neg":-3,"s":"\u00e9\ud83d\ude00\u0007",)"
      R"("nested":[true,false,null,{"a":[]}]}})"));
  cases.push_back(awkward);
  Event early = sample_event();
  early.created_ms = 7;
  early.data_json = "{}";
  cases.push_back(early);
  for (const auto& e : cases)
    EXPECT_EQ(render_envelope_text(e, "2026-11-01"), json::serialize(render_envelope(e, "2026-11-01"))) << e.type;
}

TEST(RenderEnvelopeText, EmptyDataIsAnEmptyObject) {
  Event e = sample_event();
  e.data_json.clear();
  EXPECT_EQ(json::parse(render_envelope_text(e, "v")).at("data"), json::object());
}
}  // namespace
}  // namespace billhook::events
