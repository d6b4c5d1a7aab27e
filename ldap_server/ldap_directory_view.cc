#include "ldap_server/ldap_directory_view.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <optional>

#include "base/ascii.h"
#include "pki/crypto.h"
#include "pki/openssl_handles.h"
#include "pki/x509_certs.h"

namespace notesd::ldap {

namespace {

void Add(std::vector<Attribute>& attributes, std::string name, std::vector<std::string> values) {
  std::vector<std::string> kept;
  for (std::string& value : values)
    if (!value.empty()) kept.push_back(std::move(value));
  if (!kept.empty()) attributes.push_back({std::move(name), std::move(kept)});
}

// A PKCS#7 SignedData with only certificates (a .p7c bundle), DER.
std::string CertsOnlyBundle(const std::vector<X509Ptr>& certs) {
  if (certs.empty()) return {};
  Pkcs7Ptr p7(PKCS7_new());
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 || PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1)
    return {};
  for (const X509Ptr& cert : certs)
    if (PKCS7_add_certificate(p7.get(), cert.get()) != 1) return {};
  unsigned char* der = nullptr;
  int length = i2d_PKCS7(p7.get(), &der);
  if (length <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

// The DER of the first "CERTIFICATE" block of `pem`, not decoded.
std::optional<std::string> PemCertificateDer(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  unsigned char* data = nullptr;
  long length = 0;
  if (!bio || PEM_bytes_read_bio(&data, &length, nullptr, PEM_STRING_X509, bio.get(), nullptr, nullptr) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  OPENSSL_free(data);
  return der;
}

std::optional<std::time_t> TimeOf(const unsigned char*& p, const unsigned char* end) {
  ASN1_TIME* time = d2i_ASN1_TIME(nullptr, &p, end - p);
  std::tm parts{};
  bool ok = time != nullptr && ASN1_TIME_to_tm(time, &parts) == 1;
  ASN1_TIME_free(time);
  if (!ok) {
    ERR_clear_error();
    return std::nullopt;
  }
  return timegm(&parts);
}

// notBefore and notAfter of a DER certificate, read from its TBSCertificate (version,
// serial, signature, issuer, validity) without parsing the rest: OpenSSL 3 decodes the
// public key of every X509 it parses through its provider decoders and their global
// locks, which was most of a search's cost. nullopt when the bytes do not read so.
std::optional<std::pair<std::time_t, std::time_t>> DerValidity(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  // One header: its tag (context-specific tags as 0x100 | tag) or -1; past its content
  // unless `enter`.
  auto next = [&](bool enter) -> int {
    long length = 0;
    int tag = 0, cls = 0;
    int flags = ASN1_get_object(&p, &length, &tag, &cls, end - p);
    if ((flags & 0x80) != 0 || flags == 0x21) {  // an error, or an indefinite length (not DER)
      ERR_clear_error();
      return -1;
    }
    if (!enter) p += length;
    return cls == V_ASN1_CONTEXT_SPECIFIC ? 0x100 | tag : tag;
  };
  if (next(true) != V_ASN1_SEQUENCE || next(true) != V_ASN1_SEQUENCE) return std::nullopt;
  const unsigned char* before_version = p;
  if (next(false) != 0x100) p = before_version;  // [0] version is optional (v1)
  if (next(false) != V_ASN1_INTEGER || next(false) != V_ASN1_SEQUENCE || next(false) != V_ASN1_SEQUENCE ||
      next(true) != V_ASN1_SEQUENCE)
    return std::nullopt;
  auto not_before = TimeOf(p, end);
  if (!not_before) return std::nullopt;
  auto not_after = TimeOf(p, end);
  if (!not_after) return std::nullopt;
  return std::make_pair(*not_before, *not_after);
}

// The DER and validity of one stored certificate; through a full parse only when the
// quick read fails. nullopt: not a certificate.
std::optional<std::pair<std::string, std::pair<std::time_t, std::time_t>>> ReadCertificate(const std::string& pem) {
  if (auto der = PemCertificateDer(pem)) {
    if (auto validity = DerValidity(*der)) return std::make_pair(std::move(*der), *validity);
  }
  auto cert = CertificateFromPem(pem);
  if (!cert.ok()) return std::nullopt;
  auto not_before = NotBefore(cert->get());
  auto not_after = NotAfter(cert->get());
  auto bytes = CertificateToDer(cert->get());
  if (!not_before.ok() || !not_after.ok() || !bytes.ok()) return std::nullopt;
  return std::make_pair(std::move(bytes).value(), std::make_pair(*not_before, *not_after));
}

}  // namespace

std::string NameToDn(const HierName& name) {
  std::string dn;
  auto add = [&](const char* type, const std::string& value) {
    if (value.empty()) return;
    if (!dn.empty()) dn.push_back(',');
    dn += type;
    dn.push_back('=');
    dn += EscapeDnValue(value);
  };
  add("cn", name.CommonName());
  for (const std::string& unit : name.OrgUnits()) add("ou", unit);
  add("o", name.Organization());
  add("c", name.Country());
  return dn;
}

std::string DnToNotesName(std::string_view dn) {
  if (dn.find('=') == std::string_view::npos) return std::string(TrimBlanks(dn));
  // "uid=jdoe,o=Acme" and "mail=jane@acme.example,o=Acme": the short name or the address.
  std::string_view first = TrimBlanks(dn.substr(0, dn.find(',')));
  std::string type = ToLowerAscii(TrimBlanks(first.substr(0, first.find('='))));
  if ((type == "uid" || type == "mail") && first.find('\\') == std::string_view::npos)
    return std::string(TrimBlanks(first.substr(first.find('=') + 1)));
  std::string out;
  std::string current;
  auto flush = [&] {
    std::string_view rdn = TrimBlanks(current);
    std::size_t eq = rdn.find('=');
    if (!out.empty()) out.push_back('/');
    if (eq == std::string_view::npos) {
      out += rdn;
    } else {
      out += ToUpperAscii(TrimBlanks(rdn.substr(0, eq)));
      out.push_back('=');
      out += TrimBlanks(rdn.substr(eq + 1));
    }
    current.clear();
  };
  for (std::size_t i = 0; i < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      current.push_back(dn[++i]);
    } else if (dn[i] == ',') {
      flush();
    } else {
      current.push_back(dn[i]);
    }
  }
  flush();
  return out;
}

std::string NamingContext(const HierName& server) {
  std::string dn;
  if (!server.Organization().empty()) dn = "o=" + EscapeDnValue(server.Organization());
  if (!server.Country().empty()) dn += (dn.empty() ? "c=" : ",c=") + EscapeDnValue(server.Country());
  return dn;
}

Entry PersonEntry(const Person& person, std::time_t now, bool with_certificates, bool with_bundle) {
  Entry entry;
  entry.dn = NameToDn(person.name);
  auto& a = entry.attributes;
  a.push_back({"objectClass", {"top", "person", "organizationalPerson", "inetOrgPerson", "dominoPerson"}});
  std::vector<std::string> cns{person.name.CommonName()};
  std::string full = TrimSpaces(person.first_name + " " + person.last_name);
  if (!full.empty() && !EqualsIgnoreCase(full, person.name.CommonName())) cns.push_back(full);
  if (!person.name.IsFlat()) cns.push_back(person.name.Abbreviated());
  Add(a, "cn", cns);
  Add(a, "sn", {person.last_name.empty() ? person.name.CommonName() : person.last_name});
  Add(a, "givenName", {person.first_name});
  Add(a, "uid", {person.short_name});
  Add(a, "mail", {person.internet_address});
  std::vector<std::string> der;
  static const std::vector<std::string> kNone;
  for (const std::string& pem : with_certificates ? person.internet_certificates_pem : kNone) {
    auto cert = ReadCertificate(pem);
    if (!cert || cert->second.first > now || cert->second.second < now) continue;
    der.push_back(std::move(cert->first));
  }
  std::vector<X509Ptr> published;
  if (with_bundle) {
    for (const std::string& bytes : der) {
      auto cert = CertificateFromDer(bytes);
      if (cert.ok()) published.push_back(std::move(cert).value());
    }
  }
  Add(a, "userCertificate;binary", der);
  Add(a, "userSMIMECertificate", {CertsOnlyBundle(published)});
  entry.operational.push_back({"entryDN", {entry.dn}});
  entry.operational.push_back({"subschemaSubentry", {kSubschemaDn}});
  return entry;
}

Entry GroupEntry(const Group& group, std::string_view naming_context) {
  Entry entry;
  entry.dn = "cn=" + EscapeDnValue(group.name) + (naming_context.empty() ? "" : "," + std::string(naming_context));
  entry.attributes.push_back({"objectClass", {"top", "groupOfNames", "dominoGroup"}});
  entry.attributes.push_back({"cn", {group.name}});
  std::vector<std::string> members;
  for (const std::string& member : group.members) {
    auto name = HierName::Parse(member);
    if (name.ok() && !name->IsFlat())
      members.push_back(NameToDn(*name));
    else
      members.push_back("cn=" + EscapeDnValue(member) +
                        (naming_context.empty() ? "" : "," + std::string(naming_context)));
  }
  Add(entry.attributes, "member", members);
  entry.operational.push_back({"entryDN", {entry.dn}});
  entry.operational.push_back({"subschemaSubentry", {kSubschemaDn}});
  return entry;
}

Entry OrganizationEntry(std::string_view naming_context) {
  Entry entry;
  entry.dn = std::string(naming_context);
  std::string value = entry.dn.substr(entry.dn.find('=') + 1);
  value = value.substr(0, value.find(','));
  entry.attributes.push_back({"objectClass", {"top", "organization"}});
  entry.attributes.push_back({"o", {value}});
  entry.operational.push_back({"entryDN", {entry.dn}});
  entry.operational.push_back({"subschemaSubentry", {kSubschemaDn}});
  return entry;
}

Entry RootDse(const std::vector<std::string>& naming_contexts) {
  Entry entry;
  entry.attributes.push_back({"objectClass", {"top"}});
  entry.attributes.push_back({"namingContexts", naming_contexts});
  entry.attributes.push_back({"supportedLDAPVersion", {"3"}});
  entry.attributes.push_back({"supportedControl", {kPagedResultsOid}});
  entry.attributes.push_back({"supportedExtension", {kStartTlsOid, kWhoAmIOid}});
  entry.attributes.push_back({"subschemaSubentry", {kSubschemaDn}});
  entry.attributes.push_back({"vendorName", {"notesd"}});
  return entry;
}

Entry Subschema() {
  Entry entry;
  entry.dn = kSubschemaDn;
  entry.attributes.push_back({"objectClass", {"top", "subentry", "subschema", "extensibleObject"}});
  entry.attributes.push_back({"cn", {"schema"}});
  entry.attributes.push_back(
      {"attributeTypes",
       {"( 2.5.4.0 NAME 'objectClass' EQUALITY objectIdentifierMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.38 )",
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one definition, split over two lines
        "( 2.5.4.41 NAME 'name' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX "
        "1.3.6.1.4.1.1466.115.121.1.15 )",
        "( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )", "( 2.5.4.4 NAME ( 'sn' 'surname' ) SUP name )",
        "( 2.5.4.42 NAME ( 'givenName' 'gn' ) SUP name )", "( 2.5.4.10 NAME ( 'o' 'organizationName' ) SUP name )",
        "( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) EQUALITY caseIgnoreMatch SUBSTR "
        "caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
        "( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) EQUALITY caseIgnoreIA5Match SUBSTR "
        "caseIgnoreIA5SubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )",
        "( 2.5.4.36 NAME 'userCertificate' EQUALITY certificateExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.8 )",
        "( 2.16.840.1.113730.3.1.40 NAME 'userSMIMECertificate' SYNTAX 1.3.6.1.4.1.1466.115.121.1.5 )",
        "( 2.5.4.31 NAME 'member' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )"}});
  entry.attributes.push_back(
      {"objectClasses",
       {"( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
        "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( userPassword ) )",
        "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL )",
        // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one definition, split over two lines
        "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( givenName $ uid $ "
        "mail $ userCertificate $ userSMIMECertificate ) )",
        "( 1.3.6.1.4.1.334.1.3.4.1 NAME 'dominoPerson' SUP inetOrgPerson STRUCTURAL )",
        "( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST ( member $ cn ) )",
        "( 1.3.6.1.4.1.334.1.3.4.2 NAME 'dominoGroup' SUP groupOfNames STRUCTURAL )",
        "( 2.5.6.4 NAME 'organization' SUP top STRUCTURAL MUST o )"}});
  return entry;
}

}  // namespace notesd::ldap
