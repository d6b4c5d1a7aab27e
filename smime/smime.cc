// smime/smime.cc — S/MIME on OpenSSL CMS. The MIME around the CMS objects is built and
// read here (not by SMIME_write_CMS / SMIME_read_CMS) so that the exact bytes signed are
// under our control and odd variants from other clients can be accepted.
#include "smime/smime.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <climits>

#include "base/ascii.h"
#include "mime/mime_writer.h"
#include "pki/base64.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"
#include "base/time_text.h"

namespace notesd::smime {

using mime::HeaderField;
using mime::MimeEntity;
using mime::MimeType;
using mime::ToCrlf;

namespace {

// A read-only memory BIO over `bytes` (which must outlive it).
BioPtr ReadBio(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return BioPtr();
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string BioBytes(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

Result<std::string> CmsToDer(CMS_ContentInfo* cms) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms) != 1) return Status::Internal("cannot encode CMS: " + OpenSslErrors());
  return BioBytes(out.get());
}

Result<std::string> NewBoundary(std::string_view must_not_contain) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    NOTESD_ASSIGN_OR_RETURN(std::string random, RandomBytes(12));
    std::string boundary = "----=_notesd_smime_" + HexEncode(random);
    if (must_not_contain.find(boundary) == std::string_view::npos) return boundary;
  }
  return Status::Internal("cannot choose a MIME boundary");
}

std::string FormatDay(std::time_t t) { return FormatSeconds(t, "%Y-%m-%d %H:%M UTC"); }

// The e-mail addresses a certificate is for: SAN rfc822Names, else subject emailAddress.
std::vector<std::string> CertificateEmails(X509* cert) {
  std::vector<std::string> emails = SubjectAltEmails(cert);
  if (!emails.empty() || cert == nullptr) return emails;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0 && utf8 != nullptr) emails.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
  }
  return emails;
}

// The addr-spec of a From value: "Jane <j@x>" -> "j@x".
std::string AddrSpec(std::string_view value) {
  std::size_t lt = value.rfind('<');
  std::size_t gt = value.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
    value = value.substr(lt + 1, gt - lt - 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return ToLowerAscii(value);
}

bool IsRsa(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  return key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool IsContentField(std::string_view name) {
  std::string lower = ToLowerAscii(name);
  return lower.starts_with("content-") || lower == "mime-version";
}

// ---- Reading helpers ----------------------------------------------------------------

enum class EntityKind { kPlain, kMultipartSigned, kCms };

EntityKind Classify(const MimeEntity& e) {
  const MimeType& ct = e.content_type();
  std::string media = ct.MediaType();
  if (media == "multipart/signed") {
    // PGP/MIME (protocol="application/pgp-signature") and other protocols are not ours.
    std::string protocol = ToLowerAscii(ct.Param("protocol"));
    bool ours =
        protocol.empty() || protocol == "application/pkcs7-signature" || protocol == "application/x-pkcs7-signature";
    return ours ? EntityKind::kMultipartSigned : EntityKind::kPlain;
  }
  if (media == "application/pkcs7-mime" || media == "application/x-pkcs7-mime") return EntityKind::kCms;
  if (media == "application/octet-stream" && ToLowerAscii(e.FileName()).ends_with(".p7m")) return EntityKind::kCms;
  return EntityKind::kPlain;
}

bool IsSignaturePart(const MimeEntity& e) {
  std::string media = e.content_type().MediaType();
  if (media == "application/pkcs7-signature" || media == "application/x-pkcs7-signature") return true;
  return media == "application/octet-stream" && ToLowerAscii(e.FileName()).ends_with(".p7s");
}

CmsContentInfoPtr ParseCms(std::string_view der) {
  BioPtr in = ReadBio(der);
  if (!in) return CmsContentInfoPtr();
  CmsContentInfoPtr cms(d2i_CMS_bio(in.get(), nullptr));
  ERR_clear_error();
  return cms;
}

std::string MicalgName(int nid) {
  switch (nid) {
    case NID_sha1: return "sha-1";
    case NID_sha224: return "sha-224";
    case NID_sha256: return "sha-256";
    case NID_sha384: return "sha-384";
    case NID_sha512: return "sha-512";
    case NID_md5: return "md5";
    default: {
      const char* sn = OBJ_nid2sn(nid);
      return sn != nullptr ? ToLowerAscii(sn) : "unknown";
    }
  }
}

std::optional<std::time_t> SigningTime(CMS_SignerInfo* si) {
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx < 0) return std::nullopt;
  X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
  ASN1_TYPE* type = attr != nullptr ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
  if (type == nullptr || (type->type != V_ASN1_UTCTIME && type->type != V_ASN1_GENERALIZEDTIME)) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(type->value.utctime, &tm) != 1) return std::nullopt;
  return timegm(&tm);
}

