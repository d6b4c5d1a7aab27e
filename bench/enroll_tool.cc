// bench/enroll_tool.cc — the in-process parts of bench/enroll.sh. Not installed, not a test.
//
//   notesd_bench_enroll populate DATA_DIR N DOMAIN [mail]
//       Registers N people ("Bench Person00001/<org of the server>", bench00001@DOMAIN)
//       in DATA_DIR/names.nsf while the server is stopped. Their Notes keys come from a
//       pool of 32 pre-made RSA-2048 keys: key generation is not what the benchmark
//       measures. Written 1,000 people per LMDB transaction. With "mail" each person gets
//       the mail file mail/bench00001.nsf (the Router creates it at the first delivery).
//   notesd_bench_enroll count DATA_DIR ISSUER_CN [ICL_FILE]
//       Reads names.nsf (server stopped) and prints "people=P one=A none=B more=C": how
//       many Bench people hold exactly one, no, or several Internet certificates issued
//       by ISSUER_CN. With ICL_FILE (relative to DATA_DIR) it also reads the ICL and
//       prints "icl_valid=V icl_reserved=R unique_serials=yes|no": V counts the Bench
//       people's Valid certificates there, each Person's certificate must be one of them.
//       Exit 1 unless every Bench person holds exactly one certificate and, with the
//       ICL, the ICL holds exactly one Valid certificate per person under unique serials.
//   notesd_bench_enroll certs DATA_DIR ISSUER_CN ICL_FILE
//       As count, but one line per Bench person, "person bench00001 K" (K certificates of
//       ISSUER_CN in the Person record), then the ICL line; always exit 0 unless a file
//       cannot be read (bench/crash_consistency.py judges the figures).
//   notesd_bench_enroll mail DATA_DIR
//       One line "FILE<TAB>SUBJECT" per message (form Memo) in every DATA_DIR/mail/*.nsf,
//       each opened read-only (server stopped).
//   notesd_bench_enroll ldif DATA_DIR NAMING_CONTEXT OUT_FILE
//       Writes the LDIF bench/ldap.sh loads into OpenLDAP's slapd (slapadd): the
//       organisation entry NAMING_CONTEXT ("o=Acme"), then each Bench person as the LDAP
//       task publishes it (ldap_server/ldap_directory_view.h's PersonEntry: the same DN,
//       cn, sn, givenName, uid, mail, userCertificate;binary and userSMIMECertificate
//       bytes), with the object classes slapd's inetOrgPerson schema knows (no
//       dominoPerson). Reads names.nsf read-only (server stopped). Prints
//       "ldif P people, C certificates".
//   notesd_bench_enroll raw N
//       The limit: signs N S/MIME certificates like the CA's (RSA-2048 issuer, SHA-256,
//       subject CN/O, SAN e-mail, keyUsage, extKeyUsage, SKI, AKI, CRL distribution
//       point) with OpenSSL alone, in one thread, nothing stored. Prints
//       "raw N certificates in S seconds: R/s".
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "pki/crypto.h"
#include "pki/openssl_handles.h"
#include "pki/x509_certs.h"
#include "ca_task/icl_database.h"
#include "ldap_server/ldap_directory_view.h"
#include "pki/base64.h"
#include "store/nsf_database.h"
#include "directory/directory.h"

namespace notesd {
namespace {

constexpr int kKeyPool = 32;
constexpr int kPeoplePerTransaction = 1000;

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "notesd_bench_enroll: " << message << "\n";
  std::exit(2);
}

template <typename T>
T Must(Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what + ": " + result.status().message());
  return std::move(*result);
}

void Must(const Status& status, const std::string& what) {
  if (!status.ok()) Die(what + ": " + status.message());
}

std::string Numbered(int i) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%05d", i);
  return digits;
}

// The organisation of the server: taken from the first Person (the administrator).
std::string OrganisationOf(Directory& directory) {
  std::vector<Person> people = Must(directory.ListPeople(), "listing people");
  if (people.empty()) Die("names.nsf has no Person document; run nserver --setup first");
  std::string abbreviated = people.front().name.Abbreviated();
  return abbreviated.substr(abbreviated.find('/') + 1);
}

