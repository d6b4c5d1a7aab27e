// client_cli/cmd_admin.cc — `notes admin console|register` (and, from cmd_certifier.cc and
// cmd_person_certs.cc, the certifier, request and certificate groups): what Domino
// Administrator does, over the client API (the server checks that you are an administrator).
//
// Registration makes the new identity here, with the certifier ID's key, and sends the
// server only the Notes certificate: the new private key never leaves this process
// except inside the new, password-encrypted ID file, which is written only after the
// server has accepted the person (a refused registration leaves no ID file).
#include <ctime>
#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/cmd_certifier.h"
#include "client_cli/cmd_person_certs.h"
#include "client_cli/notes_cli.h"
#include "client_cli/registration.h"
#include "pki/crypto.h"

namespace notesd::client {

namespace {

namespace fs = std::filesystem;

constexpr std::time_t kHour = 60 * 60;
constexpr std::time_t kTenYears = 10 * 365 * 24 * kHour + 2 * 24 * kHour;  // with leap days

struct ConsoleOptions {
  GlobalOptions* global = nullptr;
  std::string command;
  bool json = false;
};

struct RegisterOptions {
  GlobalOptions* global = nullptr;
  std::string certifier_id;
  std::optional<std::string> certifier_password;
  std::string name;
  std::string short_name;
  std::string email;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::string key = "rsa2048";
  std::optional<std::string> mail_file;
  std::string id_out;
  std::optional<std::string> id_password;
  bool json = false;
};

// ---- admin console ------------------------------------------------------------------

int RunConsole(const ConsoleOptions& options) {
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> reply = session->server->Post("/api/v1/admin/console", {{"command", options.command}});
  if (!reply.ok()) return ReportFailure(reply.status());
  bool ok = JsonBool(*reply, "ok");
  if (options.json) {
    PrintJson(std::cout, *reply);
  } else {
    // As `nserver -c`: a failed command's answer goes to stderr.
    std::string output = SanitizeOutput(JsonText(*reply, "output"));
    (ok ? std::cout : std::cerr) << output << (output.empty() || output.back() == '\n' ? "" : "\n");
  }
  return ok ? kExitOk : kExitFailed;
}

// ---- admin mail track ---------------------------------------------------------------

struct TrackOptions {
  GlobalOptions* global = nullptr;
  std::string from, to, subject, since;
  bool json = false;
};

int RunTrack(const TrackOptions& options) {
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  std::string target = "/api/v1/admin/mail/track?from=" + UrlEncode(options.from) + "&to=" + UrlEncode(options.to) +
                       "&subject=" + UrlEncode(options.subject);
  if (!options.since.empty()) target += "&since=" + UrlEncode(options.since);
  Result<nlohmann::json> reply = session->server->Get(target);
  if (!reply.ok()) return ReportFailure(reply.status());
  if (options.json) {
    PrintJson(std::cout, *reply);
    return kExitOk;
  }
  const nlohmann::json events = reply->value("events", nlohmann::json::array());
  if (events.empty()) std::cout << "No tracked events match\n";
  for (const nlohmann::json& e : events) {
    std::string line = JsonText(e, "time") + " " + JsonText(e, "event") + " " +
                       (JsonText(e, "message_id").empty() ? JsonText(e, "unid") : JsonText(e, "message_id")) +
                       " from <" + JsonText(e, "sender") + ">";
    if (!JsonText(e, "recipient").empty()) line += " to " + JsonText(e, "recipient");
    if (!JsonText(e, "subject").empty()) line += " \"" + JsonText(e, "subject") + "\"";
    if (!JsonText(e, "detail").empty()) line += ": " + JsonText(e, "detail");
    std::cout << Sanitize(line) << "\n";
  }
  return kExitOk;
}

// ---- admin register -----------------------------------------------------------------

// Everything checked and gathered before anything is made or sent.
struct Registration {
  IdFile certifier;
  KeySpec key_spec;
  RegistrationRequest request;
  std::string id_password;
};

// Argument checks that need no file or password: a failure is a usage error.
Status CheckArguments(const RegisterOptions& options, KeySpec* key_spec) {
  NOTESD_ASSIGN_OR_RETURN(*key_spec, KeySpec::Parse(options.key));
  std::size_t at = options.email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == options.email.size() ||
      options.email.find_first_of(" \t\r\n<>") != std::string::npos)
    return Status::InvalidArgument("--email '" + options.email + "' is not an Internet address (user@domain)");
  if (options.short_name.find_first_of(" /\\\t\r\n") != std::string::npos)
    return Status::InvalidArgument("--short-name '" + options.short_name + "' must be one word");
  return Status::Ok();
}

// The output ID file must not exist yet, and its directory must.
Status CheckIdOut(const fs::path& path) {
  std::error_code error;
  if (fs::exists(path, error)) return Status::AlreadyExists(path.string() + " already exists; choose another --id-out");
  fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(parent, error)) return Status::NotFound("no directory " + parent.string() + " for --id-out");
  return Status::Ok();
}

