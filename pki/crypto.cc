// pki/crypto.cc — OpenSSL 3 codecs, key generation, digests and randomness for notesd.
#include "pki/crypto.h"
#include "base/ascii.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cctype>
#include <climits>
#include <cstring>

namespace notesd {
namespace {

// A PEM pass-phrase callback that supplies none: OpenSSL's default would prompt on the
// terminal, which a server must never do. An encrypted PEM block then fails to decode.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

// A read-only memory BIO over `bytes` (borrowed: `bytes` must outlive the BIO).
Result<BioPtr> ReadBio(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("no data");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return Status::InvalidArgument("data too large");
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return Status::Internal("BIO_new_mem_buf failed: " + OpenSslErrors());
  return bio;
}

Result<BioPtr> WriteBio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return Status::Internal("BIO_new failed: " + OpenSslErrors());
  return bio;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return std::string();
  return std::string(data, static_cast<std::size_t>(length));
}

// Runs an OpenSSL writer (i2d_*_bio / PEM_write_bio_*) into memory.
template <typename Writer>
Result<std::string> WriteToString(const char* what, Writer&& writer) {
  NOTESD_ASSIGN_OR_RETURN(BioPtr bio, WriteBio());
  if (writer(bio.get()) != 1) {
    return Status::Internal(std::string("cannot encode ") + what + ": " + OpenSslErrors());
  }
  return BioContents(bio.get());
}

const unsigned char* Bytes(std::string_view data) { return reinterpret_cast<const unsigned char*>(data.data()); }

// Runs a d2i_* decoder over all of `der`; refuses trailing bytes so that a DER value
// with something glued behind it is not silently half-read.
template <typename T, typename Decoder>
Result<T> DecodeWholeDer(std::string_view der, const char* what, Decoder&& decoder) {
  if (der.empty()) return Status::InvalidArgument(std::string("empty ") + what);
  const unsigned char* cursor = Bytes(der);
  T object(decoder(&cursor, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!object) return Status::InvalidArgument(std::string("not a DER ") + what);
  if (cursor != Bytes(der) + der.size()) {
    return Status::InvalidArgument(std::string("trailing data after DER ") + what);
  }
  return object;
}

const EVP_MD* DigestMd(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kSha1 ? EVP_sha1() : EVP_sha256();
}

bool IsPemText(std::string_view bytes) {
  std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  if (static_cast<unsigned char>(bytes[first]) == 0x30) return false;  // DER SEQUENCE
  return bytes.find("-----BEGIN ") != std::string_view::npos;
}

// Moves the certificates of a PKCS#7 SignedData into `out`. False when `p7` is not
// SignedData.
bool TakePkcs7Certificates(PKCS7* p7, std::vector<X509Ptr>& out) {
  if (p7 == nullptr || !PKCS7_type_is_signed(p7) || p7->d.sign == nullptr) return false;
  STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509Ptr cert = UpRef(sk_X509_value(certs, i));
    if (cert) out.push_back(std::move(cert));
  }
  return true;
}

Status ParsePemBlock(const std::string& label, std::string_view der, std::vector<X509Ptr>& out) {
  const unsigned char* cursor = Bytes(der);
  const long length = static_cast<long>(der.size());
  if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") {
    X509Ptr cert(d2i_X509(nullptr, &cursor, length));
    if (!cert) return Status::InvalidArgument("a PEM CERTIFICATE block is not a valid certificate");
    out.push_back(std::move(cert));
  } else if (label == "TRUSTED CERTIFICATE") {
    X509Ptr cert(d2i_X509_AUX(nullptr, &cursor, length));
    if (!cert) return Status::InvalidArgument("a PEM TRUSTED CERTIFICATE block is not valid");
    out.push_back(std::move(cert));
  } else if (label == "PKCS7" || label == "PKCS #7 SIGNED DATA" || label == "CMS") {
    Pkcs7Ptr p7(d2i_PKCS7(nullptr, &cursor, length));
    if (!TakePkcs7Certificates(p7.get(), out)) {
      return Status::InvalidArgument("a PEM PKCS7 block is not a PKCS#7 SignedData");
    }
  }
  return Status::Ok();  // Keys, CRLs and other blocks are not certificates: skipped.
}

Result<std::vector<X509Ptr>> ParsePemCertificates(std::string_view text) {
  NOTESD_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(text));
  std::vector<X509Ptr> certs;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    std::string label(name);
    std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    Status block = ParsePemBlock(label, der, certs);
    if (!block.ok()) {
      ERR_clear_error();
      return block;
    }
  }
  // PEM_read_bio ends with "no start line" at the end of the text; anything else
  // means a block was cut or its base64 was damaged.
  unsigned long last = ERR_peek_last_error();
  bool clean_end = last == 0 || ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end) return Status::InvalidArgument("malformed PEM data");
  return certs;
}

