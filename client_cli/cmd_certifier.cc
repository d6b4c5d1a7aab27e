// client_cli/cmd_certifier.cc — `notes admin internet-certifier|requests` (contract in
// client_cli/cmd_certifier.h).
#include "client_cli/cmd_certifier.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "client_cli/cli_output.h"
#include "client_cli/cmd_person_certs.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd::client {

namespace {

namespace fs = std::filesystem;

constexpr char kIdMagic[] = "NOTESDID";

Result<bool> ParseYesNo(const std::string& text, const char* option) {
  std::string word = ToLowerAscii(TrimSpaces(text));
  if (word == "yes" || word == "y" || word == "true") return true;
  if (word == "no" || word == "n" || word == "false") return false;
  return Status::InvalidArgument(std::string(option) + " takes yes or no, not '" + text + "'");
}

// A file this command will create: it must not exist, its directory must.
Status CheckNewFile(const fs::path& path, const char* option) {
  std::error_code error;
  if (fs::exists(path, error))
    return Status::AlreadyExists(path.string() + " already exists; choose another " + option);
  fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(parent, error)) return Status::NotFound("no directory " + parent.string() + " for " + option);
  return Status::Ok();
}

Status SaveLocalCopy(const nlohmann::json& request, const fs::path& path) {
  std::string encoded = JsonText(request, "local_copy_id_base64");
  if (encoded.empty()) {
    std::string status = JsonText(request, "status");
    std::string note = JsonText(request, "local_copy_note");
    if (!note.empty()) return Status::PermissionDenied(note);
    if (status != "Done")
      return Status::Unavailable("request " + JsonText(request, "unid") + " is " + status +
                                 ": the certifier ID copy exists once AdminP has done it (TELL ADMINP PROCESS ALL)");
    return Status::NotFound("request " + JsonText(request, "unid") + " made no local copy of the certifier ID");
  }
  Result<std::string> image = Base64DecodeFlat(encoded);
  if (!image.ok()) return image.status().WithContext("the server's copy of the certifier ID");
  if (image->compare(0, sizeof kIdMagic - 1, kIdMagic) != 0)
    return Status::InvalidArgument("the server sent something that is not a notesd ID file");
  NOTESD_RETURN_IF_ERROR(CheckNewFile(path, "file for the local copy"));
  return WriteFileAtomic(path, *image, 0600);
}

// ---- internet-certifier create ----

struct CreateCommand {
  GlobalOptions* global = nullptr;
  CertifierCreateOptions options;
  bool wait = false;
  int wait_seconds = 600;
  bool json = false;
};

Result<std::string> PasswordIf(const ClientContext& context, bool needed, const std::optional<std::string>& option,
                               PasswordKind kind) {
  if (!needed) return std::string();
  NOTESD_ASSIGN_OR_RETURN(std::string password, context.NewPassword(option, kind));
  if (password.empty()) return Status::InvalidArgument("the " + kind.what + " must not be empty");
  return password;
}

void PrintRequestFields(const nlohmann::json& request) {
  Fields fields = {{"UNID", JsonText(request, "unid")},
                   {"Request", JsonText(request, "type") + " (" + JsonText(request, "timing") + ")"},
                   {"Target", JsonText(request, "target")},
                   {"Author", AbbreviatedName(JsonText(request, "author"))},
                   {"Status", JsonText(request, "status")}};
  if (auto attempts = request.find("attempts"); attempts != request.end() && attempts->is_number())
    fields.push_back({"Attempts", std::to_string(attempts->get<int>())});
  if (!JsonText(request, "error").empty()) fields.push_back({"Error", Sanitize(JsonText(request, "error"))});
  if (!JsonText(request, "retry_at").empty()) fields.push_back({"Retry after", JsonText(request, "retry_at")});
  for (Fields::value_type& field : fields) field.second = Sanitize(field.second);
  PrintFields(std::cout, fields);
}

