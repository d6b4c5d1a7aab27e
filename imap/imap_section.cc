#include "imap/imap_section.h"

#include <algorithm>

#include "base/ascii.h"
#include "mime/mail_header.h"
#include "mime/mime_entity.h"

namespace notesd::imap {

namespace {

// The length of the header of `entity` with the empty line that ends it.
std::size_t HeaderLength(std::string_view entity) {
  std::size_t length = mime::HeaderBlock(entity).size();
  std::string_view rest = entity.substr(length);
  if (rest.substr(0, 2) == "\r\n") return length + 2;
  if (rest.substr(0, 1) == "\n") return length + 1;
  return length;
}

bool IsMessage(const mime::MimeEntity& entity) {
  return entity.content_type().type == "message" && entity.content_type().subtype == "rfc822" &&
         entity.Header("Content-Type").has_value();
}

bool IsMultipart(const mime::MimeEntity& entity) { return entity.content_type().type == "multipart"; }

std::string HeaderFields(std::string_view message, const Section& section) {
  const bool wanted_in_list = section.text == SectionText::kHeaderFields;
  std::string out;
  mime::HeaderReader reader(mime::HeaderBlock(message));
  std::string_view name, value;
  while (reader.Next(&name, &value)) {
    bool listed = std::any_of(section.fields.begin(), section.fields.end(),
                              [&](const std::string& field) { return EqualsIgnoreCase(field, name); });
    if (listed != wanted_in_list) continue;
    out.append(name);
    out.push_back(':');
    out.append(value);
    out.append("\r\n");
  }
  out.append("\r\n");
  return out;
}

}  // namespace

std::optional<std::string> ExtractSection(std::string_view message, const Section& section) {
  // Walk the part numbers; `current` is the entity (MIME header and body) of the part.
  std::string_view current = message;
  bool top = true;
  for (std::uint32_t number : section.part) {
    mime::MimeEntity entity = mime::MimeEntity::Parse(current);
    if (!top && IsMessage(entity)) {
      // The parts of an enclosed message are numbered as that message's own parts.
      current = entity.body();
      entity = mime::MimeEntity::Parse(current);
      top = true;
    }
    if (IsMultipart(entity)) {
      Result<std::vector<std::string_view>> parts = entity.Parts();
      if (!parts.ok() || number == 0 || number > parts->size()) return std::nullopt;
      current = (*parts)[number - 1];
    } else if (!(top && number == 1)) {
      return std::nullopt;  // a single part has only its part 1, its body
    }
    top = false;
  }

  mime::MimeEntity entity = mime::MimeEntity::Parse(current);
  switch (section.text) {
    case SectionText::kNone:
      if (section.part.empty()) return std::string(message);
      return std::string(entity.body());
    case SectionText::kMime:
      if (section.part.empty()) return std::nullopt;
      return std::string(current.substr(0, HeaderLength(current)));
    case SectionText::kHeader:
    case SectionText::kHeaderFields:
    case SectionText::kHeaderFieldsNot:
    case SectionText::kText: break;
  }
  // HEADER and TEXT are of a message: the whole one, or the one enclosed in the part.
  std::string_view enclosed = message;
  if (!section.part.empty()) {
    if (!IsMessage(entity)) return std::nullopt;
    enclosed = entity.body();
  }
  std::size_t header_length = HeaderLength(enclosed);
  switch (section.text) {
    case SectionText::kHeader: return std::string(enclosed.substr(0, header_length));
    case SectionText::kText: return std::string(enclosed.substr(header_length));
    default: return HeaderFields(enclosed, section);
  }
}

std::string_view ApplyPartial(std::string_view bytes, const std::optional<Partial>& partial) {
  if (!partial) return bytes;
  if (partial->origin >= bytes.size()) return {};
  return bytes.substr(partial->origin, partial->count);
}

}  // namespace notesd::imap
