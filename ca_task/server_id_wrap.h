// ca_task/server_id_wrap.h — secrets wrapped to the server ID with CMS EnvelopedData.
//
// Owns: how notesd keeps a secret that only this server may read: the random password
// of a certifier ID "encrypted with the server ID", and the passwords an administrator
// sends with an AdminP request (they wait in admin4.nsf wrapped, never in clear). The
// wrap is a DER CMS EnvelopedData (RFC 5652) for the server ID's certificate: RSA key
// transport, or ECDH key agreement for an EC server key, and AES-256-CBC content
// encryption — what `openssl cms -decrypt -inform DER` reads too.
//
// SECURITY: UnwrapSecret reads bytes from a database: malformed input is InvalidArgument
// or PermissionDenied (not for this key), never a crash. The secret is returned in a
// std::string the caller should not log.
// Thread safety: pure functions over their arguments.
#pragma once

#include <string>
#include <string_view>

#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd {

// Encrypts `secret` for the holder of `recipient`'s private key. Internal on OpenSSL
// failure; InvalidArgument for a null certificate.
Result<std::string> WrapSecret(std::string_view secret, X509* recipient);

// Decrypts a WrapSecret result with the recipient's key and certificate (both borrowed).
// InvalidArgument when `wrapped` is not CMS EnvelopedData; PermissionDenied when it was
// not made for this key.
Result<std::string> UnwrapSecret(std::string_view wrapped, EVP_PKEY* key, X509* certificate);

}  // namespace notesd
