// pop3/pop3_task.h — the POP3 task ("POP3" in ServerTasks; SHOW TASKS "POP3 Server"): mail programs read the INBOX of a
// person's mail file.
//
// Owns: the two listeners (net/listener.h: POP3Port with STLS, RFC 2595; POP3SSLPort with
// implicit TLS, RFC 8314), one asynchronous session per connection (net/connection.h: a
// strand, a deadline on every read and write), and the blocking work of the sessions on a
// pool of 2 threads of its own (Argon2 and mail-file reads never run on an io thread).
// Delegates: the protocol to pop3/pop3_protocol.h (the pure parser) and
// pop3/pop3_session.h (the handler: states and replies); logins to the server's one
// InternetPasswords (directory/internet_password.h, log source "POP3"; its lockout is
// shared with every other door); the maildrop to router/mail_service.h (ListFolder,
// ReadByUid and StoreFlags of INBOX; StoreFlags + Expunge at QUIT).
//
// The four pieces (STYLE.md): listener = net::Listener; session = Pop3Session in
// pop3_task.cc; parser = pop3::LineReader + pop3::ParseCommand; handler = pop3::Pop3Handler
// over a Pop3Backend (pop3/pop3_maildrop.h on the mail service).
//
// Ports and databases: listens on POP3Address:POP3Port and POP3Address:POP3SSLPort; reads
// names.nsf (people, Internet passwords) and server.id (KeyFileName, for TLS); reads and
// writes the person's mail file (\Seen marks, deletions).
//
// notes.ini keys (pop3/pop3_config.h; RESTART TASK POP3 to apply): POP3Port (110),
// POP3SSLPort (995; 0 = none), POP3Address (0.0.0.0), POP3MaxSessions (100, per
// listener), POP3MaxSessionsPerIP (10), POP3IdleTimeoutMinutes (10), and for tests
// Test_POP3IdleTimeoutSeconds (0). The greeting names MailHostName (SMTPHostName).
//
// SECURITY: everything a client sends is untrusted. A command line is bounded (1024
// bytes; a longer one is answered -ERR and the session closes), 20 bad commands close a
// session, each command line must be complete within the idle timeout counted from the
// previous reply (a trickle of bytes does not extend it). Passwords are accepted only
// over TLS, are never logged, and the line that carries one is dropped after the check.
// Only the logged-in person's own mail file is opened. Without server.id's certificate
// there is no STLS and no POP3SSLPort listener, so nobody can log in (logged at start).
//
// Logs: start/stop, TLS problems, each login ("POP3 login of <name> from <address>");
// failed logins are logged by InternetPasswords. SHOW STAT: POP3.Sessions.Total,
// .Current, .Refused, .RefusedPerAddress, .TimedOut; POP3.Logins.Succeeded, .Failed;
// POP3.Messages.Retrieved, POP3.Messages.Deleted.
//
// Known limits: no APOP, no maildrop lock ([IN-USE]): two sessions of one person each see
// the listing of their own login, and a message the other removed is answered -ERR; only
// AUTH PLAIN among SASL mechanisms; no LOGIN-DELAY / EXPIRE capabilities.
#pragma once

#include "task/task.h"

namespace notesd {

TaskSpec Pop3TaskSpec();

}  // namespace notesd
