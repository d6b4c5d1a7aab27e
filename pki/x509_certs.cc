// pki/x509_certs.cc — building, reading and verifying X.509 certificates via OpenSSL 3.
#include "pki/x509_certs.h"

#include <openssl/bn.h>
#include <openssl/err.h>

#include <cctype>
#include <ctime>

#include "pki/crypto.h"

namespace notesd {
namespace {

constexpr std::size_t kRandomSerialBytes = 16;
constexpr std::size_t kMaxSerialHexDigits = 40;  // RFC 5280: at most 20 octets.

// ---- Request validation ------------------------------------------------------------

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return !text.empty();
}

bool IsHostName(std::string_view name, bool allow_wildcard) {
  bool valid = !name.empty() && name.size() <= 253;
  for (char c : name) {
    valid =
        valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || (allow_wildcard && c == '*'));
  }
  return valid;
}

// An addr-spec with a dot-atom local part (RFC 5322) and a host name as domain: what
// S/MIME clients match against. Quoted local parts are refused.
Status ValidateEmail(const std::string& email) {
  const std::size_t at = email.find('@');
  bool valid = email.size() <= 254 && at != std::string::npos && at > 0 && IsHostName(email.substr(at + 1), false);
  for (std::size_t i = 0; valid && i < at; ++i) {
    const char c = email[i];
    valid = std::isalnum(static_cast<unsigned char>(c)) ||
            std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
  }
  if (!valid) return Status::InvalidArgument("\"" + email + "\" is not a valid email address for a certificate");
  return Status::Ok();
}

Status ValidateDnsName(const std::string& name) {
  if (!IsHostName(name, true))
    return Status::InvalidArgument("\"" + name + "\" is not a valid DNS name for a certificate");
  return Status::Ok();
}

Status ValidateRequest(const CertRequest& request) {
  if (request.public_key == nullptr && request.public_key_info == nullptr)
    return Status::InvalidArgument("certificate request has no public key");
  if (request.not_after <= request.not_before) {
    return Status::InvalidArgument("certificate validity ends before it starts");
  }
  if (request.path_length.has_value() && (!request.is_ca || *request.path_length < 0)) {
    return Status::InvalidArgument("a path length needs a CA certificate and must not be negative");
  }
  for (const std::string& email : request.emails) NOTESD_RETURN_IF_ERROR(ValidateEmail(email));
  for (const std::string& name : request.dns_names) NOTESD_RETURN_IF_ERROR(ValidateDnsName(name));
  const std::string& url = request.crl_distribution_point;
  if (!url.empty() && (!IsPrintableAscii(url) || url.find("://") == std::string::npos)) {
    return Status::InvalidArgument("\"" + url + "\" is not a valid CRL distribution point URL");
  }
  return Status::Ok();
}

// ---- Building the certificate ------------------------------------------------------

Result<Asn1IntegerPtr> MakeSerial(const std::string& serial_hex) {
  BignumPtr number;
  if (serial_hex.empty()) {
    NOTESD_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(kRandomSerialBytes));
    bytes[0] = static_cast<char>((bytes[0] & 0x7F) | 0x01);  // Positive, and never zero.
    number.reset(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
  } else {
    bool hex = serial_hex.size() <= kMaxSerialHexDigits;
    for (char c : serial_hex) hex = hex && std::isxdigit(static_cast<unsigned char>(c));
    BIGNUM* parsed = nullptr;
    if (!hex || BN_hex2bn(&parsed, serial_hex.c_str()) != static_cast<int>(serial_hex.size())) {
      BN_free(parsed);
      return Status::InvalidArgument("serial \"" + serial_hex + "\" is not up to 40 hex digits");
    }
    number.reset(parsed);
    if (BN_is_zero(number.get())) return Status::InvalidArgument("serial number must not be zero");
  }
  if (!number) return Status::Internal("cannot make a serial number: " + OpenSslErrors());
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (!serial) return Status::Internal("cannot encode the serial number: " + OpenSslErrors());
  return serial;
}

// The subject as an owned X509_NAME, whichever form the request used.
Result<X509NamePtr> SubjectName(const CertRequest& request) {
  if (const HierName* name = std::get_if<HierName>(&request.subject)) return name->ToX509Name();
  const X509NamePtr& x509_name = std::get<X509NamePtr>(request.subject);
  if (!x509_name || X509_NAME_entry_count(x509_name.get()) == 0) {
    return Status::InvalidArgument("certificate request has an empty subject");
  }
  X509NamePtr copy(X509_NAME_dup(x509_name.get()));
  if (!copy) return Status::Internal("X509_NAME_dup failed: " + OpenSslErrors());
  return copy;
}

