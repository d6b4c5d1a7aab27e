// server/nserver_cli.cc — nserver's command line: run the server, send one console
// command (`-c`), list the notes.ini keys.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "server/server_config.h"
#include "server/server_core.h"

namespace notesd {

namespace {

constexpr int kExitCommandFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoServer = 3;

int SendCommand(const std::filesystem::path& data_dir, const std::string& command) {
  Result<CommandReply> reply = SendConsoleCommand(data_dir, command);
  if (!reply.ok()) {
    std::fprintf(stderr, "nserver: %s\n", reply.status().message().c_str());
    return kExitNoServer;
  }
  std::fwrite(reply->text.data(), 1, reply->text.size(), reply->ok ? stdout : stderr);
  return reply->ok ? 0 : kExitCommandFailed;
}

void PrintConfigKeys(const TaskRegistry& registry) {
  ConfigCatalogue catalogue;
  catalogue.Add(ServerConfigKeys());
  for (const TaskSpec* spec : registry.All()) catalogue.Add(spec->config_keys);
  std::cout << catalogue.MarkdownTable();
}

void RestartProcess(char** argv) {
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv("/proc/self/exe", argv);
  std::perror("nserver: cannot restart");
}

}  // namespace

int NserverMain(int argc, char** argv, TaskRegistry& registry) {
  CLI::App app{"nserver — the notesd server (a Notes/Domino-style directory and mail server)"};
  app.set_version_flag("--version", std::string("nserver (notesd) ") + NOTESD_VERSION);
  std::string data_dir = ".";
  if (const char* env = std::getenv("NOTESD_DATA")) data_dir = env;
  std::string command;
  bool no_console = false;
  bool config_keys = false;
  app.add_option("--data,-d", data_dir, "Server data directory (default: $NOTESD_DATA or the current directory)");
  app.add_option("-c,--command", command, "Send one console command to the running server of the data directory and print its answer");
  app.add_flag("--no-console", no_console, "Do not read console commands from stdin");
  app.add_flag("--config-keys", config_keys, "Print every notes.ini key the server reads, as a Markdown table");
  app.footer(
      "Exit status: 0 success; 1 the command failed or the server could not start; 2 usage error;\n"
      "3 no server is running on the data directory (-c).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  if (config_keys) {
    PrintConfigKeys(registry);
    return 0;
  }
  if (!command.empty()) return SendCommand(data_dir, command);

  bool restart = false;
  int status = 0;
  {
    ServerCore server({data_dir, !no_console}, registry);
    status = server.Run(&restart);
  }
  if (restart) RestartProcess(argv);
  return status;
}

}  // namespace notesd
