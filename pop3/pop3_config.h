// pop3/pop3_config.h — the notes.ini keys of the POP3 task, in one table (see pop3/pop3_task.h).
#pragma once

#include "base/config_keys.h"
#include "base/identity_keys.h"

namespace notesd::pop3_keys {

inline constexpr ConfigKey kPort{"POP3Port", ConfigType::kInt,
                                 "110",      1,
                                 65535,      "TCP port of the POP3 listener (STLS offered; logins only after STLS)",
                                 "POP3",     true};
inline constexpr ConfigKey kSslPort{
    "POP3SSLPort", ConfigType::kInt,
    "995",         0,
    65535,         "TCP port of the POP3 listener with implicit TLS (RFC 8314); 0 = none",
    "POP3",        true};
inline constexpr ConfigKey kAddress{"POP3Address",
                                    ConfigType::kText,
                                    "0.0.0.0",
                                    0,
                                    0,
                                    "Address the POP3 listeners bind (`127.0.0.1` for loopback only)",
                                    "POP3",
                                    true};
inline constexpr ConfigKey kMaxSessions{"POP3MaxSessions",
                                        ConfigType::kInt,
                                        "100",
                                        1,
                                        10000,
                                        "Concurrent POP3 sessions on each listener; more are answered -ERR and closed",
                                        "POP3",
                                        true};
inline constexpr ConfigKey kMaxSessionsPerIp{"POP3MaxSessionsPerIP",
                                             ConfigType::kInt,
                                             "10",
                                             1,
                                             10000,
                                             "Concurrent POP3 sessions from one client address (IPv6: one /64); more "
                                             "are answered -ERR [SYS/TEMP] and closed",
                                             "POP3",
                                             true};
inline constexpr ConfigKey kIdleTimeoutMinutes{
    "POP3IdleTimeoutMinutes",
    ConfigType::kInt,
    "10",
    10,
    1440,
    "Minutes a POP3 client has for each command line, counted from the "
    "server's previous reply (RFC 1939: at least 10); then the session closes",
    "POP3",
    true};
inline constexpr ConfigKey kTestIdleTimeoutSeconds{"Test_POP3IdleTimeoutSeconds",
                                                   ConfigType::kInt,
                                                   "0",
                                                   0,
                                                   3600,
                                                   "Tests only: when not 0, the POP3 inactivity timeout in seconds "
                                                   "instead of POP3IdleTimeoutMinutes (never in production)",
                                                   "POP3",
                                                   true};

inline constexpr ConfigKey kPop3Keys[] = {kPort,
                                          kSslPort,
                                          kAddress,
                                          kMaxSessions,
                                          kMaxSessionsPerIp,
                                          kIdleTimeoutMinutes,
                                          kTestIdleTimeoutSeconds,
                                          identity_keys::kKeyFileName};

}  // namespace notesd::pop3_keys