// Verifies one CMS SignedData. `detached` is the signed content for multipart/signed
// (null for opaque). Fills everything in `layer` except signer_matches_from.
void VerifySigned(CMS_ContentInfo* cms, const std::string* detached, const std::vector<X509*>& trusted_roots,
                  std::time_t now, SignedLayer& layer) {
  layer.status = SignatureStatus::kTampered;
  STACK_OF(X509)* raw_certs = CMS_get1_certs(cms);
  X509StackPtr certs(raw_certs != nullptr ? raw_certs : sk_X509_new_null());
  std::vector<X509*> intermediates;
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    X509* c = sk_X509_value(certs.get(), i);
    layer.certificates.push_back(UpRef(c));
    intermediates.push_back(c);
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) == 0) {
    layer.status_detail = "the signature names no signer";
    return;
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  for (X509* c : intermediates) {
    if (CMS_SignerInfo_cert_cmp(si, c) == 0) {
      layer.signer = UpRef(c);
      break;
    }
  }
  X509_ALGOR* digest_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_alg, nullptr);
  if (digest_alg != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, digest_alg);
    layer.micalg = MicalgName(OBJ_obj2nid(obj));
  }
  layer.signing_time = SigningTime(si);
  if (layer.signer) layer.signer_emails = CertificateEmails(layer.signer.get());

  // The signature itself (content digest + signature value), without the chain: trust is
  // judged separately so that "untrusted" never hides or fakes "tampered".
  auto verify = [&](std::string_view content, std::string& failure) -> bool {
    ERR_clear_error();
    BioPtr dcont;
    if (detached != nullptr) dcont = ReadBio(content);
    BioPtr out(BIO_new(BIO_s_mem()));
    int ok = CMS_verify(cms, certs.get(), nullptr, dcont.get(), out.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
    unsigned long err = ERR_peek_last_error();
    ERR_clear_error();
    if (ok == 1) return true;
    int reason = ERR_GET_REASON(err);
    if (reason == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND) {
      failure = "unverifiable";
    } else if (reason == CMS_R_CONTENT_VERIFY_ERROR) {
      failure = "the content was altered after it was signed (digest mismatch)";
    } else if (reason == CMS_R_VERIFICATION_FAILURE) {
      failure = "the signature does not match the signer's key (the signature or the signed attributes were altered)";
    } else if (reason == CMS_R_NO_CONTENT) {
      failure = "the signed content is missing";
    } else {
      failure = "the signature does not verify";
    }
    return false;
  };
  std::string failure;
  bool ok = verify(detached != nullptr ? std::string_view(*detached) : std::string_view(), failure);
  if (!ok && detached != nullptr && failure != "unverifiable") {
    // A message whose line endings were changed in transit (LF-only mail files): the
    // signature is over the canonical CRLF form (RFC 5751 section 3.1.1).
    std::string canonical = ToCrlf(*detached);
    std::string second;
    if (canonical != *detached && verify(canonical, second)) ok = true;
  }
  if (ok) {
    layer.status = SignatureStatus::kValid;
  } else if (failure == "unverifiable" || !layer.signer) {
    layer.status = SignatureStatus::kUnverifiable;
    layer.status_detail = "the signer's certificate is not included in the message";
  } else {
    layer.status = SignatureStatus::kTampered;
    layer.status_detail = failure;
  }

  if (!layer.signer) {
    layer.trust_detail = "the signer's certificate is not included in the message";
  } else if (trusted_roots.empty()) {
    layer.trust_detail = "no trusted root certificates were given";
  } else {
    Status chain = VerifyChain(layer.signer.get(), trusted_roots, intermediates, now, CertPurpose::kSmimeSign);
    layer.trusted = chain.ok();
    if (!chain.ok()) layer.trust_detail = chain.message();
  }
}

