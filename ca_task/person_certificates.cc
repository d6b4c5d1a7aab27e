#include "ca_task/person_certificates.h"

#include "base/wall_clock.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "ca_task/crl_publication.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr std::time_t kBackdateSeconds = 3600;
constexpr unsigned kMaxSigningThreads = 8;

std::time_t NowSeconds(const HandlerContext& context) {
  return static_cast<std::time_t>(ClockOrWall(context.clock).NowSeconds());
}

// `now` plus whole calendar years (UTC); 29 February becomes 1 March.
std::time_t AddYears(std::time_t now, int years) {
  std::tm utc{};
  gmtime_r(&now, &utc);
  utc.tm_year += years;
  return timegm(&utc);
}

std::string NoInternetAddress(const Person& person) {
  return person.name.Abbreviated() +
         " has no Internet address; set one in the Person document before adding an Internet "
         "certificate";
}

Status CheckValidityYears(int years) {
  if (years < kPersonCertMinYears || years > kPersonCertMaxYears)
    return Status::InvalidArgument("ValidityYears must be " + std::to_string(kPersonCertMinYears) + ".." +
                                   std::to_string(kPersonCertMaxYears) + ", not " + std::to_string(years));
  return Status::Ok();
}

// The person's own checks, shared by the request maker and the handler.
Status CheckPerson(const Person& person) {
  if (TrimSpaces(person.internet_address).empty()) return Status::InvalidArgument(NoInternetAddress(person));
  if (person.public_key_pem.empty())
    return Status::InvalidArgument(person.name.Abbreviated() + " has no Notes public key in the Person document");
  return Status::Ok();
}

Result<int> ValidityFromRequest(const AdminRequest& request) {
  std::string text = TrimSpaces(request.Param(kParamValidityYears));
  if (text.empty()) return kPersonCertDefaultYears;
  int years = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), years);
  if (error != std::errc() || end != text.data() + text.size())
    return Status::InvalidArgument("ValidityYears '" + text + "' is not a number");
  NOTESD_RETURN_IF_ERROR(CheckValidityYears(years));
  return years;
}

