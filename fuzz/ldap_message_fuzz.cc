// fuzz_ldap_message — feeds the pure LDAP pieces (ldap/ldap_message.h, ldap/ldap_entry.h):
// liblber framing with its size cap, request decoding (filters with their nesting limit),
// filter evaluation and attribute selection against a sample entry, and response encoding.
//
// Input: byte 0 picks how the rest is split before PduReader sees it (0: at once; n: in
// pieces of n bytes), bit 7 a tight cap (256 bytes) so "too big" is reached by short
// inputs; the rest is what a client sends, pipelined. Framing must not depend on the split:
// a second pass feeds the same bytes one at a time and must frame the same message ids.
// The whole input also goes through DecodeRequest as one message. Seeds: fuzz/corpus/ldap_message/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ldap/ldap_entry.h"
#include "ldap/ldap_message.h"

namespace {

using namespace notesd::ldap;

const Entry& Sample() {
  static const Entry entry = [] {
    Entry e;
    e.dn = "cn=Jane Doe,o=Acme";
    e.attributes = {{"objectClass", {"top", "person", "inetOrgPerson"}},
                    {"cn", {"Jane Doe"}},
                    {"sn", {"Doe"}},
                    {"mail", {"jane@acme.example"}},
                    {"userCertificate;binary", {std::string("\x30\x03\x02\x01\x00", 5)}}};
    e.operational = {{"entryDN", {e.dn}}};
    return e;
  }();
  return entry;
}

// Frames `bytes` fed in pieces of `step` (0: at once); returns the message ids seen, -2 for
// a refused stream.
std::vector<int> Frame(std::string_view bytes, std::size_t step, std::size_t cap) {
  PduReader reader(cap);
  std::vector<int> ids;
  if (step == 0) step = bytes.size() == 0 ? 1 : bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    reader.Feed(bytes.substr(at, step));
    for (;;) {
      Decoded decoded;
      PduReader::Status status = reader.Next(decoded);
      if (status == PduReader::Status::kNeedMore) break;
      if (status != PduReader::Status::kPdu) {
        ids.push_back(-2);
        return ids;
      }
      ids.push_back(decoded.request.message_id);
      const SearchRequest& search = decoded.request.search;
      if (!decoded.problem && decoded.request.operation == Operation::kSearch) {
        (void)FilterMatches(search.filter, Sample(), [](std::string_view) { return true; });
        auto attributes = SelectAttributes(Sample(), search.attributes, [](std::string_view b) { return b != "sn"; });
        std::string entry = EncodeSearchEntry(decoded.request.message_id, Sample().dn, attributes, search.types_only);
        if (entry.empty()) std::abort();
        (void)InScope(NormalizeDn(Sample().dn), NormalizeDn(search.base), search.scope);
        for (const Control& control : decoded.request.controls)
          if (control.value) (void)DecodePagedResultsValue(*control.value);
      }
      std::string reply = EncodeResult(decoded.request.message_id < 0 ? 0 : decoded.request.message_id,
                                       ResponseTag(decoded.request.operation), decoded.code, "",
                                       decoded.problem ? *decoded.problem : "");
      if (reply.empty()) std::abort();
    }
  }
  return ids;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t step = data[0] & 0x7f;
  std::size_t cap = (data[0] & 0x80) != 0 ? 256 : 1024 * 1024;
  std::vector<int> ids = Frame(bytes, step, cap);
  if (Frame(bytes, 1, cap) != ids) std::abort();  // the split must not matter
  (void)DecodeRequest(bytes);
  return 0;
}
