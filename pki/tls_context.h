// pki/tls_context.h — the one place notesd's TLS contexts get their protocol policy and
// the server ID's identity: the HTTPS listener (http/http_task.cc), the SMTP listener's
// STARTTLS (router/smtp_task.cc), the Router's outbound STARTTLS (router/smtp_client.cc)
// and the `notes` client (client_cli/home_server_client.cc) all configure their SSL_CTX
// here, so every TLS endpoint offers the same suites.
//
// Policy (kTls12CipherList): TLS 1.2 or newer. On TLS 1.2 only ECDHE key exchange with
// AEAD ciphers (forward secrecy; no static-RSA, CBC or SHA-1 MAC suites):
//   ECDHE-ECDSA/RSA-AES128-GCM-SHA256, ECDHE-ECDSA/RSA-AES256-GCM-SHA384,
//   ECDHE-ECDSA/RSA-CHACHA20-POLY1305;
// TLS 1.3 with OpenSSL's default suites (all AEAD, all forward secret). Renegotiation off.
//
// Contract: each function configures a context the caller owns (an SSL_CTX lives as long
// as its owner, e.g. httplib's server or an asio::ssl::context); on failure it returns a
// Status naming what failed with OpenSSL's reason, and the context must not be used.
// Not thread safe on one context: configure it before any connection uses it.
#pragma once

#include <openssl/ssl.h>

#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "pki/id_file.h"

namespace notesd {

// The TLS 1.2 suites every notesd endpoint offers (OpenSSL cipher-list syntax).
inline constexpr const char* kTls12CipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Whether a server asks for and verifies a client certificate.
enum class ClientCertificates { kNotAsked, kRequired };

// Protocol policy only (versions, suites, no renegotiation): for client contexts.
[[nodiscard]] Status ApplyTlsPolicy(SSL_CTX& ctx);

// A server context: the policy, server.id's certificate, chain and key, and a session
// cache plus session tickets so that clients can resume (`session_id_context` tells
// this server's sessions from another's, e.g. "notesd-https"). With kRequired the client
// must present a certificate that chains to the roots server.id trusts, valid at
// `clock`'s time (the server's clock, which SET CLOCK moves, so HTTP and the CA agree on
// expiry); `clock` must outlive the context; null: the wall clock.
[[nodiscard]] Status ConfigureServerTls(SSL_CTX& ctx, const IdFile& server_id, ClientCertificates client_certificates,
                                        std::string_view session_id_context, const Clock* clock = nullptr);

}  // namespace notesd
