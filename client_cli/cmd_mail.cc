// client_cli/cmd_mail.cc — `notes mail send|list|read|delete|move|folders` and
// `notes contacts add-sender`:
// the user's mail through the home server's client API (POST /api/v1/mail/deposit,
// GET /api/v1/mail/messages[/UNID], .../delete, .../move, /api/v1/mail/folders), with S/MIME (client_cli/mail_smime.h).
//
//   notes mail send --to ADDR [--to ...] [--cc ADDR] --subject S
//                   [--body TEXT | --body-file FILE] [--attach FILE ...]
//                   [--sign] [--encrypt] [--cipher aes256|aes128]
//       builds a MIME message (client_cli/mail_compose.h) from you (your Internet
//       address, from the server) and deposits it in the server's mail.box; recipients
//       may be Internet addresses or Notes names and groups. Delivery Options: --sign
//       makes multipart/signed (detached CMS, your default Internet certificate);
//       --encrypt makes enveloped-data for every recipient and for you (AES-256-CBC,
//       --cipher aes128 for AES-128); both sign, then encrypt. Each recipient's
//       certificate comes from your contacts, then the directory; when one has no
//       usable certificate nothing is sent (exit 1, naming the recipient and why).
//   notes mail list [--folder NAME] [--json]
//       a folder of your mail file (INBOX), in UID (arrival) order: number, * (unread),
//       S (signed; X when tampered), E (encrypted), date, size, From, Subject; --json
//       adds "signed", "encrypted", "tampered" and the folder's "uid_validity" to the
//       server's fields ("uid", "flags", "unread"...). Each message is fetched (without
//       marking it read) to tell (the list API has no S/MIME field).
//   notes mail read N|UNID [--folder NAME] [--no-mark] [--raw | --out FILE] [--json]
//                   [--trust sender|ca | --no-trust]
//       one message: its summary, its S/MIME status (signed by, signature valid or
//       TAMPERED, signer trusted and why, encrypted for whom) and its text (the
//       text part with its transfer encoding undone, S/MIME or not). A valid
//       signature from a signer you do not trust asks whether to create a
//       cross-certificate for the sender's certificate or its issuing CA: --trust
//       answers for scripts, --no-trust declines, a terminal is asked, and without
//       either nothing is trusted and the hint says how. A tampered message exits 1 and
//       its content is not shown. --raw / --out give the stored bytes untouched. The
//       message is marked read (\Seen) as Notes does on opening, unless --no-mark.
//   notes mail delete N|UNID [--folder NAME]     deletes the message from your mail file
//   notes mail move N|UNID FOLDER [--folder NAME]   moves it into FOLDER (a new UID there)
//   notes mail folders [list|create NAME|delete NAME|rename NAME NEW] [--json]
//       your folders with their message and unread counts, UIDVALIDITY and UIDNEXT;
//       INBOX cannot be deleted, renaming it moves its messages (RFC 3501).
// N is a message's number in `notes mail list` of the same --folder (default INBOX).
// Exit codes as every `notes` command (client_context.h).
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/contacts_commands.h"
#include "client_cli/mail_compose.h"
#include "client_cli/mail_smime.h"
#include "client_cli/notes_cli.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "pki/x509_certs.h"
#include "mime/mail_header.h"
#include "mime/mime_entity.h"
#include "base/ascii.h"
#include "pki/base64.h"
#include "base/time_text.h"

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
  bool sign = false;
  bool encrypt = false;
  std::string cipher = "aes256";
  std::optional<std::string> trust;
  bool no_trust = false;
  std::string folder = "INBOX";
  bool no_mark = false;
  std::string target;                  // mail move: the folder to move into
  std::vector<std::string> arguments;  // mail folders: ACTION [NAME [NEW]]
};

// "2026-12-03T05:58:00Z" (the API's RFC 3339 time) as "2026-12-03 05:58".
std::string ShortDate(const std::string& rfc3339) {
  if (rfc3339.size() < 16 || rfc3339[10] != 'T') return rfc3339;
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5);
}

