// `billhook backup` and `billhook restore` (issue 21 item 10): an online copy of a running SQLite store taken
// under load holds every event acknowledged before it began; a damaged copy, or a data directory a server runs
// on, is refused with a clear message and the data directory is left as it was.

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string all_output(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" +
         r.stdout_text + "\n--- stderr ---\n" + r.stderr_text;
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0xFFFF;
  return st.st_mode & 07777;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Every file of a directory with its bytes: equal snapshots mean nothing in it changed.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out[entry.path().filename().string()] = read_file(entry.path());
  return out;
}

TEST(BackupRestoreTest, BackupUnderLoadHoldsEveryEventAcknowledgedBeforeIt) {
  ServerProcess server;
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  const std::string prefix = unique_name("inv_bk");
  for (int p = 0; p < 3; ++p) {
    publishers.emplace_back([&, p, port = server.port(), key = server.api_key()] {
      HttpClient client(port, key);
      for (int i = 0; !stop.load(); ++i) {
        auto r = client.post("/v1/events", invoice_event(prefix + "_" + std::to_string(p) + "_" + std::to_string(i % 50)));
        if (r.status != 202) continue;
        std::lock_guard lock(mutex);
        acknowledged.push_back(str(r.json().at("id")));
      }
    });
  }
  ASSERT_TRUE(poll_until(
      [&] {
        std::lock_guard lock(mutex);
        return acknowledged.size() >= 600;
      },
      60s));
  std::vector<std::string> before_backup;
  {
    std::lock_guard lock(mutex);
    before_backup = acknowledged;
  }
  TempDir out;
  const fs::path copy = out.path() / "billhook-backup.db";
  const auto backed_up = run_billhook({"backup", copy.string(), "--data-dir", server.data_dir().string()}, 60s);
  size_t during_and_after = 0;
  {
    std::lock_guard lock(mutex);
    during_and_after = acknowledged.size() - before_backup.size();
  }
  stop = true;
  for (auto& t : publishers) t.join();
  ASSERT_EQ(backed_up.exit_code, 0) << all_output(backed_up);
  EXPECT_NE(backed_up.stdout_text.find("backed up"), std::string::npos) << all_output(backed_up);
  EXPECT_EQ(mode_of(copy), 0600u);
  EXPECT_FALSE(fs::exists(copy.string() + ".partial"));
  EXPECT_FALSE(fs::exists(copy.string() + "-wal")) << "the backup is one standalone file";

  // The server is still running and untouched by the backup: it keeps taking events.
  auto c = client_for(server);
  EXPECT_EQ(c.post("/v1/events", invoice_event(prefix + "_after")).status, 202);

  const fs::path restored = out.path() / "restored";
  const auto installed = run_billhook({"restore", copy.string(), "--data-dir", restored.string()}, 60s);
  ASSERT_EQ(installed.exit_code, 0) << all_output(installed);
  EXPECT_EQ(mode_of(restored / "billhook.db"), 0600u);
  ServerOptions options;
  options.data_dir = restored;
  ServerProcess from_backup(options);
  auto r = client_for(from_backup);
  size_t missing = 0;
  for (const auto& id : before_backup)
    if (r.get("/v1/events/" + id).status != 200) ++missing;
  EXPECT_EQ(missing, 0u) << "of " << before_backup.size() << " events acknowledged before the backup began ("
                         << during_and_after << " more were acknowledged while it ran)";
}

