// server/server_config.h — the notes.ini keys the server core itself reads.
#pragma once

#include <span>

#include "base/config_keys.h"
#include "base/identity_keys.h"

namespace notesd {

namespace server_keys {
inline constexpr ConfigKey kServerTasks{
    "ServerTasks",
    ConfigType::kList,
    "",
    0,
    0,
    "Tasks started with the server, in order; an entry may carry arguments (`Router,CA,HTTP`)",
    "Server",
    true};
// Declared in base/identity_keys.h: the tasks read them too.
using identity_keys::kDomain;
using identity_keys::kServerName;
inline constexpr ConfigKey kServerSetup{
    "ServerSetup",
    ConfigType::kText,
    "",
    0,
    0,
    "Set by `nserver --setup` once the data directory is configured (its notesd version)",
    "Server",
    false};
inline constexpr ConfigKey kConsoleHistory{"Console_History_Lines",
                                           ConfigType::kInt,
                                           "500",
                                           0,
                                           100000,
                                           "Console command lines kept in `.nserver_history` for line editing",
                                           "Server",
                                           true};
inline constexpr ConfigKey kConsoleLogMaxKbytes{
    "Console_Log_Max_Kbytes",
    ConfigType::kInt,
    "10240",
    0,
    4194304,
    "Cap of console.log in KB: past it, console.log becomes console.log.1 (one old file kept) and a new one "
    "starts; 0 = no cap (logrotate alone); SET CONFIG and SIGHUP apply it at once",
    "Server",
    false};
inline constexpr ConfigKey kControlTimeout{"Console_Control_Timeout",
                                           ConfigType::kInt,
                                           "30",
                                           1,
                                           3600,
                                           "Seconds `nserver -c` has to send its command line",
                                           "Server",
                                           true};
inline constexpr ConfigKey kIoThreads{
    "Server_IO_Threads", ConfigType::kInt, "2", 1, 64, "Threads running network I/O for all tasks", "Server", true};
inline constexpr ConfigKey kTestClockAdvance{"Test_ClockAdvance",
                                             ConfigType::kBool,
                                             "0",
                                             0,
                                             0,
                                             "Tests only: 1 allows the console command `SET CLOCK +n[s|m|h|d]` to move "
                                             "the server's clock forward (never in production)",
                                             "Server",
                                             false};
inline constexpr ConfigKey kTestFailTask{"Test_FailTask",
                                         ConfigType::kText,
                                         "",
                                         0,
                                         0,
                                         "Tests only: the task named here (`AdminP`) has its worker threads throw at "
                                         "their next step, to prove a failing task stops alone (never in production)",
                                         "Server",
                                         false};
}  // namespace server_keys

std::span<const ConfigKey> ServerConfigKeys();

}  // namespace notesd