constexpr std::size_t kFromColumn = 24;

std::int64_t JsonInt(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

// The server lists Subject and From as written; the user reads them with their RFC 2047
// encoded words decoded ("=?utf-8?b?...?=" -> UTF-8; a damaged word stays as written).
void DecodeSummary(nlohmann::json& summary) {
  for (const char* field : {"subject", "from"})
    if (auto it = summary.find(field); it != summary.end() && it->is_string())
      *it = mime::DecodeEncodedWords(it->get<std::string>());
}

// The messages of `folder`, each with the folder's "uid_validity".
Result<nlohmann::json> ListMessages(HomeSession& session, const std::string& folder) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json listing,
                          session.server->Get("/api/v1/mail/messages?folder=" + UrlEncode(folder)));
  auto messages = listing.find("messages");
  if (messages == listing.end() || !messages->is_array()) return Status::Internal("the server sent no message list");
  const std::int64_t uid_validity = JsonInt(listing, "uid_validity");
  for (nlohmann::json& m : *messages) {
    DecodeSummary(m);
    m["uid_validity"] = uid_validity;
  }
  return *messages;
}

// The UNID of MESSAGE: a UNID as given, else its number in the listing of `folder`.
Result<std::string> MessageUnid(HomeSession& session, const std::string& which, const std::string& folder) {
  if (which.size() == 32) return which;
  int index = 0;
  try {
    index = std::stoi(which);
  } catch (const std::exception&) {
    return Status::InvalidArgument("'" + which + "' is neither a message number from `notes mail list` nor a UNID");
  }
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json messages, ListMessages(session, folder));
  if (index < 1 || static_cast<std::size_t>(index) > messages.size())
    return Status::NotFound("no message " + which + " (" + folder + " has " + std::to_string(messages.size()) + ")");
  return JsonText(messages[static_cast<std::size_t>(index - 1)], "unid");
}

// The implicit move is noexcept; nlohmann::json's noexcept move calls its invariant assert,
// which is not declared noexcept but cannot throw.
struct FetchedMessage {  // NOLINT(bugprone-exception-escape)
  nlohmann::json summary;
  std::string bytes;
};

// One message; `mark_read` marks it read (\Seen) on the server.
Result<FetchedMessage> FetchMessage(HomeSession& session, const std::string& unid, bool mark_read = false) {
  FetchedMessage fetched;
  NOTESD_ASSIGN_OR_RETURN(fetched.summary, session.server->Get("/api/v1/mail/messages/" + UrlEncode(unid) +
                                                               (mark_read ? "?mark_read=1" : "")));
  DecodeSummary(fetched.summary);
  Result<std::string> bytes = Base64DecodeFlat(JsonText(fetched.summary, "message_base64"));
  if (!bytes.ok()) return bytes.status().WithContext("the server's copy of message " + unid);
  fetched.bytes = std::move(bytes).value();
  return fetched;
}

int Usage(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument ? ReportUsage(status.message()) : ReportFailure(status);
}

// Everything the trust decision needs, owned together so the borrowed pointers live.
struct TrustState {
  std::unique_ptr<ContactsStore> store;
  std::vector<CrossCertificateRecord> cross;
  std::vector<Contact> contacts;
  TrustSources sources;
};

// Reads the cross-certificates (warning about any that fail their signature check) and
// contacts of an open store and rebuilds the trust sources.
Status ReloadTrust(TrustState& state, const IdFile& id) {
  NOTESD_ASSIGN_OR_RETURN(state.cross, state.store->ReadCrossCertificates(id.notes_key()));
  NOTESD_ASSIGN_OR_RETURN(state.contacts, state.store->ListContacts());
  for (const CrossCertificateRecord& record : state.cross)
    if (!record.valid)
      std::cerr << "notes: warning: ignoring the cross-certificate for " << Sanitize(record.subject) << ": "
                << record.problem << "\n";
  state.sources = MakeTrustSources(id, state.cross);
  return Status::Ok();
}