// The root's subject without its CN and emailAddress: what every person certificate of
// the certifier shares.
Result<X509NamePtr> SubjectBase(X509* root) {
  X509NamePtr base(X509_NAME_new());
  if (!base) return Status::Internal("cannot make an X.509 name: " + OpenSslErrors());
  const X509_NAME* root_name = X509_get_subject_name(root);
  for (int i = 0; i < X509_NAME_entry_count(root_name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(root_name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (nid == NID_commonName || nid == NID_pkcs9_emailAddress) continue;
    if (X509_NAME_add_entry(base.get(), entry, -1, 0) != 1)
      return Status::Internal("cannot copy the certifier's subject: " + OpenSslErrors());
  }
  return base;
}

Result<X509NamePtr> PersonSubject(const X509_NAME* base, const Person& person) {
  X509NamePtr subject(X509_NAME_dup(base));
  const std::string common_name = person.name.CommonName();
  if (!subject || X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                             reinterpret_cast<const unsigned char*>(common_name.data()),
                                             static_cast<int>(common_name.size()), -1, 0) != 1)
    return Status::InvalidArgument("cannot put the common name '" + common_name +
                                   "' in a certificate subject: " + OpenSslErrors());
  return subject;
}

// The request for `person`'s certificate but for its public key, which the caller sets
// (`ec_key`: the key is EC, so keyAgreement instead of keyEncipherment).
Result<CertRequest> BuildRequest(X509* root, const X509_NAME* base, const Person& person, bool ec_key,
                                 const std::string& serial_hex, std::time_t now, int validity_years,
                                 const std::string& crl_url) {
  if (root == nullptr) return Status::InvalidArgument("a person certificate needs a root");
  NOTESD_RETURN_IF_ERROR(CheckValidityYears(validity_years));
  std::string address = TrimSpaces(person.internet_address);
  if (address.empty()) return Status::InvalidArgument(NoInternetAddress(person));
  NOTESD_ASSIGN_OR_RETURN(std::time_t root_not_after, NotAfter(root));
  CertRequest request;
  NOTESD_ASSIGN_OR_RETURN(request.subject, PersonSubject(base, person));
  request.serial_hex = serial_hex;
  request.not_before = now - kBackdateSeconds;
  request.not_after = std::min(AddYears(now, validity_years), root_not_after);
  if (request.not_after <= now)
    return Status::InvalidArgument("the certifier's root certificate (" + SubjectText(root) +
                                   ") expires before a certificate could start; renew the certifier");
  request.is_ca = false;
  request.key_usage =
      kKeyUsageDigitalSignature | kKeyUsageNonRepudiation | (ec_key ? kKeyUsageKeyAgreement : kKeyUsageKeyEncipherment);
  request.extended_key_usage = kExtKeyUsageEmailProtection;
  request.emails = {address};
  request.crl_distribution_point = crl_url;
  return request;
}

bool SameText(const std::string& a, const std::string& b) { return EqualsIgnoreCase(a, b); }

// ---- The handler ------------------------------------------------------------------------

// One request of a chunk as it goes through the steps.
struct Work {
  const AdminRequest* request = nullptr;
  Status status;  // the request's outcome so far
  int validity_years = 0;
  std::string certifier;  // canonical name, as typed in the request until resolved
  Person person;
  std::optional<PublicKeyInfo> key_info;  // the person's key as stored (the fast path)
  EvpPkeyPtr person_key;                  // or decoded, for a PEM form other than "PUBLIC KEY"
  std::string serial;                     // reserved, reused or re-signed
  std::string pem;                        // the certificate to put in the Person document
  bool needs_signing = false;
  bool revoked_earlier = false;
  X509Ptr certificate;  // signed in this run
};

// A certifier used by the chunk, looked up once.
struct CertifierInfo {
  Status status;
  InternetCertifierDocument document;
  std::shared_ptr<IclDatabase> icl;
};

class AddInternetCertificateHandler final : public AdminRequestHandler {
 public:
  AddInternetCertificateHandler(std::shared_ptr<CaKeyring> keyring, CaStepHook hook)
      : keyring_(std::move(keyring)), hook_(std::move(hook)) {}

  std::string Type() const override { return kRequestAddInternetCertificate; }
  std::size_t MaxBatch() const override { return kPersonCertMaxBatch; }

  Status Handle(const AdminRequest& request, HandlerContext& context) override {
    std::vector<BatchOutcome> outcomes = HandleBatch(std::span<const AdminRequest>(&request, 1), context);
    context.results = std::move(outcomes.front().results);
    return outcomes.front().status;
  }

  std::vector<BatchOutcome> HandleBatch(std::span<const AdminRequest> requests, HandlerContext& context) override {
    std::vector<Work> work(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) work[i].request = &requests[i];
    if (!context.directory || !keyring_) {
      for (Work& one : work) one.status = Status::Internal("no directory or CA keyring for the handler");
    } else {
      Run(work, context);
    }
    std::vector<BatchOutcome> outcomes;
    outcomes.reserve(work.size());
    for (Work& one : work) {
      BatchOutcome outcome{std::move(one.status), {}};
      if (outcome.status.ok()) {
        outcome.results.results[kResultSerial] = one.serial;
        outcome.results.results[kResultCertifier] = one.certifier;
      }
      outcomes.push_back(std::move(outcome));
    }
    return outcomes;
  }

 private:
  void Step(std::string_view step) const {
    if (hook_) hook_(step);
  }

  void Run(std::vector<Work>& work, HandlerContext& context) {
    Directory& directory = *context.directory;
    std::map<std::string, CertifierInfo> certifiers = Check(work, directory, context);

    // Steps 1-4 per certifier (a chunk normally has one).
    for (auto& [key, info] : certifiers) {
      if (!info.status.ok()) continue;
      std::vector<Work*> mine;
      for (Work& one : work)
        if (one.status.ok() && ToLowerAscii(one.certifier) == key) mine.push_back(&one);
      if (!mine.empty()) Issue(mine, info, context);
    }

    UpdatePeople(work, directory);
  }

  // Parses and checks every request; resolves people, authors and certifiers in a few
  // read transactions. Returns the certifiers by lower-cased canonical name.
  std::map<std::string, CertifierInfo> Check(std::vector<Work>& work, Directory& directory, HandlerContext& context) {
    std::vector<std::string> names;
    for (Work& one : work) {
      Result<int> years = ValidityFromRequest(*one.request);
      if (!years.ok()) {
        one.status = years.status();
      } else {
        one.validity_years = *years;
      }
      one.certifier = one.request->Param(kParamCertifier);
      names.push_back(one.request->target);
      names.push_back(one.request->author);
    }
    Result<std::vector<Result<Person>>> people = directory.FindPeople(names);
    if (!people.ok()) {
      for (Work& one : work) one.status = people.status();
      return {};
    }

    std::map<std::string, CertifierInfo> certifiers;              // by the name as typed, lower-cased
    std::map<std::string, CertifierInfo> resolved;                // by canonical name, lower-cased
    std::map<std::pair<std::string, std::string>, Status> roles;  // (author, certifier) -> RA check
    for (std::size_t i = 0; i < work.size(); ++i) {
      Work& one = work[i];
      if (!one.status.ok()) continue;
      const Result<Person>& person = (*people)[2 * i];
      const Result<Person>& author = (*people)[2 * i + 1];
      if (!person.ok()) {
        one.status = person.status();
        continue;
      }
      one.person = *person;
      if (one.certifier.empty()) {
        one.status = Status::InvalidArgument("the request names no certifier (parameter Certifier)");
        continue;
      }
      auto [it, added] = certifiers.try_emplace(ToLowerAscii(one.certifier));
      CertifierInfo& info = it->second;
      if (added) info = LoadCertifier(directory, one.certifier, context);
      if (!info.status.ok()) {
        one.status = info.status;
        continue;
      }
      one.certifier = info.document.base.name.Canonical();
      resolved.try_emplace(ToLowerAscii(one.certifier), info);
      if (!author.ok()) {
        one.status = author.status().code() == StatusCode::kNotFound
                         ? Status::PermissionDenied("the author " + one.request->author + " is not in the directory")
                         : author.status();
        continue;
      }
      auto role = roles.find({ToLowerAscii(author->name.Canonical()), ToLowerAscii(one.certifier)});
      if (role == roles.end()) {
        role = roles
                   .emplace(std::make_pair(ToLowerAscii(author->name.Canonical()), ToLowerAscii(one.certifier)),
                            RequireCertifierRole(directory, info.document, *author, CertifierRole::kRa))
                   .first;
      }
      if (!role->second.ok()) {
        one.status = role->second;
        continue;
      }
      if (Status person_ok = CheckPerson(one.person); !person_ok.ok()) {
        one.status = person_ok;
        continue;
      }
      // The key itself is parsed by the signing threads (it costs as much as a signature).
    }
    return resolved;
  }

  static CertifierInfo LoadCertifier(Directory& directory, const std::string& name, const HandlerContext& context) {
    CertifierInfo info;
    Result<std::optional<InternetCertifierDocument>> found = FindInternetCertifier(directory, name);
    if (!found.ok()) {
      info.status = found.status();
      return info;
    }
    if (!*found) {
      info.status = Status::NotFound("no Internet certifier '" + name + "' in names.nsf");
      return info;
    }
    info.document = **found;
    Result<std::shared_ptr<IclDatabase>> icl = HandlerIcl(context, info.document.base.icl_file, false);
    if (!icl.ok()) {
      info.status = icl.status();
      return info;
    }
    info.icl = *icl;
    return info;
  }

  // Steps 1-4 for the requests of one certifier.
  void Issue(std::vector<Work*>& mine, CertifierInfo& info, HandlerContext& context) {
    IclDatabase& icl = *info.icl;
    const std::string certifier = info.document.base.name.Canonical();
    auto fail_all = [&](const Status& status, bool only_signing) {
      for (Work* one : mine)
        if (one->status.ok() && (!only_signing || one->needs_signing)) one->status = status;
    };

    // 1. What earlier attempts of these requests made.
    std::vector<std::string> unids;
    for (Work* one : mine) unids.push_back(one->request->unid);
    Result<std::vector<std::vector<IssuedCertificate>>> earlier = icl.ForRequests(unids);
    if (!earlier.ok()) return fail_all(earlier.status(), false);
    std::vector<SerialReservation> reservations;
    std::vector<Work*> reserving;
    reservations.reserve(mine.size());
    reserving.reserve(mine.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      Work& one = *mine[i];
      const IssuedCertificate* best = nullptr;
      for (const IssuedCertificate& entry : (*earlier)[i]) {
        auto rank = [](CertStatus status) {
          return status == CertStatus::kValid ? 3 : status == CertStatus::kRevoked ? 2 : 1;
        };
        if (best == nullptr || rank(entry.status) > rank(best->status)) best = &entry;
      }
      if (best == nullptr) {
        one.needs_signing = true;
        reservations.push_back({one.request->unid, one.person.name.Canonical()});
        reserving.push_back(&one);
      } else if (best->status == CertStatus::kValid) {
        one.serial = best->serial_hex;
        one.pem = best->certificate_pem;
      } else if (best->status == CertStatus::kRevoked) {
        one.serial = best->serial_hex;
        one.revoked_earlier = true;
      } else {
        one.serial = best->serial_hex;
        one.needs_signing = true;
      }
    }
    bool any_signing = std::any_of(mine.begin(), mine.end(), [](const Work* one) { return one->needs_signing; });
    if (!any_signing) return;
    // Nothing is reserved for a certifier whose key is not here (the request is retried).
    if (!keyring_->IsActive(certifier))
      return fail_all(Status::Unavailable(
                          "certifier " + info.document.base.name.Abbreviated() +
                          " is not active in the CA process (start the CA task, or TELL CA ACTIVATE it)"),
                      true);

    // 2. Serials for the requests that have none yet.
    if (!reservations.empty()) {
      Result<std::vector<std::string>> serials = icl.ReserveSerials(reservations);
      if (!serials.ok()) return fail_all(serials.status(), true);
      for (std::size_t i = 0; i < reserving.size(); ++i) reserving[i]->serial = (*serials)[i];
    }
    Step("reserve");

    // 3. Sign them, in parallel, with the key borrowed from the keyring for the call.
    std::vector<Work*> signing;
    for (Work* one : mine)
      if (one->status.ok() && one->needs_signing) signing.push_back(one);
    std::string crl_url =
        context.config ? CrlDistributionUrl(context.config(), info.document.base.name.CommonName()) : "";
    std::time_t now = NowSeconds(context);
    Status signed_all = keyring_->WithSigner(certifier, [&](const CertifierSigner& signer) -> Status {
      Result<std::string> root_pem = CertificateToPem(signer.Certificate());
      if (!root_pem.ok() || *root_pem != info.document.base.certificate_pem)
        return Status::PermissionDenied("the active key of " + certifier + " is not the one in its Certifier document");
      NOTESD_ASSIGN_OR_RETURN(X509NamePtr base, SubjectBase(signer.Certificate()));
      SignInParallel(signing, signer, base.get(), now, crl_url);
      return Status::Ok();
    });
    if (!signed_all.ok()) return fail_all(signed_all, true);
    Step("sign");

    // 4. Record them Valid.
    std::vector<X509*> certificates;
    std::vector<Work*> recording;
    for (Work* one : signing) {
      if (!one->status.ok()) continue;
      certificates.push_back(one->certificate.get());
      recording.push_back(one);
    }
    if (certificates.empty()) return;
    Result<std::vector<Status>> recorded = icl.RecordIssuedMany(certificates);
    if (!recorded.ok()) {
      for (Work* one : recording) one->status = recorded.status();
      return;
    }
    for (std::size_t i = 0; i < recording.size(); ++i)
      if (!(*recorded)[i].ok()) recording[i]->status = (*recorded)[i];
    Step("record");
    if (context.log)
      context.log->Log("CA Process", "Certifier " + info.document.base.name.Abbreviated() + " issued " +
                                         std::to_string(certificates.size()) + " Internet certificate(s)");
  }

  // The certificate request of `one`, with the person's public key as stored (copied into
  // the certificate without decoding it); a PEM form other than "PUBLIC KEY" is decoded.
  static Result<CertRequest> RequestFor(Work& one, X509* root, const X509_NAME* base, std::time_t now,
                                        const std::string& crl_url) {
    Result<PublicKeyInfo> info = PublicKeyInfo::FromPem(one.person.public_key_pem);
    if (info.ok()) {
      one.key_info = std::move(*info);
    } else {
      Result<EvpPkeyPtr> decoded = PublicKeyFromPem(one.person.public_key_pem);
      if (!decoded.ok())
        return Status::InvalidArgument("the Notes public key of " + one.person.name.Abbreviated() +
                                       " cannot be read: " + decoded.status().message());
      one.person_key = std::move(*decoded);
    }
    bool ec_key = one.key_info ? one.key_info->IsEc() : EVP_PKEY_get_base_id(one.person_key.get()) == EVP_PKEY_EC;
    NOTESD_ASSIGN_OR_RETURN(CertRequest request,
                            BuildRequest(root, base, one.person, ec_key, one.serial, now, one.validity_years, crl_url));
    if (one.key_info)
      request.public_key_info = &*one.key_info;
    else
      request.public_key = one.person_key.get();
    return request;
  }

  // Signs each request's certificate on up to kMaxSigningThreads threads. `signer` and
  // `base` are only read, which OpenSSL 3 allows from several threads at once; each
  // thread builds its own certificates.
  static void SignInParallel(std::vector<Work*>& signing, const CertifierSigner& signer, const X509_NAME* base,
                             std::time_t now, const std::string& crl_url) {
    X509* root = signer.Certificate();
    auto sign_one = [&](const CertificateIssuer& issuer, Work& one) {
      try {
        Result<CertRequest> request = RequestFor(one, root, base, now, crl_url);
        if (!request.ok()) {
          one.status = request.status();
          return;
        }
        Result<X509Ptr> certificate = issuer.Issue(*request);
        if (!certificate.ok()) {
          one.status = certificate.status();
          return;
        }
        Result<std::string> pem = CertificateToPem(certificate->get());
        if (!pem.ok()) {
          one.status = pem.status();
          return;
        }
        one.certificate = std::move(*certificate);
        one.pem = std::move(*pem);
      } catch (const std::exception& e) {
        one.status = Status::Internal(std::string("cannot sign: ") + e.what());
      }
    };
    unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxSigningThreads);
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, signing.size()));
    std::atomic<std::size_t> next{0};
    // Each thread prepares its own issuer (one signing context, copied per certificate).
    auto worker = [&] {
      Result<CertificateIssuer> issuer = signer.PrepareIssuer();
      for (std::size_t i = next++; i < signing.size(); i = next++) {
        if (issuer.ok())
          sign_one(*issuer, *signing[i]);
        else
          signing[i]->status = issuer.status();
      }
    };
    if (threads <= 1) {
      worker();
      return;
    }
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& thread : pool) thread.join();
  }

  // 5. Every done request's certificate first in its Person document, in one names.nsf
  // transaction. The people are read again just before, so the window in which an edit
  // of the same Person document could be lost is short.
  void UpdatePeople(std::vector<Work>& work, Directory& directory) {
    std::vector<Work*> updating;
    std::vector<std::string> names;
    for (Work& one : work) {
      if (!one.status.ok() || one.pem.empty()) continue;
      updating.push_back(&one);
      names.push_back(one.person.name.Canonical());
    }
    if (updating.empty()) return;
    Result<std::vector<Result<Person>>> fresh = directory.FindPeople(names);
    if (!fresh.ok()) {
      for (Work* one : updating) one->status = fresh.status();
      return;
    }
    std::map<NoteId, Person> changed;  // by note: two requests for one person merge
    std::map<NoteId, std::vector<Work*>> owners;
    for (std::size_t i = 0; i < updating.size(); ++i) {
      Work& one = *updating[i];
      if (!(*fresh)[i].ok()) {
        one.status = (*fresh)[i].status();
        continue;
      }
      NoteId id = (*fresh)[i]->note_id;
      auto [it, added] = changed.try_emplace(id, *(*fresh)[i]);
      owners[id].push_back(&one);
      std::vector<std::string>& held = it->second.internet_certificates_pem;
      if (std::find(held.begin(), held.end(), one.pem) == held.end()) held.insert(held.begin(), one.pem);
    }
    std::vector<Person> people;
    people.reserve(changed.size());
    for (auto& [id, person] : changed) people.push_back(person);
    if (people.empty()) return;
    Result<std::vector<Person>> stored = directory.UpdatePeople(people);
    if (!stored.ok()) {
      // One bad Person document must not fail the others: redo them one at a time.
      for (Person& person : people) {
        Result<Person> one = directory.UpdatePerson(person);
        if (!one.ok())
          for (Work* owner : owners[person.note_id]) owner->status = one.status();
      }
    }
    Step("person");
  }

  std::shared_ptr<CaKeyring> keyring_;
  CaStepHook hook_;
};

