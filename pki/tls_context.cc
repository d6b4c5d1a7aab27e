#include "pki/tls_context.h"

#include <algorithm>

#include "base/wall_clock.h"
#include "pki/openssl_handles.h"

namespace notesd {

namespace {

// OpenSSL's chain check, at the time of the Clock in `arg` rather than the wall clock.
int VerifyAtClockTime(X509_STORE_CTX* store_ctx, void* arg) {
  const Clock* clock = static_cast<const Clock*>(arg);
  X509_STORE_CTX_set_time(store_ctx, 0, static_cast<time_t>(clock->NowSeconds()));
  return X509_verify_cert(store_ctx);
}

}  // namespace

Status ApplyTlsPolicy(SSL_CTX& ctx) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1)
    return Status::Internal("cannot require TLS 1.2: " + OpenSslErrors());
  if (SSL_CTX_set_cipher_list(&ctx, kTls12CipherList) != 1)
    return Status::Internal("cannot set the TLS 1.2 cipher suites: " + OpenSslErrors());
  // The server picks among the offered suites by our order (AES-GCM before ChaCha20).
  SSL_CTX_set_options(&ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  return Status::Ok();
}

Status ConfigureServerTls(SSL_CTX& ctx, const IdFile& server_id, ClientCertificates client_certificates,
                          std::string_view session_id_context, const Clock* clock) {
  NOTESD_RETURN_IF_ERROR(ApplyTlsPolicy(ctx));
  if (SSL_CTX_use_certificate(&ctx, server_id.notes_certificate()) != 1)
    return Status::InvalidArgument("the server ID's certificate is unusable for TLS: " + OpenSslErrors());
  if (SSL_CTX_use_PrivateKey(&ctx, server_id.notes_key()) != 1)
    return Status::InvalidArgument("the server ID's key is unusable for TLS: " + OpenSslErrors());
  for (X509* intermediate : server_id.Intermediates())
    if (SSL_CTX_add1_chain_cert(&ctx, intermediate) != 1)
      return Status::Internal("cannot add an intermediate certificate: " + OpenSslErrors());

  if (client_certificates == ClientCertificates::kRequired) {
    X509StorePtr store(X509_STORE_new());
    if (!store) return Status::Internal("X509_STORE_new failed: " + OpenSslErrors());
    for (X509* root : server_id.TrustAnchors())
      if (X509_STORE_add_cert(store.get(), root) != 1)
        return Status::Internal("cannot add a trusted root: " + OpenSslErrors());
    SSL_CTX_set_cert_store(&ctx, store.release());  // the context owns the store now
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_cert_verify_callback(&ctx, VerifyAtClockTime, const_cast<Clock*>(clock ? clock : &WallClock()));
  }

  // Resumption: a server-side session cache (TLS 1.2 session ids) and tickets (TLS 1.2
  // and 1.3; OpenSSL's default, kept on). A resumed session keeps the verified client
  // certificate, so authentication is the same as on a full handshake.
  auto id_length = std::min<std::size_t>(session_id_context.size(), SSL_MAX_SID_CTX_LENGTH);
  if (SSL_CTX_set_session_id_context(&ctx, reinterpret_cast<const unsigned char*>(session_id_context.data()),
                                     static_cast<unsigned int>(id_length)) != 1)
    return Status::Internal("cannot set the TLS session id context: " + OpenSslErrors());
  SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(&ctx, 20000);
  SSL_CTX_set_timeout(&ctx, 3600);
  return Status::Ok();
}

}  // namespace notesd