TEST(BackupRestoreTest, DamagedBackupsAreRefusedAndTheDataDirectoryIsUnchanged) {
  ServerProcess server;
  auto c = client_for(server);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(c.post("/v1/events", invoice_event(unique_name("inv_dmg"))).status, 202);
  TempDir out;
  const fs::path good = out.path() / "good.db";
  const auto backed_up = run_billhook({"backup", good.string(), "--data-dir", server.data_dir().string()});
  ASSERT_EQ(backed_up.exit_code, 0) << all_output(backed_up);
  // A second backup to the same name is refused and leaves the first whole.
  const std::string good_bytes = read_file(good);
  const auto again = run_billhook({"backup", good.string(), "--data-dir", server.data_dir().string()});
  EXPECT_EQ(again.exit_code, 2) << all_output(again);
  EXPECT_NE(again.stderr_text.find("exists"), std::string::npos) << all_output(again);
  EXPECT_EQ(read_file(good), good_bytes);

  // A restore onto the directory of a running server is refused.
  const auto before_running = snapshot(server.data_dir());
  const auto busy = run_billhook({"restore", good.string(), "--data-dir", server.data_dir().string()});
  EXPECT_EQ(busy.exit_code, 2) << all_output(busy);
  EXPECT_NE(busy.stderr_text.find("in use by another billhook process"), std::string::npos) << all_output(busy);
  const auto names = [](const std::map<std::string, std::string>& files) {
    std::set<std::string> found;
    for (const auto& [name, bytes] : files) found.insert(name);
    return found;
  };
  EXPECT_EQ(names(snapshot(server.data_dir())), names(before_running));
  EXPECT_EQ(server.stop(), 0);

  const fs::path data = server.data_dir();
  const auto before = snapshot(data);
  ASSERT_GT(good_bytes.size(), 16'384u);
  const size_t page = 4096;
  std::string header_garbage = good_bytes;
  header_garbage.replace(0, 16, "not a database!!");
  std::string page_garbage = good_bytes;
  for (size_t i = 2 * page; i < 3 * page; ++i) page_garbage[i] = static_cast<char>(0xA5);
  const std::map<std::string, std::string> damaged{
      {"truncated_to_half.db", good_bytes.substr(0, good_bytes.size() / 2 / page * page)},
      {"truncated_to_100_bytes.db", good_bytes.substr(0, 100)},
      {"empty.db", ""},
      {"header_overwritten.db", header_garbage},
      {"page_overwritten.db", page_garbage},
      {"text.db", "just some text, not a database at all\n"},
  };
  for (const auto& [name, bytes] : damaged) {
    const fs::path bad = out.path() / name;
    write_file(bad, bytes);
    const auto refused = run_billhook({"restore", bad.string(), "--data-dir", data.string()});
    EXPECT_EQ(refused.exit_code, 2) << name << "\n" << all_output(refused);
    EXPECT_NE(refused.stderr_text.find("restore failed: '" + bad.string() + "'"), std::string::npos)
        << name << "\n" << all_output(refused);
    EXPECT_NE(refused.stderr_text.find("nothing was changed"), std::string::npos) << name << "\n" << all_output(refused);
    EXPECT_TRUE(snapshot(data) == before) << name << " changed the data directory";
  }
  const auto absent = run_billhook({"restore", (out.path() / "absent.db").string(), "--data-dir", data.string()});
  EXPECT_EQ(absent.exit_code, 2) << all_output(absent);
  EXPECT_TRUE(snapshot(data) == before);

  // The good copy is taken, and the database it replaces is kept beside it.
  const auto installed = run_billhook({"restore", good.string(), "--data-dir", data.string()});
  ASSERT_EQ(installed.exit_code, 0) << all_output(installed);
  EXPECT_EQ(read_file(data / "billhook.db"), good_bytes);
  size_t kept = 0;
  for (const auto& [name, bytes] : snapshot(data)) {
    if (name.rfind("billhook.db.before-restore-", 0) != 0) continue;
    ++kept;
    EXPECT_EQ(bytes, before.at("billhook.db")) << name;
  }
  EXPECT_EQ(kept, 1u) << installed.stdout_text;
  server.restart();
  c.set_port(server.port());
  EXPECT_EQ(list_all(c, "/v1/events").size(), 200u);
}

TEST(BackupRestoreTest, PostgreSQLIsBackedUpWithPgDump) {
  TempDir out;
  for (const char* command : {"backup", "restore"}) {
    const auto r = run_billhook({command, (out.path() / "x.db").string(), "--database-url",
                                 "postgres://billhook@127.0.0.1:1/billhook"});
    EXPECT_EQ(r.exit_code, 2) << all_output(r);
    EXPECT_NE(r.stderr_text.find(std::string(command) == "backup" ? "pg_dump" : "pg_restore"), std::string::npos)
        << all_output(r);
    EXPECT_FALSE(fs::exists(out.path() / "x.db"));
  }
}

}  // namespace
}  // namespace billhook::testing