// ---- Revocation reasons -------------------------------------------------------------------

struct ReasonName {
  int number;
  const char* name;
};
constexpr std::array<ReasonName, 8> kReasons = {{{0, "unspecified"},
                                                 {1, "keyCompromise"},
                                                 {2, "cACompromise"},
                                                 {3, "affiliationChanged"},
                                                 {4, "superseded"},
                                                 {5, "cessationOfOperation"},
                                                 {6, "certificateHold"},
                                                 {9, "privilegeWithdrawn"}}};

}  // namespace

Result<AdminRequest> MakeAddInternetCertificateRequest(Directory& directory, const InternetCertifierDocument& certifier,
                                                       const Person& person, const Person& author,
                                                       const std::string& server_name, int validity_years) {
  NOTESD_RETURN_IF_ERROR(RequireCertifierRole(directory, certifier, author, CertifierRole::kRa));
  NOTESD_RETURN_IF_ERROR(CheckPerson(person));
  NOTESD_RETURN_IF_ERROR(CheckValidityYears(validity_years));
  AdminRequest request;
  request.type = kRequestAddInternetCertificate;
  request.author = author.name.Canonical();
  request.server = server_name.empty() ? certifier.ca_server : server_name;
  request.target = person.name.Canonical();
  request.SetParam(kParamCertifier, certifier.base.name.Canonical());
  request.SetParam(kParamValidityYears, std::to_string(validity_years));
  return request;
}

