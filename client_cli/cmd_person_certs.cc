// client_cli/cmd_person_certs.cc — `notes admin people add-internet-cert`, `notes admin
// person show`, `notes admin certificates revoke` (contract in cmd_person_certs.h).
#include "client_cli/cmd_person_certs.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "client_cli/cli_output.h"
#include "client_cli/cmd_internet_password.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd::client {

namespace {

struct AddCertOptions {
  GlobalOptions* global = nullptr;
  std::vector<std::string> names, groups;
  std::string ou, ca;
  bool all = false;
  int validity_years = 0;  // 0: the server's default (2 years)
  bool no_wait = false;
  double timeout = kDefaultBatchWaitSeconds;
  bool json = false;
};

struct PersonShowOptions {
  GlobalOptions* global = nullptr;
  std::string name;
  bool certificates = false;
  bool json = false;
};

struct RevokeOptions {
  GlobalOptions* global = nullptr;
  std::string ca, serial, person, reason = "unspecified";
  bool json = false;
};

int JsonInt(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// "  40 of 100 done, 0 failed, about 12 s left": the estimate is the rate seen since the
// wait began (none until AdminP has finished something in it).
std::string ProgressLine(const nlohmann::json& progress, int finished_at_start, double waited_seconds) {
  int finished = JsonInt(progress, "done") + JsonInt(progress, "failed");
  std::string line = "  " + std::to_string(JsonInt(progress, "done")) + " of " +
                     std::to_string(JsonInt(progress, "total")) + " done, " +
                     std::to_string(JsonInt(progress, "failed")) + " failed";
  int pending = JsonInt(progress, "pending");
  if (pending > 0 && finished > finished_at_start && waited_seconds > 0) {
    double rate = (finished - finished_at_start) / waited_seconds;
    line += ", about " + std::to_string(static_cast<long long>(pending / rate + 0.5)) + " s left";
  } else if (pending > 0) {
    line += ", waiting for AdminP";
  }
  return line;
}

std::string BatchPath(const std::string& batch) { return "/api/v1/admin/requests/batches/" + UrlEncode(batch); }

// Polls the batch until nothing is pending, or the timeout passes (then "timed_out" is set).
Result<nlohmann::json> WaitForBatch(HomeServerClient& server, const std::string& batch, double timeout, bool quiet) {
  auto start = std::chrono::steady_clock::now();
  std::string last_counts;
  int finished_at_start = -1;
  while (true) {
    NOTESD_ASSIGN_OR_RETURN(nlohmann::json progress, server.Get(BatchPath(batch)));
    if (finished_at_start < 0) finished_at_start = JsonInt(progress, "done") + JsonInt(progress, "failed");
    std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
    std::string counts = progress.dump();
    if (!quiet && counts != last_counts)
      std::cout << ProgressLine(progress, finished_at_start, waited.count()) << std::endl;
    last_counts = counts;
    if (JsonInt(progress, "pending") == 0) return progress;
    if (timeout > 0 && waited.count() >= timeout) {
      progress["timed_out"] = true;  // the caller reports it: the batch goes on without us
      return progress;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// What a wait ended with, on stderr: the batch is still running (AdminP goes on without
// us: how to follow it), or the failed requests with their errors. The exit status.
int ReportBatchOutcome(const std::string& batch, const nlohmann::json& progress, double timeout) {
  if (progress.value("timed_out", false)) {
    std::cerr << "notes: batch " << Sanitize(batch) << " still has " << JsonInt(progress, "pending")
              << " pending request(s) after " << static_cast<int>(timeout)
              << " s; AdminP goes on with them (TELL ADMINP PROCESS PEOPLE hurries it). Follow it with:\n"
              << "  notes admin requests batch " << Sanitize(batch) << " --wait\n";
    return kExitFailed;
  }
  if (JsonInt(progress, "failed") == 0) return kExitOk;
  std::cerr << "notes: " << JsonInt(progress, "failed") << " request(s) of batch " << Sanitize(batch) << " failed:\n";
  if (auto failures = progress.find("failures"); failures != progress.end() && failures->is_array())
    for (const nlohmann::json& failure : *failures)
      std::cerr << "  " << Sanitize(AbbreviatedName(JsonText(failure, "target"))) << ": "
                << Sanitize(JsonText(failure, "error")) << " (request " << Sanitize(JsonText(failure, "unid")) << ")\n";
  return kExitFailed;
}

int RunAddInternetCert(const AddCertOptions& options) {
  if (options.names.empty() && options.groups.empty() && options.ou.empty() && !options.all)
    return ReportUsage("name people, or give --group, --ou or --all");
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  nlohmann::json body = {{"people", options.names}, {"groups", options.groups}, {"all", options.all}};
  if (!options.ou.empty()) body["ou"] = options.ou;
  if (options.validity_years > 0) body["validity_years"] = options.validity_years;
  Result<nlohmann::json> posted =
      session->server->Post("/api/v1/admin/certifiers/" + UrlEncode(options.ca) + "/certificates", body, 202);
  if (!posted.ok()) return ReportFailure(posted.status());
  std::string batch = JsonText(*posted, "batch");
  if (!options.json)
    std::cout << "Posted " << JsonInt(*posted, "count")
              << " 'Add Internet Certificate to Person Record' requests (batch " << Sanitize(batch) << ")" << std::endl;
  if (options.no_wait) {
    if (options.json) PrintJson(std::cout, *posted);
    return kExitOk;
  }
  Result<nlohmann::json> progress = WaitForBatch(*session->server, batch, options.timeout, options.json);
  if (!progress.ok()) return ReportFailure(progress.status());
  if (options.json) {
    nlohmann::json out = *posted;
    out["progress"] = *progress;
    PrintJson(std::cout, out);
  }
  return ReportBatchOutcome(batch, *progress, options.timeout);
}

Fields InternetCertificateFields(X509* cert) {
  std::string emails;
  for (const std::string& email : SubjectAltEmails(cert)) emails += (emails.empty() ? "" : ", ") + email;
  Fields fields = CertificateFields(cert);
  fields.push_back({"E-mail", emails.empty() ? "none" : emails});
  for (auto& field : fields) field.second = Sanitize(field.second);
  return fields;
}

std::vector<std::string> PemList(const nlohmann::json& object, const char* field) {
  std::vector<std::string> list;
  auto it = object.find(field);
  if (it == object.end() || !it->is_array()) return list;
  for (const nlohmann::json& item : *it)
    if (item.is_string()) list.push_back(item.get<std::string>());
  return list;
}

int RunPersonShow(const PersonShowOptions& options) {
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> person = session->server->Get("/api/v1/people/lookup?name=" + UrlEncode(options.name));
  if (!person.ok()) return ReportFailure(person.status());
  std::vector<std::string> pems = PemList(*person, "internet_certificates");
  if (options.json) {
    nlohmann::json out = *person;
    if (options.certificates) {
      nlohmann::json list = nlohmann::json::array();
      for (const std::string& pem : pems) {
        Result<X509Ptr> cert = CertificateFromPem(pem);
        if (!cert.ok()) continue;
        nlohmann::json item = CertificateJson(cert->get());
        item["emails"] = SubjectAltEmails(cert->get());
        list.push_back(std::move(item));
      }
      out["internet_certificate_details"] = list;
    }
    PrintJson(std::cout, out);
    return kExitOk;
  }
  PrintPerson(std::cout, *person);
  if (!options.certificates) return kExitOk;
  if (pems.empty()) {
    std::cout << "\nInternet Certificate: none\n";
    return kExitOk;
  }
  std::cout << "\nInternet Certificate: present (" << pems.size() << ", newest first)\n";
  for (const std::string& pem : pems) {
    std::cout << "\n";
    Result<X509Ptr> cert = CertificateFromPem(pem);
    if (!cert.ok()) {
      std::cout << "  unreadable certificate: " << Sanitize(cert.status().message()) << "\n";
      continue;
    }
    PrintFields(std::cout, InternetCertificateFields(cert->get()), "  ");
  }
  return kExitOk;
}

int RunRevoke(const RevokeOptions& options) {
  if (options.serial.empty() == options.person.empty()) return ReportUsage("give exactly one of --serial and --person");
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  nlohmann::json body = {{"reason", options.reason}};
  if (!options.serial.empty()) body["serial"] = options.serial;
  if (!options.person.empty()) body["person"] = options.person;
  Result<nlohmann::json> reply =
      session->server->Post("/api/v1/admin/certifiers/" + UrlEncode(options.ca) + "/revoke", body, 200);
  if (!reply.ok()) return ReportFailure(reply.status());
  if (options.json) {
    PrintJson(std::cout, *reply);
    return kExitOk;
  }
  auto revoked = reply->find("revoked");
  std::size_t count = revoked != reply->end() && revoked->is_array() ? revoked->size() : 0;
  std::cout << "Revoked " << count << " certificate(s) of " << Sanitize(options.ca)
            << "; they are listed from the next CRL (TELL CA CRL ISSUE hurries it)\n";
  if (count > 0)
    for (const nlohmann::json& item : *revoked)
      std::cout << "  " << Sanitize(JsonText(item, "serial")) << "  " << Sanitize(JsonText(item, "subject")) << "\n";
  return kExitOk;
}

}  // namespace

int RunBatchProgress(const BatchProgressOptions& options) {
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> progress = options.wait
                                        ? WaitForBatch(*session->server, options.batch, options.timeout, options.json)
                                        : session->server->Get(BatchPath(options.batch));
  if (!progress.ok()) return ReportFailure(progress.status());
  if (options.json) {
    PrintJson(std::cout, *progress);
  } else if (!options.wait) {
    std::cout << "Batch " << Sanitize(options.batch) << ":\n" << ProgressLine(*progress, 0, 0) << std::endl;
  }
  if (!options.wait && JsonInt(*progress, "pending") > 0) return kExitOk;  // a look, not a wait
  return ReportBatchOutcome(options.batch, *progress, options.timeout);
}

void AddPersonCertificateCommands(CLI::App* admin, CommandLine& line) {
  auto add = std::make_shared<AddCertOptions>();
  add->global = &line.global;
  CLI::App* people = admin->add_subcommand("people", "People in the directory: Internet certificates");
  people->require_subcommand(1);
  CLI::App* sub =
      people->add_subcommand("add-internet-cert",
                             "Ask AdminP to issue Internet certificates to people (RAs of the certifier only)");
  sub->add_option("NAME", add->names, "People by name, short name or Internet address");
  sub->add_option("--group", add->groups, "Everyone in a group (nested groups included); repeat for more")
      ->allow_extra_args(false);
  sub->add_option("--ou", add->ou, "Everyone under an OU/O path, e.g. /Sales/Acme");
  sub->add_flag("--all", add->all, "Everyone in the directory");
  sub->add_option("--ca", add->ca, "The Internet certifier, e.g. Acme-Corp-Email")->required();
  sub->add_option("--validity-years", add->validity_years, "Years the certificates are valid, 1-10 (default 2)")
      ->check(CLI::Range(1, 10));
  sub->add_flag("--no-wait", add->no_wait, "Do not wait for AdminP");
  sub->add_option("--timeout", add->timeout, "Stop waiting after SECONDS (0: no limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", add->json, "Print JSON");
  OnRun(sub, line, [add] { return RunAddInternetCert(*add); });

  auto show = std::make_shared<PersonShowOptions>();
  show->global = &line.global;
  CLI::App* person = admin->add_subcommand("person", "One Person record");
  person->require_subcommand(1);
  CLI::App* show_sub = person->add_subcommand("show", "Show a Person record");
  show_sub->add_option("NAME", show->name, "Full, abbreviated or short name, or Internet address")->required();
  show_sub->add_flag("--certificates", show->certificates, "Also each Internet certificate of the person");
  show_sub->add_flag("--json", show->json, "Print JSON");
  OnRun(show_sub, line, [show] { return RunPersonShow(*show); });
  AddSetInternetPasswordCommand(person, line);

  auto revoke = std::make_shared<RevokeOptions>();
  revoke->global = &line.global;
  CLI::App* certificates = admin->add_subcommand("certificates", "Certificates issued by Internet certifiers");
  certificates->require_subcommand(1);
  CLI::App* revoke_sub = certificates->add_subcommand("revoke", "Revoke certificates (RAs and CAAs of the certifier)");
  revoke_sub->add_option("--ca", revoke->ca, "The Internet certifier")->required();
  revoke_sub->add_option("--serial", revoke->serial, "Serial number (hex) of the certificate");
  revoke_sub->add_option("--person", revoke->person, "Every valid certificate of this person");
  revoke_sub
      ->add_option("--reason", revoke->reason, "RFC 5280 reason, as a name (keyCompromise, superseded, ...) or number")
      ->capture_default_str();
  revoke_sub->add_flag("--json", revoke->json, "Print JSON");
  OnRun(revoke_sub, line, [revoke] { return RunRevoke(*revoke); });
}

}  // namespace notesd::client