// Adds an extension written in OpenSSL's config syntax. Only for values notesd
// composes itself from fixed words (never from request strings).
Status AddConfigExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return Status::Internal(std::string("cannot add ") + OBJ_nid2sn(nid) + " extension: " + OpenSslErrors());
  }
  return Status::Ok();
}

Status AddEncodedExtension(X509* cert, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return Status::Internal(std::string("cannot add ") + OBJ_nid2sn(nid) + " extension: " + OpenSslErrors());
  }
  return Status::Ok();
}

std::string JoinFlagNames(std::uint32_t flags, std::initializer_list<std::pair<std::uint32_t, const char*>> names) {
  std::string out;
  for (const auto& [flag, name] : names) {
    if ((flags & flag) == 0) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

std::string BasicConstraintsConfig(const CertRequest& request) {
  if (!request.is_ca) return "critical,CA:FALSE";
  std::string value = "critical,CA:TRUE";
  if (request.path_length.has_value()) value += ",pathlen:" + std::to_string(*request.path_length);
  return value;
}

std::string KeyUsageConfig(std::uint32_t flags) {
  return "critical," + JoinFlagNames(flags, {{kKeyUsageDigitalSignature, "digitalSignature"},
                                             {kKeyUsageNonRepudiation, "nonRepudiation"},
                                             {kKeyUsageKeyEncipherment, "keyEncipherment"},
                                             {kKeyUsageKeyAgreement, "keyAgreement"},
                                             {kKeyUsageKeyCertSign, "keyCertSign"},
                                             {kKeyUsageCrlSign, "cRLSign"}});
}

std::string ExtKeyUsageConfig(std::uint32_t flags) {
  return JoinFlagNames(flags, {{kExtKeyUsageEmailProtection, "emailProtection"},
                               {kExtKeyUsageClientAuth, "clientAuth"},
                               {kExtKeyUsageServerAuth, "serverAuth"}});
}

// A GENERAL_NAME of IA5String type (GEN_EMAIL, GEN_DNS, GEN_URI) holding `value`.
Result<GeneralNamePtr> MakeIa5GeneralName(int type, const std::string& value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (!name || text == nullptr || ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(text);
    return Status::Internal("cannot build a subjectAltName entry: " + OpenSslErrors());
  }
  GENERAL_NAME_set0_value(name.get(), type, text);  // `name` now owns `text`.
  return name;
}

Status PushGeneralName(GENERAL_NAMES* names, int type, const std::string& value) {
  NOTESD_ASSIGN_OR_RETURN(GeneralNamePtr name, MakeIa5GeneralName(type, value));
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) return Status::Internal("cannot grow a GENERAL_NAMES list");
  name.release();  // Owned by `names` now.
  return Status::Ok();
}

Status AddSubjectAltNames(X509* cert, const CertRequest& request) {
  if (request.emails.empty() && request.dns_names.empty()) return Status::Ok();
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return Status::Internal("GENERAL_NAMES_new failed");
  for (const std::string& email : request.emails)
    NOTESD_RETURN_IF_ERROR(PushGeneralName(names.get(), GEN_EMAIL, email));
  for (const std::string& dns : request.dns_names) NOTESD_RETURN_IF_ERROR(PushGeneralName(names.get(), GEN_DNS, dns));
  return AddEncodedExtension(cert, NID_subject_alt_name, names.get(), false);
}

Status AddCrlDistributionPoint(X509* cert, const std::string& url) {
  if (url.empty()) return Status::Ok();
  GeneralNamesPtr full_name(GENERAL_NAMES_new());
  DistPointPtr point(DIST_POINT_new());
  CrlDistPointsPtr points(CRL_DIST_POINTS_new());
  if (!full_name || !point || !points) return Status::Internal("cannot build cRLDistributionPoints");
  NOTESD_RETURN_IF_ERROR(PushGeneralName(full_name.get(), GEN_URI, url));
  point->distpoint = DIST_POINT_NAME_new();
  if (point->distpoint == nullptr) return Status::Internal("DIST_POINT_NAME_new failed");
  point->distpoint->type = 0;  // fullName
  point->distpoint->name.fullname = full_name.release();
  if (sk_DIST_POINT_push(points.get(), point.get()) <= 0) return Status::Internal("cannot grow CRL_DIST_POINTS");
  point.release();
  return AddEncodedExtension(cert, NID_crl_distribution_points, points.get(), false);
}

Status AddExtensions(X509* cert, X509* issuer_cert, EVP_PKEY* issuer_key, const CertRequest& request) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_cert != nullptr ? issuer_cert : cert, cert, nullptr, nullptr, 0);
  X509V3_set_issuer_pkey(&ctx, issuer_key);
  NOTESD_RETURN_IF_ERROR(AddConfigExtension(cert, &ctx, NID_basic_constraints, BasicConstraintsConfig(request)));
  if (request.key_usage != 0) {
    NOTESD_RETURN_IF_ERROR(AddConfigExtension(cert, &ctx, NID_key_usage, KeyUsageConfig(request.key_usage)));
  }
  if (request.extended_key_usage != 0) {
    NOTESD_RETURN_IF_ERROR(
        AddConfigExtension(cert, &ctx, NID_ext_key_usage, ExtKeyUsageConfig(request.extended_key_usage)));
  }
  NOTESD_RETURN_IF_ERROR(AddConfigExtension(cert, &ctx, NID_subject_key_identifier, "hash"));
  if (issuer_cert != nullptr) {
    NOTESD_RETURN_IF_ERROR(AddConfigExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always"));
  }
  NOTESD_RETURN_IF_ERROR(AddSubjectAltNames(cert, request));
  return AddCrlDistributionPoint(cert, request.crl_distribution_point);
}

