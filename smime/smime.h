// smime/smime.h — S/MIME (RFC 8551) for Notes mail: sign, encrypt, read.
//
// Owns: the S/MIME structure of a message — multipart/signed with a detached CMS
// signature, application/pkcs7-mime enveloped-data — and reading what other clients
// send: opaque signed-data, application/x-pkcs7-*, application/octet-stream named
// .p7m/.p7s, LF line endings, nested layers. It also decides whether a recipient's
// certificate can be encrypted to. All cryptography and ASN.1 is OpenSSL CMS; this
// folder only builds and takes apart the MIME around it (read with mime/mime_entity.h).
// Delegates: composing the plain message and sending it (client), keeping keys (ID
// files), revocation data (the caller passes a predicate).
//
// Sending, in order: compose the inner entity (Content-* headers + body) -> SignEntity
// -> optionally EncryptEntity (for every recipient AND the sender) -> WrapAsMessage
// with the outer headers. SplitMessage takes an already composed plain message apart
// into outer headers and inner entity.
//
// Choices (what outside clients accept, see /work/shared/reference/interop-notes.md):
// SHA-256 signatures with the signer's certificate and chain, signingTime and
// SMIMECapabilities; classic EnvelopedData, RSA key transport, AES-256-CBC (or -128);
// never AuthEnvelopedData. Generated entities use CRLF throughout.
//
// SECURITY: ReadMessage takes mail from outside. It never throws; nesting is bounded
// (kMaxLayers), sizes by kMaxMessageBytes. A signature whose content or signature bytes
// were altered is reported kTampered, never kValid; trust (chain to a root the user
// trusts) is reported separately, so "valid but untrusted" never reads as "tampered"
// or as "trusted". Private keys are only borrowed for the call.
//
// Thread safety: every function works on its arguments only; borrowed certificates and
// keys must not be mutated concurrently.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pki/openssl_handles.h"
#include "base/status.h"
#include "mime/mime_entity.h"

namespace notesd::smime {

inline constexpr std::size_t kMaxLayers = 8;
inline constexpr std::size_t kMaxMessageBytes = 64u << 20;  // 64 MiB

enum class SmimeCipher { kAes256Cbc, kAes128Cbc };

// ---- Sending --------------------------------------------------------------------------

// Signs `mime_entity` (Content-* headers, empty line, body; any line endings) and returns
// the multipart/signed entity (headers + body, CRLF): part one is the entity made
// canonical (every line ending CRLF), part two the detached CMS SignedData as
// application/pkcs7-signature (SHA-256; `signer` and every certificate of `chain`
// included; signingTime and SMIMECapabilities signed). `key` must be the private key of
// `signer`. All pointers are borrowed for the call. InvalidArgument for a null/mismatched
// signer or key or an empty entity; Internal on OpenSSL failure (detail in the message).
Result<std::string> SignEntity(std::string_view mime_entity, X509* signer, EVP_PKEY* key,
                               const std::vector<X509*>& chain);

// Encrypts `mime_entity` (made canonical CRLF first) as classic EnvelopedData for every
// certificate in `recipients` (RSA key transport; include the sender to keep a readable
// copy) and returns the application/pkcs7-mime; smime-type=enveloped-data entity
// (base64, name="smime.p7m", Content-Disposition attachment). InvalidArgument when
// there is no recipient or a certificate holds no RSA key (naming its subject). Checking
// that each certificate is usable is the caller's job (CheckRecipientCertificate), done
// for all before encrypting anything.
Result<std::string> EncryptEntity(std::string_view mime_entity, const std::vector<X509*>& recipients,
                                  SmimeCipher cipher = SmimeCipher::kAes256Cbc);

// A message split into the outer header fields (everything but Content-* and
// MIME-Version) and the inner entity (the Content-* fields, the empty line, the body).
struct SplitResult {
  std::vector<mime::HeaderField> outer_headers;
  std::string entity;
};
// Splits a composed plain message (e.g. client ComposeMessage output). Never fails: a
// message without Content-Type gets "Content-Type: text/plain; charset=us-ascii".
SplitResult SplitMessage(std::string_view message);

// Puts `outer_headers` (From, To, Cc, Subject, Date, Message-ID, ...; in the given order)
// in front of `entity` and adds "MIME-Version: 1.0" unless given. Output is CRLF.
// InvalidArgument when a name is empty or holds ':' / white space, or a value holds a
// line break (header injection), or a Content-* field is given as outer header.
Result<std::string> WrapAsMessage(std::string_view entity, const std::vector<mime::HeaderField>& outer_headers);

// ---- Recipients -------------------------------------------------------------------------

struct RecipientCheckOptions {
  // When non-empty, the certificate must chain to one of these (through `intermediates`).
  std::vector<X509*> trusted_roots;
  std::vector<X509*> intermediates;
  // Returns true when the certificate is revoked (e.g. its serial is in a CRL the caller
  // holds). Optional.
  std::function<bool(X509*)> is_revoked;
};

// Is `cert` usable to encrypt mail to `address` at `now`? Checks: an RSA key; the address
// equals (case-insensitively) a subjectAltName rfc822Name, or the subject emailAddress
// when there is no SAN e-mail; notBefore <= now <= notAfter; keyUsage, when present,
// allows keyEncipherment; extendedKeyUsage, when present, allows emailProtection; not
// revoked; and the chain, when roots are given. Ok, or: NotFound for a null certificate,
// InvalidArgument (wrong address, key type, usage, expired / not yet valid) or
// PermissionDenied (revoked, untrusted), each message naming the address and the reason,
// e.g. "cannot encrypt to bob@x.example: the certificate CN=Bob expired on 2025-01-02".
Status CheckRecipientCertificate(X509* cert, std::string_view address, std::time_t now,
                                 const RecipientCheckOptions& options = {});

// Picks the first usable certificate for `address` among `candidates` (borrowed; the
// result points into them). NotFound "no certificate for <address>" when there are none;
// otherwise the error of CheckRecipientCertificate for the last candidate tried, with
// the count of candidates when there were several.
Result<X509*> ChooseRecipientCertificate(std::string_view address, const std::vector<X509*>& candidates,
                                         std::time_t now, const RecipientCheckOptions& options = {});

// ---- Reading ----------------------------------------------------------------------------

// One decryption identity: a certificate and its private key, borrowed for the call.
struct SmimeKey {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
};
struct SmimeKeys {
  std::vector<SmimeKey> keys;  // may be empty: encrypted layers are then reported, not opened
};

// Who a RecipientInfo of an enveloped message names.
struct RecipientId {
  std::string issuer;      // RFC 2253 text, for issuerAndSerialNumber
  std::string serial_hex;  // upper-case hex
  std::string key_id_hex;  // for subjectKeyIdentifier (issuer/serial empty then)
  std::string kind;        // "key transport", "key agreement", "other"
  bool is_mine = false;    // matches a certificate in SmimeKeys
  // "serial 0A1B issued by CN=Acme CA" or "subject key id 3f2a...".
  std::string Describe() const;
};

struct EncryptedLayer {
  bool decrypted = false;
  std::string error;  // why not, when !decrypted ("not encrypted for you: ...")
  std::vector<RecipientId> recipients;
};

enum class SignatureStatus {
  kValid,         // the content digest and the signature check out with the signer's key
  kTampered,      // content or signature altered, or the signature cannot be read
  kUnverifiable,  // well formed but cannot be checked (signer certificate not included)
};
const char* SignatureStatusName(SignatureStatus status);  // "valid", "tampered", "unverifiable"

struct SignedLayer {
  bool opaque = false;  // signed-data carrying its content (vs multipart/signed)
  SignatureStatus status = SignatureStatus::kTampered;
  std::string status_detail;          // why tampered / unverifiable (plain text)
  X509Ptr signer;                     // the signer's certificate, when found (owned)
  std::vector<X509Ptr> certificates;  // every certificate carried in the signature (owned)
  bool trusted = false;               // signer chains to one of trusted_roots (S/MIME signing purpose)
  std::string trust_detail;           // why not trusted ("" when trusted)
  std::optional<std::time_t> signing_time;
  std::vector<std::string> signer_emails;  // SAN rfc822Names (else subject emailAddress)
  bool signer_matches_from = false;        // the From address is among signer_emails
  std::string micalg;                      // the digest named by the signer, e.g. "sha-256"
};

enum class LayerKind { kEncrypted, kSigned };

struct SmimeLayer {
  LayerKind kind = LayerKind::kSigned;
  EncryptedLayer encrypted;  // for kEncrypted
  SignedLayer signature;     // for kSigned
};

struct SmimeReport {
  std::vector<SmimeLayer> layers;  // outermost first
  // The innermost entity (headers + body) once every layer is undone; for a message
  // without S/MIME, the whole message; empty when a layer could not be opened.
  std::string content;
  bool content_available = false;
  std::string from_address;  // the addr-spec of the outer From field, "" when none