Result<TrustState> LoadTrust(const ClientContext& context, const IdFile& id) {
  TrustState state;
  NOTESD_ASSIGN_OR_RETURN(state.store, OpenContacts(context));
  NOTESD_RETURN_IF_ERROR(ReloadTrust(state, id));
  return state;
}

int RunSend(const MailOptions& o) {
  if (o.to.empty() && o.cc.empty()) return ReportUsage("give at least one recipient with --to");
  if (o.body && o.body_file) return ReportUsage("use --body or --body-file, not both");
  SmimeSendOptions smime_options;
  smime_options.sign = o.sign;
  smime_options.encrypt = o.encrypt;
  if (strcasecmp(o.cipher.c_str(), "aes128") == 0) {
    smime_options.cipher = smime::SmimeCipher::kAes128Cbc;
  } else if (strcasecmp(o.cipher.c_str(), "aes256") != 0) {
    return ReportUsage("--cipher must be aes256 or aes128");
  }
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
  std::vector<std::string> recipients = o.to;
  recipients.insert(recipients.end(), o.cc.begin(), o.cc.end());
  const std::time_t now = std::time(nullptr);

  // Recipient certificates first: a send that cannot be encrypted for everyone stops
  // before anything is composed or deposited.
  std::vector<RecipientCertificate> certificates;
  if (o.encrypt) {
    Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
    if (!store.ok()) return ReportFailure(store.status());
    HomeServerClient* server = session->server.get();
    DirectoryLookup lookup = [server](const std::string& recipient) -> Result<DirectoryEntry> {
      NOTESD_ASSIGN_OR_RETURN(nlohmann::json person, server->Get("/api/v1/people/lookup?name=" + UrlEncode(recipient)));
      DirectoryEntry entry;
      entry.internet_address = JsonText(person, "internet_address");
      auto certs = person.find("internet_certificates");
      if (certs != person.end() && certs->is_array())
        for (const nlohmann::json& pem : *certs)
          if (pem.is_string()) entry.certificates_pem.push_back(pem.get<std::string>());
      return entry;
    };
    Result<std::vector<RecipientCertificate>> resolved = ResolveRecipientCertificates(recipients, **store, lookup, now);
    if (!resolved.ok())
      return ReportFailure(resolved.status().code() == StatusCode::kInvalidArgument
                               ? Status(StatusCode::kNotFound, resolved.status().message())
                               : resolved.status());
    certificates = std::move(resolved).value();
  }

  Result<nlohmann::json> me = session->server->Get("/api/v1/whoami");
  if (!me.ok()) return ReportFailure(me.status());
  std::string address = JsonText(*me, "internet_address");
  request.from_name = AbbreviatedName(JsonText(*me, "name"));
  if (auto slash = request.from_name.find('/'); slash != std::string::npos) request.from_name.resize(slash);
  request.from_address = address.empty() ? JsonText(*me, "name") : address;
  request.date_seconds = now;
  auto random = RandomBytes(12);
  request.unique = random.ok() ? HexEncode(*random) : std::to_string(request.date_seconds);
  Result<std::string> message = ComposeMessage(request);
  if (!message.ok()) return ReportUsage(message.status().message());
  Result<std::string> outgoing = ApplySmime(*message, session->id, certificates, smime_options, now);
  if (!outgoing.ok()) return ReportFailure(outgoing.status());
  Result<nlohmann::json> deposited =
      session->server->Post("/api/v1/mail/deposit",
                            nlohmann::json{{"recipients", recipients}, {"message_base64", Base64Flat(*outgoing)}});
  if (!deposited.ok()) return ReportFailure(deposited.status());
  if (o.json) {
    nlohmann::json encrypted_for = nlohmann::json::array();
    for (const RecipientCertificate& r : certificates)
      encrypted_for.push_back(
          {{"address", r.address}, {"certificate", SubjectText(r.certificate.get())}, {"source", r.source}});
    PrintJson(std::cout, {{"unid", JsonText(*deposited, "unid")},
                          {"server", session->server->ServerLabel()},
                          {"recipients", recipients},
                          {"signed", o.sign},
                          {"encrypted", o.encrypt},
                          {"encrypted_for", encrypted_for}});
    return kExitOk;
  }
  std::string how = o.sign && o.encrypt ? "Signed and encrypted message "
                    : o.sign            ? "Signed message "
                    : o.encrypt         ? "Encrypted message "
                                        : "Message ";
  std::cout << how << JsonText(*deposited, "unid") << " deposited in mail.box on " << session->server->ServerLabel()
            << " for " << recipients.size() << " recipient(s)\n";
  for (const RecipientCertificate& r : certificates)
    std::cout << "  encrypted for " << Sanitize(r.address) << " with " << Sanitize(SubjectText(r.certificate.get()))
              << " (from your " << r.source << ")\n";
  return kExitOk;
}

