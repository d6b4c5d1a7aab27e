#include "ca_task/ca_task.h"
#include "ca_task/crl_publication.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <sstream>

#include "ca_task/certifier_document.h"
#include "ca_task/certifier_id.h"
#include "ca_task/icl_database.h"
#include "base/command_grammar.h"
#include "base/identity_keys.h"
#include "pki/id_file.h"
#include "adminp/admin_requests.h"
#include "directory/directory.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr char kSource[] = "CA Process";
constexpr int64_t kCrlCheckSeconds = 60;

constexpr ConfigKey kCaRefreshMinutes{
    "CA_RefreshMinutes",
    ConfigType::kInt,
    "720",
    1,
    10080,
    "Minutes between the CA task's automatic refreshes of its certifier list (Domino: 12 hours)",
    "CA",
    false};
const std::array<ConfigKey, 6> kCaKeys = {
    kCaRefreshMinutes,           kCaCrlBaseUrl, kHttpCrlPort, identity_keys::kServerName,
    identity_keys::kKeyFileName, kHttpAddress};

// TELL CA commands (base/command_grammar.h: `t ca act 1`, `t ca sh q *`); each verb's
// own words (IDFILE, QUEUE, ISSUE|INFO) are matched by its command.
enum CaCommand { kStat, kRefresh, kActivate, kDeactivate, kLock, kUnlock, kShow, kCrl, kHelp };
const CommandGrammar& CaGrammar() {
  constexpr CommandArgument kArgs = CommandArgument::kOptional;
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"STAT"}, kStat, kArgs, "The certifiers and whether each is active"},
      {{"STATUS"}, kStat, kArgs, "The certifiers and whether each is active"},
      {{"REFRESH"}, kRefresh, kArgs, "Read the certifier list again"},
      {{"ACTIVATE"}, kActivate, kArgs, "ACTIVATE <n|name|*> [<password>]", /*secret_word=*/1},
      {{"DEACTIVATE"}, kDeactivate, kArgs, "DEACTIVATE <n|name|*>"},
      {{"LOCK"}, kLock, kArgs, "LOCK IDFILE"},
      {{"UNLOCK"}, kUnlock, kArgs, "UNLOCK IDFILE [<password>]", /*secret_word=*/1},
      {{"SHOW"}, kShow, kArgs, "SHOW QUEUE <n|name|*>"},
      {{"CRL"}, kCrl, kArgs, "CRL ISSUE|INFO <n|name>"},
      {{"HELP"}, kHelp, kArgs, "The TELL CA commands"},
  });
  static const CommandGrammar grammar{forms, "CA", "(try TELL CA HELP)"};
  return grammar;
}

// A console answer built line by line, without the newline after its last line.
std::string WithoutFinalNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string Time(std::time_t seconds) { return IsoTime(static_cast<TimeMicros>(seconds) * 1'000'000); }

struct CaCertifier {
  int number = 0;
  InternetCertifierDocument doc;
  std::shared_ptr<IclDatabase> icl;
  std::optional<IclConfig> config;
  std::string problem;  // why it cannot be activated; "" when it can

  std::string Name() const { return doc.base.name.Canonical(); }
};

class CaTask final : public Task {
 public:
  CaTask(TaskContext& context, std::shared_ptr<CaKeyring> keyring) : context_(context), keyring_(std::move(keyring)) {}
  ~CaTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    server_name_ = ConfigText(ini, identity_keys::kServerName);
    std::filesystem::path id_path = context_.DataDir() / ConfigText(ini, identity_keys::kKeyFileName);
    auto server_id = IdFile::Load(id_path, "");
    if (!server_id.ok()) return server_id.status().WithContext("cannot load the server ID " + id_path.string());
    server_id_ = std::move(server_id).value();
    NOTESD_ASSIGN_OR_RETURN(directory_, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(requests_, OpenAdminRequests(context_.Databases(), context_.DataDir()));
    {
      std::lock_guard lock(mutex_);
      RefreshLocked();
    }
    last_refresh_ = context_.GetClock().NowSeconds();
    worker_ =
        context_.NewWorker({"CA", "maintenance", std::chrono::seconds(1), [this] { return MaintenanceStep(); }, {}});
    worker_->Start();
    return Status::Ok();
  }

