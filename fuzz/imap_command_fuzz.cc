// fuzz_imap_command — feeds the pure IMAP command reader and parser (imap/imap_parser.h)
// and the response writer (imap/imap_response.h).
//
// Input: byte 0 picks the reader limits (bit 0: tight limits, so that "line too long",
// "literal too large" and "nested too deeply" are reached by short inputs); the rest is
// what a client sends, pipelined. The reader runs as a session drives it: after IDLE the
// next line goes through NextLine/ParseIdleDone, after AUTHENTICATE without an initial
// response through NextLine/ParseAuthenticateLine. A second pass feeds the same bytes
// one at a time and must give the same transcript (framing must not depend on how TCP
// splits the stream). Every sequence set must survive FormatSequenceSet and
// ParseSequenceSet unchanged, every FETCH attribute gets its response name and its section
// cut (imap/imap_section.h) from a sample message and from the last APPEND's message,
// and every APPEND message goes through BuildEnvelope / BuildBodyStructure and their
// rendering.
// The reader's buffer must stay within its limits. Seeds: fuzz/corpus/imap_command/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/imap_parser.h"
#include "imap/imap_response.h"
#include "imap/imap_section.h"

namespace {

using namespace notesd::imap;

// A message with nested parts for the FETCH sections.
constexpr std::string_view kSample =
    "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n"
    "Content-Type: message/rfc822\r\n\r\nSubject: in\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
    "--c\r\n\r\ntwo\r\n--c--\r\n--b--\r\n";

std::string last_message;  // the last APPEND's message (one input at a time)

void CheckSet(const SequenceSet& set) {
  std::string text = FormatSequenceSet(set);
  std::string error;
  std::optional<SequenceSet> again = ParseSequenceSet(text, &error);
  if (!again || !(*again == set)) std::abort();
}

// Exercises the response writer on what a command carried.
void Render(const Command& command) {
  std::string out;
  if (auto* fetch = std::get_if<FetchArgs>(&command.args)) {
    CheckSet(fetch->set);
    for (const FetchAttribute& attribute : fetch->attributes) {
      out += FetchItemName(attribute);
      if (attribute.item != FetchItem::kBodySection) continue;
      for (std::string_view message : {kSample, std::string_view(last_message)}) {
        std::optional<std::string> bytes = ExtractSection(message, attribute.section);
        // Never more than the message: HEADER.FIELDS writes CRLF where a field ended in LF.
        if (bytes && bytes->size() > 2 * message.size() + 2) std::abort();
        if (bytes) out += ApplyPartial(*bytes, attribute.partial);
      }
    }
  } else if (auto* store = std::get_if<StoreArgs>(&command.args)) {
    CheckSet(store->set);
    AppendFlagList(&out, store->flags);
  } else if (auto* copy = std::get_if<CopyArgs>(&command.args)) {
    CheckSet(copy->set);
    AppendAString(&out, copy->mailbox);
  } else if (auto* append = std::get_if<AppendArgs>(&command.args)) {
    last_message = append->message;
    AppendEnvelope(&out, BuildEnvelope(append->message));
    AppendBodyStructure(&out, BuildBodyStructure(append->message), true);
    AppendBodyStructure(&out, BuildBodyStructure(append->message), false);
    if (append->date_time) out += FormatDateTime(append->date_time->ToUnixSeconds(), append->date_time->zone_minutes);
  } else if (auto* login = std::get_if<LoginArgs>(&command.args)) {
    AppendString(&out, login->user);
    AppendAString(&out, login->password);
  } else if (auto* mailbox = std::get_if<MailboxArgs>(&command.args)) {
    AppendAString(&out, mailbox->mailbox);
  } else if (auto* search = std::get_if<SearchArgs>(&command.args)) {
    for (const SearchKey& key : search->key.children)
      if (key.kind == SearchKeyKind::kUid || key.kind == SearchKeyKind::kSequence) CheckSet(key.set);
  }
  (void)out;
}

enum class Mode { kCommand, kIdle, kAuthenticate };

struct Driver {
  Driver(const ReaderLimits& limits, bool check_buffer) : limits(limits), reader(limits), check_buffer(check_buffer) {}

  // Runs the reader until it needs more bytes; false once the stream is closed.
  bool Pump() {
    for (;;) {
      if (closed) return false;
      // Fed a byte at a time, the reader holds at most the command in flight: its text,
      // line breaks (fewer than its text bytes) and literals.
      if (check_buffer && reader.buffered() > 2 * limits.max_line_bytes + limits.max_literal_bytes + 2) std::abort();
      if (mode != Mode::kCommand) {
        LineStep line = reader.NextLine();
        if (line.kind == StepKind::kNeedMore) return true;
        if (line.kind == StepKind::kError) {
          if (!line.error.fatal) std::abort();
          transcript += "line error " + line.error.message + "\n";
          closed = true;
          return false;
        }
        if (mode == Mode::kIdle) {
          transcript += ParseIdleDone(line.line) ? "done\n" : "not done\n";
        } else {
          std::string error;
          std::optional<AuthenticateLine> answer = ParseAuthenticateLine(line.line, &error);
          transcript += answer ? (answer->cancelled ? "cancel\n" : "sasl " + answer->data + "\n") : error + "\n";
        }
        mode = Mode::kCommand;
        continue;
      }
      Step step = reader.Next();
      switch (step.kind) {
        case StepKind::kNeedMore: return true;
        case StepKind::kSendContinuation: transcript += "+\n"; break;
        case StepKind::kError:
          transcript += "error [" + step.error.tag + "] " + step.error.message + "\n";
          if (step.error.fatal) {
            closed = true;
            return false;
          }
          break;
        case StepKind::kCommand: {
          const Command& command = step.command;
          transcript +=
              "command [" + command.tag + "] " + (command.uid ? "UID " : "") + CommandNameText(command.name) + "\n";
          Render(command);
          if (command.name == CommandName::kIdle) mode = Mode::kIdle;
          if (auto* auth = std::get_if<AuthenticateArgs>(&command.args))
            if (!auth->initial_response) mode = Mode::kAuthenticate;
          break;
        }
      }
    }
  }

  ReaderLimits limits;
  CommandReader reader;
  Mode mode = Mode::kCommand;
  bool check_buffer;
  bool closed = false;
  std::string transcript;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  ReaderLimits limits;
  if (options & 1) {
    limits.max_line_bytes = 200;
    limits.max_literal_bytes = 100;
    limits.max_depth = 4;
  }

  last_message.clear();
  Driver whole(limits, false);
  whole.reader.Feed(input);
  whole.Pump();

  if (input.size() <= 4096) {
    last_message.clear();
    Driver bytes(limits, true);
    for (char c : input) {
      bytes.reader.Feed(std::string_view(&c, 1));
      if (!bytes.Pump()) break;
    }
    if (bytes.transcript != whole.transcript) std::abort();
  }

  // Any input as a message.
  std::string out;
  AppendBodyStructure(&out, BuildBodyStructure(input), true);
  AppendEnvelope(&out, BuildEnvelope(input));
  return 0;
}
