// router/mail_config.h — the notes.ini keys of the Router and SMTP tasks (one table per
// task; the keys both read are declared once and listed in both tables), and the
// settings read from them. See router/router_task.h and router/smtp_task.h.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/config_keys.h"
#include "base/identity_keys.h"
#include "base/notes_ini.h"
#include "router/router_engine.h"

namespace notesd::mail_keys {

// Read by both tasks.
inline constexpr ConfigKey kSmtpDomains{
    "SMTPDomains",
    ConfigType::kList,
    "",
    0,
    0,
    "The organisation's Internet mail domains (`acme.example,acme.test`): mail for them is local, mail for others is "
    "relayed out; the SMTP listener accepts only these (never an open relay). Empty: only the Internet addresses of "
    "people in the directory are local",
    "Router, SMTP",
    false};
inline constexpr ConfigKey kSmtpHostName{
    "SMTPHostName",
    ConfigType::kText,
    "",
    0,
    0,
    "This server's mail host name in SMTP greetings, Received fields and failure reports; empty: the server's common "
    "name, lower case, in the first SMTPDomains domain (else `localhost`)",
    "Router, SMTP",
    false};

// Router.
inline constexpr ConfigKey kRelayHost{
    "SMTPRelayHost",
    ConfigType::kText,
    "",
    0,
    0,
    "Relay host for mail leaving the organisation (host name or address); empty: Internet mail waits in mail.box "
    "until one is set (TELL ROUTER UPDATE CONFIG) or it expires",
    "Router",
    false};
inline constexpr ConfigKey kRelayPort{
    "SMTPRelayPort", ConfigType::kInt, "25", 1, 65535, "TCP port of the relay host", "Router", false};
inline constexpr ConfigKey kRelayTls{
    "RouterRelayTLS",
    ConfigType::kText,
    "Optional",
    0,
    0,
    "STARTTLS to the relay host: `Optional` (when offered), `Required` (no TLS, no transfer: retried) or `None`",
    "Router",
    false};
inline constexpr ConfigKey kRelayTlsCaFile{
    "RouterRelayTLSCAFile",
    ConfigType::kText,
    "",
    0,
    0,
    "PEM file of the roots the relay host's certificate must chain to; empty: the certificate is not verified "
    "(opportunistic TLS, RFC 7435)",
    "Router",
    false};
inline constexpr ConfigKey kRetryInterval{
    "RouterRetryIntervalSeconds",
    ConfigType::kInt,
    "60",
    1,
    86400,
    "Seconds before the first retry of a failed transfer or local delivery; the wait doubles with each failure",
    "Router",
    false};
inline constexpr ConfigKey kRetryMax{"RouterRetryMaxSeconds",
                                     ConfigType::kInt,
                                     "3600",
                                     1,
                                     86400,
                                     "Longest wait between two attempts to transfer or deliver a message, in seconds",
                                     "Router",
                                     false};
inline constexpr ConfigKey kExpire{
    "RouterMessageExpireMinutes",
    ConfigType::kInt,
    "1440",
    1,
    43200,
    "Minutes a message may wait for the relay host or for its mail file before it is returned to its sender (DSN "
    "4.4.7)",
    "Router",
    false};
inline constexpr ConfigKey kRelayTimeout{"RouterTimeoutSeconds",
                                         ConfigType::kInt,
                                         "60",
                                         1,
                                         3600,
                                         "Seconds the Router waits for the relay host on each read or write",
                                         "Router",
                                         false};
inline constexpr ConfigKey kTrackingEnabled{
    "MTEnabled",
    ConfigType::kBool,
    "1",
    0,
    0,
    "Message Tracking: record each message's path (received, delivered, transferred, failed) in mtstore.nsf, queried "
    "with TELL ROUTER TRACK and `notes admin mail track` (1); record nothing (0). On by default, unlike Domino: an "
    "administrator asked where a message went expects an answer, and the records are written in batches off the "
    "routing path",
    "Router",
    false};
inline constexpr ConfigKey kTrackingKeepDays{"MTKeepDays",
                                             ConfigType::kInt,
                                             "7",
                                             1,
                                             3650,
                                             "Days Message Tracking records are kept; older ones are purged by the "
                                             "Router once a day",
                                             "Router",
                                             false};
inline constexpr ConfigKey kTrackingExcludeSubject{
    "MTExcludeSubject",
    ConfigType::kBool,
    "0",
    0,
    0,
    "Leave subjects out of Message Tracking records (1), as Domino's \"Exclude from tracking: subject\" (privacy)",
    "Router",
    false};

// SMTP.
inline constexpr ConfigKey kListenerPort{
    "SMTPListenerPort", ConfigType::kInt, "25", 1, 65535, "TCP port of the SMTP listener", "SMTP", true};
inline constexpr ConfigKey kSubmissionPort{
    "SMTPSubmissionPort",
    ConfigType::kInt,
    "0",
    0,
    65535,
    "TCP port of the message submission listener (RFC 6409; usually 587): STARTTLS, then AUTH PLAIN or LOGIN with the "
    "person's Internet password before MAIL (530 5.7.0 otherwise); 0 = off (Domino's default: disabled)",
    "SMTP",
    true};
inline constexpr ConfigKey kSslPort{"SMTPSSLPort",
                                    ConfigType::kInt,
                                    "0",
                                    0,
                                    65535,
                                    "TCP port of the implicit-TLS submission listener (RFC 8314; usually 465): TLS "
                                    "from the first byte, then AUTH as on "
                                    "SMTPSubmissionPort; 0 = off (Domino's default: disabled)",
                                    "SMTP",
                                    true};
inline constexpr ConfigKey kListenerAddress{
    "SMTPListenerAddress",
    ConfigType::kText,
    "0.0.0.0",
    0,
    0,
    "Address the SMTP listeners bind (the submission ports' too; `127.0.0.1` for "
    "loopback only)",
    "SMTP",
    true};
inline constexpr ConfigKey kMaxMessageKb{
    "SMTPMaxMessageSizeKB",
    ConfigType::kInt,
    "10000",
    0,
    262144,
    "Largest message accepted, in KB (ESMTP SIZE; refused at MAIL with 552 and at DATA with 552 5.3.4); the default "
    "is Postfix's message_size_limit (10240000 bytes); 0 = no limit of its own (the 256 MB hard cap still applies)",
    "SMTP",
    true};
inline constexpr ConfigKey kMaxRecipients{
    "SMTPMaxRecipients", ConfigType::kInt, "100", 1, 10000, "Recipients per message; more get 452 4.5.3", "SMTP", true};
inline constexpr ConfigKey kMaxSessions{"SMTPMaxSessions",
                                        ConfigType::kInt,
                                        "100",
                                        1,
                                        10000,
                                        "Concurrent SMTP sessions; more are answered 421 and closed",
                                        "SMTP",
                                        true};
inline constexpr ConfigKey kMaxCommands{"SMTPMaxCommands",
                                        ConfigType::kInt,
                                        "10000",
                                        10,
                                        1000000,
                                        "Commands per SMTP session before it is closed with 421",
                                        "SMTP",
                                        true};
inline constexpr ConfigKey kMaxSessionsPerIp{
    "SMTPMaxSessionsPerIP",
    ConfigType::kInt,
    "10",
    1,
    10000,
    "Concurrent SMTP sessions from one client address (IPv6: one /64); more are answered 421 4.7.0 and closed",
    "SMTP",
    true};
inline constexpr ConfigKey kIdleTimeout{"SMTPIdleTimeoutSeconds",
                                        ConfigType::kInt,
                                        "300",
                                        1,
                                        3600,
                                        "Seconds an SMTP client may stay silent between commands (then 421)",
                                        "SMTP",
                                        true};
inline constexpr ConfigKey kCommandTimeout{
    "SMTPCommandTimeoutSeconds",
    ConfigType::kInt,
    "300",
    1,
    3600,
    "Seconds an SMTP client has for each whole command line, counted from the server's previous reply; bytes that "
    "trickle in do not extend it (then 421)",
    "SMTP",
    true};
inline constexpr ConfigKey kDataTimeout{
    "SMTPDataTimeoutSeconds",
    ConfigType::kInt,
    "600",
    1,
    3600,
    "Seconds an SMTP client may stay silent while sending a message, and the most time its message data may ever be "
    "ahead of SMTPDataMinRate (then 421)",
    "SMTP",
    true};
inline constexpr ConfigKey kDataMinRate{
    "SMTPDataMinRate",
    ConfigType::kInt,
    "500",
    1,
    1073741824,
    "Slowest message data accepted, in bytes per second: each read extends the DATA deadline by its bytes divided by "
    "this rate, up to SMTPDataTimeoutSeconds ahead (then 421)",
    "SMTP",
    true};
inline constexpr ConfigKey kAllowLocalSenders{
    "SMTPAllowLocalSenders",
    ConfigType::kBool,
    "0",
    0,
    0,
    "Accept unauthenticated mail over SMTP (no AUTH) whose envelope sender or From field is a local address: one of "
    "SMTPDomains or a person's Internet address (1); refuse it with 550 5.7.1 (0)",
    "SMTP",
    true};
inline constexpr ConfigKey kStartTls{
    "SMTPStartTLS",
    ConfigType::kBool,
    "1",
    0,
    0,
    "Offer STARTTLS with the server ID's certificate (1) or not (0); AUTH is offered only over TLS",
    "SMTP",
    true};

inline constexpr ConfigKey kRouterKeys[] = {kSmtpDomains,
                                            kSmtpHostName,
                                            kRelayHost,
                                            kRelayPort,
                                            kRelayTls,
                                            kRelayTlsCaFile,
                                            kRetryInterval,
                                            kRetryMax,
                                            kExpire,
                                            kRelayTimeout,
                                            kTrackingEnabled,
                                            kTrackingKeepDays,
                                            kTrackingExcludeSubject,
                                            identity_keys::kServerName};
inline constexpr ConfigKey kSmtpKeys[] = {kSmtpDomains,
                                          kSmtpHostName,
                                          kListenerPort,
                                          kSubmissionPort,
                                          kSslPort,
                                          kListenerAddress,
                                          kMaxMessageKb,
                                          kMaxRecipients,
                                          kMaxSessions,
                                          kMaxSessionsPerIp,
                                          kMaxCommands,
                                          kIdleTimeout,
                                          kCommandTimeout,
                                          kDataTimeout,
                                          kDataMinRate,
                                          kAllowLocalSenders,
                                          kStartTls,
                                          identity_keys::kServerName,
                                          identity_keys::kKeyFileName};

// SMTPHostName, or its default (see the key).
std::string MailHostName(const NotesIni& ini);
// The Router's settings. `problems` receives one line per ignored bad value.
RouterConfig ReadRouterConfig(const NotesIni& ini, std::vector<std::string>* problems);

}  // namespace notesd::mail_keys