// Polls the request until AdminP is done with it (Done, or Failed without retry).
Result<nlohmann::json> WaitForRequest(HomeServerClient& server, const std::string& unid, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (true) {
    NOTESD_ASSIGN_OR_RETURN(nlohmann::json request, server.Get("/api/v1/admin/requests/" + unid));
    std::string status = JsonText(request, "status");
    if (status == "Done" || (status == "Failed" && JsonText(request, "retry_at").empty())) return request;
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::Unavailable("request " + unid + " is still " + status + " after " + std::to_string(seconds) +
                                 " s; AdminP works it at its next interval (TELL ADMINP PROCESS ALL hurries it)");
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int RunCreate(const CreateCommand& command) {
  const CertifierCreateOptions& options = command.options;
  Result<bool> activation = ParseYesNo(options.require_activation, "--require-activation-password");
  if (!activation.ok()) return ReportUsage(activation.status().message());
  bool password_protected = EqualsIgnoreCase(options.encrypt_with, "password");
  if (!password_protected && !EqualsIgnoreCase(options.encrypt_with, "server-id"))
    return ReportUsage("--encrypt-with takes server-id or password, not '" + options.encrypt_with + "'");
  if (options.local_copy_password && !options.local_copy)
    return ReportUsage("--local-copy-password goes with --local-copy FILE");
  if (options.local_copy) {
    if (Status file = CheckNewFile(*options.local_copy, "--local-copy"); !file.ok()) return ReportFailure(file);
  }

  ClientContext context(*command.global);
  Result<std::string> certifier_password =
      PasswordIf(context, password_protected, options.certifier_password,
                 {"certifier ID password", "--certifier-password", "NOTESD_CERTIFIER_ID_PASSWORD",
                  "Password for the certifier ID: "});
  if (!certifier_password.ok()) return ReportFailure(certifier_password.status());
  Result<std::string> activation_password =
      PasswordIf(context, !password_protected && *activation, options.activation_password,
                 {"activation password", "--activation-password", "NOTESD_ACTIVATION_PASSWORD",
                  "Activation password: "});
  if (!activation_password.ok()) return ReportFailure(activation_password.status());
  Result<std::string> local_copy_password =
      PasswordIf(context, options.local_copy.has_value(), options.local_copy_password,
                 {"local copy password", "--local-copy-password", "NOTESD_LOCAL_COPY_PASSWORD",
                  "Password for the local copy of the certifier ID: "});
  if (!local_copy_password.ok()) return ReportFailure(local_copy_password.status());
  Result<nlohmann::json> body =
      CertifierRequestJson(options, *certifier_password, *activation_password, *local_copy_password);
  if (!body.ok()) return ReportUsage(body.status().message());

  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> posted = session->server->Post("/api/v1/admin/requests/internet-certifier", *body, 202);
  if (!posted.ok()) return ReportFailure(posted.status());
  std::string unid = JsonText(*posted, "unid");
  if (!command.wait) {
    if (command.json) {
      PrintJson(std::cout, *posted);
      return kExitOk;
    }
    std::cout << "Posted a request to create the Internet certifier " << Sanitize(JsonText(*posted, "target"))
              << " to the Administration Requests database\n";
    PrintRequestFields(*posted);
    std::cout << "AdminP creates the certifier at its next interval; on the server console TELL ADMINP PROCESS ALL,\n"
                 "then TELL CA REFRESH, do it now.\n";
    if (options.local_copy)
      std::cout << "Then save the local copy of the certifier ID with: notes admin requests show " << unid
                << " --save-local-copy " << *options.local_copy << "\n";
    return kExitOk;
  }

  Result<nlohmann::json> finished = WaitForRequest(*session->server, unid, command.wait_seconds);
  if (!finished.ok()) return ReportFailure(finished.status());
  if (JsonText(*finished, "status") != "Done")
    return ReportFailure(Status::Internal("AdminP could not create the certifier: " + JsonText(*finished, "error")));
  if (options.local_copy) {
    if (Status saved = SaveLocalCopy(*finished, *options.local_copy); !saved.ok()) return ReportFailure(saved);
  }
  if (command.json) {
    nlohmann::json out = *finished;
    out.erase("local_copy_id_base64");
    if (options.local_copy) out["local_copy_saved_to"] = *options.local_copy;
    PrintJson(std::cout, out);
    return kExitOk;
  }
  std::cout << "AdminP created the Internet certifier " << Sanitize(JsonText(*finished, "target")) << "\n";
  PrintRequestFields(*finished);
  if (options.local_copy) std::cout << "Local copy of the certifier ID saved to " << *options.local_copy << "\n";
  return kExitOk;
}

void AddCreate(CLI::App* group, CommandLine& line) {
  auto command = std::make_shared<CreateCommand>();
  command->global = &line.global;
  CertifierCreateOptions& o = command->options;
  CLI::App* sub =
      group->add_subcommand("create", "Ask AdminP to create an Internet certifier that uses the CA process");
  sub->add_option("--cn", o.cn, "Common name, e.g. Acme-Corp-Email")->required();
  sub->add_option("--o", o.o, "Organisation");
  sub->add_option("--ou", o.ou, "Organisational unit (repeatable, most specific first)");
  sub->add_option("--l", o.l, "City or locality");
  sub->add_option("--st", o.st, "State or province");
  sub->add_option("--c", o.c, "Two-letter country code");
  sub->add_option("--email", o.email, "E-mail address in the certifier's name");
  sub->add_option("--icl", o.icl, "ICL database file on the server, e.g. ICL_Acme-Corp-Email.nsf")->required();
  sub->add_option("--encrypt-with", o.encrypt_with, "Encrypt the certifier ID with: server-id or password")
      ->capture_default_str();
  AddOptional(sub, "--certifier-password", o.certifier_password,
              "The certifier ID's password (--encrypt-with password)");
  sub->add_option("--require-activation-password", o.require_activation,
                  "yes: the CA keeps the certifier inactive until TELL CA ACTIVATE")
      ->capture_default_str();
  AddOptional(sub, "--activation-password", o.activation_password,
              "The activation password (with --require-activation-password yes)");
  sub->add_option("--caa", o.caa, "Another CA administrator (repeatable; you are one anyway)");
  sub->add_option("--ra", o.ra, "Another registration authority (repeatable; you are one anyway)");
  sub->add_option("--key", o.key, "Key: rsa2048, rsa3072, rsa4096 or ecdsa-p256")->capture_default_str();
  sub->add_option("--validity-years", o.validity_years, "Validity of the root certificate in years")
      ->capture_default_str();
  sub->add_option("--crl-duration-days", o.crl_duration_days, "How long each CRL is valid, in days")
      ->capture_default_str();
  sub->add_option("--crl-interval-hours", o.crl_interval_hours, "Hours between regular CRLs")->capture_default_str();
  AddOptional(sub, "--local-copy", o.local_copy,
              "Create a local copy of the certifier ID in FILE (saved once AdminP made it)");
  AddOptional(sub, "--local-copy-password", o.local_copy_password, "The local copy's own password");
  sub->add_flag("--wait", command->wait, "Wait until AdminP has created the certifier, then save the local copy");
  sub->add_option("--wait-seconds", command->wait_seconds, "How long --wait waits")->capture_default_str();
  sub->add_flag("--json", command->json, "Print JSON");
  OnRun(sub, line, [command] { return RunCreate(*command); });
}

// ---- internet-certifier list|show|roles ----

struct CertifierCommand {
  GlobalOptions* global = nullptr;
  std::string name;
  std::optional<std::string> cert_out;
  std::vector<std::string> caa, ra;
  bool json = false;
};

Fields CertifierFields(const nlohmann::json& certifier) {
  auto names = [&](const char* field) {
    std::string text;
    if (auto it = certifier.find(field); it != certifier.end() && it->is_array())
      for (const auto& name : *it)
        if (name.is_string()) text += (text.empty() ? "" : ", ") + AbbreviatedName(name.get<std::string>());
    return text;
  };
  Fields fields = {{"Certifier", JsonText(certifier, "name")},
                   {"Type", JsonText(certifier, "type")},
                   {"Subject", JsonText(certifier, "subject")},
                   {"ICL database", JsonText(certifier, "icl_file")},
                   {"Certifier ID", JsonText(certifier, "id_file")},
                   {"CA server", AbbreviatedName(JsonText(certifier, "ca_server"))},
                   {"CA administrators", names("caa")},
                   {"Registration authorities", names("ra")}};
  for (Fields::value_type& field : fields) field.second = Sanitize(field.second);
  return fields;
}

int RunCertifierList(const CertifierCommand& command) {
  ClientContext context(*command.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> reply = session->server->Get("/api/v1/certifiers");
  if (!reply.ok()) return ReportFailure(reply.status());
  if (command.json) {
    PrintJson(std::cout, *reply);
    return kExitOk;
  }
  const nlohmann::json& list = (*reply)["certifiers"];
  if (!list.is_array() || list.empty()) {
    std::cout << "No Internet certifiers\n";
    return kExitOk;
  }
  for (const auto& certifier : list) {
    PrintFields(std::cout, CertifierFields(certifier));
    std::cout << "\n";
  }
  return kExitOk;
}

int RunCertifierShow(const CertifierCommand& command) {
  if (command.cert_out) {
    if (Status file = CheckNewFile(*command.cert_out, "--cert-out"); !file.ok()) return ReportFailure(file);
  }
  ClientContext context(*command.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> certifier = session->server->Get("/api/v1/certifiers/" + UrlEncode(command.name));
  if (!certifier.ok()) return ReportFailure(certifier.status());
  std::string pem = JsonText(*certifier, "certificate");
  if (command.cert_out) {
    Result<X509Ptr> parsed = CertificateFromPem(pem);
    if (!parsed.ok()) return ReportFailure(parsed.status().WithContext("the server's root certificate"));
    if (Status saved = WriteFileAtomic(*command.cert_out, pem, 0644); !saved.ok()) return ReportFailure(saved);
  }
  if (command.json) {
    PrintJson(std::cout, *certifier);
    return kExitOk;
  }
  Fields fields = CertifierFields(*certifier);
  if (Result<X509Ptr> root = CertificateFromPem(pem); root.ok())
    for (const auto& field : CertificateFields(root->get()))
      if (field.first != "Subject") fields.push_back(field);
  PrintFields(std::cout, fields);
  if (command.cert_out) std::cout << "Root certificate written to " << *command.cert_out << "\n";
  return kExitOk;
}

int RunCertifierRoles(const CertifierCommand& command) {
  if (command.caa.empty() && command.ra.empty()) return ReportUsage("give the new --caa and/or --ra lists");
  ClientContext context(*command.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  nlohmann::json body = nlohmann::json::object();
  if (!command.caa.empty()) body["caa"] = command.caa;
  if (!command.ra.empty()) body["ra"] = command.ra;
  Result<nlohmann::json> posted =
      session->server->Post("/api/v1/admin/certifiers/" + UrlEncode(command.name) + "/roles", body, 202);
  if (!posted.ok()) return ReportFailure(posted.status());
  if (command.json) {
    PrintJson(std::cout, *posted);
    return kExitOk;
  }
  std::cout << "Posted a request to change the roles of " << Sanitize(JsonText(*posted, "target")) << "\n";
  PrintRequestFields(*posted);
  return kExitOk;
}

void AddCertifierGroup(CLI::App* admin, CommandLine& line) {
  CLI::App* group = admin->add_subcommand("internet-certifier", "Internet certifiers that use the CA process");
  group->require_subcommand(1);
  AddCreate(group, line);

  auto command = std::make_shared<CertifierCommand>();
  command->global = &line.global;
  CLI::App* list = group->add_subcommand("list", "The Internet certifiers in the directory");
  list->add_flag("--json", command->json, "Print JSON");
  OnRun(list, line, [command] { return RunCertifierList(*command); });

  CLI::App* show = group->add_subcommand("show", "One Internet certifier: names, ICL, roles, root certificate");
  show->add_option("NAME", command->name, "Its name, e.g. Acme-Corp-Email")->required();
  AddOptional(show, "--cert-out", command->cert_out, "Write the root certificate (PEM) to FILE");
  show->add_flag("--json", command->json, "Print JSON");
  OnRun(show, line, [command] { return RunCertifierShow(*command); });

  CLI::App* roles = group->add_subcommand("roles", "Change who are CA administrators and RAs (CAAs only)");
  roles->add_option("NAME", command->name, "The certifier")->required();
  roles->add_option("--caa", command->caa, "The new CA administrators (repeatable)");
  roles->add_option("--ra", command->ra, "The new registration authorities (repeatable)");
  roles->add_flag("--json", command->json, "Print JSON");
  OnRun(roles, line, [command] { return RunCertifierRoles(*command); });
}

// ---- requests list|show ----

struct RequestsCommand {
  GlobalOptions* global = nullptr;
  std::string unid;
  std::string status = "all";
  std::optional<std::string> save_local_copy;
  bool json = false;
};

int RunRequestsList(const RequestsCommand& command) {
  ClientContext context(*command.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> reply = session->server->Get("/api/v1/admin/requests?status=" + UrlEncode(command.status));
  if (!reply.ok()) return ReportFailure(reply.status());
  if (command.json) {
    PrintJson(std::cout, *reply);
    return kExitOk;
  }
  const nlohmann::json& list = (*reply)["requests"];
  if (!list.is_array() || list.empty()) {
    std::cout << "No administration requests\n";
    return kExitOk;
  }
  for (const auto& request : list) {
    std::cout << Sanitize(JsonText(request, "unid")) << "  " << Sanitize(JsonText(request, "status")) << "  "
              << Sanitize(JsonText(request, "type")) << "  " << Sanitize(JsonText(request, "target")) << "  ("
              << Sanitize(AbbreviatedName(JsonText(request, "author"))) << ")\n";
    if (!JsonText(request, "error").empty()) std::cout << "    Error: " << Sanitize(JsonText(request, "error")) << "\n";
  }
  return kExitOk;
}

int RunRequestsShow(const RequestsCommand& command) {
  ClientContext context(*command.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> request = session->server->Get("/api/v1/admin/requests/" + UrlEncode(command.unid));
  if (!request.ok()) return ReportFailure(request.status());
  if (command.save_local_copy) {
    if (Status saved = SaveLocalCopy(*request, *command.save_local_copy); !saved.ok()) return ReportFailure(saved);
  }
  if (command.json) {
    nlohmann::json out = *request;
    out.erase("local_copy_id_base64");
    PrintJson(std::cout, out);
    return kExitOk;
  }
  PrintRequestFields(*request);
  if (auto responses = request->find("responses"); responses != request->end() && responses->is_array()) {
    for (const auto& response : *responses) {
      std::cout << "Response (attempt " << (response.contains("attempt") ? response["attempt"].dump() : "?")
                << "): " << Sanitize(JsonText(response, "outcome"));
      if (!JsonText(response, "error").empty()) std::cout << ": " << Sanitize(JsonText(response, "error"));
      std::cout << "\n";
      if (auto results = response.find("results"); results != response.end() && results->is_object()) {
        Fields fields;
        for (const auto& [name, value] : results->items())
          if (value.is_string() && name != "Certificate") fields.push_back({name, Sanitize(value.get<std::string>())});
        PrintFields(std::cout, fields, "  ");
      }
    }
  }
  if (command.save_local_copy)
    std::cout << "Local copy of the certifier ID saved to " << *command.save_local_copy << "\n";
  return kExitOk;
}

void AddRequestsGroup(CLI::App* admin, CommandLine& line) {
  CLI::App* group = admin->add_subcommand("requests", "The Administration Requests database (admin4.nsf)");
  group->require_subcommand(1);
  auto command = std::make_shared<RequestsCommand>();
  command->global = &line.global;
  CLI::App* list = group->add_subcommand("list", "Requests with their status and errors");
  list->add_option("--status", command->status, "pending, failed, done, new or all")->capture_default_str();
  list->add_flag("--json", command->json, "Print JSON");
  OnRun(list, line, [command] { return RunRequestsList(*command); });
  CLI::App* show = group->add_subcommand("show", "One request and its responses");
  show->add_option("UNID", command->unid, "The request's UNID")->required();
  AddOptional(show, "--save-local-copy", command->save_local_copy,
              "Save the local copy of the certifier ID this request made to FILE (its author only)");
  show->add_flag("--json", command->json, "Print JSON");
  OnRun(show, line, [command] { return RunRequestsShow(*command); });
  auto batch = std::make_shared<BatchProgressOptions>();
  batch->global = &line.global;
  CLI::App* batch_sub = group->add_subcommand("batch", "A batch's progress (add-internet-cert prints its id)");
  batch_sub->add_option("ID", batch->batch, "The batch id")->required();
  batch_sub->add_flag("--wait", batch->wait, "Wait until nothing is pending, printing progress");
  batch_sub->add_option("--timeout", batch->timeout, "With --wait: stop after SECONDS (0: no limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  batch_sub->add_flag("--json", batch->json, "Print JSON");
  OnRun(batch_sub, line, [batch] { return RunBatchProgress(*batch); });
}

}  // namespace

Result<nlohmann::json> CertifierRequestJson(const CertifierCreateOptions& options,
                                            const std::string& certifier_password,
                                            const std::string& activation_password,
                                            const std::string& local_copy_password) {
  NOTESD_ASSIGN_OR_RETURN(bool activation, ParseYesNo(options.require_activation, "--require-activation-password"));
  std::string encrypt_with = ToLowerAscii(options.encrypt_with);
  if (encrypt_with != "server-id" && encrypt_with != "password")
    return Status::InvalidArgument("--encrypt-with takes server-id or password, not '" + options.encrypt_with + "'");
  nlohmann::json body = {{"use_ca_process", true},
                         {"cn", options.cn},
                         {"o", options.o},
                         {"ou", options.ou},
                         {"l", options.l},
                         {"st", options.st},
                         {"c", options.c},
                         {"email", options.email},
                         {"icl_file", options.icl},
                         {"encrypt_with", encrypt_with},
                         {"require_activation_password", activation || encrypt_with == "password"},
                         {"caa", options.caa},
                         {"ra", options.ra},
                         {"key", options.key},
                         {"validity_years", options.validity_years},
                         {"crl_duration_days", options.crl_duration_days},
                         {"crl_interval_hours", options.crl_interval_hours},
                         {"local_copy", options.local_copy.has_value()}};
  if (options.local_copy) body["local_copy_file"] = fs::path(*options.local_copy).filename().string();
  if (!certifier_password.empty()) body["certifier_password"] = certifier_password;
  if (!activation_password.empty()) body["activation_password"] = activation_password;
  if (!local_copy_password.empty()) body["local_copy_password"] = local_copy_password;
  return body;
}

void AddCertifierCommands(CLI::App* admin, CommandLine& line) {
  AddCertifierGroup(admin, line);
  AddRequestsGroup(admin, line);
}

}  // namespace notesd::client
