// Tests of the pure LDAPv3 message pieces (ldap/ldap_message.h): framing, request
// decoding and response encoding. Requests are built with liblber's own encoder, the way
// a client library would.
#include <catch2/catch.hpp>

#include <lber.h>
#include <ldap.h>

#include <string>

#include "ldap/ldap_message.h"

namespace notesd::ldap {
namespace {

struct BerDone {
  void operator()(BerElement* ber) const { ber_free(ber, 1); }
};

std::string Flat(BerElement* ber) {
  berval bv{0, nullptr};
  REQUIRE(ber_flatten2(ber, &bv, 0) == 0);
  std::string out(bv.bv_val, bv.bv_len);
  ber_free(ber, 1);
  return out;
}

std::string SimpleBind(int id, const char* dn, const char* password) {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  ber_printf(ber, "{it{ists}}", id, LDAP_REQ_BIND, 3, dn, LDAP_AUTH_SIMPLE, password);
  return Flat(ber);
}

std::string Unbind(int id) {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  ber_printf(ber, "{itn}", id, LDAP_REQ_UNBIND);
  return Flat(ber);
}

// A subtree search for (&(mail=jane@acme.example)(cn=J*n*e)(!(sn>=z))(uid=*)) with two
// attributes and a paged-results control of size 10.
std::string Search(int id) {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  ber_printf(ber, "{it{seeiib", id, LDAP_REQ_SEARCH, "o=Acme", 2, 0, 5, 7, 0);
  ber_printf(ber, "t{", LDAP_FILTER_AND);
  ber_printf(ber, "t{ss}", LDAP_FILTER_EQUALITY, "mail", "jane@acme.example");
  ber_printf(ber, "t{s{tsts}}", LDAP_FILTER_SUBSTRINGS, "cn", LDAP_SUBSTRING_INITIAL, "J", LDAP_SUBSTRING_ANY, "n");
  ber_printf(ber, "t{t{ss}}", LDAP_FILTER_NOT, LDAP_FILTER_GE, "sn", "z");
  ber_printf(ber, "ts", LDAP_FILTER_PRESENT, "uid");
  ber_printf(ber, "}");
  ber_printf(ber, "{ss}}", "cn", "userCertificate;binary");
  std::string paged = EncodePagedResultsValue(10, "");
  berval value{static_cast<ber_len_t>(paged.size()), paged.data()};
  ber_printf(ber, "t{{sbO}}}", LDAP_TAG_CONTROLS, kPagedResultsOid, 1, &value);
  return Flat(ber);
}

TEST_CASE("ldap decoder: a simple bind, an unbind and a search with controls", "[ldap][decoder]") {
  Decoded bind = DecodeRequest(SimpleBind(1, "cn=Jane Doe,o=Acme", "secret"));
  REQUIRE_FALSE(bind.problem);
  CHECK(bind.request.message_id == 1);
  CHECK(bind.request.operation == Operation::kBind);
  CHECK(bind.request.bind.version == 3);
  CHECK(bind.request.bind.name == "cn=Jane Doe,o=Acme");
  CHECK(bind.request.bind.password == "secret");

  Decoded unbind = DecodeRequest(Unbind(2));
  REQUIRE_FALSE(unbind.problem);
  CHECK(unbind.request.operation == Operation::kUnbind);

  Decoded search = DecodeRequest(Search(3));
  REQUIRE_FALSE(search.problem);
  const SearchRequest& s = search.request.search;
  CHECK(s.base == "o=Acme");
  CHECK(s.scope == Scope::kSubtree);
  CHECK(s.size_limit == 5);
  CHECK(s.time_limit == 7);
  REQUIRE(s.filter.type == FilterType::kAnd);
  REQUIRE(s.filter.children.size() == 4);
  CHECK(s.filter.children[0].type == FilterType::kEquality);
  CHECK(s.filter.children[0].value == "jane@acme.example");
  CHECK(s.filter.children[1].type == FilterType::kSubstrings);
  CHECK(s.filter.children[1].initial == std::optional<std::string>("J"));
  CHECK(s.filter.children[1].any == std::vector<std::string>{"n"});
  CHECK(s.filter.children[2].type == FilterType::kNot);
  CHECK(s.filter.children[2].children.at(0).type == FilterType::kGreaterOrEqual);
  CHECK(s.filter.children[3].type == FilterType::kPresent);
  CHECK(s.filter.children[3].attribute == "uid");
  CHECK(s.attributes == std::vector<std::string>{"cn", "userCertificate;binary"});
  REQUIRE(search.request.controls.size() == 1);
  CHECK(search.request.controls[0].oid == kPagedResultsOid);
  CHECK(search.request.controls[0].critical);
  auto paged = DecodePagedResultsValue(*search.request.controls[0].value);
  REQUIRE(paged);
  CHECK(paged->size == 10);
}

TEST_CASE("ldap decoder: filters nested too deep are refused, not recursed into", "[ldap][decoder]") {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  ber_printf(ber, "{it{seeiib", 9, LDAP_REQ_SEARCH, "", 2, 0, 0, 0, 0);
  const int depth = GENERATE(10, 64, 65, 10000);
  for (int i = 0; i < depth; ++i) ber_printf(ber, "t{", LDAP_FILTER_NOT);
  ber_printf(ber, "ts", LDAP_FILTER_PRESENT, "cn");
  for (int i = 0; i < depth; ++i) ber_printf(ber, "}");
  ber_printf(ber, "{}}}");
  Decoded decoded = DecodeRequest(Flat(ber));
  CAPTURE(depth);
  CHECK(decoded.request.message_id == 9);
  if (depth < 64) {
    CHECK_FALSE(decoded.problem);
  } else {
    REQUIRE(decoded.problem);
    CHECK(decoded.code == ResultCode::kUnwillingToPerform);
  }
}

TEST_CASE("ldap decoder: malformed messages name their problem", "[ldap][decoder]") {
  std::string good = SimpleBind(4, "cn=x", "y");
  CHECK(DecodeRequest("").problem);
  CHECK(DecodeRequest("\x30\x03\x02\x01").problem);
  CHECK(DecodeRequest(good.substr(0, good.size() - 1)).problem);
  CHECK(DecodeRequest(good + "x").problem == std::nullopt);  // bytes after the message are not its
  // An unterminated substring: the part claims more bytes than the filter holds.
  const char kBroken[] =
      "\x30\x2b\x02\x01\x06\x63\x26\x04\x06o=Acme\x0a\x01\x02\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00"
      "\xa4\x0b\x04\x02"
      "cn\x30\x05\x80\x09jan\x30\x00";
  std::string broken(kBroken, sizeof kBroken - 1);
  REQUIRE(broken.size() == 45);
  Decoded substring = DecodeRequest(broken);
  CHECK(substring.problem);
  CHECK(substring.code == ResultCode::kProtocolError);
}

TEST_CASE("ldap framing: pipelined messages, split at every byte, come out whole", "[ldap][framing]") {
  std::string stream = SimpleBind(1, "", "") + Unbind(2) + Search(3) + Unbind(4);
  for (std::size_t step : {stream.size(), std::size_t{1}, std::size_t{3}}) {
    PduReader reader;
    std::vector<int> ids;
    for (std::size_t at = 0; at < stream.size(); at += step) {
      reader.Feed(std::string_view(stream).substr(at, step));
      Decoded decoded;
      while (reader.Next(decoded) == PduReader::Status::kPdu) {
        REQUIRE_FALSE(decoded.problem);
        ids.push_back(decoded.request.message_id);
      }
    }
    CAPTURE(step);
    CHECK(ids == std::vector<int>{1, 2, 3, 4});
    CHECK_FALSE(reader.has_buffered());
  }
}

TEST_CASE("ldap framing: a length of 2^31 or over the cap is refused from the header", "[ldap][framing]") {
  PduReader reader(1024 * 1024);
  reader.Feed(std::string("\x30\x84\x80\x00\x00\x00\x02\x01\x01", 9));
  Decoded decoded;
  CHECK(reader.Next(decoded) == PduReader::Status::kTooBig);

  PduReader small(100);
  small.Feed(std::string("\x30\x81\xc8", 3));  // 200 bytes announced
  CHECK(small.Next(decoded) == PduReader::Status::kTooBig);

  PduReader half;
  half.Feed(std::string("\x30\x0c\x02\x01", 4));
  CHECK(half.Next(decoded) == PduReader::Status::kNeedMore);
  CHECK(half.has_buffered());
}

TEST_CASE("ldap encoder: results, entries and extended responses decode with liblber", "[ldap][encoder]") {
  std::string done = EncodeResult(7, LDAP_RES_SEARCH_RESULT, ResultCode::kNoSuchObject, "o=Acme", "no such entry");
  berval bv{static_cast<ber_len_t>(done.size()), done.data()};
  std::unique_ptr<BerElement, BerDone> ber(ber_init(&bv));
  ber_int_t id = 0, code = 0;
  ber_tag_t tag = 0;
  berval matched{0, nullptr}, text{0, nullptr};
  REQUIRE(ber_scanf(ber.get(), "{i", &id) != LBER_ERROR);
  ber_len_t len = 0;
  tag = ber_peek_tag(ber.get(), &len);
  REQUIRE(ber_scanf(ber.get(), "{emm}}", &code, &matched, &text) != LBER_ERROR);
  CHECK(id == 7);
  CHECK(tag == LDAP_RES_SEARCH_RESULT);
  CHECK(code == 32);
  CHECK(std::string(matched.bv_val, matched.bv_len) == "o=Acme");
  CHECK(std::string(text.bv_val, text.bv_len) == "no such entry");

  std::string entry =
      EncodeSearchEntry(8, "cn=Jane Doe,o=Acme", {{"cn", {"Jane Doe"}}, {"mail", {"jane@acme.example"}}});
  berval ebv{static_cast<ber_len_t>(entry.size()), entry.data()};
  std::unique_ptr<BerElement, BerDone> eber(ber_init(&ebv));
  berval dn{0, nullptr};
  REQUIRE(ber_scanf(eber.get(), "{i{m", &id, &dn) != LBER_ERROR);
  CHECK(std::string(dn.bv_val, dn.bv_len) == "cn=Jane Doe,o=Acme");

  std::string who = EncodeExtendedResult(9, ResultCode::kSuccess, "", std::nullopt, std::string("dn:cn=x"));
  CHECK(who.find("dn:cn=x") != std::string::npos);
  CHECK(who[who.size() - 9] == static_cast<char>(LDAP_TAG_EXOP_RES_VALUE));
}

}  // namespace
}  // namespace notesd::ldap