int RunList(const MailOptions& o) {
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> messages = ListMessages(*session, o.folder);
  if (!messages.ok()) return ReportFailure(messages.status());
  // S/MIME markers: each message is read (and decrypted) to tell; no trust is judged here.
  const std::time_t now = std::time(nullptr);
  smime::SmimeKeys keys = KeysOf(session->id);
  for (nlohmann::json& m : *messages) {
    Result<FetchedMessage> fetched = FetchMessage(*session, JsonText(m, "unid"));
    if (!fetched.ok()) return ReportFailure(fetched.status());
    Result<smime::SmimeReport> report = smime::ReadMessage(fetched->bytes, keys, {}, now);
    m["signed"] = report.ok() && report->IsSigned();
    m["encrypted"] = report.ok() && report->IsEncrypted();
    m["tampered"] = report.ok() && report->AnyTampered();
  }
  if (o.json) {
    PrintJson(std::cout, *messages);
    return kExitOk;
  }
  if (messages->empty()) {
    std::cout << "No messages.\n";
    return kExitOk;
  }
  std::printf("%4s %s %s %s  %-16s  %8s  %s  %s\n", "#", " ", "S", "E", "Delivered (UTC)", "Size",
              FitColumn("From", kFromColumn).c_str(), "Subject");
  int number = 0;
  bool any_tampered = false;
  bool any_unread = false;
  for (const nlohmann::json& m : *messages) {
    std::string from = FitColumn(Sanitize(SenderForList(JsonText(m, "from"))), kFromColumn);
    const char* s = JsonBool(m, "tampered") ? "X" : JsonBool(m, "signed") ? "S" : "-";
    any_tampered = any_tampered || JsonBool(m, "tampered");
    any_unread = any_unread || JsonBool(m, "unread");
    std::printf("%4d %s %s %s  %-16s  %8lld  %s  %s\n", ++number, JsonBool(m, "unread") ? "*" : " ", s,
                JsonBool(m, "encrypted") ? "E" : "-", ShortDate(JsonText(m, "delivered")).c_str(),
                static_cast<long long>(JsonInt(m, "size")), from.c_str(), Sanitize(JsonText(m, "subject")).c_str());
  }
  std::cout << (any_unread ? "* = unread, " : "") << "S = signed, E = encrypted"
            << (any_tampered ? ", X = signed but TAMPERED" : "") << "\n";
  return kExitOk;
}

int RunDelete(const MailOptions& o) {
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<std::string> unid = MessageUnid(*session, o.which, o.folder);
  if (!unid.ok()) return Usage(unid.status());
  Result<nlohmann::json> deleted =
      session->server->Post("/api/v1/mail/messages/" + UrlEncode(*unid) + "/delete", nlohmann::json::object());
  if (!deleted.ok()) return ReportFailure(deleted.status());
  if (o.json) {
    PrintJson(std::cout, *deleted);
    return kExitOk;
  }
  std::cout << "Deleted message " << Sanitize(*unid) << "\n";
  return kExitOk;
}

