// client_cli/cmd_internet_password.h — Internet passwords (for IMAP, POP3 and SMTP AUTH),
// over the client API:
//
//   notes admin person set-internet-password NAME [--password-stdin] [--json]
//     sets or resets NAME's Internet password (administrators only; Domino
//     Administrator's "Set Internet Password").
//   notes id internet-password [--password-stdin] [--json]
//     sets your own Internet password; your ID's certificate proves who you are, so the
//     current Internet password is not asked for.
//
// The new password is asked twice on the terminal (echo off), or with --password-stdin
// read from the first line of standard input; never from an option or the environment
// (client_context.h: NewInternetPassword). The server stores only its Argon2id hash.
#pragma once

#include "client_cli/notes_cli.h"

namespace notesd::client {

// Adds `set-internet-password` under `notes admin person`.
void AddSetInternetPasswordCommand(CLI::App* admin_person, CommandLine& line);
// Adds `internet-password` under `notes id`.
void AddOwnInternetPasswordCommand(CLI::App* id, CommandLine& line);

}  // namespace notesd::client
