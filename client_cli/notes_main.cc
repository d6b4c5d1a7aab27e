// client_cli/notes_main.cc — the `notes` executable: just main.
#include <csignal>

#include "client_cli/notes_cli.h"

int main(int argc, char** argv) {
  // A server that dies mid-request leaves a reset connection; OpenSSL's socket BIO then
  // writes the close_notify with write(2), and SIGPIPE would kill `notes` without a word
  // (exit -13, seen in bench/crash_consistency.sh). Ignored, the write fails with EPIPE
  // and the command reports the unreachable server like any other network error.
  std::signal(SIGPIPE, SIG_IGN);
  return notesd::client::RunNotes(argc, argv);
}