Result<std::vector<X509Ptr>> ParseDerCertificates(std::string_view der) {
  std::vector<X509Ptr> certs;
  const unsigned char* cursor = Bytes(der);
  const unsigned char* end = cursor + der.size();
  while (cursor < end) {
    const unsigned char* start = cursor;
    X509Ptr cert(d2i_X509(nullptr, &cursor, end - start));
    if (cert) {
      certs.push_back(std::move(cert));
      continue;
    }
    ERR_clear_error();
    if (!certs.empty()) return Status::InvalidArgument("data after the DER certificates is not a certificate");
    cursor = start;
    Pkcs7Ptr p7(d2i_PKCS7(nullptr, &cursor, end - start));
    ERR_clear_error();
    if (!p7 || cursor != end || !TakePkcs7Certificates(p7.get(), certs)) {
      return Status::InvalidArgument("not a certificate: expected DER, PEM or a PKCS#7 certificate bundle");
    }
  }
  return certs;
}

}  // namespace

std::string OpenSslErrors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!out.empty()) out += "; ";
    out += buffer;
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out.empty() ? "no OpenSSL error detail" : out;
}

// ---- Keys ----------------------------------------------------------------------------

Result<KeySpec> KeySpec::Parse(std::string_view text) {
  const std::string lower = ToLowerAscii(text);
  if (lower == "rsa2048") return Rsa2048();
  if (lower == "rsa3072") return Rsa3072();
  if (lower == "rsa4096") return Rsa4096();
  if (lower == "ecdsa-p256") return EcdsaP256();
  return Status::InvalidArgument("unknown key type \"" + std::string(text) +
                                 "\" (use rsa2048, rsa3072, rsa4096 or ecdsa-p256)");
}

std::string KeySpec::ToString() const {
  if (algorithm == KeyAlgorithm::kEcP256) return "ecdsa-p256";
  return "rsa" + std::to_string(bits);
}

Result<EvpPkeyPtr> GenerateKey(const KeySpec& spec) {
  const bool rsa = spec.algorithm == KeyAlgorithm::kRsa;
  if (rsa && spec.bits != 2048 && spec.bits != 3072 && spec.bits != 4096) {
    return Status::InvalidArgument("unsupported RSA key size " + std::to_string(spec.bits));
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0) {
    return Status::Internal("cannot start key generation: " + OpenSslErrors());
  }
  const int configured =
      rsa ? EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), spec.bits) : EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256");
  if (configured <= 0) return Status::Internal("cannot configure key generation: " + OpenSslErrors());
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) <= 0) {
    return Status::Internal("key generation failed: " + OpenSslErrors());
  }
  return EvpPkeyPtr(raw);
}

Result<KeySpec> KeySpecOf(EVP_PKEY* key) {
  if (key == nullptr) return Status::InvalidArgument("no key");
  if (EVP_PKEY_is_a(key, "RSA")) {
    KeySpec spec{KeyAlgorithm::kRsa, EVP_PKEY_get_bits(key)};
    if (spec.bits == 2048 || spec.bits == 3072 || spec.bits == 4096) return spec;
    return Status::InvalidArgument("unsupported RSA key size " + std::to_string(spec.bits));
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) == 1) {
      const std::string name = ToLowerAscii(group);
      if (name == "prime256v1" || name == "p-256" || name == "secp256r1") return KeySpec::EcdsaP256();
    }
    ERR_clear_error();
    return Status::InvalidArgument("unsupported EC curve (only P-256 is supported)");
  }
  return Status::InvalidArgument("unsupported key type (only RSA and EC P-256 are supported)");
}

bool PublicKeysEqual(EVP_PKEY* a, EVP_PKEY* b) {
  if (a == nullptr || b == nullptr) return false;
  const bool equal = EVP_PKEY_eq(a, b) == 1;
  ERR_clear_error();  // Comparing keys of different types leaves an error behind.
  return equal;
}

// ---- Private keys ---------------------------------------------------------------------