// Reads the recipients of an EnvelopedData and decrypts it with a matching key.
std::optional<std::string> Decrypt(CMS_ContentInfo* cms, const SmimeKeys& keys, EncryptedLayer& layer) {
  STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms);
  const SmimeKey* chosen = nullptr;
  for (int i = 0; infos != nullptr && i < sk_CMS_RecipientInfo_num(infos); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
    RecipientId id;
    int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS) {
      id.kind = "key transport";
      ASN1_OCTET_STRING* key_id = nullptr;
      X509_NAME* issuer = nullptr;
      ASN1_INTEGER* serial = nullptr;
      if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &key_id, &issuer, &serial) == 1) {
        if (issuer != nullptr) id.issuer = NameText(issuer);
        if (serial != nullptr) {
          BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
          char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
          if (hex != nullptr) id.serial_hex = hex;
          OPENSSL_free(hex);
        }
        if (key_id != nullptr)
          id.key_id_hex = HexEncode(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(key_id)),
                                                     static_cast<std::size_t>(ASN1_STRING_length(key_id))));
      }
      for (const SmimeKey& k : keys.keys) {
        if (k.cert != nullptr && k.key != nullptr && CMS_RecipientInfo_ktri_cert_cmp(ri, k.cert) == 0) {
          id.is_mine = true;
          if (chosen == nullptr) chosen = &k;
        }
      }
    } else if (type == CMS_RECIPINFO_AGREE) {
      id.kind = "key agreement";
    } else {
      id.kind = "other";
    }
    layer.recipients.push_back(std::move(id));
    ERR_clear_error();
  }
  if (chosen == nullptr) {
    std::string list;
    for (const RecipientId& r : layer.recipients) list += (list.empty() ? "" : "; ") + r.Describe();
    layer.error = keys.keys.empty() ? "no decryption key was given (the message is encrypted for: " + list + ")"
                                    : "the message is not encrypted for you (it is encrypted for: " + list + ")";
    return std::nullopt;
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  ERR_clear_error();
  if (!out || CMS_decrypt(cms, chosen->key, chosen->cert, nullptr, out.get(), CMS_BINARY) != 1) {
    ERR_clear_error();
    layer.error = "decryption failed with the key of " + SubjectText(chosen->cert) +
                  " (the message is damaged or the key does not match the certificate)";
    return std::nullopt;
  }
  layer.decrypted = true;
  return BioBytes(out.get());
}

void CollectContent(const MimeEntity& e, std::size_t depth, MessageContent& out) {
  const MimeType& ct = e.content_type();
  if (ct.type == "multipart" && depth < kMaxLayers) {
    auto parts = e.Parts();
    if (!parts.ok()) return;
    for (std::string_view part : *parts) CollectContent(MimeEntity::Parse(part), depth + 1, out);
    return;
  }
  auto bytes = e.DecodedBody();
  if (!bytes.ok()) return;
  std::string name = e.FileName();
  bool attachment = e.IsAttachment() || !name.empty();
  if (!attachment && ct.MediaType() == "text/plain" && out.text.empty()) {
    out.text = std::move(*bytes);
  } else if (!attachment && ct.MediaType() == "text/html" && out.html.empty()) {
    out.html = std::move(*bytes);
  } else {
    out.attachments.push_back({name, ct.MediaType(), std::move(*bytes)});
  }
}

}  // namespace

