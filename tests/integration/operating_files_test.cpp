// Issue 21 item 2: the data directory and the database files are the owner's alone whatever the
// umask, a directory others can write is refused, and the API key can be passed without showing in `ps`.

#include <sys/stat.h>

#include <fstream>

#include "integration/integration_helpers.hpp"

namespace billhook::testing {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kQuick{5000};

std::string all_output(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" +
         r.stdout_text + "\n--- stderr ---\n" + r.stderr_text;
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0xFFFF;
  return st.st_mode & 07777;
}

// Sets the umask of this process (and so of the servers it starts) for the life of the object.
class Umask {
 public:
  explicit Umask(mode_t mask) : previous_(::umask(mask)) {}
  ~Umask() { ::umask(previous_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t previous_;
};

TEST(OperatingFilesTest, DataDirectoryAndDatabaseFilesAreTheOwnersAloneWhateverTheUmask) {
  const Umask permissive(0);  // without the fix, everything below would be 0777 / 0666
  TempDir dir;
  const auto data = dir.path() / "fresh" / "data";
  ServerOptions options;
  options.data_dir = data;
  ServerProcess server(options);
  auto c = client_for(server);
  ASSERT_EQ(c.post("/v1/events", invoice_event("inv_perm_1")).status, 202);  // a write: -wal and -shm exist
  EXPECT_EQ(mode_of(data), 0700u) << data;
  for (const char* name : {"billhook.db", "billhook.db-wal", "billhook.db-shm", "billhook.lock"}) {
    ASSERT_TRUE(std::filesystem::exists(data / name)) << name;
    EXPECT_EQ(mode_of(data / name), 0600u) << name;
  }
}

TEST(OperatingFilesTest, ExistingWorldReadableDatabaseFilesAreNarrowedAtStart) {
  TempDir dir;
  const auto data = dir.path() / "data";
  {
    ServerOptions options;
    options.data_dir = data;
    ServerProcess server(options);
    auto c = client_for(server);
    ASSERT_EQ(c.post("/v1/events", invoice_event("inv_perm_2")).status, 202);
    server.kill9();  // leaves the -wal and -shm files behind
  }
  for (const char* name : {"billhook.db", "billhook.db-wal", "billhook.db-shm"}) {
    if (std::filesystem::exists(data / name)) std::filesystem::permissions(data / name, std::filesystem::perms(0644));
  }
  ServerOptions options;
  options.data_dir = data;
  ServerProcess server(options);
  for (const char* name : {"billhook.db", "billhook.db-wal", "billhook.db-shm"}) {
    if (std::filesystem::exists(data / name)) {
      EXPECT_EQ(mode_of(data / name), 0600u) << name;
    }
  }
}

TEST(OperatingFilesTest, ADataDirectoryOthersCanWriteIsRefusedNamingThePathAndTheChmod) {
  for (const unsigned mode : {0777u, 0770u, 0702u}) {
    TempDir dir;
    const auto data = dir.path() / "shared";
    std::filesystem::create_directory(data);
    ASSERT_EQ(::chmod(data.c_str(), mode), 0);
    for (const char* command : {"serve", "migrate"}) {
      std::vector<std::string> args{command, "--data-dir", data.string()};
      if (std::string(command) == "serve")
        args.insert(args.end(), {"--listen", "127.0.0.1:0", "--api-key", ServerOptions::kDefaultApiKey});
      const CommandResult r = run_billhook(args, kQuick);
      SCOPED_TRACE(all_output(r));
      EXPECT_FALSE(r.timed_out);
      EXPECT_NE(r.exit_code, 0);
      EXPECT_NE(r.stderr_text.find("'" + data.string() + "'"), std::string::npos);
      EXPECT_NE(r.stderr_text.find("chmod 700 '" + data.string() + "'"), std::string::npos);
      EXPECT_FALSE(std::filesystem::exists(data / "billhook.db")) << "nothing is written into it";
    }
  }
}

TEST(OperatingFilesTest, AnOwnerOnlyOrReadOnlyForOthersDirectoryIsAccepted) {
  TempDir dir;
  const auto data = dir.path() / "data";
  std::filesystem::create_directory(data);
  ASSERT_EQ(::chmod(data.c_str(), 0755), 0);  // readable by others is the operator's choice
  const CommandResult r = run_billhook({"migrate", "--data-dir", data.string()}, kQuick);
  EXPECT_EQ(r.exit_code, 0) << all_output(r);
  EXPECT_EQ(mode_of(data / "billhook.db"), 0600u);
}

TEST(OperatingFilesTest, TheApiKeyCanComeFromAFileAndThenIsNotOnTheCommandLine) {
  TempDir dir;
  const auto key_file = dir.path() / "api-key";
  const std::string key = "file-key-0123456789abcdef";
  { std::ofstream(key_file) << key << "\n"; }
  ServerOptions options;
  options.api_key = std::nullopt;
  options.extra_args = {"--api-key-file", key_file.string()};
  ServerProcess server(options);
  HttpClient with_key(server.port(), key);
  EXPECT_EQ(with_key.get("/v1/endpoints").status, 200);
  EXPECT_EQ(HttpClient(server.port(), "file-key-0123456789abcdeX").get("/v1/endpoints").status, 401);
  EXPECT_EQ(server.startup_output().find("bhk_"), std::string::npos) << "no key is minted when one is given";
  // What `ps` shows: the command line holds the file's path, never the key.
  std::ifstream cmdline("/proc/" + std::to_string(server.pid()) + "/cmdline");
  const std::string command_line((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  EXPECT_NE(command_line.find(key_file.string()), std::string::npos);
  EXPECT_EQ(command_line.find(key), std::string::npos);
}

TEST(OperatingFilesTest, TheApiKeyFileVariableWorksToo) {
  TempDir dir;
  const auto key_file = dir.path() / "api-key";
  const std::string key = "env-file-key-0123456789abcdef";
  { std::ofstream(key_file) << key; }  // no line end
  ServerOptions options;
  options.api_key = std::nullopt;
  options.env = {{"BILLHOOK_API_KEY_FILE", key_file.string()}};
  ServerProcess server(options);
  EXPECT_EQ(HttpClient(server.port(), key).get("/v1/endpoints").status, 200);
}

void expect_api_key_file_error(const std::vector<std::string>& extra, const std::string& expected) {
  TempDir dir;
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--data-dir", (dir.path() / "data").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const CommandResult r = run_billhook(args, kQuick);
  SCOPED_TRACE(all_output(r));
  EXPECT_FALSE(r.timed_out) << "a bad key file must not start a server";
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.stderr_text.find("--api-key-file"), std::string::npos);
  EXPECT_NE(r.stderr_text.find(expected), std::string::npos);
}

TEST(OperatingFilesTest, ABadApiKeyFileIsRefusedNamingTheFlag) {
  TempDir dir;
  const auto missing = dir.path() / "missing";
  expect_api_key_file_error({"--api-key-file", missing.string()}, "cannot read");
  const auto empty = dir.path() / "empty";
  { std::ofstream(empty) << "\n"; }
  expect_api_key_file_error({"--api-key-file", empty.string()}, "is empty");
  const auto short_key = dir.path() / "short";
  { std::ofstream(short_key) << "short\n"; }
  expect_api_key_file_error({"--api-key-file", short_key.string()}, "at least 16 characters");
  const auto good = dir.path() / "good";
  { std::ofstream(good) << "good-key-0123456789abcdef\n"; }
  expect_api_key_file_error({"--api-key-file", good.string(), "--api-key", ServerOptions::kDefaultApiKey}, "not both");
}

TEST(OperatingFilesTest, ServeHelpSaysApiKeyShowsInPsAndNamesTheAlternatives) {
  const CommandResult r = run_billhook({"serve", "--help"}, kQuick);
  ASSERT_EQ(r.exit_code, 0) << all_output(r);
  EXPECT_NE(r.stdout_text.find("--api-key-file"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("BILLHOOK_API_KEY_FILE"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("shows in `ps`"), std::string::npos) << r.stdout_text;
}

}  // namespace
}  // namespace billhook::testing
