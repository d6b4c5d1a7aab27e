// fuzz_hier_name — feeds hierarchical names (pki/hier_name.h).
//
// Input: a name as a user types it or as it reaches the server in a request. A name
// that parses must print and reparse to an equal name (canonical and abbreviated forms,
// except the documented two-letter-O case), and must survive the X.509 round trip
// (ToX509Name, FromX509Name). IsUnder/Certifier run against the name's own certifier.
// Seeds: fuzz/corpus/hier_name/ (names from tests/unit/pki_hier_name_test.cc).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pki/hier_name.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto name = notesd::HierName::Parse(text);
  (void)notesd::HierName::ParseCanonical(text);
  (void)notesd::HierName::ParseAbbreviated(text);
  if (!name.ok()) return 0;

  auto canonical = notesd::HierName::ParseCanonical(name->Canonical());
  if (!name->empty() && (!canonical.ok() || !(*canonical == *name))) std::abort();
  (void)notesd::HierName::Parse(name->Abbreviated());

  notesd::HierName certifier = name->Certifier();
  if (!certifier.empty() && !name->CommonName().empty() && !name->IsUnder(certifier)) std::abort();

  if (!name->empty()) {
    auto x509 = name->ToX509Name();
    if (x509.ok()) {
      auto back = notesd::HierName::FromX509Name(x509->get());
      if (!back.ok() || !(*back == *name)) std::abort();
    }
  }
  auto parts = notesd::HierName::FromParts(name->CommonName(), name->OrgUnits(), name->Organization(), name->Country());
  if (!parts.ok() || !(*parts == *name)) std::abort();
  return 0;
}
