// router/router_task.h — the Router task ("Router" in ServerTasks; SHOW TASKS "Router").
//
// Owns: routing the messages in mail.box — resolving recipients against the directory
// (router/recipient_resolver.h), delivering to mail files on this server, sending
// Internet mail to the relay host over SMTP (router/smtp_client.h), returning delivery
// failure reports (RFC 3464, router/dsn.h), retries with back-off, expiry, and dead mail.
// Delegates: storage and the note layouts to router/mail_store.h, the passes themselves
// to router/router_engine.h (pure of threads, unit-tested). Inbound SMTP is the SMTP task
// (router/smtp_task.h); Notes users deposit mail through the HTTP API.
//
// Threads: two workers of the server's worker facility (task/task_worker.h: an exception
// in either stops the Router alone), never the server's io threads (both block on disk or
// on the relay): "routing" waits for new mail (a deposit wakes it at once; otherwise it looks
// every second) and delivers, pausing 50 ms between passes under load so batches grow
// (each pass costs synchronous flushes); "transfer" sends what is due to the relay host.
// Stop cancels a transfer in progress at once (no waiting for a hung relay).
//
// Databases: reads names.nsf; reads and writes mail.box and mail/*.nsf (created on the
// first delivery, from the Person's MailFile).
//
// Delivery guarantees (exactly once into mail files):
//  1. A message is accepted into mail.box in one LMDB transaction; SMTP answers 250 and
//     the API answers 200 only after it committed (fsync'd).
//  2. A routing pass delivers a batch of messages to each mail file in ONE transaction of
//     that mail file. Each delivered note takes the mail.box note's UNID: the UNID is the
//     idempotency key, and a message whose UNID the mail file already holds is skipped.
//  3. Then ONE mail.box transaction removes the routed recipients from $Pending (and
//     deletes a message with nothing left), queues Internet recipients in $Outbound and
//     creates the failure reports.
//  A crash before 2 commits delivers nothing; between 2 and 3 the next pass (after
//  restart) finds the UNIDs in the mail files and skips them; after 3 nothing is left to
//  do. So each message reaches each mail file exactly once, and no accepted message is
//  lost. (Two databases cannot share one LMDB transaction; the key makes step 2 safe to
//  repeat instead.) Outbound SMTP is at least once: a crash after the relay's 250 and
//  before step 3 sends that message again, as any MTA would (RFC 5321 section 6.1).
//
// Failures: an unknown local recipient (5.1.1), a relay's permanent refusal (5.x.x) and
// mail that waited longer than RouterMessageExpireMinutes (4.4.7) are reported to the
// envelope sender with a DSN. A failure that cannot be reported (null sender, or the
// failing message is itself a report) makes the message dead mail: RoutingState=DEAD,
// kept in mail.box for the administrator (SHOW QUEUES, SHOW STAT Mail.Dead). Temporary
// failures (relay down, 4xx; a mail file that cannot be opened or written, a directory
// that cannot be read) wait RouterRetryIntervalSeconds, doubling up to
// RouterRetryMaxSeconds, one schedule for both (a deferred delivery is logged once per
// attempt and listed by SHOW QUEUES with its error and next attempt), then expire.
//
// notes.ini keys (router/mail_config.h; re-read by TELL ROUTER UPDATE CONFIG and every 5
// minutes, no restart needed): SMTPDomains (""), SMTPHostName (""), SMTPRelayHost (""),
// SMTPRelayPort (25), RouterRelayTLS (Optional), RouterRelayTLSCAFile (""),
// RouterRetryIntervalSeconds (60), RouterRetryMaxSeconds (3600),
// RouterMessageExpireMinutes (1440), RouterTimeoutSeconds (60), MTEnabled (1),
// MTKeepDays (7), MTExcludeSubject (0).
//
// Message Tracking (router/message_tracking.h): the Router opens mtstore.nsf at Start and
// hands it to the MailStore (deposits record "received"); each pass queues its events for
// the tracking appender once mail.box holds the pass; the routing thread purges records
// older than MTKeepDays once a day by the server's clock (and at its first pass).
//
// TELL ROUTER: SHOW QUEUES, DELIVERY STATS, UPDATE CONFIG, SHOW DEAD, RELEASE DEAD,
// PURGE DEAD, TRACK [from= to= subject= since=], QUIT (by the core).
// SHOW STAT: Mail.Delivered, Mail.Transferred, Mail.TransferFailures, Mail.TotalFailures,
// Mail.DSNs, Mail.Dead.Total (counters since the Router started, reset by a restart as in
// Domino), Mail.Waiting, Mail.WaitingForTransfer, Mail.Dead (mail.box now).
//
// SECURITY: messages are untrusted bytes; the Router reads only their header (bounded,
// router/mail_message.h) and never rewrites them. A mail file path from the directory
// must be relative and inside the data directory. The relay's certificate is verified
// only when RouterRelayTLSCAFile is set (see router/smtp_client.h).
// Logs: start/stop, each failure report and dead message, each transfer, relay errors.
// Known limits: one relay host (no MX lookups); every Person's mail file is on this
// server; no Out-of-Office, no holding or releasing dead mail from the console yet.
#pragma once

#include "task/task.h"

namespace notesd {

TaskSpec RouterTaskSpec();

}  // namespace notesd