int RunMove(const MailOptions& o) {
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<std::string> unid = MessageUnid(*session, o.which, o.folder);
  if (!unid.ok()) return Usage(unid.status());
  Result<nlohmann::json> moved = session->server->Post("/api/v1/mail/messages/" + UrlEncode(*unid) + "/move",
                                                       nlohmann::json{{"folder", o.target}});
  if (!moved.ok()) return ReportFailure(moved.status());
  if (o.json) {
    PrintJson(std::cout, *moved);
    return kExitOk;
  }
  std::cout << "Moved message " << Sanitize(*unid) << " to " << Sanitize(o.target) << " (UID " << JsonInt(*moved, "uid")
            << ")\n";
  return kExitOk;
}

int RunFolders(const MailOptions& o) {
  const std::vector<std::string>& a = o.arguments;
  const std::string action = a.empty() ? "list" : a[0];
  const std::size_t wanted = action == "list" ? 1 : action == "rename" ? 3 : 2;
  if ((action != "list" && action != "create" && action != "delete" && action != "rename") ||
      (a.size() != wanted && !(action == "list" && a.empty())))
    return ReportUsage("use: notes mail folders [list | create NAME | delete NAME | rename NAME NEW]");
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  if (action != "list") {
    nlohmann::json body{{"name", a[1]}};
    if (action == "rename") body["new_name"] = a[2];
    Result<nlohmann::json> changed = session->server->Post("/api/v1/mail/folders/" + action, body);
    if (!changed.ok()) return ReportFailure(changed.status());
    if (o.json) {
      PrintJson(std::cout, *changed);
      return kExitOk;
    }
    if (action == "create") std::cout << "Created folder " << Sanitize(a[1]) << "\n";
    if (action == "delete") std::cout << "Deleted folder " << Sanitize(a[1]) << " and its messages\n";
    if (action == "rename") std::cout << "Renamed folder " << Sanitize(a[1]) << " to " << Sanitize(a[2]) << "\n";
    return kExitOk;
  }
  Result<nlohmann::json> listing = session->server->Get("/api/v1/mail/folders");
  if (!listing.ok()) return ReportFailure(listing.status());
  auto folders = listing->find("folders");
  if (folders == listing->end() || !folders->is_array())
    return ReportFailure(Status::Internal("the server sent no folder list"));
  if (o.json) {
    PrintJson(std::cout, *folders);
    return kExitOk;
  }
  std::printf("%-30s  %8s  %8s  %12s  %8s\n", "Folder", "Messages", "Unread", "UIDVALIDITY", "UIDNEXT");
  for (const nlohmann::json& f : *folders)
    std::printf("%-30s  %8lld  %8lld  %12lld  %8lld\n", Sanitize(JsonText(f, "name")).c_str(),
                static_cast<long long>(JsonInt(f, "messages")), static_cast<long long>(JsonInt(f, "unseen")),
                static_cast<long long>(JsonInt(f, "uid_validity")), static_cast<long long>(JsonInt(f, "uid_next")));
  return kExitOk;
}

// Asks on the terminal whether to cross-certify; returns "sender", "ca" or "".
std::string AskTrust(X509* signer, X509* issuing_ca) {
  std::cerr << "You and signer have no certificates in common; signer cannot be assumed to be trustworthy.\n"
            << "Create a cross-certificate for\n  [s] the sender's certificate " << Sanitize(SubjectText(signer))
            << "\n";
  if (issuing_ca != nullptr)
    std::cerr << "  [c] its issuing CA " << Sanitize(SubjectText(issuing_ca))
              << " (trusts every certificate it issued)\n";
  std::cerr << "  [n] do not trust\nChoice [n]: ";
  std::string answer;
  if (!std::getline(std::cin, answer) || answer.empty()) return "";
  char c = AsciiToLower(answer[0]);
  if (c == 's') return "sender";
  if (c == 'c' && issuing_ca != nullptr) return "ca";
  return "";
}

