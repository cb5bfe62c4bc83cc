// Checks billhook's signatures with the Standard Webhooks reference library (npm `standardwebhooks`),
// run by tests/support/verify_webhooks.mjs, so that a mistake shared by our signer and our verifier
// cannot hide. Needs node and `npm ci --prefix tests/support`; without them this test fails, never skips.

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "core/random.hpp"
#include "delivery/signing.hpp"

#ifndef BILLHOOK_SOURCE_DIR
#error "BILLHOOK_SOURCE_DIR must name the source tree (set in tests/CMakeLists.txt)"
#endif

namespace billhook::delivery {
namespace {

namespace fs = std::filesystem;

const fs::path kSupportDir = fs::path(BILLHOOK_SOURCE_DIR) / "tests" / "support";

struct Item {
  std::string secret;
  SignedHeaders headers;
  std::string body;
};

struct NodeRun {
  int exit_code = -1;
  std::vector<std::string> lines;
  std::string stderr_text;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch file that removes itself; named by pid and a counter, so parallel test processes never share one.
class ScratchFile {
 public:
  explicit ScratchFile(std::string_view suffix) {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("billhook_signing_node_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + std::string(suffix));
  }
  ~ScratchFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs the reference verifier over `items`; ADD_FAILUREs (and returns exit_code -1) when it cannot run.
NodeRun verify_with_reference_library(const std::vector<Item>& items) {
  NodeRun run;
  if (!fs::exists(kSupportDir / "node_modules" / "standardwebhooks" / "package.json")) {
    ADD_FAILURE() << "the npm package standardwebhooks is not installed in " << kSupportDir
                  << "; run `npm ci --prefix tests/support` in the source tree";
    return run;
  }
  boost::json::array input;
  for (const Item& item : items) {
    input.push_back(boost::json::object{
        {"secret", item.secret},
        {"headers", boost::json::object{{"webhook-id", item.headers.id},
                                        {"webhook-timestamp", item.headers.timestamp},
                                        {"webhook-signature", item.headers.signature}}},
        {"body", item.body},
    });
  }
  const ScratchFile in(".json");
  const ScratchFile err(".stderr");
  {
    std::ofstream out(in.path(), std::ios::binary);
    out << boost::json::serialize(input);
  }
  const std::string command = "/usr/bin/env node " + shell_quote((kSupportDir / "verify_webhooks.mjs").string()) +
                              " < " + shell_quote(in.path().string()) + " 2> " + shell_quote(err.path().string());
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot start: " << command;
    return run;
  }
  std::string output;
  char buffer[4096];
  while (const size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.stderr_text = read_file(err.path());
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) run.lines.push_back(line);
  if (run.exit_code == 127 || run.exit_code == 2 || run.lines.size() != items.size()) {
    ADD_FAILURE() << "the verifier did not run as expected (exit " << run.exit_code << ", " << run.lines.size()
                  << " lines for " << items.size() << " items); is node installed, and has "
                  << "`npm ci --prefix tests/support` been run?\nstdout:\n" << output << "stderr:\n" << run.stderr_text;
  }
  return run;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string large_body() {
  // About 100 KB of JSON, as a big invoice with many lines would be.
  std::string body = R"({"object":"invoice","lines":[)";
  for (int i = 0; body.size() < 100'000; ++i) {
    if (i > 0) body += ',';
    body += R"({"id":"il_)" + std::to_string(i) + R"(","description":"Seat licence – Zoë's team","amount":1999})";
  }
  body += "]}";
  return body;
}

std::vector<std::string> sample_bodies() {
  return {
      R"({"test": 2432232314})",
      R"({"customer":"Zoë Ångström","note":"請求書 — 支払い済み 🎉","amount":{"value":1999,"currency":"EUR"}})",
      "",
      "{\n  \"type\": \"invoice.paid\",\n  \"escaped\": \"line\\nbreak \\\"quoted\\\" \\u00e9\"\n}\n",
      large_body(),
  };
}

TEST(SigningWithReferenceLibrary, OneKeyVerifiesForEveryBody) {
  core::SeededRandom random(2026);
  const std::string secret = generate_secret(random);
  const std::string key = decode_secret(secret).value();
  const int64_t now = unix_now();
  std::vector<Item> items;
  int n = 0;
  for (const std::string& body : sample_bodies()) {
    items.push_back({secret, sign_headers({key}, "msg_node_" + std::to_string(++n), now, body), body});
  }
  ASSERT_GE(items.back().body.size(), 100'000u);
  const NodeRun run = verify_with_reference_library(items);
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  ASSERT_EQ(run.lines.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(run.lines[i], "ok") << "body #" << i;
}

TEST(SigningWithReferenceLibrary, DuringARotationEachSecretVerifiesOnItsOwn) {
  core::SeededRandom random(7);
  const std::string new_secret = generate_secret(random);
  const std::string old_secret = generate_secret(random);
  const std::vector<std::string> keys = {decode_secret(new_secret).value(), decode_secret(old_secret).value()};
  const int64_t now = unix_now();
  std::vector<Item> items;
  int n = 0;
  for (const std::string& body : sample_bodies()) {
    const SignedHeaders headers = sign_headers(keys, "msg_rotation_" + std::to_string(++n), now, body);
    ASSERT_NE(headers.signature.find(' '), std::string::npos);
    items.push_back({new_secret, headers, body});
    items.push_back({old_secret, headers, body});
  }
  const NodeRun run = verify_with_reference_library(items);
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  ASSERT_EQ(run.lines.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(run.lines[i], "ok") << (i % 2 == 0 ? "new" : "old") << " secret, body #" << i / 2;
  }
}

TEST(SigningWithReferenceLibrary, SecretsOfEveryAllowedLengthVerify) {
  core::SeededRandom random(3);
  const int64_t now = unix_now();
  std::vector<Item> items;
  for (size_t length : {size_t{24}, size_t{33}, size_t{64}}) {
    std::string key(length, '\0');
    random.fill(std::as_writable_bytes(std::span(key.data(), key.size())));
    const std::string secret = "whsec_" + core::base64_encode(key);
    ASSERT_TRUE(decode_secret(secret).ok());
    items.push_back({secret, sign_headers({key}, "msg_len_" + std::to_string(length), now, "{}"), "{}"});
  }
  const NodeRun run = verify_with_reference_library(items);
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  for (const std::string& line : run.lines) EXPECT_EQ(line, "ok");
}

TEST(SigningWithReferenceLibrary, TheSpecExampleVerifies) {
  // The verifier judges a webhook at its own timestamp, so the published example from 2021 still counts.
  const std::string key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
  const std::string body = R"({"test": 2432232314})";
  const SignedHeaders headers = sign_headers({key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
  ASSERT_EQ(headers.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  const NodeRun run = verify_with_reference_library({{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, body}});
  EXPECT_EQ(run.exit_code, 0) << run.stderr_text;
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.lines[0], "ok");
}

TEST(SigningWithReferenceLibrary, TamperingIsCaught) {
  core::SeededRandom random(99);
  const std::string secret = generate_secret(random);
  const std::string other_secret = generate_secret(random);
  const std::string key = decode_secret(secret).value();
  const int64_t now = unix_now();
  const std::string body = R"({"amount":1999})";
  const SignedHeaders headers = sign_headers({key}, "msg_tamper", now, body);
  SignedHeaders other_id = headers;
  other_id.id = "msg_tampeR";
  SignedHeaders other_time = headers;
  other_time.timestamp = std::to_string(now + 1);
  const std::vector<Item> items = {
      {secret, headers, R"({"amount":1})"},  // the body changed on the way
      {other_secret, headers, body},         // a receiver holding another endpoint's secret
      {secret, other_id, body},
      {secret, other_time, body},
      {secret, headers, body},  // the untouched original, to show the failures above are real
  };
  const NodeRun run = verify_with_reference_library(items);
  EXPECT_EQ(run.exit_code, 1) << run.stderr_text;
  ASSERT_EQ(run.lines.size(), items.size());
  for (size_t i = 0; i + 1 < items.size(); ++i) {
    EXPECT_TRUE(run.lines[i].starts_with("FAIL ")) << "item #" << i << ": " << run.lines[i];
    EXPECT_NE(run.lines[i].find("No matching signature"), std::string::npos) << run.lines[i];
  }
  EXPECT_EQ(run.lines.back(), "ok");
}

}  // namespace
}  // namespace billhook::delivery
