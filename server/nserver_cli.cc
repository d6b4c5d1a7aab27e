// server/nserver_cli.cc — nserver's command line: run the server, send one console
// command (`-c`), list the notes.ini keys.
//
// SECURITY: passwords never stay in argv or the environment: a console command's
// password (MaskConsoleSecrets) and --admin-password/--certifier-password are overwritten
// in /proc/<pid>/cmdline after parsing (argv is visible to other users until then: use the
// prompt or stdin); NOTESD_CERTIFIER_PASSWORD/NOTESD_ADMIN_PASSWORD/NOTESD_PASSWORD are
// wiped from the environment (ForgetSecretEnvironment). The umask is 077.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "base/display_text.h"
#include "base/terminal.h"
#include "server/server_config.h"
#include "server/server_core.h"
#include "server/setup.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr int kExitCommandFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoServer = 3;
constexpr int kExitServerStarting = 4;
// A command the server refuses while it loads its ServerTasks is sent again, every
// 200 ms, for this long: a script that starts the server and at once sends
// `tell adminp process all` gets its work done instead of an error.
constexpr auto kStartingWait = std::chrono::seconds(30);
constexpr auto kStartingRetry = std::chrono::milliseconds(200);

// A command whose password was left out (`tell ca activate 1`) gets it from a prompt on
// the terminal (no echo) or from the first line of stdin, so it is never in argv. An empty
// answer sends the command as typed (a certifier encrypted with the server ID needs none).
std::string WithSecretAsked(const std::string& command, const TaskRegistry& tasks) {
  if (!ConsoleSecretLeftOut(command, tasks.TellGrammars())) return command;
  Result<std::string> secret = StdinIsTerminal() ? PromptSecret("Password: ") : ReadSecretLine();
  if (!secret.ok() || secret->empty()) return command;
  return TrimSpaces(command) + " " + *secret;
}

// What other users see of our command line (/proc/<pid>/cmdline): a console command's
// password and the set-up passwords are overwritten in place once CLI11 has copied them.
void MaskSecretsInArgv(int argc, char** argv, const TaskRegistry& tasks) {
  auto overwrite = [](char* arg, std::string_view shown) {
    size_t length = std::strlen(arg);
    std::memset(arg, 0, length);
    std::memcpy(arg, shown.data(), std::min(length, shown.size()));
  };
  constexpr std::string_view kCommandOption = "--command=";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with(kCommandOption)) {
      overwrite(argv[i], std::string(kCommandOption) +
                             MaskConsoleSecrets(arg.substr(kCommandOption.size()), tasks.TellGrammars()));
    } else if (std::string masked = MaskConsoleSecrets(arg, tasks.TellGrammars()); masked != arg) {
      overwrite(argv[i], masked);
    }
    for (std::string_view option : {"--admin-password", "--certifier-password"}) {
      if (arg == option && i + 1 < argc) overwrite(argv[i + 1], kMaskedSecret);
      if (arg.starts_with(std::string(option) + "="))
        overwrite(argv[i], std::string(option) + "=" + std::string(kMaskedSecret));
    }
  }
}

int SendCommand(const std::filesystem::path& data_dir, const std::string& typed, const TaskRegistry& tasks) {
  const std::string command = WithSecretAsked(typed, tasks);
  Result<CommandReply> reply = SendConsoleCommand(data_dir, command);
  auto give_up = std::chrono::steady_clock::now() + kStartingWait;
  while (reply.ok() && reply->starting && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(kStartingRetry);
    reply = SendConsoleCommand(data_dir, command);
  }
  if (!reply.ok()) {
    std::fprintf(stderr, "nserver: %s\n", reply.status().message().c_str());
    return kExitNoServer;
  }
  std::string shown = EscapeForDisplay(reply->text, DisplayStyle::kMultiLine);
  std::fwrite(shown.data(), 1, shown.size(), reply->ok ? stdout : stderr);
  if (reply->starting) return kExitServerStarting;
  return reply->ok ? 0 : kExitCommandFailed;
}

void PrintConfigKeys(const TaskRegistry& registry) {
  ConfigCatalogue catalogue;
  catalogue.Add(ServerConfigKeys());
  for (const TaskSpec* spec : registry.All()) catalogue.Add(spec->config_keys);
  std::cout << catalogue.MarkdownTable();
}

void AddSetupOptions(CLI::App& app, bool& setup, SetupOptions& o) {
  app.add_flag("--setup", setup, "Make a new server data directory (see the set-up options)");
  auto group = "Set-up options (with --setup)";
  app.add_option("--org", o.organization, "Organisation: the certifier O=")->group(group);
  app.add_option("--country", o.country, "Two-letter country of the organisation certifier (optional)")->group(group);
  app.add_option("--server-name", o.server_name, "This server's common name, e.g. Acme01")->group(group);
  app.add_option("--domain", o.domain, "Notes domain (default: the organisation)")->group(group);
  app.add_option("--admin-name", o.admin_name,
                 "First administrator, e.g. \"Jane Admin\" (OUs may follow: \"Jane Admin/IT\")")
      ->group(group);
  app.add_option("--admin-short-name", o.admin_short_name, "Administrator's short name (default: jadmin)")
      ->group(group);
  app.add_option("--admin-email", o.admin_email, "Administrator's Internet address")->group(group);
  app.add_option("--internet-domain", o.internet_domain, "The organisation's Internet mail domain")->group(group);
  app.add_option("--admin-password", o.admin_password,
                 "Administrator's ID password (or NOTESD_ADMIN_PASSWORD, or a prompt)")
      ->group(group);
  app.add_option("--certifier-password", o.certifier_password,
                 "cert.id password (or NOTESD_CERTIFIER_PASSWORD, or a prompt)")
      ->group(group);
  app.add_option("--admin-id-out", o.admin_id_out,
                 "Where to write the administrator's ID file (default DATA/ids/SHORT.id)")
      ->group(group);
  app.add_option("--key", o.key_spec, "Key type: rsa2048 (default), rsa3072, rsa4096, ecdsa-p256")->group(group);
  app.add_option("--http-port", o.http_port, "HTTPS client API port (default 8443)")->group(group);
  app.add_option("--http-address", o.http_address, "HTTPS client API address (default 0.0.0.0)")->group(group);
  app.add_option("--server-tasks", o.server_tasks, "ServerTasks= for the new notes.ini (default HTTP)")->group(group);
}