int Populate(const std::filesystem::path& data_dir, int count, const std::string& domain, bool mail) {
  auto directory = Must(Directory::Open(data_dir / "names.nsf"), "opening names.nsf");
  std::string org = OrganisationOf(*directory);
  std::vector<std::string> keys;
  for (int i = 0; i < kKeyPool; ++i) {
    EvpPkeyPtr key = Must(GenerateKey(KeySpec::Rsa2048()), "generating a key");
    keys.push_back(Must(PublicKeyToPem(key.get()), "encoding a key"));
  }
  for (int first = 1; first <= count; first += kPeoplePerTransaction) {
    int last = std::min(count, first + kPeoplePerTransaction - 1);
    Must(directory->Database().Write([&](WriteTxn& txn) -> Status {
      for (int i = first; i <= last; ++i) {
        Person person;
        NOTESD_ASSIGN_OR_RETURN(person.name, HierName::Parse("Bench Person" + Numbered(i) + "/" + org));
        person.first_name = "Bench";
        person.last_name = "Person" + Numbered(i);
        person.short_name = "bench" + Numbered(i);
        person.internet_address = person.short_name + "@" + domain;
        person.public_key_pem = keys[i % kKeyPool];
        if (mail) person.mail_file = "mail/" + person.short_name + ".nsf";
        NOTESD_RETURN_IF_ERROR(txn.Create(PersonToNote(person)).status());
      }
      return Status::Ok();
    }),
         "registering people");
  }
  std::cout << "registered " << count << " people under /" << org << "\n";
  return 0;
}

// Checks the ICL against the Person records: one Valid certificate per Bench person,
// every serial once, and each Person's certificate among them.
bool CheckIcl(const std::filesystem::path& icl_path, const std::set<std::string>& person_serials, int people) {
  auto icl = Must(IclDatabase::Open(icl_path, /*create=*/false), "opening the ICL");
  int valid = 0, reserved = 0;
  std::set<std::string> serials, valid_serials;
  bool unique = true;
  for (const IssuedCertificate& issued : Must(icl->Issued(), "reading the ICL")) {
    unique = serials.insert(issued.serial_hex).second && unique;
    if (issued.person_name.find("CN=Bench Person") != 0) continue;
    if (issued.status == CertStatus::kValid) {
      ++valid;
      valid_serials.insert(issued.serial_hex);
    }
    if (issued.status == CertStatus::kReserved) ++reserved;
  }
  bool held = true;
  for (const std::string& serial : person_serials) held = held && valid_serials.count(serial) == 1;
  std::cout << "icl_valid=" << valid << " icl_reserved=" << reserved << " unique_serials=" << (unique ? "yes" : "no")
            << " persons_in_icl=" << (held ? "yes" : "no") << "\n";
  return unique && held && valid == people;
}

// How many of the person's certificates ISSUER_CN issued; their serials go to `serials`.
int CountIssued(const Person& person, const std::string& issuer_cn, std::set<std::string>& serials) {
  int issued = 0;
  for (const std::string& pem : person.internet_certificates_pem) {
    Result<X509Ptr> cert = CertificateFromPem(pem);
    if (!cert.ok() || IssuerCommonName(cert->get()) != issuer_cn) continue;
    ++issued;
    serials.insert(SerialHex(cert->get()));
  }
  return issued;
}

int Count(const std::filesystem::path& data_dir, const std::string& issuer_cn, const std::string& icl_file) {
  int people = 0, one = 0, none = 0, more = 0;
  std::set<std::string> person_serials;
  {
    auto directory = Must(Directory::Open(data_dir / "names.nsf", /*read_only=*/true), "opening names.nsf");
    for (const Person& person : Must(directory->ListPeople(), "listing people")) {
      if (person.first_name != "Bench") continue;
      ++people;
      int issued = CountIssued(person, issuer_cn, person_serials);
      (issued == 1 ? one : issued == 0 ? none : more) += 1;
    }
  }
  std::cout << "people=" << people << " one=" << one << " none=" << none << " more=" << more << "\n";
  bool ok = people > 0 && one == people;
  if (!icl_file.empty()) ok = CheckIcl(data_dir / icl_file, person_serials, people) && ok;
  return ok ? 0 : 1;
}