Result<std::string> PrivateKeyToPem(EVP_PKEY* key) {
  if (key == nullptr) return Status::InvalidArgument("no private key");
  return WriteToString("private key", [key](BIO* bio) {
    return PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

Result<std::string> PrivateKeyToDer(EVP_PKEY* key) {
  if (key == nullptr) return Status::InvalidArgument("no private key");
  return WriteToString("private key", [key](BIO* bio) {
    return i2d_PKCS8PrivateKey_bio(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

Result<EvpPkeyPtr> PrivateKeyFromPem(std::string_view pem) {
  NOTESD_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(pem));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (key) return key;
  if (pem.find("ENCRYPTED") != std::string_view::npos) {
    return Status::InvalidArgument("the PEM private key is encrypted; an unencrypted key is needed");
  }
  return Status::InvalidArgument("no valid PEM private key found");
}

Result<EvpPkeyPtr> PrivateKeyFromDer(std::string_view der) {
  return DecodeWholeDer<EvpPkeyPtr>(der, "private key", [](const unsigned char** cursor, long length) {
    return d2i_AutoPrivateKey(nullptr, cursor, length);
  });
}

// ---- Public keys ----------------------------------------------------------------------

Result<std::string> PublicKeyToPem(EVP_PKEY* key) {
  if (key == nullptr) return Status::InvalidArgument("no public key");
  return WriteToString("public key", [key](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key); });
}

Result<std::string> PublicKeyToDer(EVP_PKEY* key) {
  if (key == nullptr) return Status::InvalidArgument("no public key");
  return WriteToString("public key", [key](BIO* bio) { return i2d_PUBKEY_bio(bio, key) == 1 ? 1 : 0; });
}

Result<EvpPkeyPtr> PublicKeyFromPem(std::string_view pem) {
  NOTESD_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(pem));
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!key) return Status::InvalidArgument("no valid PEM public key found");
  return key;
}

Result<EvpPkeyPtr> PublicKeyFromDer(std::string_view der) {
  return DecodeWholeDer<EvpPkeyPtr>(der, "public key", [](const unsigned char** cursor, long length) {
    return d2i_PUBKEY(nullptr, cursor, length);
  });
}

Result<std::string> PublicKeyPemToDer(std::string_view pem) {
  NOTESD_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(pem));
  unsigned char* data = nullptr;
  long length = 0;
  if (PEM_bytes_read_bio(&data, &length, nullptr, PEM_STRING_PUBLIC, bio.get(), nullptr, nullptr) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("not a PEM \"PUBLIC KEY\"");
  }
  std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  OPENSSL_free(data);
  return der;
}

bool PublicKeyPemMatches(std::string_view pem, X509* cert) {
  if (cert == nullptr) return false;
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  unsigned char* cert_der = nullptr;
  const int cert_length = spki ? i2d_X509_PUBKEY(spki, &cert_der) : -1;
  Result<std::string> pem_der = PublicKeyPemToDer(pem);
  const bool same_bytes =
      cert_length > 0 && pem_der.ok() &&
      std::string_view(reinterpret_cast<const char*>(cert_der), static_cast<std::size_t>(cert_length)) == *pem_der;
  OPENSSL_free(cert_der);
  ERR_clear_error();
  if (same_bytes) return true;
  // The same key may be encoded otherwise (say, other algorithm parameters): decode both.
  auto registered = PublicKeyFromPem(pem);
  return registered.ok() && PublicKeysEqual(registered->get(), X509_get0_pubkey(cert));
}

// ---- Certificates -------------------------------------------------------------------

Result<std::string> CertificateToPem(X509* cert) {
  if (cert == nullptr) return Status::InvalidArgument("no certificate");
  return WriteToString("certificate", [cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

Result<std::string> CertificateToDer(X509* cert) {
  if (cert == nullptr) return Status::InvalidArgument("no certificate");
  return WriteToString("certificate", [cert](BIO* bio) { return i2d_X509_bio(bio, cert); });
}

Result<X509Ptr> CertificateFromPem(std::string_view pem) {
  NOTESD_ASSIGN_OR_RETURN(BioPtr bio, ReadBio(pem));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (!cert) return Status::InvalidArgument("no valid PEM certificate found");
  return cert;
}

Result<X509Ptr> CertificateFromDer(std::string_view der) {
  return DecodeWholeDer<X509Ptr>(der, "certificate", [](const unsigned char** cursor, long length) {
    return d2i_X509(nullptr, cursor, length);
  });
}

Result<std::vector<X509Ptr>> ParseCertificates(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("no certificate found: the data is empty");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return Status::InvalidArgument("certificate data too large");
  Result<std::vector<X509Ptr>> certs = IsPemText(bytes) ? ParsePemCertificates(bytes) : ParseDerCertificates(bytes);
  if (!certs.ok()) return certs.status();
  if (certs->empty()) return Status::InvalidArgument("no certificate found in the data");
  return certs;
}

// ---- Digests, fingerprints, randomness ------------------------------------------------

Result<std::string> Digest(DigestAlgorithm algorithm, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out, &length, DigestMd(algorithm), nullptr) != 1) {
    return Status::Internal("digest failed: " + OpenSslErrors());
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

Result<std::string> CertificateFingerprint(X509* cert, DigestAlgorithm algorithm, HexStyle style) {
  if (cert == nullptr) return Status::InvalidArgument("no certificate");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, DigestMd(algorithm), out, &length) != 1) {
    return Status::Internal("certificate digest failed: " + OpenSslErrors());
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), length), style);
}

std::string HexEncode(std::string_view bytes, HexStyle style) {
  const char* digits = style == HexStyle::kColon ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (style == HexStyle::kColon && i > 0) out += ':';
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  std::string digits;
  digits.reserve(hex.size());
  for (char c : hex) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("not hexadecimal: \"" + std::string(hex) + "\"");
    }
    digits += c;
  }
  if (digits.size() % 2 != 0) return Status::InvalidArgument("odd number of hex digits: \"" + std::string(hex) + "\"");
  std::string out;
  out.reserve(digits.size() / 2);
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out += static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16));
  }
  return out;
}

Result<std::string> RandomBytes(std::size_t count) {
  if (count > static_cast<std::size_t>(INT_MAX)) return Status::InvalidArgument("too many random bytes requested");
  std::string out(count, '\0');
  if (count > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    return Status::Internal("random generator failed: " + OpenSslErrors());
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace notesd
