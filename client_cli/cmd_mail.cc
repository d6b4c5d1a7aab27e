// client_cli/cmd_mail.cc — `notes mail send|list|read`: the user's mail through the home
// server's client API (POST /api/v1/mail/deposit, GET /api/v1/mail/messages[/UNID]).
//
//   notes mail send --to ADDR [--to ...] [--cc ADDR] --subject S
//                   [--body TEXT | --body-file FILE] [--attach FILE ...]
//       builds a plain MIME message (client_cli/mail_compose.h) from you (your Internet
//       address, from the server) and deposits it in the server's mail.box; recipients
//       may be Internet addresses or Notes names and groups.
//   notes mail list [--json]
//       your mail file, oldest first: number, date, size, From, Subject.
//   notes mail read N|UNID [--raw | --out FILE] [--json]
//       one message: its summary and then the message; --raw writes the RFC 5322 bytes to
//       stdout exactly as stored, --out writes them to FILE.
// Exit codes as every `notes` command (client_context.h).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/contacts_commands.h"
#include "client_cli/mail_compose.h"
#include "client_cli/notes_cli.h"
#include "core/crypto.h"
#include "core/notes_ini.h"

namespace notesd::client {

namespace {

struct MailOptions {
  GlobalOptions* global = nullptr;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string subject;
  std::optional<std::string> body;
  std::optional<std::string> body_file;
  std::vector<std::string> attach;
  std::string which;
  bool json = false;
  bool raw = false;
  std::optional<std::string> out;
};

std::string ShortDate(std::int64_t micros) {
  std::time_t t = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &tm);
  return buffer;
}

std::int64_t JsonInt(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

Result<nlohmann::json> ListMessages(HomeSession& session) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json listing, session.server->Get("/api/v1/mail/messages"));
  auto messages = listing.find("messages");
  if (messages == listing.end() || !messages->is_array()) return Status::Internal("the server sent no message list");
  return *messages;
}

int RunSend(const MailOptions& o) {
  if (o.to.empty() && o.cc.empty()) return ReportUsage("give at least one recipient with --to");
  if (o.body && o.body_file) return ReportUsage("use --body or --body-file, not both");
  ClientContext context(*o.global);
  ComposeRequest request;
  request.to = o.to;
  request.cc = o.cc;
  request.subject = o.subject;
  if (o.body) request.body = *o.body;
  if (o.body_file) {
    auto text = ReadWholeFile(*o.body_file);
    if (!text.ok()) return ReportFailure(text.status());
    request.body = *text;
  }
  for (const std::string& path : o.attach) {
    auto bytes = ReadWholeFile(path);
    if (!bytes.ok()) return ReportFailure(bytes.status());
    request.attachments.push_back({std::filesystem::path(path).filename().string(), *bytes});
  }
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> me = session->server->Get("/api/v1/whoami");
  if (!me.ok()) return ReportFailure(me.status());
  std::string address = JsonText(*me, "internet_address");
  request.from_name = AbbreviatedName(JsonText(*me, "name"));
  if (auto slash = request.from_name.find('/'); slash != std::string::npos) request.from_name.resize(slash);
  request.from_address = address.empty() ? JsonText(*me, "name") : address;
  request.date_seconds = std::time(nullptr);
  auto random = RandomBytes(12);
  request.unique = random.ok() ? HexEncode(*random) : std::to_string(request.date_seconds);
  Result<std::string> message = ComposeMessage(request);
  if (!message.ok()) return ReportUsage(message.status().message());
  std::vector<std::string> recipients = o.to;
  recipients.insert(recipients.end(), o.cc.begin(), o.cc.end());
  Result<nlohmann::json> deposited = session->server->Post(
      "/api/v1/mail/deposit", nlohmann::json{{"recipients", recipients}, {"message_base64", Base64(*message)}});
  if (!deposited.ok()) return ReportFailure(deposited.status());
  std::cout << "Message " << JsonText(*deposited, "unid") << " deposited in mail.box on "
            << session->server->ServerLabel() << " for " << recipients.size() << " recipient(s)\n";
  return kExitOk;
}

int RunList(const MailOptions& o) {
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> messages = ListMessages(*session);
  if (!messages.ok()) return ReportFailure(messages.status());
  if (o.json) {
    PrintJson(std::cout, *messages);
    return kExitOk;
  }
  if (messages->empty()) {
    std::cout << "No messages.\n";
    return kExitOk;
  }
  std::printf("%4s  %-16s  %8s  %-30s  %s\n", "#", "Delivered (UTC)", "Size", "From", "Subject");
  int number = 0;
  for (const nlohmann::json& m : *messages) {
    std::string from = Sanitize(JsonText(m, "from")).substr(0, 30);
    std::printf("%4d  %-16s  %8lld  %-30s  %s\n", ++number, ShortDate(JsonInt(m, "delivered")).c_str(),
                static_cast<long long>(JsonInt(m, "size")), from.c_str(), Sanitize(JsonText(m, "subject")).c_str());
  }
  return kExitOk;
}