Result<IdFile> LoadCertifier(const ClientContext& context, const RegisterOptions& options) {
  PasswordKind kind{"certifier password", "--certifier-password", "NOTESD_CERTIFIER_PASSWORD",
                    "Password for certifier " + options.certifier_id + ": "};
  NOTESD_ASSIGN_OR_RETURN(std::string password, context.OtherPassword(options.certifier_password, kind));
  NOTESD_ASSIGN_OR_RETURN(IdFile certifier, IdFile::Load(options.certifier_id, password));
  if (certifier.kind() != IdKind::kCertifier)
    return Status::InvalidArgument(options.certifier_id + " is the ID of " + certifier.name().Abbreviated() + ", a " +
                                   IdKindName(certifier.kind()) + ", not a certifier");
  return certifier;
}

RegistrationRequest MakeRequest(const RegisterOptions& options, HierName name) {
  PersonalNames split = SplitCommonName(name.CommonName());
  RegistrationRequest request;
  request.name = std::move(name);
  request.first_name = options.first_name.value_or(split.first);
  request.last_name = options.last_name.value_or(split.last);
  request.short_name = options.short_name;
  request.internet_address = options.email;
  request.mail_file = options.mail_file.value_or(DefaultMailFile(options.short_name));
  return request;
}

// Makes the identity and its encrypted ID file image. Returns the image; fills in the
// request's certificate.
Result<std::string> MakeIdImage(Registration& registration) {
  std::time_t now = std::time(nullptr);
  NOTESD_ASSIGN_OR_RETURN(IdFile identity,
                          CreateIdentity(registration.request.name, IdKind::kPerson, registration.key_spec,
                                         &registration.certifier, now - kHour, now + kTenYears));
  NOTESD_ASSIGN_OR_RETURN(registration.request.certificate_pem, CertificateToPem(identity.notes_certificate()));
  return identity.Encode(registration.id_password);
}

void PrintRegistered(const nlohmann::json& person, const fs::path& id_out, bool json) {
  if (json) {
    nlohmann::json out = person;
    out["id_file"] = id_out.string();
    PrintJson(std::cout, out);
    return;
  }
  std::cout << "Registered " << Sanitize(JsonText(person, "abbreviated")) << "\n";
  Fields fields = PersonFields(person);
  fields.push_back({"ID file", id_out.string()});
  PrintFields(std::cout, fields);
}

int RunRegister(const RegisterOptions& options) {
  ClientContext context(*options.global);
  Registration registration;
  if (Status args = CheckArguments(options, &registration.key_spec); !args.ok()) return ReportUsage(args.message());
  if (Status out = CheckIdOut(options.id_out); !out.ok()) return ReportFailure(out);

  Result<IdFile> certifier = LoadCertifier(context, options);
  if (!certifier.ok()) return ReportFailure(certifier.status());
  registration.certifier = std::move(certifier).value();
  Result<HierName> name = BuildRegistrationName(options.name, registration.certifier.name());
  if (!name.ok()) return ReportUsage(name.status().message());
  registration.request = MakeRequest(options, std::move(name).value());
  PasswordKind kind{"new ID password", "--id-password", "NOTESD_NEW_ID_PASSWORD", "Password for the new ID: "};
  Result<std::string> id_password = context.NewPassword(options.id_password, kind);
  if (!id_password.ok()) return ReportFailure(id_password.status());
  registration.id_password = std::move(id_password).value();

  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<std::string> image = MakeIdImage(registration);
  if (!image.ok()) return ReportFailure(image.status());

  Result<nlohmann::json> person =
      session->server->Post("/api/v1/admin/people", RegistrationJson(registration.request), 201);
  if (!person.ok()) return ReportFailure(person.status());
  Status saved = WriteFileAtomic(options.id_out, *image, 0600);
  if (!saved.ok())
    return ReportFailure(saved.WithContext(registration.request.name.Abbreviated() +
                                           " was registered, but the new ID file could not be written"));
  PrintRegistered(*person, options.id_out, options.json);
  return kExitOk;
}

