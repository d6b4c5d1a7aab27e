// Tests of filter evaluation, attribute selection, DNs and scopes (ldap/ldap_entry.h).
#include <catch2/catch.hpp>

#include <string>

#include "ldap/ldap_entry.h"

namespace notesd::ldap {
namespace {

Entry Jane() {
  Entry entry;
  entry.dn = "cn=Jane Doe,o=Acme";
  entry.attributes = {{"objectClass", {"top", "person", "inetOrgPerson"}},
                      {"cn", {"Jane Doe", "Jane Doe/Acme"}},
                      {"sn", {"Doe"}},
                      {"givenName", {"Jane"}},
                      {"mail", {"Jane.Doe@Acme.Example"}},
                      {"userCertificate;binary", {std::string("\x30\x82\x01\x00", 4)}},
                      {"secretish", {"hidden"}}};
  entry.operational = {{"entryDN", {entry.dn}}};
  return entry;
}

Filter Leaf(FilterType type, std::string attribute, std::string value = "") {
  Filter f;
  f.type = type;
  f.attribute = std::move(attribute);
  f.value = std::move(value);
  return f;
}

Filter Sub(std::string attribute, std::optional<std::string> initial, std::vector<std::string> any,
           std::optional<std::string> final) {
  Filter f = Leaf(FilterType::kSubstrings, std::move(attribute));
  f.initial = std::move(initial);
  f.any = std::move(any);
  f.final = std::move(final);
  return f;
}

Filter Of(FilterType type, std::vector<Filter> children) {
  Filter f;
  f.type = type;
  f.children = std::move(children);
  return f;
}

const AttributeAccess kAll = [](std::string_view) { return true; };
const AttributeAccess kNoSecret = [](std::string_view base) { return base != "secretish"; };

TEST_CASE("ldap filter: every filter type, case-insensitive for names and mail", "[ldap][filter]") {
  Entry jane = Jane();
  struct Case {
    Filter filter;
    bool match;
  };
  std::vector<Case> cases = {
      {Leaf(FilterType::kEquality, "mail", "jane.doe@acme.example"), true},
      {Leaf(FilterType::kEquality, "MAIL", "JANE.DOE@ACME.EXAMPLE"), true},
      {Leaf(FilterType::kEquality, "commonName", "jane  doe"), true},
      {Leaf(FilterType::kEquality, "cn", "John Roe"), false},
      {Leaf(FilterType::kPresent, "givenName"), true},
      {Leaf(FilterType::kPresent, "uid"), false},
      {Leaf(FilterType::kPresent, "userCertificate"), true},
      {Leaf(FilterType::kEquality, "userCertificate;binary", std::string("\x30\x82\x01\x00", 4)), true},
      {Leaf(FilterType::kGreaterOrEqual, "sn", "c"), true},
      {Leaf(FilterType::kGreaterOrEqual, "sn", "e"), false},
      {Leaf(FilterType::kLessOrEqual, "sn", "DOE"), true},
      {Leaf(FilterType::kApprox, "cn", "janedoe"), true},
      {Sub("cn", std::nullopt, {"jane"}, std::nullopt), true},
      {Sub("mail", "jane", {"doe"}, ".example"), true},
      {Sub("mail", "doe", {}, std::nullopt), false},
      {Sub("cn", "J", {"n", "e"}, "e"), true},
      {Sub("cn", "Jane Doe", {}, "Doe"), false},  // initial and final may not overlap
      {Of(FilterType::kOr, {Leaf(FilterType::kEquality, "sn", "x"), Leaf(FilterType::kEquality, "sn", "doe")}), true},
      {Of(FilterType::kAnd, {Leaf(FilterType::kEquality, "sn", "x"), Leaf(FilterType::kEquality, "sn", "doe")}), false},
      {Of(FilterType::kNot, {Leaf(FilterType::kEquality, "sn", "x")}), true},
      {Of(FilterType::kAnd, {}), true},  // absolute true (RFC 4526)
      {Of(FilterType::kOr, {}), false},  // absolute false
      {Leaf(FilterType::kEquality, "objectclass", "INETORGPERSON"), true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.filter.attribute, c.filter.value);
    CHECK(FilterMatches(c.filter, jane, kAll) == c.match);
  }
}

TEST_CASE("ldap filter: an attribute the client may not read is Undefined, also under NOT", "[ldap][filter]") {
  Entry jane = Jane();
  Filter probe = Leaf(FilterType::kEquality, "secretish", "hidden");
  CHECK(FilterMatches(probe, jane, kAll));
  CHECK_FALSE(FilterMatches(probe, jane, kNoSecret));
  CHECK_FALSE(FilterMatches(Of(FilterType::kNot, {probe}), jane, kNoSecret));
  CHECK_FALSE(FilterMatches(Leaf(FilterType::kPresent, "secretish"), jane, kNoSecret));
}

TEST_CASE("ldap attributes: *, +, 1.1 and names with options", "[ldap][filter]") {
  Entry jane = Jane();
  auto names = [](const std::vector<Attribute>& attributes) {
    std::vector<std::string> out;
    out.reserve(attributes.size());
    for (const Attribute& a : attributes) out.push_back(a.name);
    return out;
  };
  CHECK(names(SelectAttributes(jane, {}, kNoSecret)) ==
        std::vector<std::string>{"objectClass", "cn", "sn", "givenName", "mail", "userCertificate;binary"});
  CHECK(names(SelectAttributes(jane, {"+"}, kAll)) == std::vector<std::string>{"entryDN"});
  CHECK(names(SelectAttributes(jane, {"1.1"}, kAll)).empty());
  CHECK(names(SelectAttributes(jane, {"userCertificate", "MAIL"}, kAll)) ==
        std::vector<std::string>{"mail", "userCertificate;binary"});
  CHECK(names(SelectAttributes(jane, {"*", "+"}, kNoSecret)).size() == 7);
}

TEST_CASE("ldap DNs: normal form and scopes", "[ldap][filter]") {
  CHECK(NormalizeDn("CN=Jane Doe, O=Acme") == "cn=jane doe,o=acme");
  CHECK(NormalizeDn("commonName = Jane  Doe ,o=ACME") == "cn=jane doe,o=acme");
  CHECK(NormalizeDn("cn=Doe\\, Jane,o=Acme") == "cn=doe\\, jane,o=acme");
  std::string dn = NormalizeDn("cn=Jane Doe,ou=Sales,o=Acme");
  CHECK(InScope(dn, "o=acme", Scope::kSubtree));
  CHECK_FALSE(InScope(dn, "o=acme", Scope::kOneLevel));
  CHECK(InScope(dn, "ou=sales,o=acme", Scope::kOneLevel));
  CHECK_FALSE(InScope(dn, "o=acme", Scope::kBase));
  CHECK(InScope(dn, dn, Scope::kBase));
  CHECK(InScope(dn, dn, Scope::kSubtree));
  CHECK_FALSE(InScope(dn, dn, Scope::kOneLevel));
  CHECK_FALSE(InScope("cn=x,o=notacme", "o=acme", Scope::kSubtree));
  CHECK(InScope("o=acme", "", Scope::kOneLevel));
  CHECK(InScope(dn, "", Scope::kSubtree));
  CHECK(EscapeDnValue("Doe, Jane") == "Doe\\, Jane");
  CHECK(EscapeDnValue(" #x ") == "\\ #x\\ ");
}

}  // namespace
}  // namespace notesd::ldap