int RunRead(const MailOptions& o) {
  if (o.raw && o.out) return ReportUsage("use --raw or --out, not both");
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  std::string unid = o.which;
  if (unid.size() != 32) {
    int index = 0;
    try {
      index = std::stoi(o.which);
    } catch (const std::exception&) {
      return ReportUsage("'" + o.which + "' is neither a message number from `notes mail list` nor a UNID");
    }
    Result<nlohmann::json> messages = ListMessages(*session);
    if (!messages.ok()) return ReportFailure(messages.status());
    if (index < 1 || static_cast<std::size_t>(index) > messages->size())
      return ReportFailure(Status::NotFound("no message " + o.which + " (your mail file has " +
                                            std::to_string(messages->size()) + ")"));
    unid = JsonText((*messages)[static_cast<std::size_t>(index - 1)], "unid");
  }
  Result<nlohmann::json> mail = session->server->Get("/api/v1/mail/messages/" + UrlEncode(unid));
  if (!mail.ok()) return ReportFailure(mail.status());
  Result<std::string> bytes = Unbase64(JsonText(*mail, "message_base64"));
  if (!bytes.ok()) return ReportFailure(bytes.status());
  if (o.raw) {
    std::cout.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    std::cout.flush();
    return kExitOk;
  }
  if (o.out) {
    Status written = WriteFileAtomic(*o.out, *bytes, 0600);
    if (!written.ok()) return ReportFailure(written);
    std::cout << "Wrote " << bytes->size() << " bytes to " << *o.out << "\n";
    return kExitOk;
  }
  if (o.json) {
    PrintJson(std::cout, *mail);
    return kExitOk;
  }
  PrintFields(std::cout, {{"From", Sanitize(JsonText(*mail, "from"))},
                          {"Subject", Sanitize(JsonText(*mail, "subject"))},
                          {"Delivered", ShortDate(JsonInt(*mail, "delivered")) + " UTC"},
                          {"Size", std::to_string(JsonInt(*mail, "size")) + " bytes"},
                          {"UNID", JsonText(*mail, "unid")}});
  std::cout << "\n" << SanitizeOutput(*bytes);
  if (!bytes->ends_with("\n")) std::cout << "\n";
  return kExitOk;
}

}  // namespace

int RunAddSender(const GlobalOptions&, const std::string&, bool, bool) {
  return ReportFailure(Status::Unavailable("add-sender needs the S/MIME reader (issue7-smime)"));
}

void AddMailCommands(CLI::App& app, CommandLine& line) {
  CLI::App* mail = app.add_subcommand("mail", "Send mail and read your mail file on the home server");
  mail->require_subcommand(1);
  auto options = std::make_shared<MailOptions>();
  options->global = &line.global;

  CLI::App* send = mail->add_subcommand("send", "Send a plain message (deposited in the server's mail.box)");
  send->add_option("--to", options->to, "Recipient: Internet address, Notes name or group (repeatable)");
  send->add_option("--cc", options->cc, "Copy recipient (repeatable)");
  send->add_option("--subject", options->subject, "Subject")->required();
  AddOptional(send, "--body", options->body, "Message text");
  AddOptional(send, "--body-file,--file", options->body_file, "Read the message text from FILE");
  send->add_option("--attach", options->attach, "Attach FILE (repeatable)")->check(CLI::ExistingFile);
  OnRun(send, line, [options] { return RunSend(*options); });

  CLI::App* list = mail->add_subcommand("list", "List the messages in your mail file, oldest first");
  list->add_flag("--json", options->json, "Print JSON");
  OnRun(list, line, [options] { return RunList(*options); });

  CLI::App* read = mail->add_subcommand("read", "Show one message of your mail file");
  read->add_option("MESSAGE", options->which, "Its number in `notes mail list`, or its UNID")->required();
  read->add_flag("--raw", options->raw, "Write the message's RFC 5322 bytes to stdout exactly as stored");
  AddOptional(read, "--out", options->out, "Write the message's bytes to FILE");
  read->add_flag("--json", options->json, "Print JSON (the server's answer)");
  OnRun(read, line, [options] { return RunRead(*options); });
}

}  // namespace notesd::client
