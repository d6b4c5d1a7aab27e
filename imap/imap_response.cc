#include "imap/imap_response.h"

#include <cstdio>

#include "base/ascii.h"
#include "imap/imap_parser.h"
#include "mime/mail_header.h"
#include "mime/mime_entity.h"

namespace notesd::imap {

namespace {

const char* const kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Civil date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
void CivilFromDays(std::int64_t z, int* year, int* month, int* day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (*month <= 2));
}

void AppendNumber(std::string* out, std::uint64_t n) { out->append(std::to_string(n)); }

void AppendParams(std::string* out, const std::vector<std::pair<std::string, std::string>>& params) {
  if (params.empty()) {
    out->append("NIL");
    return;
  }
  out->push_back('(');
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out->push_back(' ');
    AppendString(out, params[i].first);
    out->push_back(' ');
    AppendString(out, params[i].second);
  }
  out->push_back(')');
}

void AppendAddresses(std::string* out, const std::vector<Address>& addresses) {
  if (addresses.empty()) {
    out->append("NIL");
    return;
  }
  out->push_back('(');
  for (const Address& a : addresses) {
    out->push_back('(');
    AppendNString(out, a.name);
    out->push_back(' ');
    AppendNString(out, a.adl);
    out->push_back(' ');
    AppendNString(out, a.mailbox);
    out->push_back(' ');
    AppendNString(out, a.host);
    out->push_back(')');
  }
  out->push_back(')');
}

std::optional<std::string> NonEmpty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::uint64_t CountLines(std::string_view body) {
  std::uint64_t lines = 0;
  for (char c : body)
    if (c == '\n') ++lines;
  if (!body.empty() && body.back() != '\n') ++lines;
  return lines;
}

std::vector<std::pair<std::string, std::string>> UpperNamedParams(const std::map<std::string, std::string>& params) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(params.size());
  for (const auto& [name, value] : params) out.emplace_back(ToUpperAscii(name), value);
  return out;
}

// "(" ... ")" comment starting at v[*i] == '('; returns its text, nested comments kept.
std::string ReadComment(std::string_view v, std::size_t* i) {
  int depth = 0;
  std::string text;
  while (*i < v.size()) {
    char c = v[(*i)++];
    if (c == '\\' && *i < v.size()) {
      text.push_back(v[(*i)++]);
      continue;
    }
    if (c == '(') {
      if (depth++ > 0) text.push_back(c);
    } else if (c == ')') {
      if (--depth == 0) break;
      text.push_back(c);
    } else {
      text.push_back(c);
    }
  }
  return text;
}

// Splits "local@host" at its last '@'.
void SplitAddrSpec(std::string_view spec, Address* address) {
  std::size_t at = spec.rfind('@');
  if (at == std::string_view::npos) {
    address->mailbox = std::string(spec);
    address->host = std::string();  // a local name: not a group marker
    return;
  }
  address->mailbox = std::string(spec.substr(0, at));
  address->host = std::string(spec.substr(at + 1));
}

constexpr std::size_t kMaxAddresses = 1000;

BodyStructure BuildBody(std::string_view raw, std::string_view default_type, int depth);

BodyStructure OpaqueBody(const mime::MimeEntity& entity) {
  BodyStructure body;
  body.type = "APPLICATION";
  body.subtype = "OCTET-STREAM";
  body.encoding = ToUpperAscii(entity.TransferEncoding());
  body.size = entity.body().size();
  return body;
}

