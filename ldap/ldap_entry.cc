#include "ldap/ldap_entry.h"

#include <algorithm>
#include <optional>

#include "base/ascii.h"

namespace notesd::ldap {

namespace {

enum class Truth { kFalse, kTrue, kUndefined };

bool IsBinary(std::string_view base) {
  return base == "usercertificate" || base == "usersmimecertificate" || base == "cacertificate";
}

// caseIgnoreMatch's folded form: lower case, leading/trailing spaces dropped, inner runs
// of spaces kept as one.
std::string Fold(std::string_view text, bool drop_spaces = false) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty() && !drop_spaces) out.push_back(' ');
    space = false;
    out.push_back(AsciiToLower(c));
  }
  return out;
}

const Attribute* FindAttribute(const std::vector<Attribute>& attributes, std::string_view base) {
  for (const Attribute& attribute : attributes)
    if (AttributeBaseName(attribute.name) == base) return &attribute;
  return nullptr;
}

// Substring match of the folded value (RFC 4517 caseIgnoreSubstringsMatch).
bool SubstringsMatch(const Filter& filter, std::string_view value, bool binary) {
  std::string text = binary ? std::string(value) : Fold(value);
  auto fold = [&](const std::string& part) { return binary ? part : Fold(part); };
  std::size_t at = 0;
  if (filter.initial) {
    std::string initial = fold(*filter.initial);
    if (text.compare(0, initial.size(), initial) != 0) return false;
    at = initial.size();
  }
  std::size_t end = text.size();
  if (filter.final) {
    std::string final = fold(*filter.final);
    if (final.size() > end - at || text.compare(end - final.size(), final.size(), final) != 0) return false;
    end -= final.size();
  }
  for (const std::string& part : filter.any) {
    std::string any = fold(part);
    std::size_t found = text.find(any, at);
    if (found == std::string::npos || found + any.size() > end) return false;
    at = found + any.size();
  }
  return true;
}

Truth Evaluate(const Filter& filter, const Entry& entry, const AttributeAccess& can_read) {
  switch (filter.type) {
    case FilterType::kAnd: {
      Truth result = Truth::kTrue;
      for (const Filter& child : filter.children) {
        Truth t = Evaluate(child, entry, can_read);
        if (t == Truth::kFalse) return Truth::kFalse;
        if (t == Truth::kUndefined) result = Truth::kUndefined;
      }
      return result;
    }
    case FilterType::kOr: {
      Truth result = Truth::kFalse;
      for (const Filter& child : filter.children) {
        Truth t = Evaluate(child, entry, can_read);
        if (t == Truth::kTrue) return Truth::kTrue;
        if (t == Truth::kUndefined) result = Truth::kUndefined;
      }
      return result;
    }
    case FilterType::kNot: {
      if (filter.children.size() != 1) return Truth::kUndefined;
      Truth t = Evaluate(filter.children.front(), entry, can_read);
      return t == Truth::kUndefined ? t : (t == Truth::kTrue ? Truth::kFalse : Truth::kTrue);
    }
    case FilterType::kExtensible: return Truth::kUndefined;
    default: break;
  }
  std::string base = AttributeBaseName(filter.attribute);
  if (!can_read(base)) return Truth::kUndefined;
  const Attribute* attribute = FindAttribute(entry.attributes, base);
  if (attribute == nullptr) attribute = FindAttribute(entry.operational, base);
  if (filter.type == FilterType::kPresent) return attribute != nullptr ? Truth::kTrue : Truth::kFalse;
  if (attribute == nullptr) return Truth::kFalse;
  bool binary = IsBinary(base);
  if (binary && filter.type != FilterType::kEquality) return Truth::kUndefined;  // no ordering, no substrings
  std::string wanted = binary ? filter.value : Fold(filter.value, filter.type == FilterType::kApprox);
  for (const std::string& value : attribute->values) {
    switch (filter.type) {
      case FilterType::kEquality:
        if (binary ? value == wanted : Fold(value) == wanted) return Truth::kTrue;
        break;
      case FilterType::kApprox:
        if (Fold(value, true) == wanted) return Truth::kTrue;
        break;
      case FilterType::kGreaterOrEqual:
        if (Fold(value) >= wanted) return Truth::kTrue;
        break;
      case FilterType::kLessOrEqual:
        if (Fold(value) <= wanted) return Truth::kTrue;
        break;
      case FilterType::kSubstrings:
        if (SubstringsMatch(filter, value, binary)) return Truth::kTrue;
        break;
      default: break;
    }
  }
  return Truth::kFalse;
}