Status SetValidity(X509* cert, std::time_t not_before, std::time_t not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == nullptr) {
    return Status::InvalidArgument("certificate validity times cannot be encoded");
  }
  return Status::Ok();
}

Status CheckIssuer(const CertRequest& request, EVP_PKEY* issuer_key, X509* issuer_cert) {
  if (issuer_key == nullptr) return Status::InvalidArgument("no issuer key to sign the certificate with");
  if (issuer_cert == nullptr) {
    if (request.public_key == nullptr || !PublicKeysEqual(issuer_key, request.public_key)) {
      return Status::InvalidArgument("a self-signed certificate must be signed with its own key");
    }
  } else if (!PublicKeysEqual(issuer_key, X509_get0_pubkey(issuer_cert))) {
    return Status::InvalidArgument("the issuer key does not match the issuer certificate");
  }
  return Status::Ok();
}

// The certificate of `request`, complete but for its signature (the issuer is checked by the caller).
Result<X509Ptr> BuildUnsigned(const CertRequest& request, EVP_PKEY* issuer_key, X509* issuer_cert) {
  NOTESD_RETURN_IF_ERROR(ValidateRequest(request));
  if (issuer_cert == nullptr && request.public_key == nullptr)
    return Status::InvalidArgument("a self-signed certificate needs its key pair");
  NOTESD_ASSIGN_OR_RETURN(X509NamePtr subject, SubjectName(request));
  NOTESD_ASSIGN_OR_RETURN(Asn1IntegerPtr serial, MakeSerial(request.serial_hex));

  X509Ptr cert(X509_new());
  if (!cert) return Status::Internal("X509_new failed: " + OpenSslErrors());
  const X509_NAME* issuer_name = issuer_cert != nullptr ? X509_get_subject_name(issuer_cert) : subject.get();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 || X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 || X509_set_issuer_name(cert.get(), issuer_name) != 1) {
    return Status::Internal("cannot fill in the certificate: " + OpenSslErrors());
  }
  if (request.public_key != nullptr) {
    if (X509_set_pubkey(cert.get(), request.public_key) != 1)
      return Status::Internal("cannot set the certificate's public key: " + OpenSslErrors());
  } else {
    NOTESD_RETURN_IF_ERROR(request.public_key_info->CopyInto(cert.get()));
  }
  NOTESD_RETURN_IF_ERROR(SetValidity(cert.get(), request.not_before, request.not_after));
  NOTESD_RETURN_IF_ERROR(AddExtensions(cert.get(), issuer_cert, issuer_key, request));
  return cert;
}

// ---- Reading ------------------------------------------------------------------------

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return std::string();
  return std::string(data, static_cast<std::size_t>(length));
}