int Certs(const std::filesystem::path& data_dir, const std::string& issuer_cn, const std::string& icl_file) {
  std::set<std::string> person_serials;
  int people = 0;
  {
    auto directory = Must(Directory::Open(data_dir / "names.nsf", /*read_only=*/true), "opening names.nsf");
    for (const Person& person : Must(directory->ListPeople(), "listing people")) {
      if (person.first_name != "Bench") continue;
      ++people;
      int issued = CountIssued(person, issuer_cn, person_serials);
      std::cout << "person " << person.short_name << " " << issued << "\n";
    }
  }
  CheckIcl(data_dir / icl_file, person_serials, people);
  return 0;
}

int Mail(const std::filesystem::path& data_dir) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::exists(data_dir / "mail")) return 0;  // nothing delivered yet
  for (const auto& entry : std::filesystem::directory_iterator(data_dir / "mail"))
    if (entry.path().extension() == ".nsf") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    NsfOptions options;
    options.read_only = true;
    options.create_if_missing = false;
    auto db = Must(NsfDatabase::Open(file, options), "opening " + file.string());
    Must(db->Read([&](const ReadTxn& txn) -> Status {
      NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.ListNoteIds());
      for (NoteId id : ids) {
        NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
        if (note.form() == "Memo") std::cout << file.filename().string() << "\t" << note.GetText("Subject") << "\n";
      }
      return Status::Ok();
    }),
         "reading " + file.string());
  }
  return 0;
}

void LdifLine(std::ostream& out, const std::string& name, const std::string& value) {
  bool safe = !value.empty() && value.front() != ' ' && value.front() != ':' && value.front() != '<' &&
              value.back() != ' ' && std::all_of(value.begin(), value.end(), [](char c) {
                return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
              });
  if (safe)
    out << name << ": " << value << "\n";
  else
    out << name << ":: " << Base64Flat(value) << "\n";
}

int Ldif(const std::filesystem::path& data_dir, const std::string& naming_context, const std::string& out_file) {
  std::ofstream out(out_file, std::ios::binary | std::ios::trunc);
  if (!out) Die("cannot write " + out_file);
  std::string org = naming_context.substr(naming_context.find('=') + 1);
  out << "dn: " << naming_context << "\nobjectClass: top\nobjectClass: organization\no: " << org << "\n\n";
  int people = 0, certificates = 0;
  std::time_t now = std::time(nullptr);
  auto directory = Must(Directory::Open(data_dir / "names.nsf", /*read_only=*/true), "opening names.nsf");
  Must(directory->ForEachPerson([&](const Person& person) -> Status {
    if (person.first_name != "Bench") return Status::Ok();
    ldap::Entry entry = ldap::PersonEntry(person, now);
    out << "dn: " << entry.dn << "\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n"
        << "objectClass: inetOrgPerson\n";
    for (const ldap::Attribute& attribute : entry.attributes) {
      if (attribute.name == "objectClass") continue;
      for (const std::string& value : attribute.values) LdifLine(out, attribute.name, value);
      if (attribute.name == "userCertificate;binary") certificates += static_cast<int>(attribute.values.size());
    }
    out << "\n";
    ++people;
    return Status::Ok();
  }),
       "reading people");
  out.close();
  if (!out) Die("writing " + out_file);
  std::cout << "ldif " << people << " people, " << certificates << " certificates\n";
  return 0;
}

// One extension from OpenSSL's own configuration syntax, in the issuer/subject context.
void AddExtension(X509* cert, X509V3_CTX* context, int nid, const char* value) {
  X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) Die("adding extension " + std::string(value));
}

