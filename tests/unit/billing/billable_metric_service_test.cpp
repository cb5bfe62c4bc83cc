// Billable metrics on the store, on both backends: create, update and archive each send their event
// (schema-valid, in order, with previous_attributes), a taken code is a 409 naming `code`, and bad
// input is a 400 naming the field with nothing written.

#include "billing/billable_metric_service.hpp"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing_fixture.hpp"
#include "core/described.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

class BillableMetricServiceTest : public BillingFixture {
 protected:
  BillableMetricServiceTest() : BillingFixture(41) {}

  void open_services() override { metrics_ = std::make_unique<BillableMetricService>(*service_); }
  void close_services() override { metrics_.reset(); }

  core::Result<BillableMetric> create(const json::object& body) {
    auto request = core::described::from_json<NewBillableMetric>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return metrics_->create(tx, *request, {}); });
  }

  core::Result<BillableMetric> update(const std::string& id, const json::object& body) {
    auto request = core::described::from_json<BillableMetricUpdate>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return metrics_->update(tx, id, *request, {}); });
  }

  static json::object storage_body() {
    return {{"code", "storage_gb"}, {"name", "Storage"}, {"aggregation_type", "weighted_sum"},
            {"field_name", "gb"},   {"recurring", true},  {"filters", {{"region", {"eu", "us"}}}}};
  }

  std::unique_ptr<BillableMetricService> metrics_;
};

TEST_P(BillableMetricServiceTest, CreateUpdateAndArchiveEachSendTheirEvent) {
  auto metric = create(storage_body());
  ASSERT_TRUE(metric.ok()) << metric.error().message;
  EXPECT_EQ(metric->id.rfind("bm_", 0), 0u) << metric->id;
  EXPECT_EQ(metric->status, BillableMetricStatus::active);
  EXPECT_EQ(metric->filters.at("region").size(), 2u);

  auto renamed = update(metric->id, {{"name", "Storage (GB)"}, {"description", "Average GB stored"}});
  ASSERT_TRUE(renamed.ok()) << renamed.error().message;
  auto same = update(metric->id, {{"name", "Storage (GB)"}});  // no change, no event
  ASSERT_TRUE(same.ok());
  clock_.advance(std::chrono::seconds(60));
  auto archived = write([&](store::WriteTx& tx) { return metrics_->archive(tx, metric->id, {}); });
  ASSERT_TRUE(archived.ok());
  EXPECT_EQ(archived->status, BillableMetricStatus::archived);
  EXPECT_EQ(archived->archived_at, kStartMs / 1000 + 60);
  auto twice = write([&](store::WriteTx& tx) { return metrics_->archive(tx, metric->id, {}); });
  ASSERT_TRUE(twice.ok());

  const auto events = events_of(metric->id);  // each checked against its catalog schema
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "billable_metric.created");
  EXPECT_EQ(events[0].object.at("object"), "billable_metric");
  EXPECT_EQ(events[0].object.at("code"), "storage_gb");
  EXPECT_EQ(events[0].object.at("aggregation_type"), "weighted_sum");
  EXPECT_EQ(events[0].object.at("field_name"), "gb");
  EXPECT_EQ(events[1].type, "billable_metric.updated");
  EXPECT_EQ(events[1].object.at("name"), "Storage (GB)");
  EXPECT_EQ(events[1].previous.at("name"), "Storage");
  EXPECT_TRUE(events[1].previous.at("description").is_null());
  EXPECT_EQ(events[2].type, "billable_metric.archived");
  EXPECT_EQ(events[2].object.at("status"), "archived");
  EXPECT_EQ(events[2].previous.at("status"), "active");

  auto late = update(metric->id, {{"name", "x"}});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind, core::ErrorKind::conflict);
  auto missing = update("bm_nope", {{"name", "x"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::not_found);
}

TEST_P(BillableMetricServiceTest, ATakenCodeIsAConflictNamingCodeEvenOnceArchived) {
  auto first = create(storage_body());
  ASSERT_TRUE(first.ok());
  const int64_t before = event_count();
  auto again = create(storage_body());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(again.error().code, "billable_metric_code_taken");
  EXPECT_EQ(again.error().param, "code");
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return metrics_->archive(tx, first->id, {}); }).ok());
  auto after_archive = create(storage_body());
  ASSERT_FALSE(after_archive.ok());
  EXPECT_EQ(after_archive.error().param, "code");
  EXPECT_EQ(event_count(), before + 1) << "only the archive was announced";
}

TEST_P(BillableMetricServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  const auto refused = [&](const char* field, json::value value, const std::string& param) {
    json::object body = storage_body();
    if (value.is_null()) body.erase(field);
    else body[field] = std::move(value);
    const int64_t before = event_count();
    auto metric = create(body);
    ASSERT_FALSE(metric.ok()) << field;
    EXPECT_EQ(metric.error().kind, core::ErrorKind::invalid_request) << metric.error().message;
    EXPECT_EQ(metric.error().param, param) << metric.error().message;
    EXPECT_EQ(event_count(), before);
  };
  refused("code", "", "code");
  refused("code", nullptr, "code");
  refused("name", 3, "name");
  refused("aggregation_type", "median", "aggregation_type");
  refused("field_name", nullptr, "field_name");
  refused("recurring", "yes", "recurring");
  refused("filters", json::object{{"region", json::array{}}}, "filters.region");
  refused("filters", json::object{{"region", json::array{"eu", ""}}}, "filters.region.1");
  refused("status", "archived", "status");
  json::object count = {{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "count"}, {"field_name", "x"}};
  auto with_field = create(count);
  ASSERT_FALSE(with_field.ok());
  EXPECT_EQ(with_field.error().param, "field_name");
  count.erase("field_name");
  count["recurring"] = true;
  auto recurring_count = create(count);
  ASSERT_FALSE(recurring_count.ok());
  EXPECT_EQ(recurring_count.error().param, "recurring");
  // The code of a refused metric is still free.
  count["recurring"] = false;
  EXPECT_TRUE(create(count).ok());

  auto metric = create(storage_body());
  ASSERT_TRUE(metric.ok());
  const int64_t before = event_count();
  auto bad = update(metric->id, {{"aggregation_type", "count"}});  // keeps field_name: refused
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "field_name");
  auto code = update(metric->id, {{"code", "other"}});
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.error().param, "code");
  EXPECT_EQ(event_count(), before);
  auto stored = store_->find_document(kBillableMetrics.kind, metric->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(*kBillableMetrics.decode((*stored)->body), *metric);
}

INSTANTIATE_TEST_SUITE_P(Backends, BillableMetricServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