// ---- Sending ----------------------------------------------------------------------------

Result<std::string> SignEntity(std::string_view mime_entity, X509* signer, EVP_PKEY* key,
                               const std::vector<X509*>& chain) {
  if (signer == nullptr || key == nullptr) return Status::InvalidArgument("signing needs a certificate and its key");
  if (mime_entity.empty()) return Status::InvalidArgument("nothing to sign: the entity is empty");
  if (mime_entity.size() > kMaxMessageBytes) return Status::InvalidArgument("the message is too large to sign");
  if (X509_check_private_key(signer, key) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the signing key does not belong to the certificate " + SubjectText(signer));
  }
  const std::string canonical = ToCrlf(mime_entity);
  X509StackPtr certs(sk_X509_new_null());
  if (!certs) return Status::Internal("out of memory");
  for (X509* c : chain) {
    if (c == nullptr) continue;
    X509Ptr ref = UpRef(c);
    if (!ref || sk_X509_push(certs.get(), ref.get()) <= 0) return Status::Internal("out of memory");
    static_cast<void>(ref.release());  // now owned by the stack
  }
  const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  CmsContentInfoPtr cms(CMS_sign(nullptr, nullptr, certs.get(), nullptr, flags));
  if (!cms) return Status::Internal("CMS_sign failed: " + OpenSslErrors());
  // Added explicitly (not through CMS_sign) to fix the digest: micalg must match it.
  if (CMS_add1_signer(cms.get(), signer, key, EVP_sha256(), CMS_BINARY) == nullptr)
    return Status::Internal("CMS_add1_signer failed: " + OpenSslErrors());
  BioPtr data = ReadBio(canonical);
  if (!data || CMS_final(cms.get(), data.get(), nullptr, CMS_DETACHED | CMS_BINARY) != 1)
    return Status::Internal("CMS_final failed: " + OpenSslErrors());
  NOTESD_ASSIGN_OR_RETURN(std::string der, CmsToDer(cms.get()));
  NOTESD_ASSIGN_OR_RETURN(std::string boundary, NewBoundary(canonical));

  std::string out;
  out.reserve(canonical.size() + der.size() * 2 + 600);
  out += "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n";
  out += " boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is an S/MIME signed message\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += canonical;
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n";
  out += "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
  out += Base64Lines(der);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

Result<std::string> EncryptEntity(std::string_view mime_entity, const std::vector<X509*>& recipients,
                                  SmimeCipher cipher) {
  if (recipients.empty()) return Status::InvalidArgument("encryption needs at least one recipient certificate");
  if (mime_entity.size() > kMaxMessageBytes) return Status::InvalidArgument("the message is too large to encrypt");
  X509StackPtr stack(sk_X509_new_null());
  if (!stack) return Status::Internal("out of memory");
  for (X509* c : recipients) {
    if (c == nullptr) return Status::InvalidArgument("a recipient certificate is missing");
    if (!IsRsa(c))
      return Status::InvalidArgument("the certificate " + SubjectText(c) +
                                     " has no RSA key (only RSA key transport is supported)");
    X509Ptr ref = UpRef(c);
    if (!ref || sk_X509_push(stack.get(), ref.get()) <= 0) return Status::Internal("out of memory");
    ref.release();
  }
  const std::string canonical = ToCrlf(mime_entity);
  BioPtr data = ReadBio(canonical);
  const EVP_CIPHER* evp = cipher == SmimeCipher::kAes128Cbc ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
  CmsContentInfoPtr cms(data ? CMS_encrypt(stack.get(), data.get(), evp, CMS_BINARY) : nullptr);
  if (!cms) return Status::Internal("CMS_encrypt failed: " + OpenSslErrors());
  NOTESD_ASSIGN_OR_RETURN(std::string der, CmsToDer(cms.get()));
  std::string out;
  out += "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n";
  out += "Content-Description: S/MIME Encrypted Message\r\n\r\n";
  out += Base64Lines(der);
  return out;
}

SplitResult SplitMessage(std::string_view message) {
  MimeEntity e = MimeEntity::Parse(message);
  SplitResult out;
  bool has_type = false;
  for (const HeaderField& h : e.headers()) {
    if (IsContentField(h.name)) {
      if (ToLowerAscii(h.name) == "mime-version") continue;
      has_type = has_type || ToLowerAscii(h.name) == "content-type";
      out.entity += h.name + ": " + h.value + "\r\n";
    } else {
      out.outer_headers.push_back(h);
    }
  }
  if (!has_type) out.entity = "Content-Type: text/plain; charset=us-ascii\r\n" + out.entity;
  out.entity += "\r\n";
  out.entity += ToCrlf(e.body());
  return out;
}

Result<std::string> WrapAsMessage(std::string_view entity, const std::vector<HeaderField>& outer_headers) {
  std::string out;
  bool has_version = false;
  for (const HeaderField& h : outer_headers) {
    bool bad_name = h.name.empty() || h.name.find_first_of(": \t\r\n") != std::string::npos;
    if (bad_name) return Status::InvalidArgument("bad header field name '" + h.name + "'");
    if (HasLineBreak(h.value)) return Status::InvalidArgument("header field " + h.name + " holds a line break");
    std::string lower = ToLowerAscii(h.name);
    if (lower == "mime-version") {
      has_version = true;
    } else if (lower.starts_with("content-")) {
      return Status::InvalidArgument("header field " + h.name + " belongs to the entity, not the outer headers");
    }
    out += h.name + ": " + h.value + "\r\n";
  }
  if (!has_version) out += "MIME-Version: 1.0\r\n";
  out += ToCrlf(entity);
  return out;
}

// ---- Recipients -------------------------------------------------------------------------

Status CheckRecipientCertificate(X509* cert, std::string_view address, std::time_t now,
                                 const RecipientCheckOptions& options) {
  const std::string prefix = "cannot encrypt to " + std::string(address) + ": ";
  if (cert == nullptr) return Status::NotFound(prefix + "there is no certificate for this address");
  const std::string subject = "the certificate " + SubjectText(cert);
  if (!IsRsa(cert)) return Status::InvalidArgument(prefix + subject + " has no RSA key");
  std::vector<std::string> emails = CertificateEmails(cert);
  const std::string wanted = ToLowerAscii(address);
  if (std::none_of(emails.begin(), emails.end(), [&](const std::string& e) { return ToLowerAscii(e) == wanted; })) {
    std::string list;
    for (const std::string& e : emails) list += (list.empty() ? "" : ", ") + e;
    return Status::InvalidArgument(prefix + subject +
                                   (emails.empty() ? " names no e-mail address" : " is for " + list));
  }
  auto not_before = NotBefore(cert);
  auto not_after = NotAfter(cert);
  if (!not_before.ok() || !not_after.ok())
    return Status::InvalidArgument(prefix + subject + " has an unreadable validity period");
  if (now > *not_after) return Status::InvalidArgument(prefix + subject + " expired on " + FormatDay(*not_after));
  if (now < *not_before)
    return Status::InvalidArgument(prefix + subject + " is not valid before " + FormatDay(*not_before));
  if (auto ku = KeyUsageFlags(cert); ku && (*ku & kKeyUsageKeyEncipherment) == 0)
    return Status::InvalidArgument(prefix + subject +
                                   " does not allow encryption (its key usage lacks keyEncipherment)");
  if (auto eku = ExtendedKeyUsageFlags(cert); eku && (*eku & kExtKeyUsageEmailProtection) == 0)
    return Status::InvalidArgument(prefix + subject +
                                   " is not for e-mail (its extended key usage lacks emailProtection)");
  if (options.is_revoked && options.is_revoked(cert)) return Status::PermissionDenied(prefix + subject + " is revoked");
  if (!options.trusted_roots.empty()) {
    Status chain = VerifyChain(cert, options.trusted_roots, options.intermediates, now, CertPurpose::kSmimeEncrypt);
    if (!chain.ok()) return Status::PermissionDenied(prefix + chain.message());
  }
  return Status::Ok();
}

Result<X509*> ChooseRecipientCertificate(std::string_view address, const std::vector<X509*>& candidates,
                                         std::time_t now, const RecipientCheckOptions& options) {
  if (candidates.empty())
    return Status::NotFound("cannot encrypt to " + std::string(address) + ": there is no certificate for this address");
  Status last;
  for (X509* c : candidates) {
    last = CheckRecipientCertificate(c, address, now, options);
    if (last.ok()) return c;
  }
  if (candidates.size() > 1)
    return Status(last.code(),
                  last.message() + " (none of its " + std::to_string(candidates.size()) + " certificates is usable)");
  return last;
}

// ---- Reading ----------------------------------------------------------------------------

std::string RecipientId::Describe() const {
  if (!serial_hex.empty() || !issuer.empty()) return "serial " + serial_hex + " issued by " + issuer;
  if (!key_id_hex.empty()) return "subject key id " + key_id_hex;
  return "a recipient (" + kind + ")";
}

const char* SignatureStatusName(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kValid: return "valid";
    case SignatureStatus::kTampered: return "tampered";
    case SignatureStatus::kUnverifiable: return "unverifiable";
  }
  return "unknown";
}

