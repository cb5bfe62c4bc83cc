// Issue 20 item 5: the command tree read from CLI11, and the bash completion, zsh completion and man page
// made from it, on a small command line of their own (tests/packaging/deb_test.sh checks billhook's).

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/command_tree.hpp"
#include "cli/completion.hpp"
#include "cli/man_page.hpp"

namespace billhook::cli {
namespace {

struct Tool {
  CLI::App app{"tool: does things"};
  std::string dir = "./data";
  std::string key;
  bool quiet = false;
  std::string dest;

  Tool() {
    auto* serve = app.add_subcommand("serve", "run it");
    serve->add_option("--data-dir", dir, "where: the files live")->envname("TOOL_DATA_DIR")->capture_default_str();
    serve->add_option("--key", key, "it's the key")->envname("TOOL_KEY");
    serve->add_flag("-q,--quiet", quiet, "say less");
    serve->add_option("--secret", key, "hidden")->group("");
    auto* copy = app.add_subcommand("copy", "copy .it");
    copy->add_option("DEST", dest, "-where to")->required();
    auto* jobs = app.add_subcommand("jobs", "jobs");
    jobs->add_subcommand("list", "list them");
    jobs->add_subcommand("kill", "kill one");
    app.add_subcommand("internal", "hidden")->group("");
  }
};

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()));
  std::ofstream(path) << text;
  return path;
}

TEST(CommandTreeTest, ReadsCommandsOptionsAndArgumentsLeavingOutHiddenOnes) {
  Tool tool;
  const CommandDoc root = describe(tool.app, "tool");
  EXPECT_EQ(root.name, "tool");
  ASSERT_EQ(root.subcommands.size(), 3u);  // "internal" is hidden
  const CommandDoc& serve = root.subcommands[0];
  EXPECT_EQ(serve.path, "tool serve");
  ASSERT_EQ(serve.options.size(), 4u);  // --secret is hidden
  EXPECT_TRUE(serve.options[0].help);
  EXPECT_EQ(serve.options[0].names, (std::vector<std::string>{"--help", "-h"}));
  EXPECT_EQ(serve.options[1].names, std::vector<std::string>{"--data-dir"});
  EXPECT_FALSE(serve.options[1].help);
  EXPECT_EQ(serve.options[1].envname, "TOOL_DATA_DIR");
  EXPECT_EQ(serve.options[1].default_value, "./data");
  EXPECT_FALSE(serve.options[1].value_name.empty());
  EXPECT_EQ(serve.options[3].names, (std::vector<std::string>{"--quiet", "-q"}));
  EXPECT_TRUE(serve.options[3].value_name.empty()) << "a flag takes no value";
  const CommandDoc& copy = root.subcommands[1];
  ASSERT_EQ(copy.arguments.size(), 1u);
  EXPECT_EQ(copy.arguments[0].name, "DEST");
  EXPECT_TRUE(copy.arguments[0].required);
  EXPECT_EQ(root.subcommands[2].subcommands[1].path, "tool jobs kill");
}

// What bash offers for the last of `words`, the script sourced in a real bash.
std::string complete(const std::filesystem::path& script, const std::string& words) {
  return run("bash -c 'source " + script.string() + "; COMP_WORDS=(" + words +
             "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _tool; printf \"%s \" \"${COMPREPLY[@]}\"' 2>&1");
}

TEST(CompletionTest, BashCompletesCommandsNestedCommandsAndTheChosenCommandsOptions) {
  Tool tool;
  const auto script = write_temp("tool.bash", bash_completion(describe(tool.app, "tool")));
  EXPECT_EQ(complete(script, "tool s"), "serve ");
  EXPECT_EQ(complete(script, "tool \"\""), "serve copy jobs ");
  EXPECT_EQ(complete(script, "tool jobs k"), "kill ");
  EXPECT_EQ(complete(script, "tool serve --d"), "--data-dir ");
  EXPECT_EQ(complete(script, "tool serve -"), "--help -h --data-dir --key --quiet -q ");
  EXPECT_EQ(complete(script, "tool --data"), " ") << "the root has no --data-dir";
  EXPECT_EQ(complete(script, "tool serve --key s"), " ") << "a value is not completed as a command";
  EXPECT_EQ(complete(script, "tool serve --key k --q"), "--quiet ") << "the value was skipped";
  EXPECT_EQ(complete(script, "tool int"), " ") << "hidden commands are not offered";
  std::filesystem::remove(script);
}

