// client_cli/id_view.h — how `notes id show` presents an ID file: names, kind, key,
// Notes certificate, trusted certificates, cross-certificates and Internet certificates
// (Issued By = the issuer's CN, serial, validity, Internet addresses, which key, and the
// default signing certificate as IdFile::DefaultInternetCertificate picks it).
// Pure functions: the ID is only read. No private key material is ever shown.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "pki/id_file.h"

namespace notesd::client {

// The `--json` form: {"file","name","abbreviated","kind","key":{"spec","algorithm","bits"},
// "notes_certificate":{...},"trusted_certificates":[{...,"root"}],
// "cross_certificates":[{...,"note"}],"internet_certificates":[{...,"emails","default",
// "own_key"}]}, each certificate as CertificateJson (cli_output.h).
nlohmann::json IdToJson(const IdFile& id, const std::filesystem::path& path);
// The text form, "Label:  value" blocks and one section per kind of certificate.
std::string IdToText(const IdFile& id, const std::filesystem::path& path);

}  // namespace notesd::client