// The RDNs of a DN, split on commas not escaped by a backslash.
std::vector<std::string> SplitRdns(std::string_view dn) {
  std::vector<std::string> rdns;
  std::string current;
  for (std::size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    if (c == '\\' && i + 1 < dn.size()) {
      current.push_back(c);
      current.push_back(dn[++i]);
      continue;
    }
    if (c == ',' || c == ';') {
      rdns.push_back(current);
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  if (!current.empty() || !rdns.empty()) rdns.push_back(current);
  return rdns;
}

}  // namespace

std::string AttributeBaseName(std::string_view description) {
  std::string base = ToLowerAscii(description.substr(0, description.find(';')));
  if (base == "commonname") return "cn";
  if (base == "surname") return "sn";
  if (base == "gn") return "givenname";
  if (base == "userid") return "uid";
  if (base == "rfc822mailbox") return "mail";
  if (base == "2.5.4.3") return "cn";
  if (base == "2.5.4.0") return "objectclass";
  return base;
}

bool FilterMatches(const Filter& filter, const Entry& entry, const AttributeAccess& can_read) {
  return Evaluate(filter, entry, can_read) == Truth::kTrue;
}

std::vector<Attribute> SelectAttributes(const Entry& entry, const std::vector<std::string>& requested,
                                        const AttributeAccess& can_read) {
  bool all_user = requested.empty(), all_operational = false;
  std::vector<std::string> names;
  for (const std::string& name : requested) {
    if (name == "*")
      all_user = true;
    else if (name == "+")
      all_operational = true;
    else if (name != "1.1")
      names.push_back(AttributeBaseName(name));
  }
  auto named = [&](const Attribute& attribute) {
    return std::find(names.begin(), names.end(), AttributeBaseName(attribute.name)) != names.end();
  };
  std::vector<Attribute> out;
  for (const Attribute& attribute : entry.attributes)
    if ((all_user || named(attribute)) && can_read(AttributeBaseName(attribute.name))) out.push_back(attribute);
  for (const Attribute& attribute : entry.operational)
    if ((all_operational || named(attribute)) && can_read(AttributeBaseName(attribute.name))) out.push_back(attribute);
  return out;
}

std::string NormalizeDn(std::string_view dn) {
  std::string out;
  for (const std::string& rdn : SplitRdns(dn)) {
    if (!out.empty()) out.push_back(',');
    std::size_t eq = rdn.find('=');
    if (eq == std::string::npos) {
      out += Fold(rdn);
      continue;
    }
    out += AttributeBaseName(TrimBlanks(rdn.substr(0, eq)));
    out.push_back('=');
    out += Fold(rdn.substr(eq + 1));
  }
  return out;
}

bool InScope(std::string_view dn, std::string_view base, Scope scope) {
  if (base.empty()) {
    if (scope == Scope::kBase) return dn.empty();
    if (scope == Scope::kSubtree) return true;
    return !dn.empty() && SplitRdns(dn).size() == 1;
  }
  if (dn.size() < base.size() || dn.compare(dn.size() - base.size(), base.size(), base) != 0) return false;
  if (dn.size() == base.size()) return scope != Scope::kOneLevel;
  if (dn[dn.size() - base.size() - 1] != ',') return false;
  if (scope == Scope::kBase) return false;
  if (scope == Scope::kSubtree) return true;
  return SplitRdns(dn.substr(0, dn.size() - base.size() - 1)).size() == 1;
}

std::string EscapeDnValue(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '=';
    if ((i == 0 && (c == ' ' || c == '#')) || (i + 1 == value.size() && c == ' ')) special = true;
    if (special) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace notesd::ldap