  void Stop() override {
    if (worker_) worker_->Stop();
    std::lock_guard lock(mutex_);
    for (const CaCertifier& certifier : certifiers_) keyring_->Remove(certifier.Name());
    certifiers_.clear();
    requests_.reset();
    directory_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, CaGrammar()));
    std::vector<std::string> args = SplitWords(matched.rest);
    std::lock_guard lock(mutex_);
    switch (matched.form->id) {
      case kStat: return StatText();
      case kRefresh: RefreshLocked(); return StatText();
      case kActivate: return ActivateCommand(args);
      case kDeactivate: return DeactivateCommand(args);
      case kLock: return LockCommand(args);
      case kUnlock: return UnlockCommand(args);
      case kShow: return ShowQueueCommand(args);
      case kCrl: return CrlCommand(args);
      case kHelp: return HelpText();
      default: return Status::Internal("TELL CA " + FormWords(*matched.form) + " is the server's to answer");
    }
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::lock_guard lock(mutex_);
    std::size_t active = 0;
    for (const CaCertifier& certifier : certifiers_) active += keyring_->IsActive(certifier.Name()) ? 1 : 0;
    return {{"CA Process", "Idle: " + std::to_string(certifiers_.size()) + " certifier(s), " + std::to_string(active) +
                               " active" + (locked_ ? ", ID files locked" : "")}};
  }

 private:
  static std::string HelpText() {
    return "TELL CA commands (<n>: a certifier number from TELL CA STAT, its name, or *):\n"
           "  STAT                       the certifiers: number, name, type, Active=Yes/No, ICL database\n"
           "  REFRESH                    re-read the certifiers from the directory now\n"
           "  ACTIVATE <n> [<password>]  activate a certifier (no password: one encrypted with the server ID)\n"
           "  DEACTIVATE <n>             deactivate a certifier\n"
           "  LOCK IDFILE                deactivate all certifiers until UNLOCK IDFILE\n"
           "  UNLOCK IDFILE [<password>] reactivate the certifiers\n"
           "  SHOW QUEUE <n>             pending requests for a certifier\n"
           "  CRL ISSUE <n>              issue a non-regular CRL now\n"
           "  CRL INFO <n> [S|N]         the latest CRL (S regular, N non-regular)\n"
           "  QUIT                       stop the CA process";
  }

  void Log(const std::string& message) { context_.Log().Log(kSource, message); }
  std::time_t Now() const { return static_cast<std::time_t>(context_.GetClock().NowSeconds()); }

  // ---- the worker: periodic refresh and regular CRLs ----

  // One step of the "maintenance" worker (once a second): the certifier refresh every
  // CA_RefreshMinutes and the regular CRLs that are due.
  WorkerWait MaintenanceStep() {
    int64_t now = context_.GetClock().NowSeconds();
    int64_t refresh_seconds = ConfigInt(context_.Config(), kCaRefreshMinutes) * 60;
    std::lock_guard lock(mutex_);
    if (now - last_refresh_ >= refresh_seconds) {
      last_refresh_ = now;
      RefreshLocked();
    }
    if (now - last_crl_check_ >= kCrlCheckSeconds) {
      last_crl_check_ = now;
      IssueDueCrlsLocked();
    }
    return kWaitPeriod;
  }

  // ---- refresh and activation ----

  bool ServesHere(const InternetCertifierDocument& doc) const {
    if (doc.ca_server.empty() || server_name_.empty()) return true;
    auto theirs = HierName::Parse(doc.ca_server);
    auto mine = HierName::Parse(server_name_);
    return theirs.ok() && mine.ok() && *theirs == *mine;
  }

  CaCertifier* FindByName(const std::string& name) {
    for (CaCertifier& certifier : certifiers_)
      if (EqualsIgnoreCase(certifier.Name(), name)) return &certifier;
    return nullptr;
  }

  void RefreshLocked() {
    Result<std::vector<InternetCertifierDocument>> docs = ListInternetCertifiers(*directory_);
    if (!docs.ok()) {
      Log("Cannot read the certifiers from names.nsf: " + docs.status().message());
      return;
    }
    std::vector<CaCertifier> refreshed;
    for (InternetCertifierDocument& doc : *docs) {
      if (!ServesHere(doc)) continue;
      CaCertifier certifier;
      CaCertifier* known = FindByName(doc.base.name.Canonical());
      certifier.number = known ? known->number : next_number_++;
      certifier.doc = std::move(doc);
      LoadIcl(certifier);
      if (!known) Log("Loaded Internet certifier " + certifier.Name() + " (" + certifier.doc.base.icl_file + ")");
      refreshed.push_back(std::move(certifier));
    }
    for (const CaCertifier& old : certifiers_) {
      bool kept = false;
      for (const CaCertifier& now : refreshed) kept = kept || EqualsIgnoreCase(now.Name(), old.Name());
      if (!kept) keyring_->Remove(old.Name());
    }
    std::sort(refreshed.begin(), refreshed.end(),
              [](const CaCertifier& a, const CaCertifier& b) { return a.number < b.number; });
    certifiers_ = std::move(refreshed);
    for (CaCertifier& certifier : certifiers_) {
      if (!certifier.problem.empty()) {
        keyring_->Remove(certifier.Name());
        continue;
      }
      if (keyring_->IsActive(certifier.Name())) {
        RecheckActiveLocked(certifier);
      } else if (!locked_ && ActivatesWithoutPassword(*certifier.config)) {
        Status activated = ActivateLocked(certifier, "");
        if (!activated.ok()) certifier.problem = activated.message();
      }
    }
    IssueDueCrlsLocked();
  }

  void LoadIcl(CaCertifier& certifier) {
    auto icl = OpenIcl(context_.Databases(), context_.DataDir() / certifier.doc.base.icl_file, false);
    if (!icl.ok()) {
      certifier.problem = "ICL " + certifier.doc.base.icl_file + ": " + icl.status().message();
      return;
    }
    certifier.icl = *icl;
    auto config = certifier.icl->LatestConfig();
    if (!config.ok() || !*config) {
      certifier.problem = "ICL " + certifier.doc.base.icl_file + " holds no CA configuration" +
                          (config.ok() ? "" : ": " + config.status().message());
      return;
    }
    certifier.config = **config;
  }

  // A certifier still active after a refresh keeps its key only if the configuration,
  // perhaps a new revision, is still signed by that key.
  void RecheckActiveLocked(CaCertifier& certifier) {
    Status still = keyring_->WithSigner(certifier.Name(), [&](const CertifierSigner& signer) {
      return signer.VerifyConfig(*certifier.config);
    });
    if (!still.ok()) {
      keyring_->Remove(certifier.Name());
      certifier.problem = still.message();
      Log("Deactivated " + certifier.Name() + ": " + still.message());
    }
  }

  Status ActivateLocked(CaCertifier& certifier, const std::string& password) {
    if (!certifier.config) return Status::Unavailable(certifier.problem);
    NOTESD_ASSIGN_OR_RETURN(IdFile id, OpenCertifierId(*certifier.config, context_.DataDir(), &server_id_, password));
    keyring_->Put(certifier.Name(), UpRef(id.notes_certificate()), UpRef(id.notes_key()));
    certifier.problem.clear();
    Log("Internet certifier " + certifier.Name() + " is active");
    return Status::Ok();
  }

  void IssueDueCrlsLocked() {
    std::time_t now = Now();
    for (CaCertifier& certifier : certifiers_) {
      if (!certifier.config || !keyring_->IsActive(certifier.Name())) continue;
      auto latest = certifier.icl->LatestCrl(true);
      if (!latest.ok()) continue;
      std::time_t interval = static_cast<std::time_t>(certifier.config->crl_interval_hours) * 3600;
      if (*latest && now < (*latest)->this_update + interval) continue;
      Result<CrlRecord> issued = IssueCrlLocked(certifier, true);
      if (!issued.ok()) Log("Cannot issue the regular CRL of " + certifier.Name() + ": " + issued.status().message());
    }
  }

  Result<CrlRecord> IssueCrlLocked(CaCertifier& certifier, bool regular) {
    Result<CrlRecord> issued = Status::Internal("unset");
    NOTESD_RETURN_IF_ERROR(keyring_->WithSigner(certifier.Name(), [&](const CertifierSigner& signer) -> Status {
      issued = signer.IssueCrl(*certifier.icl, *certifier.config, Now(), regular);
      return issued.status();
    }));
    Log("Issued " + std::string(regular ? "regular" : "non-regular") + " CRL #" + std::to_string(issued->number) +
        " of " + certifier.Name() + " (next update " + Time(issued->next_update) + ")");
    return issued;
  }

  // ---- TELL CA commands ----

  std::string StatText() const {
    if (certifiers_.empty()) return "CA Process: No certifiers are using the CA process on this server";
    std::ostringstream out;
    out << "CA Process: " << certifiers_.size() << " certifier(s)" << (locked_ ? " (ID files locked)" : "") << "\n";
    for (const CaCertifier& certifier : certifiers_) {
      bool active = keyring_->IsActive(certifier.Name());
      out << "  " << certifier.number << ". " << certifier.Name()
          << "  Type=Internet  Active=" << (active ? "Yes" : "No") << "  ICL=" << certifier.doc.base.icl_file;
      if (!active) {
        if (!certifier.problem.empty()) {
          out << "  (" << certifier.problem << ")";
        } else if (locked_) {
          out << "  (locked: TELL CA UNLOCK IDFILE)";
        } else {
          out << "  (needs TELL CA ACTIVATE " << certifier.number << " <password>)";
        }
      }
      out << "\n";
    }
    return WithoutFinalNewline(out.str());
  }

  // The certifiers a <n> argument names: a number, a name, or "*".
  Result<std::vector<CaCertifier*>> Select(const std::string& which) {
    std::vector<CaCertifier*> chosen;
    if (which == "*") {
      for (CaCertifier& certifier : certifiers_) chosen.push_back(&certifier);
      return chosen;
    }
    for (CaCertifier& certifier : certifiers_) {
      const HierName& name = certifier.doc.base.name;
      if (which == std::to_string(certifier.number) || EqualsIgnoreCase(which, name.Canonical()) ||
          EqualsIgnoreCase(which, name.Abbreviated()) || EqualsIgnoreCase(which, name.CommonName()))
        chosen.push_back(&certifier);
    }
    if (chosen.empty()) return Status::NotFound("no certifier '" + which + "' in the CA process (see TELL CA STAT)");
    return chosen;
  }

  Result<std::string> ActivateCommand(const std::vector<std::string>& args) {
    if (args.empty()) return Status::InvalidArgument("usage: TELL CA ACTIVATE <certifier number|name|*> [<password>]");
    NOTESD_ASSIGN_OR_RETURN(std::vector<CaCertifier*> chosen, Select(args[0]));
    // The password is everything after <n>; a certifier encrypted with the server ID and
    // no activation password needs none (ActivatesWithoutPassword).
    std::string password;
    for (std::size_t i = 1; i < args.size(); ++i) password += (i > 1 ? " " : "") + args[i];
    std::ostringstream out;
    bool any = false;
    Status last;
    for (CaCertifier* certifier : chosen) {
      if (keyring_->IsActive(certifier->Name())) {
        out << "CA Process: " << certifier->Name() << " is already active\n";
        any = true;
        continue;
      }
      if (locked_) return Status::InvalidArgument("the certifiers are locked; TELL CA UNLOCK IDFILE first");
      bool automatic = certifier->config && ActivatesWithoutPassword(*certifier->config);
      if (password.empty() && !automatic) {
        last = Status::InvalidArgument(certifier->Name() + " needs its password: TELL CA ACTIVATE " +
                                       std::to_string(certifier->number) + " <password>");
        if (chosen.size() > 1)
          out << "CA Process: " << certifier->Name() << " stays inactive: " << last.message() << "\n";
        continue;
      }
      last = ActivateLocked(*certifier, automatic ? "" : password);
      if (last.ok()) {
        out << "CA Process: Activated " << certifier->Name() << "\n";
        any = true;
      } else if (chosen.size() > 1) {
        out << "CA Process: " << certifier->Name() << " stays inactive: " << last.message() << "\n";
      }
    }
    if (!any) return last.ok() ? Status::InvalidArgument("nothing to activate") : last;
    return WithoutFinalNewline(out.str());
  }

  Result<std::string> DeactivateCommand(const std::vector<std::string>& args) {
    if (args.empty()) return Status::InvalidArgument("usage: TELL CA DEACTIVATE <certifier number|name|*>");
    NOTESD_ASSIGN_OR_RETURN(std::vector<CaCertifier*> chosen, Select(args[0]));
    // The log line is the answer: the console shows it, and `nserver -c` and the remote
    // console get it with the command's log lines (answering it again printed it twice).
    for (CaCertifier* certifier : chosen) {
      keyring_->Remove(certifier->Name());
      Log("Deactivated " + certifier->Name() + " (TELL CA ACTIVATE " + std::to_string(certifier->number) +
          " <password> to reactivate)");
    }
    return std::string();
  }

  Status ExpectIdFileWord(const std::vector<std::string>& args, const char* verb) {
    if (args.empty()) return Status::InvalidArgument(std::string("usage: TELL CA ") + verb + " IDFILE");
    return MatchKeyword(args[0], {"IDFILE"}, std::string(verb) + " option").status();
  }

  Result<std::string> LockCommand(const std::vector<std::string>& args) {
    NOTESD_RETURN_IF_ERROR(ExpectIdFileWord(args, "LOCK"));
    locked_ = true;
    for (const CaCertifier& certifier : certifiers_) keyring_->Remove(certifier.Name());
    Log("All certifier ID files are locked");
    return std::string("CA Process: All certifiers are locked and inactive; TELL CA UNLOCK IDFILE to unlock them");
  }

  Result<std::string> UnlockCommand(const std::vector<std::string>& args) {
    NOTESD_RETURN_IF_ERROR(ExpectIdFileWord(args, "UNLOCK"));
    locked_ = false;
    std::string password = args.size() > 1 ? args[1] : "";
    std::ostringstream out;
    out << "CA Process: Certifier ID files unlocked";
    for (CaCertifier& certifier : certifiers_) {
      if (!certifier.config || keyring_->IsActive(certifier.Name())) continue;
      bool automatic = ActivatesWithoutPassword(*certifier.config);
      if (!automatic && password.empty()) continue;
      Status activated = ActivateLocked(certifier, automatic ? "" : password);
      out << "\nCA Process: " << certifier.Name()
          << (activated.ok() ? " is active" : " stays inactive: " + activated.message());
    }
    return out.str();
  }

  Result<std::string> ShowQueueCommand(const std::vector<std::string>& args) {
    if (args.empty() || !MatchKeyword(args[0], {"QUEUE"}, "SHOW option").ok())
      return Status::InvalidArgument("usage: TELL CA SHOW QUEUE <certifier number|name|*>");
    NOTESD_ASSIGN_OR_RETURN(std::vector<CaCertifier*> chosen, Select(args.size() > 1 ? args[1] : "*"));
    std::ostringstream out;
    for (CaCertifier* certifier : chosen) {
      NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> requests, requests_->ForTarget(certifier->Name()));
      std::vector<const AdminRequest*> pending;
      for (const AdminRequest& request : requests)
        if (request.IsPending() && !EqualsIgnoreCase(request.type, kRequestCreateInternetCertifier))
          pending.push_back(&request);
      out << "CA Process: Certifier " << certifier->number << " (" << certifier->Name() << "): " << pending.size()
          << " pending request(s)\n";
      for (const AdminRequest* request : pending)
        out << "  " << request->unid << "  " << request->type << "  " << RequestStatusName(request->status) << "\n";
    }
    std::string text = out.str();
    if (text.empty()) return std::string("CA Process: No certifiers");
    return WithoutFinalNewline(text);
  }

  Result<std::string> CrlCommand(const std::vector<std::string>& args) {
    if (args.size() < 2) return Status::InvalidArgument("usage: TELL CA CRL ISSUE|INFO <certifier number|name>");
    NOTESD_ASSIGN_OR_RETURN(std::string what, MatchKeyword(args[0], {"ISSUE", "INFO", "PUSH"}, "CRL option"));
    NOTESD_ASSIGN_OR_RETURN(std::vector<CaCertifier*> chosen, Select(args[1]));
    if (what == "PUSH")
      return Status::InvalidArgument(
          "TELL CA CRL PUSH is not supported: notesd keeps CRLs in the ICL (TELL CA CRL INFO)");
    std::ostringstream out;
    for (CaCertifier* certifier : chosen) {
      if (!certifier->icl || !certifier->config) {
        out << "CA Process: " << certifier->Name() << ": " << certifier->problem << "\n";
        continue;
      }
      if (what == "ISSUE") {
        NOTESD_RETURN_IF_ERROR(IssueCrlLocked(*certifier, false).status());
        continue;
      }
      std::optional<bool> kind;
      if (args.size() > 2) kind = EqualsIgnoreCase(args[2], "s");
      for (bool regular : {true, false}) {
        if (kind && *kind != regular) continue;
        NOTESD_ASSIGN_OR_RETURN(std::optional<CrlRecord> crl, certifier->icl->LatestCrl(regular));
        out << "CA Process: " << certifier->Name() << " " << (regular ? "regular" : "non-regular") << " CRL: ";
        if (!crl) {
          out << "none\n";
          continue;
        }
        out << "#" << crl->number << ", issued " << Time(crl->this_update) << ", next update " << Time(crl->next_update)
            << ", " << crl->revoked_count << " revoked certificate(s)\n";
      }
    }
    return WithoutFinalNewline(out.str());
  }

  TaskContext& context_;
  std::shared_ptr<CaKeyring> keyring_;
  std::string server_name_;
  IdFile server_id_;
  std::shared_ptr<Directory> directory_;
  std::shared_ptr<AdminRequestsDb> requests_;
  mutable std::mutex mutex_;
  std::vector<CaCertifier> certifiers_;
  int next_number_ = 1;
  bool locked_ = false;
  int64_t last_refresh_ = 0;    // the maintenance worker's own
  int64_t last_crl_check_ = 0;  // the maintenance worker's own
  std::unique_ptr<TaskWorker> worker_;
};

}  // namespace

std::span<const ConfigKey> CaConfigKeys() { return kCaKeys; }

TaskSpec CaTaskSpec(const std::shared_ptr<CaKeyring>& keyring) {
  return {"CA",
          "CA Process",
          {"nca"},
          kCaKeys,
          [keyring](TaskContext& context) { return std::make_unique<CaTask>(context, keyring); },
          &CaGrammar()};
}

}  // namespace notesd