bool SmimeReport::IsEncrypted() const {
  return std::any_of(layers.begin(), layers.end(), [](const SmimeLayer& l) { return l.kind == LayerKind::kEncrypted; });
}
bool SmimeReport::IsSigned() const {
  return std::any_of(layers.begin(), layers.end(), [](const SmimeLayer& l) { return l.kind == LayerKind::kSigned; });
}
bool SmimeReport::AnyTampered() const {
  return std::any_of(layers.begin(), layers.end(), [](const SmimeLayer& l) {
    return l.kind == LayerKind::kSigned && l.signature.status == SignatureStatus::kTampered;
  });
}
bool SmimeReport::AllSignaturesTrusted() const {
  bool any = false;
  for (const SmimeLayer& l : layers) {
    if (l.kind != LayerKind::kSigned) continue;
    if (l.signature.status != SignatureStatus::kValid || !l.signature.trusted) return false;
    any = true;
  }
  return any;
}

Result<SmimeReport> ReadMessage(std::string_view message, const SmimeKeys& keys,
                                const std::vector<X509*>& trusted_roots, std::time_t now) {
  if (message.empty()) return Status::InvalidArgument("the message is empty");
  if (message.size() > kMaxMessageBytes) return Status::InvalidArgument("the message is too large");
  SmimeReport report;
  std::string current(message);
  {
    MimeEntity outer = MimeEntity::Parse(current);
    if (auto from = outer.Header("From")) report.from_address = AddrSpec(*from);
  }
  for (std::size_t depth = 0;; ++depth) {
    MimeEntity e = MimeEntity::Parse(current);
    EntityKind kind = Classify(e);
    if (kind == EntityKind::kPlain) break;
    if (depth >= kMaxLayers)
      return Status::InvalidArgument("the message nests more than " + std::to_string(kMaxLayers) + " S/MIME layers");

    if (kind == EntityKind::kMultipartSigned) {
      SmimeLayer layer;
      layer.kind = LayerKind::kSigned;
      auto parts = e.Parts();
      if (!parts.ok() || parts->size() < 2) {
        layer.signature.status_detail = "the signed message is damaged: it lacks the content or the signature part";
        report.layers.push_back(std::move(layer));
        return report;
      }
      std::string content((*parts)[0]);
      std::optional<std::string> der;
      for (std::size_t i = 1; i < parts->size() && !der; ++i) {
        MimeEntity part = MimeEntity::Parse((*parts)[i]);
        if (!IsSignaturePart(part)) continue;
        auto decoded = part.DecodedBody();
        der = decoded.ok() ? std::move(*decoded) : std::string();
      }
      CmsContentInfoPtr cms = der ? ParseCms(*der) : CmsContentInfoPtr();
      if (!der) {
        layer.signature.status_detail = "the signed message has no signature part";
      } else if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
        layer.signature.status_detail = "the signature cannot be read (it is damaged)";
      } else {
        VerifySigned(cms.get(), &content, trusted_roots, now, layer.signature);
      }
      layer.signature.signer_matches_from =
          !report.from_address.empty() &&
          std::any_of(layer.signature.signer_emails.begin(), layer.signature.signer_emails.end(),
                      [&](const std::string& m) { return ToLowerAscii(m) == report.from_address; });
      report.layers.push_back(std::move(layer));
      current = std::move(content);
      continue;
    }

    // application/pkcs7-mime and its variants: enveloped-data or opaque signed-data,
    // told apart by the CMS content type (s-nail omits smime-type).
    std::string smime_type = ToLowerAscii(e.content_type().Param("smime-type"));
    auto der = e.DecodedBody();
    CmsContentInfoPtr cms = der.ok() ? ParseCms(*der) : CmsContentInfoPtr();
    int type = cms ? OBJ_obj2nid(CMS_get0_type(cms.get())) : NID_undef;
    if (type == NID_pkcs7_enveloped || (!cms && smime_type == "enveloped-data")) {
      SmimeLayer layer;
      layer.kind = LayerKind::kEncrypted;
      std::optional<std::string> plain;
      if (!cms) {
        layer.encrypted.error = "the encrypted message cannot be read (it is damaged)";
      } else {
        plain = Decrypt(cms.get(), keys, layer.encrypted);
      }
      report.layers.push_back(std::move(layer));
      if (!plain) return report;
      current = std::move(*plain);
      continue;
    }
    if (type == NID_pkcs7_signed || !cms) {
      SmimeLayer layer;
      layer.kind = LayerKind::kSigned;
      layer.signature.opaque = true;
      std::optional<std::string> content;
      if (!cms) {
        layer.signature.status_detail = "the signed message cannot be read (it is damaged)";
      } else {
        VerifySigned(cms.get(), nullptr, trusted_roots, now, layer.signature);
        ASN1_OCTET_STRING** inner = CMS_get0_content(cms.get());
        if (inner != nullptr && *inner != nullptr)
          content = std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*inner)),
                                static_cast<std::size_t>(ASN1_STRING_length(*inner)));
        else if (layer.signature.status_detail.empty())
          layer.signature.status_detail = "the signed message carries no content";
      }
      layer.signature.signer_matches_from =
          !report.from_address.empty() &&
          std::any_of(layer.signature.signer_emails.begin(), layer.signature.signer_emails.end(),
                      [&](const std::string& m) { return ToLowerAscii(m) == report.from_address; });
      report.layers.push_back(std::move(layer));
      if (!content) return report;
      current = std::move(*content);
      continue;
    }
    break;  // another CMS type (compressed, digested, ...): shown as it is
  }
  report.content = std::move(current);
  report.content_available = true;
  return report;
}

MessageContent ExtractContent(std::string_view entity) {
  MessageContent out;
  CollectContent(MimeEntity::Parse(entity), 0, out);
  return out;
}

std::string ComposeEntity(std::string_view text, const std::vector<ContentAttachment>& attachments,
                          std::string_view boundary_seed) {
  std::string text_part = mime::TextPartHeaders(text) + "\r\n" + ToCrlf(text);
  if (attachments.empty()) return text_part;
  std::string boundary = "----=_notesd_mixed_";
  for (char c : boundary_seed)
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) boundary += c;
  std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + text_part + "\r\n";
  for (const ContentAttachment& a : attachments) {
    std::string type = a.content_type.empty() ? "application/octet-stream" : a.content_type;
    out += "--" + boundary + "\r\n" + mime::AttachmentPart(a.file_name, type, a.bytes);
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace notesd::smime
