// router/smtp_task.h — the SMTP task ("SMTP" in ServerTasks; SHOW TASKS "SMTP Server"):
// the inbound ESMTP listener and authenticated submission (RFC 4954, RFC 6409, RFC 8314).
//
// Owns: one asynchronous session per connection on the shared listener and connection
// (net/listener.h, net/connection.h: the server's io threads, a strand, TLS after
// STARTTLS, a deadline on every read and write), the recipient policy (router/recipient_resolver.h), and handing each
// complete message to mail.box. Delegates: the protocol to router/smtp_protocol.h (pure, every reply is decided there),
// storage and group commit to router/mail_store.h, routing to the Router task.
//
// The four pieces (STYLE.md): listener = net::Listener (acceptor, the session caps);
// session = SmtpSession in smtp_task.cc (buffers, deadlines, over a net::Connection); parser =
// smtp::ServerSession; handler = DirectoryPolicy + the deposit into mail.box + the AUTH check
// (the server's one InternetPasswords, directory/internet_password.h, run on a two-thread
// pool of the task, never on an io thread: an Argon2 hash is slow).
//
// Ports and databases: listens on SMTPListenerAddress:SMTPListenerPort, and when set on
// SMTPSubmissionPort (587: STARTTLS, AUTH before MAIL) and SMTPSSLPort (465: implicit TLS,
// AUTH before MAIL; both need TLS and are not opened without it); reads names.nsf
// and server.id (KeyFileName, for STARTTLS); writes mail.box (a message over 256 KB is
// spooled to mail.box.spool/ as it arrives and stored in mail.box.bodies/, see
// router/message_spool.h), so a session holds about one read of its message.
//
// notes.ini keys (router/mail_config.h; RESTART TASK SMTP to apply): SMTPListenerPort
// (25), SMTPSubmissionPort (0 = off), SMTPSSLPort (0 = off), SMTPListenerAddress
// (0.0.0.0, every port), SMTPDomains (""), SMTPHostName (""),
// SMTPMaxMessageSizeKB (10000), SMTPMaxRecipients (100), SMTPMaxSessions (100),
// SMTPMaxSessionsPerIP (10), SMTPMaxCommands (10000), SMTPIdleTimeoutSeconds (300),
// SMTPCommandTimeoutSeconds (300), SMTPDataTimeoutSeconds (600), SMTPDataMinRate (500
// bytes/s), SMTPAllowLocalSenders (0), SMTPStartTLS (1); the InternetLockout_* keys of
// the shared Internet-password check.
//
// Guarantees: 250 to DATA only after the message is committed to mail.box (fsync'd);
// concurrent sessions share one transaction (group commit), which is what makes that
// fast. A message whose commit fails gets 451 4.3.0 and stays the client's to retry.
//
// SECURITY: everything a client sends is untrusted. Never an open relay: RCPT is accepted
// only for addresses the Router would deliver locally (our SMTPDomains, or a Person's
// Internet address); other domains get 550 5.7.1, unknown local recipients 550 5.1.1.
// Without AUTH no relaying for anyone, and a sender that is one of our own addresses (an
// SMTPDomains domain, or what resolves to a person or group of the directory) is forged:
// refused with 550 5.7.1 at MAIL FROM and for the From field at the end of DATA, unless
// SMTPAllowLocalSenders=1. AUTH PLAIN and LOGIN are offered only over TLS (538 5.7.11
// before); an authenticated person may relay through the Router, as their own address
// only (envelope 553 5.7.1, From/Sender 550 5.7.1: router/deposit_originator.h), and the
// message is kept byte for byte. Failed logins count in the lockout shared with IMAP,
// POP3 and HTTP; the password and the AUTH blob are never logged. RCPT and sender decisions are cached for 5 seconds
// across sessions (a directory change is seen within that time). Each session has bounded buffers (see
// smtp_protocol.h), a deadline for each whole command line and a minimum data rate in DATA (router/smtp_limits.h;
// 421 4.4.2), a command cap; at most SMTPMaxSessions sessions at once and SMTPMaxSessionsPerIP from one address (the
// next gets 421 4.7.0 naming which). A slow or hostile client holds only its own session: all I/O is asynchronous.
// STARTTLS uses server.id's certificate and key, TLS 1.2 or newer; pipelined input sent before the handshake is
// discarded.
// Logs: start/stop, listener errors, TLS certificate problems, each AUTH success ("SMTP
// AUTH of <person> from <address>", source SMTP) and failure (by InternetPasswords, source
// SMTP, without the password). Messages are counted in
// SHOW STAT (SMTP.Sessions.Total, SMTP.Sessions.Current, SMTP.Sessions.Refused (of them
// SMTP.Sessions.RefusedPerAddress), SMTP.Sessions.TimedOut, SMTP.Messages.Received,
// SMTP.Messages.Refused, SMTP.Recipients.Refused, SMTP.Auth.Succeeded, SMTP.Auth.Failed)
// rather than logged one by one.
// Known limits: AUTH PLAIN and LOGIN only (no CRAM-MD5, SCRAM: the directory keeps only an
// Argon2 hash), no SMTPUTF8, no CHUNKING, no DSN
// extension; the Received trace field is kept in mail.box ($Trace) and added when a
// message is relayed out, not written into the local copy (kept byte for byte).
#pragma once

#include "task/task.h"

namespace notesd {

TaskSpec SmtpTaskSpec();

}  // namespace notesd
