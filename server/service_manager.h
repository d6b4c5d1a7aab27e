// server/service_manager.h — what nserver tells systemd, and how it knows it runs under it.
//
// sd_notify's protocol (sd_notify(3)): one datagram of newline-separated `NAME=value`
// assignments to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or `@name` for the
// abstract namespace). nserver sends READY=1 once its ServerTasks are loaded (the server
// state becomes Running), RELOADING=1 then READY=1 around a SIGHUP re-read, and
// STOPPING=1 when shutdown begins. Written here in a few lines of socket code rather than
// linked from libsystemd: the protocol is a stable, documented datagram, and the server
// keeps no run-time dependency on systemd (it runs the same without it).
//
// The journal (systemd.exec(5), $JOURNAL_STREAM): when stdout is the journal's stream,
// each line may begin with `<N>`, its syslog level (sd-daemon.h's SD_ERR "<3>" ..
// SD_DEBUG "<7>"), and the journal stores the line with that priority.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/logger.h"

namespace notesd {

// Sends `state` ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET. Returns false when the
// variable is unset or the datagram could not be sent (the server goes on either way).
bool NotifyServiceManager(std::string_view state);

// "RELOADING=1\nMONOTONIC_USEC=<now on CLOCK_MONOTONIC>": systemd 253's Type=notify-reload
// needs the time stamp; older systemd ignores it.
std::string ReloadingMessage();

// Whether the file descriptor is the stream $JOURNAL_STREAM names ("<device>:<inode>",
// compared with fstat of `fd`), i.e. its lines go to the journal.
bool StreamIsJournal(int fd);

// "<6>" for kInfo and so on: the journal's level prefix of a line.
std::string JournalPrefix(LogLevel level);

// Prints "nserver: <message>" on stderr, with the journal prefix for an error when
// stderr is the journal's stream.
void PrintServerError(std::string_view message);

}  // namespace notesd
