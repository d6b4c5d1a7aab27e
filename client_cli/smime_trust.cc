// client_cli/smime_trust.cc — the trust decision for S/MIME signers (contract in the
// header).
#include "client_cli/smime_trust.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd::client {

namespace {

std::string Fingerprint(X509* cert) {
  Result<std::string> fingerprint = CertificateFingerprint(cert, DigestAlgorithm::kSha256);
  return fingerprint.ok() ? *fingerprint : std::string();
}

bool WithinValidity(X509* cert, std::time_t at) {
  Result<std::time_t> from = NotBefore(cert);
  Result<std::time_t> to = NotAfter(cert);
  return from.ok() && to.ok() && *from <= at && at <= *to;
}

// The certificate among `candidates` that issued `cert` (and is not `cert` itself).
X509* IssuerAmong(X509* cert, const std::vector<X509*>& candidates) {
  for (X509* candidate : candidates) {
    if (candidate == nullptr || X509_cmp(candidate, cert) == 0) continue;
    if (X509_check_issued(candidate, cert) == X509_V_OK) return candidate;
  }
  return nullptr;
}

struct ChainResult {
  bool ok = false;
  int code = X509_V_OK;
  std::string error;
  X509Ptr top;  // the last certificate of the built chain (the anchor when ok)
};

ChainResult BuildChain(X509* signer, const std::vector<X509*>& anchors, const std::vector<X509*>& untrusted,
                       std::time_t at) {
  ChainResult result;
  X509StorePtr store(X509_STORE_new());
  X509StackPtr chain_in(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !chain_in || !ctx) {
    result.error = "cannot set up certificate verification";
    return result;
  }
  for (X509* anchor : anchors) X509_STORE_add_cert(store.get(), anchor);
  for (X509* cert : untrusted) {
    X509Ptr reference = UpRef(cert);
    if (reference && sk_X509_push(chain_in.get(), reference.get()) > 0) reference.release();
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), signer, chain_in.get()) != 1) {
    result.error = "cannot start certificate verification";
    ERR_clear_error();
    return result;
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_SIGN);
  result.ok = X509_verify_cert(ctx.get()) == 1;
  if (!result.ok) {
    result.code = X509_STORE_CTX_get_error(ctx.get());
    result.error = X509_verify_cert_error_string(result.code);
  }
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  if (built != nullptr && sk_X509_num(built) > 0) result.top = UpRef(sk_X509_value(built, sk_X509_num(built) - 1));
  ERR_clear_error();
  return result;
}

}  // namespace

TrustSources MakeTrustSources(const IdFile& id, const std::vector<CrossCertificateRecord>& cross) {
  TrustSources sources;
  sources.organisation_roots = id.TrustAnchors();
  sources.intermediates = id.Intermediates();
  for (const CrossCertificateRecord& record : cross)
    if (record.valid && record.certificate) sources.cross_certificates.push_back(&record);
  return sources;
}

TrustVerdict DecideTrust(X509* signer, const std::vector<X509*>& message_certificates, const TrustSources& sources,
                         std::time_t at) {
  TrustVerdict verdict;
  if (signer == nullptr) {
    verdict.reason = "the message names no signer certificate";
    return verdict;
  }
  X509* issuer = IssuerAmong(signer, message_certificates);
  if (issuer == nullptr) issuer = IssuerAmong(signer, sources.organisation_roots);
  if (issuer == nullptr) issuer = IssuerAmong(signer, sources.intermediates);
  verdict.issuing_ca = UpRef(issuer);

  // 1. A cross-certificate for this very certificate.
  const std::string fingerprint = Fingerprint(signer);
  for (const CrossCertificateRecord* cross : sources.cross_certificates) {
    if (cross->scope != CrossScope::kSender || cross->fingerprint != fingerprint) continue;
    if (!WithinValidity(signer, at)) {
      verdict.reason = "the signer's certificate is cross-certified but not valid now (expired or not yet valid)";
      return verdict;
    }
    verdict.trusted = true;
    verdict.basis = "your cross-certificate for the sender " + SubjectText(signer);
    return verdict;
  }

  // 2. A chain to the organisation's roots or a cross-certified CA.
  std::vector<X509*> anchors = sources.organisation_roots;
  for (const CrossCertificateRecord* cross : sources.cross_certificates)
    if (cross->scope == CrossScope::kCa) anchors.push_back(cross->certificate.get());
  std::vector<X509*> untrusted = message_certificates;
  untrusted.insert(untrusted.end(), sources.intermediates.begin(), sources.intermediates.end());
  ChainResult chain = BuildChain(signer, anchors, untrusted, at);
  if (chain.ok && chain.top) {
    const std::string top_fingerprint = Fingerprint(chain.top.get());
    verdict.trusted = true;
    verdict.basis = "your organisation's root " + SubjectText(chain.top.get());
    for (const CrossCertificateRecord* cross : sources.cross_certificates) {
      if (cross->scope == CrossScope::kCa && cross->fingerprint == top_fingerprint)
        verdict.basis = "your cross-certificate for the CA " + SubjectText(chain.top.get());
    }
    return verdict;
  }
  const bool no_anchor =
      chain.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
      chain.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || chain.code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
      chain.code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || chain.code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
  if (!no_anchor) {
    verdict.reason = "the signer's certificate chain is not valid: " + chain.error;
  } else {
    verdict.reason = "You and signer have no certificates in common; signer cannot be assumed to be trustworthy.";
  }
  return verdict;
}

}  // namespace notesd::client