int RunRead(const MailOptions& o) {
  if (o.raw && o.out) return ReportUsage("use --raw or --out, not both");
  if (o.trust && o.no_trust) return ReportUsage("use --trust or --no-trust, not both");
  std::optional<CrossScope> answer;
  if (o.trust) {
    Result<CrossScope> scope = ParseCrossScope(*o.trust);
    if (!scope.ok()) return ReportUsage("--trust must be sender or ca");
    answer = *scope;
  }
  ClientContext context(*o.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<std::string> unid = MessageUnid(*session, o.which, o.folder);
  if (!unid.ok()) return Usage(unid.status());
  Result<FetchedMessage> fetched = FetchMessage(*session, *unid, !o.no_mark);
  if (!fetched.ok()) return ReportFailure(fetched.status());
  const std::string& bytes = fetched->bytes;
  if (o.raw) {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    return kExitOk;
  }
  if (o.out) {
    Status written = WriteFileAtomic(*o.out, bytes, 0600);
    if (!written.ok()) return ReportFailure(written);
    std::cout << "Wrote " << bytes.size() << " bytes to " << *o.out << "\n";
    return kExitOk;
  }

  const std::time_t now = std::time(nullptr);
  Result<TrustState> trust = LoadTrust(context, session->id);
  if (!trust.ok()) return ReportFailure(trust.status());
  Result<JudgedMessage> judged = JudgeMessage(bytes, session->id, trust->sources, now);
  if (!judged.ok()) return ReportFailure(judged.status());

  // A valid signature from a signer this user does not trust: the cross-certificate
  // question, as Notes asks it.
  std::string trust_note;
  const smime::SignedLayer* signature = judged->FirstSignature();
  const TrustVerdict* verdict = judged->FirstVerdict();
  if (signature != nullptr && verdict != nullptr && signature->status == smime::SignatureStatus::kValid &&
      !verdict->trusted && signature->signer) {
    if (!answer && !o.no_trust && StdinIsTerminal() && !o.json) {
      std::string chosen = AskTrust(signature->signer.get(), verdict->issuing_ca.get());
      if (!chosen.empty()) answer = *ParseCrossScope(chosen);
    }
    if (answer) {
      X509* subject = *answer == CrossScope::kCa ? verdict->issuing_ca.get() : signature->signer.get();
      if (subject == nullptr)
        return ReportFailure(Status::NotFound("the message does not carry the certificate of the signer's CA (" +
                                              IssuerText(signature->signer.get()) +
                                              "): cross-certify the sender with --trust sender"));
      Result<CrossCertificateRecord> made =
          trust->store->AddCrossCertificate(subject, *answer, session->id, TimeMicros{now} * 1'000'000);
      if (!made.ok()) return ReportFailure(made.status());
      trust_note = "Created a cross-certificate for " +
                   std::string(*answer == CrossScope::kCa ? "the CA " : "the sender ") + SubjectText(subject) +
                   " in names.nsf";
      if (Status reloaded = ReloadTrust(*trust, session->id); !reloaded.ok()) return ReportFailure(reloaded);
      judged = JudgeMessage(bytes, session->id, trust->sources, now);
      if (!judged.ok()) return ReportFailure(judged.status());
    } else if (o.no_trust) {
      trust_note = "Not trusted: you chose not to create a cross-certificate.";
    } else {
      trust_note =
          "To trust this signer, read the message again with --trust sender (this certificate only) or "
          "--trust ca (every certificate its CA issued); `notes contacts cross-certs` lists what you trust.";
    }
  }

  const smime::SmimeReport& report = judged->report;
  const bool tampered = report.AnyTampered();
  if (o.json) {
    nlohmann::json out = fetched->summary;
    out["smime"] = SmimeJson(*judged, trust->contacts);
    if (!trust_note.empty()) out["smime"]["note"] = trust_note;
    if (report.content_available && !tampered) {
      smime::MessageContent content = smime::ExtractContent(report.content);
      out["text"] = content.text;
      nlohmann::json attachments = nlohmann::json::array();
      for (const smime::ContentAttachment& a : content.attachments)
        attachments.push_back({{"file_name", a.file_name}, {"content_type", a.content_type}, {"size", a.bytes.size()}});
      out["attachments"] = attachments;
    }
    PrintJson(std::cout, out);
    return tampered ? kExitFailed : kExitOk;
  }
  Fields fields = {{"From", Sanitize(JsonText(fetched->summary, "from"))},
                   {"Subject", Sanitize(JsonText(fetched->summary, "subject"))},
                   {"Delivered", ShortDate(JsonText(fetched->summary, "delivered")) + " UTC"},
                   {"Size", std::to_string(JsonInt(fetched->summary, "size")) + " bytes"},
                   {"UNID", JsonText(fetched->summary, "unid")}};
  for (auto& line : DescribeSmime(*judged, trust->contacts)) fields.push_back(std::move(line));
  PrintFields(std::cout, fields);
  if (!trust_note.empty()) std::cout << trust_note << "\n";
  if (tampered) {
    std::cerr << "notes: message " << o.which << " has been TAMPERED with: its content is not shown\n";
    return kExitFailed;
  }
  if (!report.content_available) {
    std::cerr << "notes: message " << o.which << " cannot be opened with your ID\n";
    return kExitFailed;
  }
  // Plain mail too: its text, not its raw header block and transfer encoding (--raw
  // gives the bytes).
  std::cout << "\n" << RenderContent(report.content);
  return kExitOk;
}

// The display name of a From field ("Outside Person" <op@x>, Op <op@x>); "" when none.
std::string DisplayName(const std::string& from) {
  auto angle = from.find('<');
  if (angle == std::string::npos) return "";
  std::string name = from.substr(0, angle);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  return name;
}

}  // namespace