std::string LastCommonName(const X509_NAME* name) {
  if (name == nullptr) return std::string();
  int index = -1;
  for (int next = -1; (next = X509_NAME_get_index_by_NID(name, NID_commonName, next)) >= 0;) index = next;
  if (index < 0) return std::string();
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (length < 0) {
    ERR_clear_error();
    return std::string();
  }
  std::string value(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return value;
}

Result<std::time_t> TimeOf(const ASN1_TIME* time, const char* which) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(std::string("certificate ") + which + " time is unreadable");
  }
  return timegm(&parts);
}

// The IA5String values of one GENERAL_NAME type in subjectAltName. Values with embedded
// NULs or control characters are skipped: they are forgeries aimed at C string code.
std::vector<std::string> SubjectAltValues(X509* cert, int type) {
  std::vector<std::string> values;
  if (cert == nullptr) return values;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    int actual_type = 0;
    const auto* text = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &actual_type));
    if (actual_type != type || text == nullptr) continue;
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                      static_cast<std::size_t>(ASN1_STRING_length(text)));
    if (IsPrintableAscii(value)) values.push_back(std::move(value));
  }
  return values;
}

int OpenSslPurpose(CertPurpose purpose) {
  switch (purpose) {
    case CertPurpose::kSmimeSign: return X509_PURPOSE_SMIME_SIGN;
    case CertPurpose::kSmimeEncrypt: return X509_PURPOSE_SMIME_ENCRYPT;
    case CertPurpose::kTlsClient: return X509_PURPOSE_SSL_CLIENT;
    case CertPurpose::kTlsServer: return X509_PURPOSE_SSL_SERVER;
  }
  return X509_PURPOSE_ANY;
}

}  // namespace

Result<X509Ptr> IssueCertificate(const CertRequest& request, EVP_PKEY* issuer_key, X509* issuer_cert) {
  NOTESD_RETURN_IF_ERROR(CheckIssuer(request, issuer_key, issuer_cert));
  NOTESD_ASSIGN_OR_RETURN(X509Ptr cert, BuildUnsigned(request, issuer_key, issuer_cert));
  // EVP_sha256 gives sha256WithRSAEncryption for RSA keys, ecdsa-with-SHA256 for EC.
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return Status::Internal("cannot sign the certificate: " + OpenSslErrors());
  }
  return cert;
}

Result<CertificateIssuer> CertificateIssuer::Create(EVP_PKEY* issuer_key, X509* issuer_cert) {
  if (issuer_key == nullptr || issuer_cert == nullptr)
    return Status::InvalidArgument("an issuer needs its key and its certificate");
  if (!PublicKeysEqual(issuer_key, X509_get0_pubkey(issuer_cert)))
    return Status::InvalidArgument("the issuer key does not match the issuer certificate");
  EvpMdCtxPtr prepared(EVP_MD_CTX_new());
  if (!prepared || EVP_DigestSignInit(prepared.get(), nullptr, EVP_sha256(), nullptr, issuer_key) != 1)
    return Status::Internal("cannot prepare the signing context: " + OpenSslErrors());
  return CertificateIssuer(issuer_key, issuer_cert, std::move(prepared));
}

Result<X509Ptr> CertificateIssuer::Issue(const CertRequest& request) const {
  NOTESD_ASSIGN_OR_RETURN(X509Ptr cert, BuildUnsigned(request, key_, cert_));
  EvpMdCtxPtr signing(EVP_MD_CTX_new());
  if (!signing || EVP_MD_CTX_copy_ex(signing.get(), prepared_.get()) != 1 ||
      X509_sign_ctx(cert.get(), signing.get()) <= 0)
    return Status::Internal("cannot sign the certificate: " + OpenSslErrors());
  return cert;
}

std::string NameText(const X509_NAME* name) {
  if (name == nullptr) return std::string();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    ERR_clear_error();
    return std::string();
  }
  return BioText(bio.get());
}

std::string SubjectText(X509* cert) { return cert ? NameText(X509_get_subject_name(cert)) : std::string(); }
std::string IssuerText(X509* cert) { return cert ? NameText(X509_get_issuer_name(cert)) : std::string(); }
std::string SubjectCommonName(X509* cert) { return cert ? LastCommonName(X509_get_subject_name(cert)) : std::string(); }
std::string IssuerCommonName(X509* cert) { return cert ? LastCommonName(X509_get_issuer_name(cert)) : std::string(); }

