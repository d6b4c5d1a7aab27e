// client_cli/notes_main.cc — the `notes` executable: just main.
#include "client_cli/notes_cli.h"

int main(int argc, char** argv) { return notesd::client::RunNotes(argc, argv); }