Result<CertRequest> PersonCertificateRequest(X509* root, const Person& person, EVP_PKEY* person_key,
                                             const std::string& serial_hex, std::time_t now, int validity_years,
                                             const std::string& crl_url) {
  if (root == nullptr) return Status::InvalidArgument("a person certificate needs its certifier's root");
  NOTESD_ASSIGN_OR_RETURN(X509NamePtr base, SubjectBase(root));
  if (person_key == nullptr) return Status::InvalidArgument("a person certificate needs a key");
  NOTESD_ASSIGN_OR_RETURN(CertRequest request,
                          BuildRequest(root, base.get(), person, EVP_PKEY_get_base_id(person_key) == EVP_PKEY_EC,
                                       serial_hex, now, validity_years, crl_url));
  request.public_key = person_key;
  return request;
}

std::shared_ptr<AdminRequestHandler> MakeAddInternetCertificateHandler(std::shared_ptr<CaKeyring> keyring,
                                                                       CaStepHook hook) {
  return std::make_shared<AddInternetCertificateHandler>(std::move(keyring), std::move(hook));
}

Result<std::vector<IssuedCertificate>> RevokeCertificates(Directory& directory, IclDatabase& icl,
                                                          const InternetCertifierDocument& certifier,
                                                          const RevocationTarget& target, int reason, std::time_t now) {
  const bool by_serial = !TrimSpaces(target.serial_hex).empty();
  const bool by_person = !TrimSpaces(target.person).empty();
  if (by_serial == by_person)
    return Status::InvalidArgument("name either a serial number or a person to revoke, not both");
  if (std::none_of(kReasons.begin(), kReasons.end(), [&](const ReasonName& r) { return r.number == reason; }))
    return Status::InvalidArgument("revocation reason " + std::to_string(reason) + " is not one notesd uses");
  const std::string certifier_name = certifier.base.name.Abbreviated();

  // What matches: Valid certificates of this ICL.
  std::vector<IssuedCertificate> matches;
  if (by_serial) {
    std::string serial = ToUpperAscii(TrimSpaces(target.serial_hex));
    NOTESD_ASSIGN_OR_RETURN(std::optional<IssuedCertificate> found, icl.FindSerial(serial));
    if (!found || found->status != CertStatus::kValid)
      return Status::NotFound("certifier " + certifier_name + " has no valid certificate with serial " + serial);
    matches.push_back(std::move(*found));
  } else {
    std::string canonical = TrimSpaces(target.person);
    std::string shown = canonical;
    if (Result<Person> person = directory.FindPerson(target.person); person.ok()) {
      canonical = person->name.Canonical();
      shown = person->name.Abbreviated();
    } else if (person.status().code() != StatusCode::kNotFound) {
      return person.status();
    } else if (Result<HierName> parsed = HierName::Parse(canonical); parsed.ok()) {
      canonical = parsed->Canonical();
    }
    NOTESD_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> issued, icl.ForPerson(canonical));
    for (IssuedCertificate& entry : issued)
      if (entry.status == CertStatus::kValid) matches.push_back(std::move(entry));
    if (matches.empty())
      return Status::NotFound("certifier " + certifier_name + " has no valid certificate for " + shown);
  }

  // The Person documents first (one transaction), so a crash before the ICL change
  // leaves the certificates Valid and a redo finds them again.
  std::map<NoteId, Person> changed;
  for (const IssuedCertificate& entry : matches) {
    if (entry.person_name.empty() || entry.certificate_pem.empty()) continue;
    Result<Person> person = directory.FindPerson(entry.person_name);
    if (!person.ok()) {
      if (person.status().code() == StatusCode::kNotFound) continue;  // deleted: nothing to remove
      return person.status();
    }
    auto [it, added] = changed.try_emplace(person->note_id, *person);
    std::vector<std::string>& held = it->second.internet_certificates_pem;
    held.erase(std::remove(held.begin(), held.end(), entry.certificate_pem), held.end());
  }
  std::vector<Person> people;
  people.reserve(changed.size());
  for (auto& [id, person] : changed) people.push_back(std::move(person));
  if (!people.empty()) NOTESD_RETURN_IF_ERROR(directory.UpdatePeople(people).status());

  std::vector<std::string> serials;
  serials.reserve(matches.size());
  for (const IssuedCertificate& entry : matches) serials.push_back(entry.serial_hex);
  return icl.RevokeMany(serials, now, reason);
}

Result<int> ParseRevocationReason(std::string_view text) {
  std::string word = TrimSpaces(text);
  for (const ReasonName& reason : kReasons)
    if (SameText(word, reason.name) || word == std::to_string(reason.number)) return reason.number;
  std::string names;
  for (const ReasonName& reason : kReasons)
    names += (names.empty() ? "" : ", ") + std::string(reason.name) + " (" + std::to_string(reason.number) + ")";
  return Status::InvalidArgument("unknown revocation reason '" + word + "'; use one of " + names);
}

const char* RevocationReasonName(int reason) {
  for (const ReasonName& known : kReasons)
    if (known.number == reason) return known.name;
  return "unknown";
}

}  // namespace notesd
