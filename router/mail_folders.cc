#include "router/mail_folders.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "base/ascii.h"
#include "router/mail_store.h"

namespace notesd {

namespace {

constexpr const char* kSystemFlags[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) { return ToLowerAscii(a) == ToLowerAscii(b); }

std::string Printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 80)) out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
  return out;
}

}  // namespace

Result<std::string> NormalizeFolderName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("a folder name cannot be empty");
  if (name.size() > kMaxFolderNameBytes)
    return Status::InvalidArgument("folder name '" + Printable(name) + "...' is longer than " +
                                   std::to_string(kMaxFolderNameBytes) + " bytes");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7F || c == '*' || c == '%')
      return Status::InvalidArgument("folder name '" + Printable(name) +
                                     "' has a control character, '*' or '%' (not allowed in a folder name)");
  if (name.front() == kFolderDelimiter || name.back() == kFolderDelimiter || name.find("//") != std::string_view::npos)
    return Status::InvalidArgument("folder name '" + Printable(name) +
                                   "' has an empty level (a '/' at an end or '//')");
  if (EqualsIgnoringCase(name, kInboxFolder)) return std::string(kInboxFolder);
  return std::string(name);
}

Result<std::vector<std::string>> NormalizeFlags(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (const std::string& flag : flags) {
    if (flag.empty() || flag.size() > kMaxFlagBytes)
      return Status::InvalidArgument("flag '" + Printable(flag) + "' is empty or longer than " +
                                     std::to_string(kMaxFlagBytes) + " bytes");
    std::string normal;
    if (flag[0] == '\\') {
      for (const char* system : kSystemFlags)
        if (EqualsIgnoringCase(flag, system)) normal = system;
      if (normal.empty())
        return Status::InvalidArgument("flag '" + Printable(flag) +
                                       "' is not a system flag that can be set (\\Seen \\Answered \\Flagged "
                                       "\\Deleted \\Draft)");
    } else {
      for (unsigned char c : flag)
        if (c <= ' ' || c >= 0x7F || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' ||
            c == '\\' || c == ']')
          return Status::InvalidArgument("flag '" + Printable(flag) +
                                         "' has a character a keyword cannot have (space, control, ( ) { % * \" \\ ])");
      normal = flag;
    }
    if (!HasFlag(out, normal)) out.push_back(normal);
  }
  if (out.size() > kMaxFlagsPerMessage)
    return Status::InvalidArgument("at most " + std::to_string(kMaxFlagsPerMessage) + " flags per message");
  return out;
}

bool HasFlag(const std::vector<std::string>& flags, std::string_view flag) {
  return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return EqualsIgnoringCase(f, flag); });
}

std::string FolderUidKey(std::string_view folder_unid, std::uint32_t uid) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%010u", uid);
  return std::string(folder_unid) + "/" + digits;
}

std::vector<ViewDefinition> MailFileViewDefinitions() {
  std::vector<ViewDefinition> views;
  views.push_back(InboxViewDefinition());
  views.push_back({kFoldersView,
                   [](const Note& note) {
                     if (note.form() != kFolderForm) return std::vector<std::string>{};
                     return std::vector<std::string>{note.GetText(kFolderNameItem)};
                   },
                   false, 1});
  views.push_back({kFolderUidView,
                   [](const Note& note) {
                     std::string folder = note.GetText(kFolderItem);
                     if (folder.empty() || !note.HasItem(kUidItem) || note.form() == kFolderForm)
                       return std::vector<std::string>{};
                     return std::vector<std::string>{
                         FolderUidKey(folder, static_cast<std::uint32_t>(note.GetNumber(kUidItem)))};
                   },
                   false, 1});
  views.push_back({kFolderCountView,
                   [](const Note& note) {
                     std::vector<std::string> keys;
                     std::string folder = note.GetText(kFolderItem);
                     if (folder.empty() || !note.HasItem(kUidItem) || note.form() == kFolderForm) return keys;
                     std::vector<std::string> flags = note.GetTextList(kMailFlagsItem);
                     keys.push_back(folder);
                     if (!HasFlag(flags, "\\Seen")) keys.push_back(folder + "/unseen");
                     if (HasFlag(flags, "\\Deleted")) keys.push_back(folder + "/deleted");
                     return keys;
                   },
                   false, 1});
  views.push_back({kUnfiledView,
                   [](const Note& note) {
                     if (note.form() != "Memo" || note.HasItem(kUidItem)) return std::vector<std::string>{};
                     return std::vector<std::string>{"unfiled"};
                   },
                   false, 1});
  return views;
}

MailFolder FolderFromNote(const Note& note) {
  MailFolder folder;
  folder.note_id = note.id();
  folder.unid = note.unid();
  folder.name = note.GetText(kFolderNameItem);
  folder.uid_validity = static_cast<std::uint32_t>(note.GetNumber(kUidValidityItem));
  folder.uid_next = static_cast<std::uint32_t>(note.GetNumber(kUidNextItem, 1));
  return folder;
}

Result<std::optional<MailFolder>> FindFolder(const ReadTxn& txn, std::string_view name) {
  NOTESD_ASSIGN_OR_RETURN(std::string normal, NormalizeFolderName(name));
  NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kFoldersView, normal));
  if (ids.empty()) return std::optional<MailFolder>();
  NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(ids.front()));
  return std::optional<MailFolder>(FolderFromNote(note));
}

Result<std::vector<MailFolder>> AllFolders(const ReadTxn& txn) {
  std::vector<MailFolder> folders;
  NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kFoldersView));
  for (const ViewEntry& entry : entries) {
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
    folders.push_back(FolderFromNote(note));
  }
  return folders;
}