BodyStructure BuildBody(std::string_view raw, std::string_view default_type, int depth) {
  mime::MimeEntity entity = mime::MimeEntity::Parse(raw);
  BodyStructure body;
  const bool has_type = entity.Header("Content-Type").has_value();
  mime::MimeType type = has_type ? entity.content_type() : mime::ParseMimeType(default_type);
  body.type = ToUpperAscii(type.type);
  body.subtype = ToUpperAscii(type.subtype);
  body.params = UpperNamedParams(type.params);
  // RFC 2045 5.2: a text part without a charset is US-ASCII; say so, as Dovecot does.
  if (body.type == "TEXT" && type.params.count("charset") == 0)
    body.params.insert(body.params.begin(), {"CHARSET", "US-ASCII"});

  if (std::optional<std::string> disposition = entity.Header("Content-Disposition")) {
    mime::MimeType parsed = mime::ParseMimeType(*disposition, true);
    if (!parsed.type.empty()) {
      body.disposition = ToUpperAscii(parsed.type);
      body.disposition_params = UpperNamedParams(parsed.params);
    }
  }
  if (std::optional<std::string> language = entity.Header("Content-Language")) {
    std::string tag;
    for (char c : *language + ",") {
      if (c == ',' || c == ' ' || c == '\t') {
        if (!tag.empty()) body.language.push_back(std::move(tag));
        tag.clear();
      } else {
        tag.push_back(c);
      }
    }
  }
  body.location = NonEmpty(entity.Header("Content-Location"));

  const bool multipart = body.type == "MULTIPART";
  const bool message = body.type == "MESSAGE" && body.subtype == "RFC822";
  if ((multipart || message) && depth >= kMaxBodyDepth) return OpaqueBody(entity);

  if (multipart) {
    Result<std::vector<std::string_view>> parts = entity.Parts();
    if (parts.ok() && !parts->empty()) {
      std::string_view child_default = body.subtype == "DIGEST" ? "message/rfc822" : "text/plain";
      for (std::string_view part : *parts) body.parts.push_back(BuildBody(part, child_default, depth + 1));
      return body;
    }
    // A multipart without parts cannot be described as one: send it as plain text.
    body.type = "TEXT";
    body.subtype = "PLAIN";
    body.params = {{"CHARSET", "US-ASCII"}};
  }
  body.id = NonEmpty(entity.Header("Content-ID"));
  body.description = NonEmpty(entity.Header("Content-Description"));
  body.md5 = NonEmpty(entity.Header("Content-MD5"));
  body.encoding = ToUpperAscii(entity.TransferEncoding());
  body.size = entity.body().size();
  if (body.type == "TEXT" || message) body.lines = CountLines(entity.body());
  if (message) {
    body.envelope = BuildEnvelope(entity.body());
    body.message.push_back(BuildBody(entity.body(), "text/plain", depth + 1));
  }
  return body;
}

}  // namespace

void AppendString(std::string* out, std::string_view text) {
  bool literal = text.size() > kMaxQuotedBytes;
  for (std::size_t i = 0; i < text.size() && !literal; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80) literal = true;
  }
  if (literal) {
    out->push_back('{');
    AppendNumber(out, text.size());
    out->append("}\r\n");
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendNString(std::string* out, const std::optional<std::string>& text) {
  if (!text) {
    out->append("NIL");
    return;
  }
  AppendString(out, *text);
}

void AppendAString(std::string* out, std::string_view text) {
  bool atom = !text.empty() && !EqualsIgnoreCase(text, "NIL");
  for (char c : text) atom = atom && IsAstringChar(static_cast<unsigned char>(c));
  if (atom) {
    out->append(text);
  } else {
    AppendString(out, text);
  }
}

void AppendFlagList(std::string* out, const std::vector<std::string>& flags) {
  out->push_back('(');
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (i > 0) out->push_back(' ');
    out->append(flags[i]);
  }
  out->push_back(')');
}

std::string FormatSequenceSet(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  auto number = [&](std::uint32_t n) {
    if (n == kStar) {
      out.push_back('*');
    } else {
      AppendNumber(&out, n);
    }
  };
  for (std::size_t i = 0; i < set.ranges.size(); ++i) {
    if (i > 0) out.push_back(',');
    number(set.ranges[i].first);
    if (set.ranges[i].last != set.ranges[i].first) {
      out.push_back(':');
      number(set.ranges[i].last);
    }
  }
  return out;
}

std::string FormatUidSet(const std::vector<std::uint32_t>& uids) {
  std::string out;
  std::size_t i = 0;
  while (i < uids.size()) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j] != 0xffffffffu && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    AppendNumber(&out, uids[i]);
    if (j > i) {
      out.push_back(':');
      AppendNumber(&out, uids[j]);
    }
    i = j + 1;
  }
  return out;
}

std::string FormatDateTime(std::int64_t unix_seconds, int zone_minutes) {
  std::int64_t local = unix_seconds + static_cast<std::int64_t>(zone_minutes) * 60;
  std::int64_t days = local / 86400;
  std::int64_t seconds = local % 86400;
  if (seconds < 0) {
    seconds += 86400;
    --days;
  }
  int year = 0, month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  int zone = zone_minutes < 0 ? -zone_minutes : zone_minutes;
  char text[64];
  std::snprintf(text, sizeof text, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", day, kMonthNames[month - 1], year,
                static_cast<int>(seconds / 3600), static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60),
                zone_minutes < 0 ? '-' : '+', zone / 60, zone % 60);
  return text;
}