X509Ptr MakeRoot(EVP_PKEY* key) {
  X509Ptr root(X509_new());
  X509_set_version(root.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(root.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(root.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(root.get()), 10L * 365 * 86400);
  X509_NAME* name = X509_get_subject_name(root.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Acme"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Bench-Root"), -1, -1,
                             0);
  X509_set_issuer_name(root.get(), name);
  X509_set_pubkey(root.get(), key);
  X509V3_CTX context;
  X509V3_set_ctx(&context, root.get(), root.get(), nullptr, nullptr, 0);
  AddExtension(root.get(), &context, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(root.get(), &context, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(root.get(), &context, NID_subject_key_identifier, "hash");
  if (X509_sign(root.get(), key, EVP_sha256()) == 0) Die("signing the root");
  return root;
}

X509Ptr SignOne(X509* root, EVP_PKEY* root_key, EVP_PKEY* subject_key, int i) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  BignumPtr serial(BN_new());
  BN_rand(serial.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 2L * 365 * 86400);
  std::string common_name = "Bench Person" + Numbered(i);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Acme"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(root));
  X509_set_pubkey(cert.get(), subject_key);
  X509V3_CTX context;
  X509V3_set_ctx(&context, root, cert.get(), nullptr, nullptr, 0);
  std::string san = "email:bench" + Numbered(i) + "@acme.example";
  AddExtension(cert.get(), &context, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), &context, NID_key_usage, "critical,digitalSignature,nonRepudiation,keyEncipherment");
  AddExtension(cert.get(), &context, NID_ext_key_usage, "emailProtection");
  AddExtension(cert.get(), &context, NID_subject_alt_name, san.c_str());
  AddExtension(cert.get(), &context, NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), &context, NID_authority_key_identifier, "keyid:always");
  AddExtension(cert.get(), &context, NID_crl_distribution_points, "URI:http://127.0.0.1:8080/crl/Bench-Root.crl");
  if (X509_sign(cert.get(), root_key, EVP_sha256()) == 0) Die("signing a certificate");
  return cert;
}

int Raw(int count) {
  EvpPkeyPtr root_key = Must(GenerateKey(KeySpec::Rsa2048()), "generating the root key");
  X509Ptr root = MakeRoot(root_key.get());
  std::vector<EvpPkeyPtr> subject_keys;
  subject_keys.reserve(kKeyPool);
  for (int i = 0; i < kKeyPool; ++i) subject_keys.push_back(Must(GenerateKey(KeySpec::Rsa2048()), "generating a key"));
  auto start = std::chrono::steady_clock::now();
  std::size_t der_bytes = 0;
  for (int i = 1; i <= count; ++i) {
    X509Ptr cert = SignOne(root.get(), root_key.get(), subject_keys[i % kKeyPool].get(), i);
    der_bytes += static_cast<std::size_t>(i2d_X509(cert.get(), nullptr));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("raw %d certificates in %.2f seconds: %.0f/s (%zu DER bytes)\n", count, seconds, count / seconds,
              der_bytes);
  return 0;
}

}  // namespace
}  // namespace notesd

int main(int argc, char** argv) {
  using namespace notesd;
  std::vector<std::string> args(argv + 1, argv + argc);
  if ((args.size() == 4 || (args.size() == 5 && args[4] == "mail")) && args[0] == "populate")
    return Populate(args[1], std::stoi(args[2]), args[3], args.size() == 5);
  if (args.size() == 4 && args[0] == "certs") return Certs(args[1], args[2], args[3]);
  if (args.size() == 2 && args[0] == "mail") return Mail(args[1]);
  if ((args.size() == 3 || args.size() == 4) && args[0] == "count")
    return Count(args[1], args[2], args.size() == 4 ? args[3] : "");
  if (args.size() == 2 && args[0] == "raw") return Raw(std::stoi(args[1]));
  if (args.size() == 4 && args[0] == "ldif") return Ldif(args[1], args[2], args[3]);
  std::cerr << "usage: notesd_bench_enroll populate DATA_DIR N DOMAIN [mail] | count DATA_DIR ISSUER_CN [ICL_FILE] |"
               " certs DATA_DIR ISSUER_CN ICL_FILE | mail DATA_DIR | raw N | ldif DATA_DIR NAMING_CONTEXT OUT_FILE\n";
  return 2;
}
