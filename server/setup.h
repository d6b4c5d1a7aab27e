// server/setup.h — `nserver --setup`: makes a new server data directory.
//
// Creates the organisation certifier (cert.id, protected by the certifier password), the
// server ID (server.id, owner-only, no password as a Domino server ID usually has), the
// first administrator's ID file, names.nsf with the Certifier, Server and Person
// documents, and notes.ini from the sample with ServerName, Domain and ServerSetup
// recorded. Refuses a directory that is already set up. Nothing is left half-made: the
// files are written into the directory only after every key and certificate was made.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace notesd {

struct SetupOptions {
  std::filesystem::path data_dir;
  std::string organization;      // "Acme"
  std::string country;           // optional, two letters
  std::string server_name;       // common name: "Acme01"
  std::string domain;            // default: the organisation
  std::string admin_name;        // common name, may carry OUs: "Jane Admin"
  std::string admin_short_name;  // default: first letter of first name + last name
  std::string admin_email;       // default: short name @ internet domain
  std::string internet_domain;   // default: the admin e-mail's domain, else <org>.example
  std::string admin_password;
  std::string certifier_password;
  std::filesystem::path admin_id_out;  // default: <data>/ids/<short>.id
  std::string key_spec = "rsa2048";
  int http_port = 8443;
  std::string http_address = "0.0.0.0";
  std::string server_tasks = "HTTP";
};

struct SetupResult {
  std::string server_name;  // canonical
  std::string admin_name;   // canonical
  std::filesystem::path admin_id_path;
};

// Both ID passwords of the set-up must have at least this many characters (an ID file's
// password is all that protects its private key).
inline constexpr std::size_t kMinSetupPasswordLength = 6;

// What can be checked before anyone is asked for a password: the directory is not set
// up yet, the required names are there and make sense, the key kind is known. Errors as
// SetUpServer's.
Status CheckSetupBeforePasswords(const SetupOptions& options);
// InvalidArgument naming `whose` password ("certifier", "administrator's") when it is
// empty or shorter than kMinSetupPasswordLength.
Status CheckSetupPassword(std::string_view whose, std::string_view password);

// Fills defaults, validates, and creates everything. AlreadyExists when the directory is
// set up; InvalidArgument naming a bad option.
Result<SetupResult> SetUpServer(SetupOptions options);

// The notes.ini.sample shipped with this build.
const char* NotesIniSampleText();

}  // namespace notesd