std::string SectionName(const Section& section) {
  std::string out;
  for (std::size_t i = 0; i < section.part.size(); ++i) {
    if (i > 0) out.push_back('.');
    AppendNumber(&out, section.part[i]);
  }
  const char* text = nullptr;
  switch (section.text) {
    case SectionText::kNone: return out;
    case SectionText::kHeader: text = "HEADER"; break;
    case SectionText::kHeaderFields: text = "HEADER.FIELDS"; break;
    case SectionText::kHeaderFieldsNot: text = "HEADER.FIELDS.NOT"; break;
    case SectionText::kText: text = "TEXT"; break;
    case SectionText::kMime: text = "MIME"; break;
  }
  if (!out.empty()) out.push_back('.');
  out.append(text);
  if (section.text == SectionText::kHeaderFields || section.text == SectionText::kHeaderFieldsNot) {
    out.append(" (");
    for (std::size_t i = 0; i < section.fields.size(); ++i) {
      if (i > 0) out.push_back(' ');
      AppendAString(&out, section.fields[i]);
    }
    out.push_back(')');
  }
  return out;
}

std::string FetchItemName(const FetchAttribute& attribute) {
  switch (attribute.item) {
    case FetchItem::kFlags: return "FLAGS";
    case FetchItem::kUid: return "UID";
    case FetchItem::kInternalDate: return "INTERNALDATE";
    case FetchItem::kRfc822Size: return "RFC822.SIZE";
    case FetchItem::kRfc822: return "RFC822";
    case FetchItem::kRfc822Header: return "RFC822.HEADER";
    case FetchItem::kRfc822Text: return "RFC822.TEXT";
    case FetchItem::kEnvelope: return "ENVELOPE";
    case FetchItem::kBody: return "BODY";
    case FetchItem::kBodyStructure: return "BODYSTRUCTURE";
    case FetchItem::kBodySection: break;
  }
  std::string out = "BODY[" + SectionName(attribute.section) + "]";
  if (attribute.partial) out += "<" + std::to_string(attribute.partial->origin) + ">";
  return out;
}

void AppendEnvelope(std::string* out, const Envelope& envelope) {
  out->push_back('(');
  AppendNString(out, envelope.date);
  out->push_back(' ');
  AppendNString(out, envelope.subject);
  for (const std::vector<Address>* list :
       {&envelope.from, &envelope.sender, &envelope.reply_to, &envelope.to, &envelope.cc, &envelope.bcc}) {
    out->push_back(' ');
    AppendAddresses(out, *list);
  }
  out->push_back(' ');
  AppendNString(out, envelope.in_reply_to);
  out->push_back(' ');
  AppendNString(out, envelope.message_id);
  out->push_back(')');
}

std::vector<Address> ParseAddressList(std::string_view v) {
  std::vector<Address> out;
  std::vector<std::string> phrase;  // words before '<' or ':' (the display or group name)
  std::string spec;                 // the same tokens without spaces (a bare addr-spec)
  std::string comment;              // the last comment: a name in "jane@x (Jane)"
  std::optional<Address> angle;
  bool in_group = false;
  auto join = [](const std::vector<std::string>& words) {
    std::string joined;
    for (const std::string& word : words) {
      if (!joined.empty()) joined.push_back(' ');
      joined += word;
    }
    return joined;
  };
  auto flush = [&] {
    if (angle) {
      if (!phrase.empty()) {
        angle->name = join(phrase);
      } else if (!comment.empty()) {
        angle->name = comment;
      }
      out.push_back(std::move(*angle));
    } else if (!spec.empty()) {
      Address address;
      SplitAddrSpec(spec, &address);
      if (!comment.empty()) address.name = comment;
      out.push_back(std::move(address));
    }
    phrase.clear();
    spec.clear();
    comment.clear();
    angle.reset();
  };
  std::size_t i = 0;
  while (i < v.size() && out.size() < kMaxAddresses) {
    char c = v[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      comment = std::string(TrimBlanks(ReadComment(v, &i)));
    } else if (c == '"') {
      std::string word;
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        word.push_back(v[i]);
      }
      ++i;
      phrase.push_back(word);
      spec += word;
    } else if (c == '<') {
      std::string inside;
      for (++i; i < v.size() && v[i] != '>'; ++i)
        if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n' && v[i] != '"') inside.push_back(v[i]);
      ++i;
      if (inside.empty()) continue;  // "<>": no address
      Address address;
      std::string_view rest = inside;
      if (rest.front() == '@') {
        std::size_t colon = rest.find(':');
        if (colon != std::string_view::npos) {
          address.adl = std::string(rest.substr(0, colon));
          rest = rest.substr(colon + 1);
        }
      }
      SplitAddrSpec(rest, &address);
      angle = std::move(address);
    } else if (c == ',') {
      flush();
      ++i;
    } else if (c == ':' && !in_group && !angle) {
      Address start;
      start.mailbox = join(phrase);
      out.push_back(std::move(start));
      phrase.clear();
      spec.clear();
      comment.clear();
      in_group = true;
      ++i;
    } else if (c == ';') {
      flush();
      if (in_group) out.push_back(Address{});
      in_group = false;
      ++i;
    } else if (c == '@') {
      spec.push_back(c);
      ++i;
    } else {
      std::size_t begin = i;
      while (i < v.size() && std::string_view(" \t\r\n()<>,;:@\"").find(v[i]) == std::string_view::npos) ++i;
      if (i == begin) {  // a lone special ('>', ')', ':' inside a group): skip it
        ++i;
        continue;
      }
      std::string word(v.substr(begin, i - begin));
      phrase.push_back(word);
      spec += word;
    }
  }
  flush();
  if (in_group) out.push_back(Address{});
  return out;
}

