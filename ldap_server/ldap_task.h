// ldap_server/ldap_task.h — the LDAP task ("LDAP" in ServerTasks; SHOW TASKS "LDAP Server"):
// Domino's directory over LDAPv3 (RFC 4511), read-only, so outside mail programs find a
// Notes user's certificate (userCertificate;binary, userSMIMECertificate) without a key
// exchange.
//
// Owns: one asynchronous session per connection on the shared listener and connection
// (net/listener.h, net/connection.h: io threads, a strand, StartTLS, a deadline on every
// read and write), on LDAPPort and, with TLS from the first byte, LDAPSSLPort. Delegates:
// framing, decoding, encoding, filters and attribute selection to ldap/ (pure, liblber);
// the entries to ldap_server/ldap_directory_view.h; binds to the server's one
// InternetPasswords (directory/internet_password.h; its lockout is shared with IMAP, POP3,
// SMTP AUTH and HTTP; logged as "LDAP"). Binds and searches run on the task's own small
// thread pool (4 threads), never on an io thread: Argon2 and a directory walk take time.
//
// Operations: bind (anonymous; simple with the Internet password; SASL answered
// authMethodNotSupported), unbind, search, abandon (a no-op: requests are answered in
// order, so a search is over before its abandon is read), the extended operations StartTLS
// (1.3.6.1.4.1.1466.20037) and Who am I? (1.3.6.1.4.1.4203.1.11.3); add, modify, delete,
// modify DN and compare are answered unwillingToPerform. Search: base, one-level and
// subtree scopes; every filter type; sizeLimit (and LDAPMaxResults), timeLimit; the
// paged-results control (1.2.840.113556.1.4.319; the cookie is the offset of the next
// entry); `*`, `+`, `1.1`; the root DSE and cn=schema.
//
// Ports and databases: listens on LDAPAddress:LDAPPort and LDAPAddress:LDAPSSLPort; reads
// names.nsf (per search, so a certificate AdminP issues, or one revoked, shows in the next
// search without a restart) and server.id (KeyFileName, for TLS). Writes nothing.
//
// notes.ini keys (ldap_server/ldap_config.h; RESTART TASK LDAP to apply): LDAPPort (389),
// LDAPSSLPort (636; 0 = none), LDAPAddress (0.0.0.0), LDAPMaxSessions (200),
// LDAPMaxSessionsPerIP (20), LDAPIdleTimeoutSeconds (300), LDAPAllowPlainBind (0),
// LDAPAnonymousAttributes (objectClass, cn, sn, givenName, uid, mail, userCertificate,
// userSMIMECertificate, member), LDAPMaxResults (1000).
//
// SECURITY: every byte a client sends is untrusted. A message is at most 1 MiB (liblber's
// max-incoming check: a length of 2^31 is refused from its header), filters nest at most
// 64 deep with at most 1,000 terms; a malformed message gets a notice of disconnection
// (protocolError) and the close; a client that sends half a message and waits is closed
// after LDAPIdleTimeoutSeconds. A password is never accepted in clear text unless
// LDAPAllowPlainBind=1 (confidentialityRequired before StartTLS). Anonymous clients read
// and filter only the LDAPAnonymousAttributes; nobody reads the password hash (it is no
// attribute here).
//
// Logs: start/stop, listener and TLS problems; failed binds through InternetPasswords.
// Statistics (SHOW STAT, TELL LDAP STAT): LDAP.Sessions.Total/Refused/RefusedPerAddress
// (the listener), LDAP.Sessions.Current, LDAP.Sessions.TimedOut, LDAP.Binds.Succeeded,
// LDAP.Binds.Failed, LDAP.Binds.RefusedWithoutTLS, LDAP.Searches, LDAP.Entries.Returned,
// LDAP.Requests.Refused (write operations), LDAP.Requests.Bad.
//
// Known limits: no SASL, no referrals, no server-side sort; a search's replies are built
// in memory before they are sent (bounded by LDAPMaxResults); organizational units are no
// entries of their own.
#pragma once

#include "task/task.h"

namespace notesd {

TaskSpec LdapTaskSpec();

}  // namespace notesd