std::string SerialHex(X509* cert) {
  if (cert == nullptr) return std::string();
  BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* hex = number ? BN_bn2hex(number.get()) : nullptr;
  if (hex == nullptr) {
    ERR_clear_error();
    return std::string();
  }
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

Result<std::time_t> NotBefore(X509* cert) {
  if (cert == nullptr) return Status::InvalidArgument("no certificate");
  return TimeOf(X509_get0_notBefore(cert), "notBefore");
}

Result<std::time_t> NotAfter(X509* cert) {
  if (cert == nullptr) return Status::InvalidArgument("no certificate");
  return TimeOf(X509_get0_notAfter(cert), "notAfter");
}

std::vector<std::string> SubjectAltEmails(X509* cert) { return SubjectAltValues(cert, GEN_EMAIL); }
std::vector<std::string> SubjectAltDnsNames(X509* cert) { return SubjectAltValues(cert, GEN_DNS); }

std::optional<std::uint32_t> KeyUsageFlags(X509* cert) {
  if (cert == nullptr || (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) == 0) return std::nullopt;
  const std::uint32_t bits = X509_get_key_usage(cert);
  std::uint32_t flags = 0;
  if (bits & KU_DIGITAL_SIGNATURE) flags |= kKeyUsageDigitalSignature;
  if (bits & KU_NON_REPUDIATION) flags |= kKeyUsageNonRepudiation;
  if (bits & KU_KEY_ENCIPHERMENT) flags |= kKeyUsageKeyEncipherment;
  if (bits & KU_KEY_AGREEMENT) flags |= kKeyUsageKeyAgreement;
  if (bits & KU_KEY_CERT_SIGN) flags |= kKeyUsageKeyCertSign;
  if (bits & KU_CRL_SIGN) flags |= kKeyUsageCrlSign;
  return flags;
}

std::optional<std::uint32_t> ExtendedKeyUsageFlags(X509* cert) {
  if (cert == nullptr || (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) == 0) return std::nullopt;
  const std::uint32_t bits = X509_get_extended_key_usage(cert);
  std::uint32_t flags = 0;
  if (bits & XKU_SMIME) flags |= kExtKeyUsageEmailProtection;
  if (bits & XKU_SSL_CLIENT) flags |= kExtKeyUsageClientAuth;
  if (bits & XKU_SSL_SERVER) flags |= kExtKeyUsageServerAuth;
  return flags;
}

bool IsCa(X509* cert) { return cert != nullptr && (X509_get_extension_flags(cert) & EXFLAG_CA) != 0; }

std::optional<int> PathLength(X509* cert) {
  if (!IsCa(cert)) return std::nullopt;
  const long length = X509_get_pathlen(cert);
  if (length < 0) return std::nullopt;
  return static_cast<int>(length);
}

bool IsSelfSigned(X509* cert) {
  if (cert == nullptr) return false;
  const bool self_signed = X509_self_signed(cert, 1) == 1;
  ERR_clear_error();
  return self_signed;
}

Status VerifyChain(X509* leaf, const std::vector<X509*>& trusted_roots, const std::vector<X509*>& intermediates,
                   std::time_t at, std::optional<CertPurpose> purpose) {
  if (leaf == nullptr) return Status::InvalidArgument("no certificate to verify");
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return Status::Internal("cannot set up verification: " + OpenSslErrors());
  for (X509* root : trusted_roots) {
    if (root != nullptr && X509_STORE_add_cert(store.get(), root) != 1) {
      return Status::Internal("cannot add a trusted root: " + OpenSslErrors());
    }
  }
  for (X509* intermediate : intermediates) {
    X509Ptr reference = UpRef(intermediate);
    if (reference && sk_X509_push(untrusted.get(), reference.get()) > 0) reference.release();
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    return Status::Internal("cannot start verification: " + OpenSslErrors());
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  if (purpose.has_value() && X509_STORE_CTX_set_purpose(ctx.get(), OpenSslPurpose(*purpose)) != 1) {
    return Status::Internal("cannot set the verification purpose: " + OpenSslErrors());
  }
  const int verified = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (verified == 1) return Status::Ok();
  const int error = X509_STORE_CTX_get_error(ctx.get());
  X509* failed_at = X509_STORE_CTX_get_current_cert(ctx.get());
  return Status::PermissionDenied("certificate " + SubjectText(leaf) +
                                  " is not trusted: " + X509_verify_cert_error_string(error) + " (at " +
                                  (failed_at != nullptr ? SubjectText(failed_at) : SubjectText(leaf)) + ")");
}

}  // namespace notesd