Envelope BuildEnvelope(std::string_view message) {
  Envelope envelope;
  std::vector<mime::HeaderField> fields = mime::ParseHeaderFields(mime::HeaderBlock(message));
  auto first = [&](std::string_view name) -> std::optional<std::string> {
    for (const mime::HeaderField& field : fields)
      if (EqualsIgnoreCase(field.name, name)) return field.value;
    return std::nullopt;
  };
  auto addresses = [&](std::string_view name) {
    std::optional<std::string> value = first(name);
    return value ? ParseAddressList(*value) : std::vector<Address>();
  };
  envelope.date = NonEmpty(first("Date"));
  envelope.subject = first("Subject");
  envelope.from = addresses("From");
  envelope.sender = addresses("Sender");
  envelope.reply_to = addresses("Reply-To");
  envelope.to = addresses("To");
  envelope.cc = addresses("Cc");
  envelope.bcc = addresses("Bcc");
  if (envelope.sender.empty()) envelope.sender = envelope.from;
  if (envelope.reply_to.empty()) envelope.reply_to = envelope.from;
  envelope.in_reply_to = NonEmpty(first("In-Reply-To"));
  envelope.message_id = NonEmpty(first("Message-ID"));
  return envelope;
}

void AppendBodyStructure(std::string* out, const BodyStructure& body, bool extended) {
  out->push_back('(');
  if (!body.parts.empty()) {
    for (const BodyStructure& part : body.parts) AppendBodyStructure(out, part, extended);
    out->push_back(' ');
    AppendString(out, body.subtype);
    if (extended) {
      out->push_back(' ');
      AppendParams(out, body.params);
    }
  } else {
    AppendString(out, body.type);
    out->push_back(' ');
    AppendString(out, body.subtype);
    out->push_back(' ');
    AppendParams(out, body.params);
    out->push_back(' ');
    AppendNString(out, body.id);
    out->push_back(' ');
    AppendNString(out, body.description);
    out->push_back(' ');
    AppendString(out, body.encoding);
    out->push_back(' ');
    AppendNumber(out, body.size);
    if (body.envelope && !body.message.empty()) {
      out->push_back(' ');
      AppendEnvelope(out, *body.envelope);
      out->push_back(' ');
      AppendBodyStructure(out, body.message.front(), extended);
      out->push_back(' ');
      AppendNumber(out, body.lines);
    } else if (body.type == "TEXT") {
      out->push_back(' ');
      AppendNumber(out, body.lines);
    }
    if (extended) {
      out->push_back(' ');
      AppendNString(out, body.md5);
    }
  }
  if (extended) {
    // body-fld-dsp SP body-fld-lang SP body-fld-loc
    out->push_back(' ');
    if (body.disposition) {
      out->push_back('(');
      AppendString(out, *body.disposition);
      out->push_back(' ');
      AppendParams(out, body.disposition_params);
      out->push_back(')');
    } else {
      out->append("NIL");
    }
    out->push_back(' ');
    if (body.language.empty()) {
      out->append("NIL");
    } else if (body.language.size() == 1) {
      AppendString(out, body.language.front());
    } else {
      out->push_back('(');
      for (std::size_t i = 0; i < body.language.size(); ++i) {
        if (i > 0) out->push_back(' ');
        AppendString(out, body.language[i]);
      }
      out->push_back(')');
    }
    out->push_back(' ');
    AppendNString(out, body.location);
  }
  out->push_back(')');
}

BodyStructure BuildBodyStructure(std::string_view entity, std::string_view default_type) {
  return BuildBody(entity, default_type, 0);
}

}  // namespace notesd::imap
