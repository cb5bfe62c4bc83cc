// Issue 21 item 4: a full disk. The data directory is on a 4 MiB tmpfs mounted for the test and filled
// with a file of zeros. Mounting needs root with CAP_SYS_ADMIN; elsewhere the test says so and skips.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class SmallTmpfs {
 public:
  SmallTmpfs() : dir_(fs::temp_directory_path() / unique_name("billhook-full-")) {
    fs::create_directories(dir_);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=4m,mode=0700") != 0) {
      error_ = std::strerror(errno);
      fs::remove(dir_);
    }
  }
  ~SmallTmpfs() {
    if (!error_.empty()) return;
    ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ignored;
    fs::remove(dir_, ignored);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  bool mounted() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const fs::path& dir() const { return dir_; }

  // Writes zeros until the file system refuses more.
  void fill() {
    std::ofstream out(dir_ / "filler", std::ios::binary);
    const std::vector<char> zeros(4096, 0);
    while (out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()))) out.flush();
  }
  void free() { fs::remove(dir_ / "filler"); }

 private:
  fs::path dir_;
  std::string error_;
};

std::string customer_created() {
  return json::serialize(json::object{{"type", "customer.created"},
                                      {"data", json::object{{"object", example_object("customer.created")}}}});
}

::testing::AssertionResult refused_as_full(const Response& r) {
  if (!is_error(r, 503, "service_unavailable")) return is_error(r, 503, "service_unavailable");
  if (r.body.find("disk is full") == std::string::npos) return ::testing::AssertionFailure() << "not about the disk: " << r.body;
  if (r.header("Retry-After").empty()) return ::testing::AssertionFailure() << "no Retry-After";
  return ::testing::AssertionSuccess();
}

TEST(DiskFullTest, WritesAnswer503ReadsGoOnARestartStillServesAndFreedSpaceIsUsedAtOnce) {
  SmallTmpfs disk;
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error() << "): needs root with CAP_SYS_ADMIN";

  ServerProcess server(ServerOptions{.data_dir = disk.dir() / "data"});
  auto c = client_for(server);
  ASSERT_EQ(c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/full"}}).status, 201);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.post("/v1/events", customer_created()).status, 202);

  disk.fill();
  {
    SCOPED_TRACE("the disk filled under a running server");
    EXPECT_TRUE(refused_as_full(c.post("/v1/events", customer_created())));
    EXPECT_TRUE(refused_as_full(c.post("/v1/endpoints", json::object{{"url", "http://127.0.0.1:9/more"}})));
    EXPECT_EQ(count_all(c, "/v1/events"), 5u) << "reads go on, and nothing refused was stored";
  }

  server.kill9();
  server.restart();
  c.set_port(server.port());
  {
    SCOPED_TRACE("restarted after kill -9 on the full disk");
    EXPECT_EQ(c.get("/health").status, 200);
    EXPECT_EQ(count_all(c, "/v1/events"), 5u);
    EXPECT_EQ(count_all(c, "/v1/endpoints"), 1u);
    EXPECT_TRUE(refused_as_full(c.post("/v1/events", customer_created())));
  }

  disk.free();
  // The next write after the space came back succeeds: nothing stays stuck in a failed state.
  const auto accepted = c.post("/v1/events", customer_created());
  EXPECT_EQ(accepted.status, 202) << describe(accepted);
  EXPECT_EQ(count_all(c, "/v1/events"), 6u);
}

}  // namespace
}  // namespace billhook::testing
