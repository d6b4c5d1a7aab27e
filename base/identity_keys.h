// base/identity_keys.h — the notes.ini keys that say which server this is, declared once
// for every part that reads them: the server core (ServerName, Domain), and the tasks that
// need the server's name or its ID file (the CA, AdminP, the Router and SMTP, HTTP). Each
// reader lists the keys it reads in its own table (the catalogue keeps one entry per key)
// and reads them through ConfigText, so the defaults live here only.
#pragma once

#include "base/config_keys.h"

namespace notesd::identity_keys {

inline constexpr ConfigKey kServerName{
    "ServerName",
    ConfigType::kText,
    "",
    0,
    0,
    "This server's hierarchical name (`CN=Acme01/O=Acme`), written by `nserver --setup`",
    "Server",
    true};
inline constexpr ConfigKey kDomain{"Domain", ConfigType::kText,
                                   "",       0,
                                   0,        "The Notes domain name, written by `nserver --setup`",
                                   "Server", true};
inline constexpr ConfigKey kKeyFileName{"KeyFileName",
                                        ConfigType::kText,
                                        "server.id",
                                        0,
                                        0,
                                        "The server's ID file, relative to the data directory",
                                        "Server",
                                        true};

}  // namespace notesd::identity_keys
