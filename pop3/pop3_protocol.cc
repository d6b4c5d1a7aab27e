#include "pop3/pop3_protocol.h"

#include <array>
#include <utility>

#include "base/ascii.h"

namespace notesd::pop3 {

LineReader::Result LineReader::Next(std::string* line) {
  std::size_t end = buffer_.find('\n');
  if (end == std::string::npos) {
    if (buffer_.size() < kMaxLineBytes) return Result::kNeedMore;
    buffer_.clear();
    return Result::kLineTooLong;
  }
  if (end + 1 > kMaxLineBytes) {
    buffer_.erase(0, end + 1);
    return Result::kLineTooLong;
  }
  std::size_t length = end > 0 && buffer_[end - 1] == '\r' ? end - 1 : end;
  line->assign(buffer_, 0, length);
  buffer_.erase(0, end + 1);
  for (char c : *line) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7F) return Result::kBadLine;
  }
  return Result::kLine;
}

namespace {

struct VerbSpec {
  const char* keyword;
  Verb verb;
  std::size_t min_words;
  std::size_t max_words;
  std::size_t numbers;  // how many of the words are message numbers (or line counts)
};

constexpr std::array<VerbSpec, 14> kVerbs{{
    {"USER", Verb::kUser, 1, 1, 0},
    {"PASS", Verb::kPass, 1, 1000, 0},
    {"QUIT", Verb::kQuit, 0, 0, 0},
    {"STAT", Verb::kStat, 0, 0, 0},
    {"LIST", Verb::kList, 0, 1, 1},
    {"RETR", Verb::kRetr, 1, 1, 1},
    {"DELE", Verb::kDele, 1, 1, 1},
    {"NOOP", Verb::kNoop, 0, 0, 0},
    {"RSET", Verb::kRset, 0, 0, 0},
    {"TOP", Verb::kTop, 2, 2, 2},
    {"UIDL", Verb::kUidl, 0, 1, 1},
    {"CAPA", Verb::kCapa, 0, 0, 0},
    {"STLS", Verb::kStls, 0, 0, 0},
    {"AUTH", Verb::kAuth, 0, 2, 0},
}};

// A decimal number of at most 10 digits, up to 2^31-1; nullopt otherwise.
std::optional<std::uint32_t> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 0x7FFFFFFFu) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

}  // namespace

ParseResult ParseCommand(std::string_view line) {
  ParseResult result;
  std::size_t space = line.find_first_of(" \t");
  std::string keyword = ToUpperAscii(line.substr(0, space));
  std::string_view arguments = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  if (keyword.empty()) {
    result.error = "empty command";
    return result;
  }
  const VerbSpec* spec = nullptr;
  for (const VerbSpec& candidate : kVerbs) {
    if (keyword == candidate.keyword) spec = &candidate;
  }
  if (spec == nullptr) {
    result.error = "unknown command";
    return result;
  }
  Command command;
  command.verb = spec->verb;
  command.keyword = keyword;
  command.words = SplitWords(arguments);
  if (spec->verb == Verb::kPass) {
    // RFC 1939 gives PASS one argument, but a password may hold spaces: take the rest.
    command.rest = std::string(arguments);
    if (command.rest.empty()) {
      result.error = "PASS needs a password";
      return result;
    }
    result.command = std::move(command);
    return result;
  }
  if (command.words.size() < spec->min_words || command.words.size() > spec->max_words) {
    result.error = std::string(spec->keyword) + ": wrong number of arguments";
    return result;
  }
  for (std::size_t i = 0; i < spec->numbers && i < command.words.size(); ++i) {
    std::optional<std::uint32_t> number = ParseNumber(command.words[i]);
    bool message_number = i == 0;  // TOP's second number is a line count and may be 0
    if (!number || (message_number && *number == 0)) {
      result.error = std::string(spec->keyword) + ": not a valid number: " +
                     (command.words[i].size() > 20 ? command.words[i].substr(0, 20) : command.words[i]);
      return result;
    }
    command.numbers.push_back(*number);
  }
  result.command = std::move(command);
  return result;
}

void AppendDotStuffed(std::string_view message, std::string* out) {
  out->reserve(out->size() + message.size() + message.size() / 64 + 5);
  bool line_start = true;
  std::size_t i = 0;
  while (i < message.size()) {
    std::size_t end = message.find('\n', i);
    std::size_t stop = end == std::string_view::npos ? message.size() : end + 1;
    if (line_start && message[i] == '.') out->push_back('.');
    out->append(message.substr(i, stop - i));
    line_start = end != std::string_view::npos;
    i = stop;
  }
  if (!message.empty() && message.back() != '\n') out->append("\r\n");
  out->append(".\r\n");
}

std::string_view TopOf(std::string_view message, std::uint32_t lines) {
  // The header ends at the first empty line (CRLF CRLF, or LF LF).
  std::size_t body = std::string_view::npos;
  if (message.starts_with("\r\n")) {
    body = 2;
  } else if (message.starts_with("\n")) {
    body = 1;
  } else {
    for (std::size_t i = message.find('\n'); i != std::string_view::npos; i = message.find('\n', i + 1)) {
      std::string_view after = message.substr(i + 1);
      if (after.starts_with("\r\n")) {
        body = i + 3;
        break;
      }
      if (after.starts_with("\n")) {
        body = i + 2;
        break;
      }
    }
  }
  if (body == std::string_view::npos) return message;
  std::size_t end = body;
  for (std::uint32_t n = 0; n < lines && end < message.size(); ++n) {
    std::size_t next = message.find('\n', end);
    end = next == std::string_view::npos ? message.size() : next + 1;
  }
  return message.substr(0, end);
}

}  // namespace notesd::pop3