TEST(CompletionTest, ZshScriptQuotesDescriptionsAndEscapesColonsInNames) {
  Tool tool;
  const std::string zsh = zsh_completion(describe(tool.app, "tool"));
  EXPECT_EQ(zsh.rfind("#compdef tool\n", 0), 0u);
  EXPECT_NE(zsh.find("'--data-dir:where: the files live'"), std::string::npos) << zsh;
  EXPECT_NE(zsh.find("'--key:it'\\''s the key'"), std::string::npos) << zsh;
  if (run("command -v zsh").empty()) GTEST_SKIP() << "zsh is not installed (scripts/setup.sh installs it)";
  const auto script = write_temp("_tool", zsh);
  EXPECT_EQ(run("zsh -n " + script.string() + " 2>&1; echo $?"), "0\n");
  // What the script hands zsh's completion system for the last of `words`: _describe and _files are
  // stubbed to print the candidates (filtering them by the prefix is _describe's own job).
  auto offered = [&](const std::string& words, int current) {
    return run("zsh -c 'words=(" + words + "); CURRENT=" + std::to_string(current) +
               "; PREFIX=${words[CURRENT]}; _describe() { print -l -- ${(P)4}; }; _files() { print FILES; }; source " +
               script.string() + "' 2>&1");
  };
  EXPECT_EQ(offered("tool jobs k", 3), "list:list them\nkill:kill one\n");
  EXPECT_EQ(offered("tool \"\"", 2), "serve:run it\ncopy:copy .it\njobs:jobs\n");
  EXPECT_EQ(offered("tool serve --q", 3),
            "--help:Print this help message and exit\n-h:Print this help message and exit\n"
            "--data-dir:where: the files live\n--key:it's the key\n--quiet:say less\n-q:say less\n");
  EXPECT_EQ(offered("tool serve --key x", 4), "FILES\n") << "a value: file names";
  std::filesystem::remove(script);
}

TEST(ManPageTest, EscapesWhatRoffWouldReadAsMarkup) {
  EXPECT_EQ(roff_escape("--data-dir"), "\\-\\-data\\-dir");
  EXPECT_EQ(roff_escape("a\\b"), "a\\eb");
  EXPECT_EQ(roff_escape(".it\n'quoted'"), "\\&.it\n\\&'quoted'");
  EXPECT_EQ(roff_escape("not.at start"), "not.at start");
  EXPECT_EQ(roff_escape("cus_\u2026 \u00e9t\u00e9 \U0001F600"), "cus_\\[u2026] \\[u00E9]t\\[u00E9] \\[u1F600]")
      << "troff reads bytes: non-ASCII characters go by name";
}

TEST(ManPageTest, RendersEveryCommandWithItsOptionsEnvironmentAndDefaults) {
  Tool tool;
  const auto page = write_temp("tool.1", man_page(describe(tool.app, "tool"), {"1.2.3", "Tool .does -all things.", ".SH FILES\n/etc/tool\n"}));
  if (run("command -v groff").empty()) GTEST_SKIP() << "groff is not installed";
  // Lines are filled and justified: every run of blanks and line ends becomes one space.
  const std::string text = run("groff -man -Tascii -P-cbou " + page.string() + " 2>&1 | tr -s '[:space:]' ' '");
  for (const char* expected : {"tool - does things", "Tool .does -all things.", "tool serve", "--data-dir", "TOOL_DATA_DIR", "default: ./data",
                               "--quiet", "tool copy", "DEST", "-where to", "copy .it", "tool jobs kill", "kill one",
                               "/etc/tool", "tool 1.2.3"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " in\n" << text;
  }
  EXPECT_EQ(text.find("internal"), std::string::npos) << "hidden commands stay out";
  EXPECT_EQ(text.find("--secret"), std::string::npos) << "hidden options stay out";
  EXPECT_EQ(text.find("Print this help"), text.rfind("Print this help")) << "--help is described once";
  std::filesystem::remove(page);
}

}  // namespace
}  // namespace billhook::cli