// When a person runs --setup on a terminal, the required names they left out are asked for.
void AskForMissingNames(SetupOptions& options) {
  struct Question {
    std::string* value;
    const char* prompt;
  };
  for (const Question& q :
       {Question{&options.organization, "Organisation (the certifier O=, e.g. Acme): "},
        Question{&options.server_name, "Server name (e.g. Acme01): "},
        Question{&options.admin_name, "First administrator (e.g. Jane Admin): "},
        Question{&options.admin_email, "Administrator's Internet address (e.g. jane@acme.example): "}}) {
    if (!q.value->empty()) continue;
    auto answer = PromptLine(q.prompt);
    if (answer.ok()) *q.value = TrimSpaces(*answer);
  }
}

int RunSetup(SetupOptions options) {
  AskForMissingNames(options);
  // Nobody types two passwords only to learn that a name was missing.
  if (Status ready = CheckSetupBeforePasswords(options); !ready.ok()) {
    std::fprintf(stderr, "nserver: set-up refused: %s\n", ready.message().c_str());
    return ready.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitCommandFailed;
  }
  auto certifier = ObtainSecret(options.certifier_password, "NOTESD_CERTIFIER_PASSWORD",
                                "Password for the organisation certifier (cert.id): ", "--certifier-password");
  Status usable = certifier.ok() ? CheckSetupPassword("certifier", *certifier) : certifier.status();
  if (!usable.ok()) {
    std::fprintf(stderr, "nserver: %s\n", usable.message().c_str());
    return kExitUsage;
  }
  options.certifier_password = *certifier;
  auto admin = ObtainSecret(options.admin_password, "NOTESD_ADMIN_PASSWORD",
                            "Password for the administrator's ID file: ", "--admin-password");
  usable = admin.ok() ? CheckSetupPassword("administrator's", *admin) : admin.status();
  if (!usable.ok()) {
    std::fprintf(stderr, "nserver: %s\n", usable.message().c_str());
    return kExitUsage;
  }
  options.admin_password = *admin;
  ForgetSecretEnvironment();
  auto result = SetUpServer(options);
  if (!result.ok()) {
    std::fprintf(stderr, "nserver: set-up failed: %s\n", result.status().message().c_str());
    return kExitCommandFailed;
  }
  std::printf(
      "Server set up in %s\n  Server:        %s\n  Administrator: %s\n  Admin ID file: %s\n"
      "Start it with: nserver --data %s\n",
      options.data_dir.c_str(), result->server_name.c_str(), result->admin_name.c_str(), result->admin_id_path.c_str(),
      options.data_dir.c_str());
  return 0;
}

void RestartProcess(char** argv) {
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv("/proc/self/exe", argv);
  std::perror("nserver: cannot restart");
}

}  // namespace

int NserverMain(int argc, char** argv, TaskRegistry& registry) {
  // Every file the server or the set-up makes in the data directory (databases, IDs,
  // notes.ini, console.log, the history, the socket, mail/) is owner-only.
  ::umask(0077);
  CLI::App app{"nserver — the notesd server (a Notes/Domino-style directory and mail server)"};
  app.set_version_flag("--version", std::string("nserver (notesd) ") + NOTESD_VERSION);
  std::string data_dir = ".";
  if (const char* env = std::getenv("NOTESD_DATA")) data_dir = env;
  std::string command;
  bool no_console = false;
  bool config_keys = false;
  app.add_option("--data,-d", data_dir, "Server data directory (default: $NOTESD_DATA or the current directory)");
  CLI::Option* command_option = app.add_option(
      "-c,--command", command,
      "Send one console command to the running server of the data directory and print its answer (exit 0 "
      "done, 1 failed, 3 no server, 4 still starting after 30 s)");
  app.add_flag("--no-console", no_console, "Do not read console commands from stdin");
  app.add_flag("--config-keys", config_keys, "Print every notes.ini key the server reads, as a Markdown table");
  bool setup = false;
  SetupOptions setup_options;
  AddSetupOptions(app, setup, setup_options);
  app.footer(
      "Exit status: 0 success; 1 the command failed or the server could not start; 2 usage error;\n"
      "3 no server is running on the data directory (-c).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "nserver: %s\nRun `nserver --help` for more information.\n", e.what());
    return kExitUsage;
  }
  MaskSecretsInArgv(argc, argv, registry);
  // The set-up takes its passwords out of the environment as it reads them; every other
  // mode drops them at once, so the running server (and a RESTART SERVER re-exec) never
  // holds them.
  if (!setup) ForgetSecretEnvironment();
  if (config_keys) {
    PrintConfigKeys(registry);
    return 0;
  }
  if (command_option->count() > 0 && TrimSpaces(command).empty()) {
    std::fprintf(stderr,
                 "nserver: the command given with -c is empty; give a console command, e.g. "
                 "nserver -c \"show tasks\"\n");
    return kExitUsage;
  }
  if (!command.empty()) return SendCommand(data_dir, command, registry);
  if (setup) {
    setup_options.data_dir = data_dir;
    return RunSetup(setup_options);
  }

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