  bool IsEncrypted() const;
  bool IsSigned() const;
  // True when any signed layer is kTampered.
  bool AnyTampered() const;
  // True when there is a signed layer and every signed layer is kValid and trusted.
  bool AllSignaturesTrusted() const;
};

// Unwraps every S/MIME layer of `message` (encrypted -> signed -> ..., at most
// kMaxLayers), decrypting with `keys` and verifying signatures; trust is judged against
// `trusted_roots` (self-signed anchors) at `now` for the S/MIME signing purpose,
// with the certificates carried in the signature as intermediates. Everything borrowed
// is only used during the call. Returns a report even when a layer cannot be opened
// (then content_available is false and the layer says why). InvalidArgument only for an
// empty or oversized message, or when nesting exceeds kMaxLayers.
Result<SmimeReport> ReadMessage(std::string_view message, const SmimeKeys& keys,
                                const std::vector<X509*>& trusted_roots, std::time_t now);

// What a reader shows of an (innermost) entity.
struct ContentAttachment {
  std::string file_name;     // "" when the part has none
  std::string content_type;  // "application/pdf"
  std::string bytes;         // transfer encoding undone
};
struct MessageContent {
  std::string text;  // the first text/plain part that is not an attachment (decoded; as sent)
  std::string html;  // the first text/html part that is not an attachment
  std::vector<ContentAttachment> attachments;
};
// Walks multipart/* (mixed, alternative, related; nested at most kMaxLayers deep) and
// collects the text and the attachments. Never fails on odd input: an undecodable part
// is skipped.
MessageContent ExtractContent(std::string_view entity);

// Builds a simple entity for tests and callers without a composer: text/plain
// (charset=utf-8, quoted as 8bit when not ASCII) or, with attachments, multipart/mixed
// with the text first and each attachment base64 with its file name. `boundary_seed` is
// random text for the boundary. CRLF output.
std::string ComposeEntity(std::string_view text, const std::vector<ContentAttachment>& attachments,
                          std::string_view boundary_seed);

}  // namespace notesd::smime