Result<MailFolder> CreateFolder(WriteTxn& txn, std::string_view name, TimeMicros now) {
  NOTESD_ASSIGN_OR_RETURN(std::string normal, NormalizeFolderName(name));
  NOTESD_ASSIGN_OR_RETURN(std::optional<MailFolder> existing, FindFolder(txn, normal));
  if (existing) return Status::AlreadyExists("folder '" + Printable(normal) + "' already exists");
  NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> all, txn.Scan(kFoldersView, ScanOptions{"", "", kMaxFolders}));
  if (all.size() >= kMaxFolders)
    return Status::InvalidArgument("a mail file has at most " + std::to_string(kMaxFolders) + " folders");
  std::uint64_t last = 0;
  if (auto stored = txn.GetInfo(kLastUidValidityInfo); stored.ok()) last = std::strtoull(stored->c_str(), nullptr, 10);
  std::uint64_t validity = std::max<std::uint64_t>(now < 0 ? 1 : static_cast<std::uint64_t>(now / 1'000'000), last + 1);
  if (validity > kMaxUid) validity = 1;  // after the year 2106, or a corrupt counter
  NOTESD_RETURN_IF_ERROR(txn.SetInfo(kLastUidValidityInfo, std::to_string(validity)));
  Note note(kFolderForm);
  note.SetText(kFolderNameItem, normal, kItemSummary);
  note.SetNumber(kUidValidityItem, static_cast<double>(validity), kItemSummary);
  note.SetNumber(kUidNextItem, 1, kItemSummary);
  NOTESD_ASSIGN_OR_RETURN(Note stored, txn.Create(note));
  return FolderFromNote(stored);
}

Result<std::uint32_t> TakeUid(WriteTxn& txn, MailFolder& folder, Note& message) {
  if (folder.uid_next == 0 || folder.uid_next == kMaxUid)
    return Status::Unavailable("folder '" + Printable(folder.name) + "' has used up its UIDs");
  NOTESD_ASSIGN_OR_RETURN(Note folder_note, txn.Get(folder.note_id));
  const std::uint32_t uid = folder.uid_next;
  folder_note.SetNumber(kUidNextItem, static_cast<double>(uid + 1), kItemSummary);
  NOTESD_RETURN_IF_ERROR(txn.Update(folder_note).status());
  folder.uid_next = uid + 1;
  message.SetText(kFolderItem, folder.unid, kItemSummary);
  message.SetNumber(kUidItem, static_cast<double>(uid), kItemSummary);
  return uid;
}

Result<std::vector<Note>> CreateInInbox(WriteTxn& txn, const std::vector<Note>& messages, TimeMicros now) {
  std::vector<Note> stored;
  if (messages.empty()) return stored;
  NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kFoldersView, kInboxFolder));
  Note folder_note;
  if (ids.empty()) {
    NOTESD_ASSIGN_OR_RETURN(MailFolder created, CreateFolder(txn, kInboxFolder, now));
    NOTESD_ASSIGN_OR_RETURN(folder_note, txn.Get(created.note_id));
  } else {
    NOTESD_ASSIGN_OR_RETURN(folder_note, txn.Get(ids.front()));
  }
  MailFolder inbox = FolderFromNote(folder_note);
  if (inbox.uid_next == 0 || kMaxUid - inbox.uid_next <= messages.size())
    return Status::Unavailable("folder 'INBOX' has used up its UIDs");
  stored.reserve(messages.size());
  for (const Note& message : messages) {
    Note filed = message;
    filed.SetText(kFolderItem, inbox.unid, kItemSummary);
    filed.SetNumber(kUidItem, static_cast<double>(inbox.uid_next++), kItemSummary);
    NOTESD_ASSIGN_OR_RETURN(Note created, txn.Create(filed));
    stored.push_back(std::move(created));
  }
  folder_note.SetNumber(kUidNextItem, static_cast<double>(inbox.uid_next), kItemSummary);
  NOTESD_RETURN_IF_ERROR(txn.Update(folder_note).status());
  return stored;
}

Result<Note> CreateInInbox(WriteTxn& txn, const Note& message, TimeMicros now) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> stored, CreateInInbox(txn, std::vector<Note>{message}, now));
  return stored.front();
}

Result<std::size_t> FileUnfiledMessages(WriteTxn& txn, TimeMicros now) {
  NOTESD_ASSIGN_OR_RETURN(std::optional<MailFolder> inbox, FindFolder(txn, kInboxFolder));
  if (!inbox) {
    NOTESD_ASSIGN_OR_RETURN(MailFolder created, CreateFolder(txn, kInboxFolder, now));
    inbox = created;
  }
  NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kUnfiledView, "unfiled"));
  if (ids.empty()) return std::size_t{0};
  std::vector<std::tuple<TimeMicros, NoteId>> order;
  for (NoteId id : ids) {
    NOTESD_ASSIGN_OR_RETURN(Note summary, txn.GetSummary(id));
    order.emplace_back(summary.GetTime("DeliveredDate"), id);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [delivered, id] : order) {
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
    if (note.HasItem(kMailFlagsItem)) note.SetFlags(kMailFlagsItem, note.GetFlags(kMailFlagsItem) | kItemSummary);
    NOTESD_RETURN_IF_ERROR(TakeUid(txn, *inbox, note).status());
    NOTESD_RETURN_IF_ERROR(txn.Update(note).status());
  }
  return order.size();
}

}  // namespace notesd
