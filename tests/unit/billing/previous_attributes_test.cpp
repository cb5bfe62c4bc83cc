// data.previous_attributes: the one diff every billing event uses.
#include "billing/previous_attributes.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace billhook::billing {
namespace {

namespace json = boost::json;

json::object object_of(std::string_view text) { return json::parse(text).as_object(); }

TEST(PreviousAttributes, EqualObjectsGiveNothing) {
  const auto o = object_of(R"({"id": "inv_1", "status": "open", "lines": [1, 2], "payment": {"id": "p"}})");
  EXPECT_TRUE(previous_attributes(o, o).empty());
  EXPECT_TRUE(previous_attributes({}, {}).empty());
}

TEST(PreviousAttributes, AChangedFieldReportsItsOldValue) {
  const auto before = object_of(R"({"id": "inv_1", "status": "draft", "total": 100, "due_date": null})");
  const auto after = object_of(R"({"id": "inv_1", "status": "open", "total": 100, "due_date": 1800000000})");
  EXPECT_EQ(previous_attributes(before, after), object_of(R"({"status": "draft", "due_date": null})"));
}

TEST(PreviousAttributes, AnUnchangedFieldIsLeftOut) {
  const auto before = object_of(R"({"id": "inv_1", "total": 100, "metadata": {"a": "1"}})");
  const auto after = object_of(R"({"id": "inv_1", "total": 200, "metadata": {"a": "1"}})");
  const auto previous = previous_attributes(before, after);
  EXPECT_FALSE(previous.contains("id"));
  EXPECT_FALSE(previous.contains("metadata"));
  EXPECT_EQ(previous, object_of(R"({"total": 100})"));
}

TEST(PreviousAttributes, AnAddedFieldReportsNull) {
  const auto before = object_of(R"({"id": "inv_1"})");
  const auto after = object_of(R"({"id": "inv_1", "payment": {"id": "pay_1"}})");
  EXPECT_EQ(previous_attributes(before, after), object_of(R"({"payment": null})"));
}

// The copies in proforma.cpp and invoice_batch_service.cpp left this out, so proforma.credited and the
// invoice_batch.* events would not have reported a field their step removed, unlike every other event.
TEST(PreviousAttributes, ARemovedFieldReportsItsOldValue) {
  const auto before = object_of(R"({"id": "inv_1", "last_finalization_error": {"code": "no_lines"}, "total": 5})");
  const auto after = object_of(R"({"id": "inv_1", "total": 5})");
  EXPECT_EQ(previous_attributes(before, after), object_of(R"({"last_finalization_error": {"code": "no_lines"}})"));
}

TEST(PreviousAttributes, ANestedChangeReportsTheWholeOldField) {
  const auto before = object_of(R"({"lines": [{"amount": 1}, {"amount": 2}], "payment": {"id": "p", "n": 1}})");
  const auto after = object_of(R"({"lines": [{"amount": 1}, {"amount": 3}], "payment": {"id": "p", "n": 2}})");
  EXPECT_EQ(previous_attributes(before, after), before);
}

TEST(PreviousAttributes, AllKindsAtOnce) {
  const auto before = object_of(R"({"kept": 1, "changed": "a", "removed": [1], "null_to_value": null})");
  const auto after = object_of(R"({"kept": 1, "changed": "b", "added": true, "null_to_value": 7})");
  EXPECT_EQ(previous_attributes(before, after),
            object_of(R"({"changed": "a", "added": null, "removed": [1], "null_to_value": null})"));
  // Reversed, every field but the kept one shows up again, with the other side's values.
  EXPECT_EQ(previous_attributes(after, before),
            object_of(R"({"changed": "b", "added": true, "removed": null, "null_to_value": 7})"));
}

}  // namespace
}  // namespace billhook::billing