void AddRegister(CLI::App* admin, CommandLine& line) {
  auto options = std::make_shared<RegisterOptions>();
  options->global = &line.global;
  CLI::App* sub = admin->add_subcommand(
      "register", "Register a person: make their ID with a certifier ID, add their Person record, save the ID");
  sub->add_option("--certifier-id", options->certifier_id, "The certifier ID file (e.g. cert.id)")->required();
  AddOptional(sub, "--certifier-password", options->certifier_password,
              "Its password (default: $NOTESD_CERTIFIER_PASSWORD, else asked on the terminal)");
  sub->add_option("--name", options->name,
                  "Common name, optionally with OUs below the certifier: \"John Roe\" or \"John Roe/East\"")
      ->required();
  sub->add_option("--short-name", options->short_name, "Short name (e.g. jroe)")->required();
  sub->add_option("--email", options->email, "Internet address")->required();
  AddOptional(sub, "--first-name", options->first_name, "First name (default: the common name but its last word)");
  AddOptional(sub, "--last-name", options->last_name, "Last name (default: the last word of the common name)");
  sub->add_option("--key", options->key, "Key: rsa2048, rsa3072, rsa4096 or ecdsa-p256")->capture_default_str();
  AddOptional(sub, "--mail-file", options->mail_file, "Mail file on the server (default: mail/<short name>.nsf)");
  sub->add_option("--id-out", options->id_out, "Where to save the new ID file (must not exist)")->required();
  AddOptional(sub, "--id-password", options->id_password,
              "Password of the new ID (default: $NOTESD_NEW_ID_PASSWORD, else asked twice on the terminal)");
  sub->add_flag("--json", options->json, "Print JSON");
  OnRun(sub, line, [options] { return RunRegister(*options); });
}

}  // namespace

void AddAdminCommands(CLI::App& app, CommandLine& line) {
  CLI::App* admin = app.add_subcommand("admin", "Administration of the home server (administrators only)");
  admin->require_subcommand(1);

  auto console = std::make_shared<ConsoleOptions>();
  console->global = &line.global;
  CLI::App* sub = admin->add_subcommand("console", "Run one server console command and print its answer");
  sub->add_option("COMMAND", console->command, "The console command, e.g. \"show tasks\"")->required();
  sub->add_flag("--json", console->json, "Print JSON");
  OnRun(sub, line, [console] { return RunConsole(*console); });

  auto track = std::make_shared<TrackOptions>();
  track->global = &line.global;
  CLI::App* mail = admin->add_subcommand("mail", "The server's mail (Message Tracking)");
  mail->require_subcommand(1);
  CLI::App* track_cmd =
      mail->add_subcommand("track",
                           "Message Tracking: each matching message's path, oldest first (at most 200 events)");
  track_cmd->add_option("--from", track->from, "Envelope sender or From field contains this");
  track_cmd->add_option("--to", track->to, "Recipient contains this");
  track_cmd->add_option("--subject", track->subject, "Subject contains this");
  track_cmd->add_option("--since", track->since, "Only events since this UTC time (YYYY-MM-DD[THH:MM[:SS]])");
  track_cmd->add_flag("--json", track->json, "Print JSON");
  OnRun(track_cmd, line, [track] { return RunTrack(*track); });

  AddRegister(admin, line);
  AddCertifierCommands(admin, line);
  AddPersonCertificateCommands(admin, line);
}

}  // namespace notesd::client
