// ldap_server/ldap_config.h — the notes.ini keys of the LDAP task (one table), read at
// the task's start (RESTART TASK LDAP to apply). See ldap_server/ldap_task.h.
#pragma once

#include "base/config_keys.h"
#include "base/identity_keys.h"

namespace notesd::ldap_keys {

inline constexpr ConfigKey kPort{"LDAPPort", ConfigType::kInt,
                                 "389",      1,
                                 65535,      "TCP port of the LDAP listener (StartTLS offered)",
                                 "LDAP",     true};
inline constexpr ConfigKey kSslPort{"LDAPSSLPort", ConfigType::kInt,
                                    "636",         0,
                                    65535,         "TCP port of the LDAPS listener (TLS from the first byte); 0: none",
                                    "LDAP",        true};
inline constexpr ConfigKey kAddress{
    "LDAPAddress", ConfigType::kText, "0.0.0.0", 0, 0, "IP address the LDAP listeners bind to", "LDAP", true};
inline constexpr ConfigKey kMaxSessions{"LDAPMaxSessions",
                                        ConfigType::kInt,
                                        "200",
                                        1,
                                        100000,
                                        "LDAP sessions at once on each port (LDAPPort, LDAPSSLPort)",
                                        "LDAP",
                                        true};
inline constexpr ConfigKey kMaxSessionsPerIp{"LDAPMaxSessionsPerIP",
                                             ConfigType::kInt,
                                             "20",
                                             1,
                                             100000,
                                             "LDAP sessions at once from one client address",
                                             "LDAP",
                                             true};
inline constexpr ConfigKey kIdleTimeout{"LDAPIdleTimeoutSeconds",
                                        ConfigType::kInt,
                                        "300",
                                        1,
                                        86400,
                                        "Seconds an LDAP session may wait for the client (also a half-sent "
                                        "message, each write and the TLS handshake) before it is closed",
                                        "LDAP",
                                        true};
inline constexpr ConfigKey kAllowPlainBind{"LDAPAllowPlainBind",
                                           ConfigType::kBool,
                                           "0",
                                           0,
                                           0,
                                           "1: a simple bind with a password is accepted without TLS; 0: it is "
                                           "refused with confidentialityRequired until StartTLS or on LDAPS",
                                           "LDAP",
                                           true};
inline constexpr ConfigKey kAnonymousAttributes{
    "LDAPAnonymousAttributes",
    ConfigType::kList,
    "objectClass,cn,sn,givenName,uid,mail,userCertificate,userSMIMECertificate,member",
    0,
    0,
    "The attributes an anonymous client may read and filter on (Domino's anonymous LDAP access list); a bound "
    "client reads every published attribute",
    "LDAP",
    true};
inline constexpr ConfigKey kMaxResults{"LDAPMaxResults",
                                       ConfigType::kInt,
                                       "1000",
                                       1,
                                       1000000,
                                       "Entries one LDAP search returns at most (a page of a paged search at most "
                                       "this many); more: sizeLimitExceeded",
                                       "LDAP",
                                       true};

inline constexpr ConfigKey kLdapKeys[] = {kPort,
                                          kSslPort,
                                          kAddress,
                                          kMaxSessions,
                                          kMaxSessionsPerIp,
                                          kIdleTimeout,
                                          kAllowPlainBind,
                                          kAnonymousAttributes,
                                          kMaxResults,
                                          identity_keys::kServerName,
                                          identity_keys::kKeyFileName};

}  // namespace notesd::ldap_keys
