// http/http_task.h — the HTTP task: the HTTPS client API for the `notes` client.
//
// Owns: an HTTPS listener (cpp-httplib over OpenSSL) with mutual TLS. The server proves
// itself with server.id's Notes certificate; a client must present a Notes certificate
// that chains to the organisation certifier (the roots trusted by server.id), and each
// request is then authorised by the Person document of that certificate's subject: the
// Person must exist and hold the same public key (a removed or replaced Person is
// refused). Administrators are the Server document's FullAdmin names and groups.
//
// Reads: server.id (KeyFileName), names.nsf (Person, Server documents).
// notes.ini keys (RESTART TASK HTTP to apply): HTTP_Port, HTTP_Address,
// HTTP_MaxRequestKB, HTTP_TimeoutSeconds, HTTP_Threads, HTTP_MaxSessions (one thread per
// connection, started on demand: http/http_thread_pool.h), HTTP_HandshakeTimeoutSeconds,
// HTTP_RequestHeadTimeoutSeconds, HTTP_MaxSessionsPerIP (http/http_connection_guard.h),
// KeyFileName, and HTTP_CRLPort (declared in ca_task/crl_publication.h with the CA's keys;
// default 0).
//
// CRLs: when HTTP_CRLPort > 0 the task also runs a second, plain-HTTP listener on
// HTTP_Address:HTTP_CRLPort (http/http_crl_listener.h, on the io threads) that serves only
//   GET /crl/<file>   the newest CRL (DER, Content-Type application/pkix-crl) of the
//                     Internet certifier whose CrlFileName(common name) is <file>
// and 404 for anything else. No TLS and no authentication there: CRLs are public and a
// distribution point (RFC 5280) must be fetchable without a certificate.
// Endpoints (JSON; any error is {"error": "..."} with a 4xx/5xx status):
//   GET  /api/v1/whoami                 who the client is, and whether an administrator
//   GET  /api/v1/people/lookup?name=X   a Person document (with its Internet certificates, PEM)
//   POST /api/v1/admin/console          {"command"} -> {"ok","output"}   (administrators)
//   POST /api/v1/admin/people           register a person (administrators; 400/409 for a
//                                       MailFile that is a system file, outside mail/ or taken)
//   DELETE /api/v1/admin/people?name=X  delete a Person document (administrators)
//   POST /api/v1/mail/deposit           {"recipients":[...],"message_base64"} -> {"unid"}: mail.box
//                                       (403 when its From or Sender is not the caller's address)
//   GET  /api/v1/mail/messages[?folder=NAME]  a folder of the caller's mail file (INBOX):
//                                       {"folder","uid_validity","uid_next","messages":[{"unid",
//                                       "uid","flags","unread","from","subject",...}]} in UID order
//   GET  /api/v1/mail/messages/<UNID>[?mark_read=1]  one message, its RFC 5322 bytes as
//                                       "message_base64" (mark_read=1: it gets \Seen first)
//   POST /api/v1/mail/messages/<UNID>/delete   delete it;  .../move {"folder"} -> {"uid"}
//   GET  /api/v1/mail/folders           {"folders":[{"name","messages","unseen","uid_next",
//                                       "uid_validity"}]}
//   POST /api/v1/mail/folders/create|delete|rename  {"name"[,"new_name"]} (INBOX cannot be
//                                       deleted; renaming it moves its messages, RFC 3501)
//   POST /api/v1/admin/requests/internet-certifier   post a Create Internet Certifier
//                                       AdminP request (administrators) -> 202 {"unid"}
//   GET  /api/v1/admin/requests[?status=pending|failed|done|new|all]   AdminP requests
//   GET  /api/v1/admin/requests/<UNID>  one request, its responses, and for its author the
//                                       local certifier ID copy ("local_copy_id_base64")
//   GET  /api/v1/certifiers[/<name>]    Internet certifiers: root certificate, ICL, roles
//   POST /api/v1/admin/certifiers/<name>/roles  {"caa","ra"}: CAAs of the certifier only
//                                       (403 otherwise) -> 202 {"unid"}
//   POST /api/v1/admin/certifiers/<name>/certificates  {"people":[names],"groups":[names],
//                                       "ou":"/Sales/Acme","all":bool,"validity_years":N?}:
//                                       RAs of the certifier only (403); every selected person
//                                       is validated first (unknown name 404, no Internet
//                                       address 400: nothing posted), then one AdminP batch of
//                                       "Add Internet Certificate to Person Record" requests
//                                       -> 202 {"batch","count"}
//   GET  /api/v1/admin/requests/batches/<id>  {"total","done","failed","pending","failures":
//                                       [{"unid","target","error"}]} (administrators and the
//                                       batch's author)
//   POST /api/v1/admin/certifiers/<name>/revoke  {"serial":hex | "person":name, "reason":
//                                       name|number}: RAs and CAAs of the certifier (403)
//                                       -> {"revoked":[{"serial","subject"}]}
//   GET  /api/v1/me/certificates        the caller's Internet certificates (PEM, newest first)
//                                       and "roots": the roots of the certifiers that issued
//                                       them -> {"name","certificates","roots"}
//   PUT  /api/v1/admin/people/<name>/internet-password  {"password"}: set or reset a
//                                       person's Internet password (administrators; 400 for
//                                       a password the rules refuse, 404 for no such person)
//                                       -> {"name","changed"}
//   PUT  /api/v1/me/internet-password   {"password"}: the caller's own Internet password
//                                       -> {"name","changed"} (no current password asked:
//                                       the client certificate already proved who it is)
// SECURITY: every byte of a request is untrusted: bodies are size-limited and parsed as
// JSON with errors answered 400 (a larger body is read and discarded, never buffered,
// then 413); reads time out; the whole TLS handshake and each whole request head have a
// deadline, one address may hold HTTP_MaxSessionsPerIP connections; an idle keep-alive
// connection holds its own thread (cpp-httplib is thread-per-connection) for at most 5 s,
// up to HTTP_MaxSessions threads; a refused request is logged with the caller's name.
// TLS: pki/tls_context.h (TLS 1.2 with ECDHE + AEAD suites only, TLS 1.3; session
// resumption). Every socket has TCP_NODELAY; keep-alive carries up to 1000 requests.
// Logs: start/stop, each refused request, each administrative action.
#pragma once

#include <span>

#include "task/task.h"

namespace notesd {

std::span<const ConfigKey> HttpConfigKeys();
TaskSpec HttpTaskSpec();

}  // namespace notesd
