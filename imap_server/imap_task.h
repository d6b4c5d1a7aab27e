// imap_server/imap_task.h — the IMAP task ("IMAP" in ServerTasks; SHOW TASKS "IMAP Server"):
// IMAP4rev1 (RFC 3501) for ordinary mail programs, on the people's own mail files.
//
// Owns: the listeners (net/listener.h: IMAPPort with STARTTLS, IMAPSSLPort with implicit
// TLS, RFC 8314), one asynchronous session per connection (net/connection.h: a deadline
// on every read and write), the framing of commands (imap/imap_parser.h CommandReader,
// with the continuation for synchronising literals), IDLE's wait, and a small worker
// pool (IMAPWorkerThreads) on which every command runs: the password check (Argon2) and
// every mail-file operation block, so they never run on an io thread; replies are then
// written on the connection's strand. Delegates: what each command does and says to
// imap_server/imap_handler.h; logins to the server's one InternetPasswords
// (directory/internet_password.h, log source "IMAP"); mail files to router/mail_service.h.
//
// The four pieces (STYLE.md): listener = net::Listener; session = ImapSession in
// imap_task.cc; parser = imap::CommandReader; handler = ImapHandler.
//
// Ports and databases: IMAPAddress:IMAPPort (143) and IMAPAddress:IMAPSSLPort (993; 0 = off);
// reads names.nsf (people, Internet passwords) and server.id (KeyFileName: TLS; without
// it there is no STARTTLS and no implicit-TLS port, so nobody can log in); reads and
// writes the people's mail files.
//
// notes.ini keys (imap_keys below; RESTART TASK IMAP to apply): IMAPPort (143),
// IMAPSSLPort (993), IMAPAddress (0.0.0.0), IMAPMaxSessions (1000), IMAPMaxSessionsPerIP
// (20), IMAPIdleTimeoutMinutes (30, RFC 3501's minimum autologout; also IDLE),
// IMAPIdleTimeoutSeconds (0: use the minutes; for tests), IMAPMaxLineKB (64),
// IMAPMaxMessageSizeKB (25600: APPEND), IMAPWorkerThreads (4).
//
// SECURITY: every byte comes from the network. LOGIN and AUTHENTICATE PLAIN only under
// TLS (LOGINDISABLED before); three failed logins end the session; the shared lockout
// counts every failure. A command's text is at most IMAPMaxLineKB, its literals at most
// 8 KB before login and IMAPMaxMessageSizeKB after (a bigger literal is refused before a byte of it is read: no
// continuation is sent), nesting at most 64; a line over the limit gets BAD and the
// connection closes. A client silent for the idle timeout (in IDLE too) gets "* BYE" and
// is closed; a half-sent command does not extend it. Commands are run one at a time per
// session, so a pipelining client holds at most one worker.
//
// Logs: start/stop, listener and TLS problems; failed logins (by InternetPasswords).
// Statistics (SHOW STAT): IMAP.Sessions.Total/Current/Refused/RefusedPerAddress/TimedOut,
// IMAP.Logins.Succeeded, IMAP.Logins.Failed, IMAP.Commands.
//
// Known limits: IDLE polls the mail file's change counter (MailService::ChangeCount)
// every second on the strand rather than blocking a thread in WaitForChange; no \Recent;
// no CONDSTORE/QRESYNC, COMPRESS, NOTIFY, SPECIAL-USE; every folder counts as subscribed.
#pragma once

#include <span>

#include "base/config_keys.h"
#include "task/task.h"

namespace notesd {

namespace imap_keys {
inline constexpr ConfigKey kPort{"IMAPPort", ConfigType::kInt,
                                 "143",      0,
                                 65535,      "TCP port of the IMAP listener (STARTTLS); 0: off",
                                 "IMAP",     true};
inline constexpr ConfigKey kSslPort{"IMAPSSLPort", ConfigType::kInt,
                                    "993",         0,
                                    65535,         "TCP port of the IMAP listener with implicit TLS (RFC 8314); 0: off",
                                    "IMAP",        true};
inline constexpr ConfigKey kAddress{"IMAPAddress",
                                    ConfigType::kText,
                                    "0.0.0.0",
                                    0,
                                    0,
                                    "Address the IMAP listeners bind (`127.0.0.1` for loopback only)",
                                    "IMAP",
                                    true};
inline constexpr ConfigKey kMaxSessions{
    "IMAPMaxSessions", ConfigType::kInt, "1000", 1, 100000, "Concurrent IMAP sessions; more get * BYE", "IMAP", true};
inline constexpr ConfigKey kMaxSessionsPerIp{"IMAPMaxSessionsPerIP",
                                             ConfigType::kInt,
                                             "20",
                                             1,
                                             100000,
                                             "Concurrent IMAP sessions from one client address (IPv6: one /64)",
                                             "IMAP",
                                             true};
inline constexpr ConfigKey kIdleTimeoutMinutes{"IMAPIdleTimeoutMinutes",
                                               ConfigType::kInt,
                                               "30",
                                               1,
                                               1440,
                                               "Minutes an IMAP client may stay silent (in IDLE too) before it is "
                                               "logged out (RFC 3501: at least 30)",
                                               "IMAP",
                                               true};
inline constexpr ConfigKey kIdleTimeoutSeconds{"IMAPIdleTimeoutSeconds",
                                               ConfigType::kInt,
                                               "0",
                                               0,
                                               86400,
                                               "When not 0, the IMAP idle timeout in seconds instead of "
                                               "IMAPIdleTimeoutMinutes (for tests)",
                                               "IMAP",
                                               true};
inline constexpr ConfigKey kMaxLineKb{"IMAPMaxLineKB",
                                      ConfigType::kInt,
                                      "64",
                                      1,
                                      10240,
                                      "Largest IMAP command text in KB, literals excluded (longer: BAD and close)",
                                      "IMAP",
                                      true};
inline constexpr ConfigKey kMaxMessageKb{"IMAPMaxMessageSizeKB",
                                         ConfigType::kInt,
                                         "25600",
                                         1,
                                         1048576,
                                         "Largest literal (an APPENDed message) in KB; a bigger one is refused "
                                         "before it is sent",
                                         "IMAP",
                                         true};
inline constexpr ConfigKey kWorkerThreads{"IMAPWorkerThreads",
                                          ConfigType::kInt,
                                          "4",
                                          1,
                                          64,
                                          "Threads that run IMAP commands (logins, mail-file reads and writes)",
                                          "IMAP",
                                          true};
inline constexpr ConfigKey kImapKeys[] = {
    kPort,      kSslPort,      kAddress,      kMaxSessions, kMaxSessionsPerIp, kIdleTimeoutMinutes, kIdleTimeoutSeconds,
    kMaxLineKb, kMaxMessageKb, kWorkerThreads};
}  // namespace imap_keys

TaskSpec ImapTaskSpec();

}  // namespace notesd
