// fuzz_api_body — feeds the client API's request bodies (http/http_api*.cc): the JSON
// parse and the validation each endpoint does before it touches the directory.
//
// Input: an HTTP request body. It goes through ParseJsonBody (every POST/PUT body) and
// then through what the endpoints read from it, without a network or a directory:
//   POST /api/v1/admin/certifiers/internet   InternetCertifierSpec::FromJson (+ ToJson
//                                             round trip, SubjectName, IdFileName)
//   POST /api/v1/people                      "name" (HierName::Parse), "certificate" (PEM)
//   POST /api/v1/mail/messages               "recipients", "message_base64" (Base64Decode,
//                                             HeaderBlock)
//   POST .../internet-certificates           "validity_years", "people", "groups", "ou"
//   POST /api/v1/mail/folders/*, .../move    "name", "new_name", "folder" (NormalizeFolderName:
//                                             what it accepts it must accept again unchanged)
// (POST /api/v1/admin/console's "command" is the console grammar: fuzz_console.)
// Seeds: fuzz/corpus/api_body/ (bodies the integration tests and the client send).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "ca_task/internet_certifier.h"
#include "pki/crypto.h"
#include "pki/hier_name.h"
#include "base/json_body.h"
#include "router/mail_folders.h"
#include "router/mail_message.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace {

std::string StringOf(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto body = notesd::ParseJsonBody(text);
  if (!body.ok()) return 0;

  auto spec = notesd::InternetCertifierSpec::FromJson(*body);
  if (spec.ok()) {
    (void)spec->NotesName();
    (void)spec->SubjectName();
    (void)spec->IdFileName();
    // A number is taken only as given: never wrapped into range (4294967306 is not 10).
    if (auto it = body->find("validity_years");
        it != body->end() && it->is_number_integer() && it->get<std::int64_t>() != spec->validity_years)
      std::abort();
    auto again = notesd::InternetCertifierSpec::FromJson(spec->ToJson());
    if (!again.ok()) std::abort();  // what FromJson accepted, ToJson must give back valid
  }

  (void)notesd::HierName::Parse(StringOf(*body, "name"));
  (void)notesd::CertificateFromPem(StringOf(*body, "certificate"));

  auto message = notesd::Base64DecodeFlat(StringOf(*body, "message_base64"));
  if (message.ok()) (void)notesd::mime::HeaderBlock(*message);
  if (auto it = body->find("recipients"); it != body->end() && it->is_array())
    for (const auto& r : *it)
      if (r.is_string()) (void)notesd::TrimSpaces(r.get<std::string>());

  for (const char* list : {"people", "groups", "caa", "ra"}) {
    if (auto it = body->find(list); it != body->end() && it->is_array())
      for (const auto& entry : *it)
        if (entry.is_string()) (void)notesd::HierName::Parse(entry.get<std::string>());
  }
  (void)notesd::HierName::Parse(StringOf(*body, "ou"));

  for (const char* field : {"name", "new_name", "folder"}) {
    auto folder = notesd::NormalizeFolderName(StringOf(*body, field));
    if (folder.ok() && (!notesd::NormalizeFolderName(*folder).ok() || *notesd::NormalizeFolderName(*folder) != *folder))
      std::abort();  // normalising is idempotent
  }
  return 0;
}