int RunAddSender(const GlobalOptions& global, const std::string& which, bool include_x509, bool json) {
  ClientContext context(global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<std::string> unid = MessageUnid(*session, which, "INBOX");
  if (!unid.ok()) return Usage(unid.status());
  Result<FetchedMessage> fetched = FetchMessage(*session, *unid);
  if (!fetched.ok()) return ReportFailure(fetched.status());
  Result<smime::SmimeReport> report =
      smime::ReadMessage(fetched->bytes, KeysOf(session->id), session->id.TrustAnchors(), std::time(nullptr));
  if (!report.ok()) return ReportFailure(report.status());
  mime::MimeEntity outer = mime::MimeEntity::Parse(fetched->bytes);
  std::string address = report->from_address;
  std::string name = DisplayName(mime::DecodeEncodedWords(outer.Header("From").value_or("")));
  if (address.empty()) return ReportFailure(Status::InvalidArgument("message " + which + " has no From address"));
  if (name.empty()) name = address;

  std::vector<X509*> certificates;
  if (include_x509) {
    const smime::SignedLayer* signature = nullptr;
    for (const smime::SmimeLayer& layer : report->layers)
      if (layer.kind == smime::LayerKind::kSigned) signature = &layer.signature;
    if (signature == nullptr)
      return ReportFailure(Status::NotFound("message " + which +
                                            " is not signed, so it carries no X.509 certificate (a contact without "
                                            "one: drop --include-x509)"));
    if (signature->status == smime::SignatureStatus::kTampered)
      return ReportFailure(
          Status::PermissionDenied("message " + which + " has been tampered with: its certificate is not stored"));
    if (!signature->signer)
      return ReportFailure(
          Status::NotFound("message " + which + "'s signature does not include the signer's certificate"));
    certificates.push_back(signature->signer.get());
    if (!signature->signer_matches_from)
      std::cerr << "notes: warning: the signer's certificate does not name the From address " << Sanitize(address)
                << "\n";
  }
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<ContactsStore::SenderResult> added = (*store)->AddSender(name, address, certificates);
  if (!added.ok()) return ReportFailure(added.status());
  if (json) {
    nlohmann::json out = ContactJson(added->contact);
    out["created"] = added->created;
    out["certificates_added"] = added->certificates_added;
    PrintJson(std::cout, out);
    return kExitOk;
  }
  std::cout << (added->created ? "Added " : "Updated ") << Sanitize(added->contact.full_name) << " <"
            << Sanitize(address) << "> " << (added->created ? "to" : "in") << " your contacts";
  if (include_x509)
    std::cout << " with " << added->certificates_added << " new X.509 certificate(s) (issued by "
              << Sanitize(IssuedBy(certificates.front())) << ")";
  std::cout << "\n";
  return kExitOk;
}

void AddMailCommands(CLI::App& app, CommandLine& line) {
  CLI::App* mail = app.add_subcommand("mail", "Send mail and read your mail file on the home server");
  mail->require_subcommand(1);
  auto options = std::make_shared<MailOptions>();
  options->global = &line.global;

  CLI::App* send = mail->add_subcommand("send", "Send a message (deposited in the server's mail.box)");
  send->add_option("--to", options->to, "Recipient: Internet address, Notes name or group (repeatable)");
  send->add_option("--cc", options->cc, "Copy recipient (repeatable)");
  send->add_option("--subject", options->subject, "Subject")->required();
  AddOptional(send, "--body", options->body, "Message text");
  AddOptional(send, "--body-file,--file", options->body_file, "Read the message text from FILE");
  send->add_option("--attach", options->attach, "Attach FILE (repeatable)")->check(CLI::ExistingFile);
  send->add_flag("--sign", options->sign, "Sign (S/MIME multipart/signed with your Internet certificate)");
  send->add_flag("--encrypt", options->encrypt, "Encrypt (S/MIME) for every recipient and for you");
  send->add_option("--cipher", options->cipher, "Encryption cipher: aes256 (default) or aes128");
  send->add_flag("--json", options->json, "Print JSON (the deposited message's UNID, recipients, S/MIME)");
  OnRun(send, line, [options] { return RunSend(*options); });

  CLI::App* list = mail->add_subcommand("list", "List the messages of a folder of your mail file, oldest first");
  list->add_option("--folder", options->folder, "The folder (default INBOX)");
  list->add_flag("--json", options->json, "Print JSON");
  OnRun(list, line, [options] { return RunList(*options); });

  CLI::App* read = mail->add_subcommand("read", "Show one message of your mail file (and mark it read)");
  read->add_option("MESSAGE", options->which, "Its number in `notes mail list`, or its UNID")->required();
  read->add_option("--folder", options->folder, "The folder MESSAGE's number refers to (default INBOX)");
  read->add_flag("--no-mark", options->no_mark, "Do not mark the message read");
  read->add_flag("--raw", options->raw, "Write the message's RFC 5322 bytes to stdout exactly as stored");
  AddOptional(read, "--out", options->out, "Write the message's bytes to FILE");
  read->add_flag("--json", options->json, "Print JSON (the server's answer and the S/MIME status)");
  AddOptional(read, "--trust", options->trust,
              "Trust an untrusted signer: create a cross-certificate for the 'sender' or its 'ca'");
  read->add_flag("--no-trust", options->no_trust, "Do not create a cross-certificate for an untrusted signer");
  OnRun(read, line, [options] { return RunRead(*options); });

  CLI::App* del = mail->add_subcommand("delete", "Delete a message from your mail file");
  del->add_option("MESSAGE", options->which, "Its number in `notes mail list`, or its UNID")->required();
  del->add_option("--folder", options->folder, "The folder MESSAGE's number refers to (default INBOX)");
  del->add_flag("--json", options->json, "Print JSON");
  OnRun(del, line, [options] { return RunDelete(*options); });

  CLI::App* move = mail->add_subcommand("move", "Move a message into another folder of your mail file");
  move->add_option("MESSAGE", options->which, "Its number in `notes mail list`, or its UNID")->required();
  move->add_option("FOLDER", options->target, "The folder to move it into")->required();
  move->add_option("--folder", options->folder, "The folder MESSAGE's number refers to (default INBOX)");
  move->add_flag("--json", options->json, "Print JSON");
  OnRun(move, line, [options] { return RunMove(*options); });

  CLI::App* folders = mail->add_subcommand("folders", "List, create, delete or rename the folders of your mail file");
  folders->add_option("ACTION", options->arguments, "list (default) | create NAME | delete NAME | rename NAME NEW");
  folders->add_flag("--json", options->json, "Print JSON");
  OnRun(folders, line, [options] { return RunFolders(*options); });
}

}  // namespace notesd::client
