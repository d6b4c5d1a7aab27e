#include "adminp/admin_requests.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/notes_ini.h"
#include "base/ascii.h"
#include "base/time_text.h"

namespace notesd {

namespace {

constexpr char kRequestForm[] = "AdminRequest";
constexpr char kResponseForm[] = "AdminLog";
constexpr char kRequestsView[] = "($Requests)";
constexpr char kPendingView[] = "($Pending)";
constexpr char kByStatusView[] = "($ByStatus)";
constexpr char kByTargetView[] = "($ByTarget)";
constexpr char kResponsesView[] = "($Responses)";
constexpr char kByBatchView[] = "($ByBatch)";
// Key "<batch id>/<pending|done|failed>": a batch's progress is three key counts.
constexpr char kBatchStateView[] = "($BatchState)";
constexpr char kParamPrefix[] = "Param_";
constexpr char kSecretPrefix[] = "Secret_";
constexpr char kResultPrefix[] = "Result_";
constexpr char kResultBinPrefix[] = "ResultBin_";
constexpr TimeMicros kMicrosPerSecond = 1'000'000;

bool IsForm(const Note& note, std::string_view form) { return EqualsIgnoreCase(note.form(), form); }

// Oldest first: the created time, zero-padded, then the NoteID (requests posted in one
// transaction share a time and keep their posting order), then the UNID.
std::string OrderKey(const Note& note) {
  char digits[40];
  std::snprintf(digits, sizeof digits, "%020lld%010llu", static_cast<long long>(note.created()),
                static_cast<unsigned long long>(note.id()));
  return std::string(digits) + note.unid();
}

bool NoteIsPending(const Note& note) {
  std::string status = note.GetText("ProxyStatus");
  if (EqualsIgnoreCase(status, "New") || EqualsIgnoreCase(status, "InProgress")) return true;
  return EqualsIgnoreCase(status, "Failed") && note.GetTime("AdminPRetryAt") != 0;
}

// Where a request of a batch stands, as BatchProgress counts it.
const char* BatchState(const Note& note) {
  if (NoteIsPending(note)) return "pending";
  return EqualsIgnoreCase(note.GetText("ProxyStatus"), "Done") ? "done" : "failed";
}

std::string BatchStateKey(std::string_view batch_id, std::string_view state) {
  return std::string(batch_id) + "/" + std::string(state);
}

std::vector<ViewDefinition> AdminViews() {
  auto requests_only = [](auto keys) {
    return [keys](const Note& note) { return IsForm(note, kRequestForm) ? keys(note) : std::vector<std::string>{}; };
  };
  return {
      {kRequestsView, requests_only([](const Note& note) { return std::vector<std::string>{OrderKey(note)}; }), true,
       2},
      {kPendingView, requests_only([](const Note& note) {
         return NoteIsPending(note) ? std::vector<std::string>{OrderKey(note)} : std::vector<std::string>{};
       }),
       true, 2},
      {kByStatusView,
       requests_only([](const Note& note) { return std::vector<std::string>{note.GetText("ProxyStatus")}; }), true, 1},
      {kByTargetView,
       requests_only([](const Note& note) { return std::vector<std::string>{note.GetText("ProxyNameList")}; }), true,
       1},
      {kByBatchView, requests_only([](const Note& note) {
         std::vector<std::string> ids = note.GetTextList(std::string(kParamPrefix) + kParamBatchId);
         if (ids.size() > 1) ids.resize(1);
         return ids;
       }),
       true, 1},
      {kBatchStateView, requests_only([](const Note& note) {
         std::vector<std::string> ids = note.GetTextList(std::string(kParamPrefix) + kParamBatchId);
         if (ids.empty()) return std::vector<std::string>{};
         return std::vector<std::string>{BatchStateKey(ids.front(), BatchState(note))};
       }),
       true, 1},
      {kResponsesView,
       [](const Note& note) {
         return IsForm(note, kResponseForm) ? std::vector<std::string>{note.GetText("$Ref")}
                                            : std::vector<std::string>{};
       },
       true, 1},
  };
}

const std::vector<RequestTypeInfo> kTypes = {
    {kRequestCreateInternetCertifier, 300, TimingClass::kInterval, false},
    {kRequestModifyCaConfiguration, 301, TimingClass::kImmediate, false},
    {kRequestAddInternetCertificate, 302, TimingClass::kInterval, true},
};

Result<Note> GetRequestNote(const ReadTxn& txn, std::string_view unid) {
  if (!IsValidUnid(ToUpperAscii(unid)))
    return Status::InvalidArgument("'" + std::string(unid) + "' is not a request UNID (32 hex digits)");
  Result<Note> note = txn.GetByUnid(unid);
  if (!note.ok()) {
    if (note.status().code() == StatusCode::kNotFound)
      return Status::NotFound("no administration request " + ToUpperAscii(unid) + " in admin4.nsf");
    return note.status();
  }
  if (!IsForm(*note, kRequestForm))
    return Status::InvalidArgument(ToUpperAscii(unid) + " is not an administration request");
  return note;
}

}  // namespace

// ---- names ----------------------------------------------------------------------------

const char* RequestStatusName(RequestStatus status) {
  switch (status) {
    case RequestStatus::kNew: return "New";
    case RequestStatus::kInProgress: return "InProgress";
    case RequestStatus::kDone: return "Done";
    case RequestStatus::kFailed: return "Failed";
  }
  return "?";
}

Result<RequestStatus> ParseRequestStatus(std::string_view text) {
  for (RequestStatus status :
       {RequestStatus::kNew, RequestStatus::kInProgress, RequestStatus::kDone, RequestStatus::kFailed})
    if (EqualsIgnoreCase(TrimSpaces(text), RequestStatusName(status))) return status;
  return Status::InvalidArgument("unknown request status '" + std::string(text) +
                                 "' (New, InProgress, Done or Failed)");
}

const char* TimingClassName(TimingClass timing) {
  switch (timing) {
    case TimingClass::kImmediate: return "Immediate";
    case TimingClass::kInterval: return "Interval";
    case TimingClass::kDaily: return "Daily";
    case TimingClass::kDelayed: return "Delayed";
    case TimingClass::kTimed: return "Timed";
  }
  return "?";
}

Result<TimingClass> ParseTimingClass(std::string_view text) {
  for (TimingClass timing : {TimingClass::kImmediate, TimingClass::kInterval, TimingClass::kDaily,
                             TimingClass::kDelayed, TimingClass::kTimed})
    if (EqualsIgnoreCase(TrimSpaces(text), TimingClassName(timing))) return timing;
  return Status::InvalidArgument("unknown timing class '" + std::string(text) +
                                 "' (Immediate, Interval, Daily, Delayed or Timed)");
}

const RequestTypeInfo* FindRequestType(std::string_view name) {
  for (const RequestTypeInfo& info : kTypes)
    if (EqualsIgnoreCase(name, info.name)) return &info;
  return nullptr;
}

const std::vector<RequestTypeInfo>& KnownRequestTypes() { return kTypes; }

std::string IsoTime(TimeMicros micros) { return Rfc3339FromMicros(micros); }

// ---- AdminRequest -----------------------------------------------------------------------

std::string AdminRequest::Param(const std::string& name) const {
  auto it = parameters.find(name);
  return it == parameters.end() || it->second.empty() ? std::string() : it->second.front();
}

std::vector<std::string> AdminRequest::ParamList(const std::string& name) const {
  auto it = parameters.find(name);
  return it == parameters.end() ? std::vector<std::string>{} : it->second;
}

bool AdminRequest::IsPending() const {
  return status == RequestStatus::kNew || status == RequestStatus::kInProgress ||
         (status == RequestStatus::kFailed && retry_at != 0);
}

Note AdminRequestToNote(const AdminRequest& request) {
  Note note(kRequestForm);
  note.set_id(request.note_id);
  note.set_unid(request.unid);
  note.set_created(request.created);
  note.SetNumber("ProxyAction", request.proxy_action, kItemSummary);
  note.SetText("ProxyActionName", request.type, kItemSummary);
  note.SetText("ProxyAuthor", request.author, kItemNames | kItemSummary);
  note.SetText("ProxyServer", request.server, kItemNames | kItemSummary);
  note.SetText("ProxyNameList", request.target, kItemNames | kItemSummary);
  note.SetText("ProxyStatus", RequestStatusName(request.status), kItemSummary);
  note.SetText("AdminPTiming", TimingClassName(request.timing), kItemSummary);
  note.SetNumber("AdminPAttempts", request.attempts, kItemSummary);
  note.SetTime("ActionStartTime", request.started);
  note.SetTime("ActionEndTime", request.finished);
  note.SetTime("AdminPRetryAt", request.retry_at);
  note.SetText("ErrorText", request.error, kItemSummary);
  note.SetText("$LastResponse", request.last_response_unid);
  for (const auto& [name, values] : request.parameters) note.SetTextList(kParamPrefix + name, values);
  for (const auto& [name, bytes] : request.secrets)
    note.SetBinary(kSecretPrefix + name, Bytes(bytes.begin(), bytes.end()));
  return note;
}

Result<AdminRequest> AdminRequestFromNote(const Note& note) {
  if (!IsForm(note, kRequestForm))
    return Status::InvalidArgument("NoteID " + std::to_string(note.id()) + " is not an administration request");
  AdminRequest request;
  request.note_id = note.id();
  request.unid = note.unid();
  request.created = note.created();
  request.proxy_action = note.GetNumber("ProxyAction");
  request.type = note.GetText("ProxyActionName");
  request.author = note.GetText("ProxyAuthor");
  request.server = note.GetText("ProxyServer");
  request.target = note.GetText("ProxyNameList");
  auto status = ParseRequestStatus(note.GetText("ProxyStatus"));
  if (!status.ok()) return Status::Corruption("admin4.nsf request " + note.unid() + ": " + status.status().message());
  request.status = *status;
  auto timing = ParseTimingClass(note.GetText("AdminPTiming"));
  if (!timing.ok()) return Status::Corruption("admin4.nsf request " + note.unid() + ": " + timing.status().message());
  request.timing = *timing;
  request.attempts = static_cast<int>(note.GetNumber("AdminPAttempts"));
  request.started = note.GetTime("ActionStartTime");
  request.finished = note.GetTime("ActionEndTime");
  request.retry_at = note.GetTime("AdminPRetryAt");
  request.error = note.GetText("ErrorText");
  request.last_response_unid = note.GetText("$LastResponse");
  for (const Item& item : note.items()) {
    if (StartsWithIgnoreCase(item.name, kParamPrefix)) {
      request.parameters[item.name.substr(sizeof kParamPrefix - 1)] = note.GetTextList(item.name);
    } else if (StartsWithIgnoreCase(item.name, kSecretPrefix)) {
      Bytes bytes = note.GetBinary(item.name);
      request.secrets[item.name.substr(sizeof kSecretPrefix - 1)] = std::string(bytes.begin(), bytes.end());
    }
  }
  return request;
}

Note AdminResponseToNote(const AdminResponse& response) {
  Note note(kResponseForm);
  note.set_id(response.note_id);
  note.set_unid(response.unid);
  note.SetText("$Ref", response.request_unid, kItemSummary);
  note.SetText("ProxyActionName", response.type, kItemSummary);
  if (const RequestTypeInfo* info = FindRequestType(response.type)) note.SetNumber("ProxyAction", info->proxy_action);
  note.SetText("ProxyServerName", response.server, kItemNames);
  note.SetNumber("AdminPAttempt", response.attempt, kItemSummary);
  note.SetText("ProxyStatus", RequestStatusName(response.outcome), kItemSummary);
  note.SetText("ErrorText", response.error, kItemSummary);
  note.SetTime("ActionStartTime", response.started);
  note.SetTime("ActionEndTime", response.finished);
  for (const auto& [name, value] : response.results) note.SetText(kResultPrefix + name, value);
  for (const auto& [name, bytes] : response.binary_results)
    note.SetBinary(kResultBinPrefix + name, Bytes(bytes.begin(), bytes.end()));
  return note;
}

Result<AdminResponse> AdminResponseFromNote(const Note& note) {
  if (!IsForm(note, kResponseForm))
    return Status::InvalidArgument("NoteID " + std::to_string(note.id()) + " is not an administration response");
  AdminResponse response;
  response.note_id = note.id();
  response.unid = note.unid();
  response.request_unid = note.GetText("$Ref");
  response.type = note.GetText("ProxyActionName");
  response.server = note.GetText("ProxyServerName");
  response.attempt = static_cast<int>(note.GetNumber("AdminPAttempt"));
  auto outcome = ParseRequestStatus(note.GetText("ProxyStatus"));
  if (!outcome.ok())
    return Status::Corruption("admin4.nsf response " + note.unid() + ": " + outcome.status().message());
  response.outcome = *outcome;
  response.error = note.GetText("ErrorText");
  response.started = note.GetTime("ActionStartTime");
  response.finished = note.GetTime("ActionEndTime");
  for (const Item& item : note.items()) {
    // ResultBin_ first: "ResultBin_x" also starts with "Result".
    if (StartsWithIgnoreCase(item.name, kResultBinPrefix)) {
      Bytes bytes = note.GetBinary(item.name);
      response.binary_results[item.name.substr(sizeof kResultBinPrefix - 1)] = std::string(bytes.begin(), bytes.end());
    } else if (StartsWithIgnoreCase(item.name, kResultPrefix)) {
      response.results[item.name.substr(sizeof kResultPrefix - 1)] = note.GetText(item.name);
    }
  }
  return response;
}

// ---- Retry rules --------------------------------------------------------------------------

bool IsPermanentError(const Status& error) {
  switch (error.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
    case StatusCode::kNotFound:
    case StatusCode::kPermissionDenied:
    case StatusCode::kCorruption: return true;
    default: return false;
  }
}

FailureDecision DecideAfterFailure(const RetryPolicy& policy, const Status& error, int attempts, TimeMicros now) {
  if (IsPermanentError(error) || attempts >= policy.max_attempts || policy.backoff_seconds.empty()) return {};
  std::size_t index =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(attempts, 1)) - 1, policy.backoff_seconds.size() - 1);
  return {true, now + policy.backoff_seconds[index] * kMicrosPerSecond};
}

BeginVerdict CheckBegin(const AdminRequest& request, const RetryPolicy& policy, TimeMicros now, bool ignore_backoff) {
  switch (request.status) {
    case RequestStatus::kDone: return BeginVerdict::kClosed;
    case RequestStatus::kNew: return BeginVerdict::kBegin;
    case RequestStatus::kInProgress:
      // An attempt that never finished was interrupted; it counts against the limit.
      return request.attempts >= policy.max_attempts ? BeginVerdict::kGiveUp : BeginVerdict::kBegin;
    case RequestStatus::kFailed:
      if (request.retry_at == 0) return BeginVerdict::kClosed;
      if (request.attempts >= policy.max_attempts) return BeginVerdict::kGiveUp;
      return ignore_backoff || now >= request.retry_at ? BeginVerdict::kBegin : BeginVerdict::kNotDue;
  }
  return BeginVerdict::kClosed;
}

// ---- AdminRequestsDb ----------------------------------------------------------------------

Result<std::unique_ptr<AdminRequestsDb>> AdminRequestsDb::Open(const std::filesystem::path& path,
                                                               std::function<TimeMicros()> clock) {
  NsfOptions options;
  options.title = "Administration Requests";
  options.views = AdminViews();
  options.clock = std::move(clock);
  NOTESD_ASSIGN_OR_RETURN(auto db, NsfDatabase::Open(path, std::move(options)));
  return std::unique_ptr<AdminRequestsDb>(new AdminRequestsDb(std::move(db)));
}

namespace {

// A request as Post stores it: New, no attempts, the type's canonical name and timing.
Result<AdminRequest> FreshRequest(const AdminRequest& request) {
  const RequestTypeInfo* info = FindRequestType(request.type);
  if (info == nullptr) return Status::InvalidArgument("unknown administration request type '" + request.type + "'");
  AdminRequest fresh = request;
  fresh.note_id = 0;
  fresh.unid.clear();
  fresh.created = 0;
  fresh.type = info->name;
  if (fresh.proxy_action == 0) fresh.proxy_action = info->proxy_action;
  fresh.timing = info->timing;
  fresh.status = RequestStatus::kNew;
  fresh.attempts = 0;
  fresh.started = fresh.finished = fresh.retry_at = 0;
  fresh.error.clear();
  fresh.last_response_unid.clear();
  return fresh;
}

}  // namespace

Result<AdminRequest> AdminRequestsDb::Post(const AdminRequest& request) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> stored, PostMany({request}));
  return std::move(stored.front());
}

Result<std::vector<AdminRequest>> AdminRequestsDb::PostMany(const std::vector<AdminRequest>& requests,
                                                            const std::string& batch_id) {
  std::vector<AdminRequest> fresh;
  fresh.reserve(requests.size());
  for (const AdminRequest& request : requests) {
    NOTESD_ASSIGN_OR_RETURN(AdminRequest one, FreshRequest(request));
    if (!batch_id.empty()) one.SetParam(kParamBatchId, batch_id);
    fresh.push_back(std::move(one));
  }
  std::vector<AdminRequest> stored;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    stored.clear();
    for (const AdminRequest& one : fresh) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Create(AdminRequestToNote(one)));
      NOTESD_ASSIGN_OR_RETURN(AdminRequest back, AdminRequestFromNote(note));
      stored.push_back(std::move(back));
    }
    return Status::Ok();
  }));
  return stored;
}

Result<AdminRequestsDb::BatchCounts> AdminRequestsDb::BatchProgress(std::string_view batch_id) const {
  BatchCounts counts;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    auto count = [&](const char* state) -> Result<int> {
      NOTESD_ASSIGN_OR_RETURN(std::size_t n, txn.CountKey(kBatchStateView, BatchStateKey(batch_id, state)));
      return static_cast<int>(n);
    };
    NOTESD_ASSIGN_OR_RETURN(counts.pending, count("pending"));
    NOTESD_ASSIGN_OR_RETURN(counts.done, count("done"));
    NOTESD_ASSIGN_OR_RETURN(counts.failed, count("failed"));
    counts.total = counts.pending + counts.done + counts.failed;
    return Status::Ok();
  }));
  return counts;
}

Result<AdminRequest> AdminRequestsDb::Get(std::string_view unid) const {
  Result<AdminRequest> request = Status::Internal("unset");
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(Note note, GetRequestNote(txn, unid));
    request = AdminRequestFromNote(note);
    return request.status();
  }));
  return request;
}

Result<std::vector<AdminRequest>> AdminRequestsDb::Collect(std::string_view view,
                                                           std::optional<std::string> key) const {
  std::vector<AdminRequest> requests;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    std::vector<NoteId> ids;
    if (key) {
      NOTESD_ASSIGN_OR_RETURN(ids, txn.LookupIds(view, *key));
    } else {
      NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(view));
      for (const ViewEntry& entry : entries) ids.push_back(entry.id);
    }
    for (NoteId id : ids) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      NOTESD_ASSIGN_OR_RETURN(AdminRequest request, AdminRequestFromNote(note));
      requests.push_back(std::move(request));
    }
    return Status::Ok();
  }));
  if (key) {
    std::stable_sort(requests.begin(), requests.end(),
                     [](const AdminRequest& a, const AdminRequest& b) { return a.created < b.created; });
  }
  return requests;
}

Result<std::vector<AdminRequest>> AdminRequestsDb::List(std::optional<RequestStatus> status) const {
  if (status) return Collect(kByStatusView, std::string(RequestStatusName(*status)));
  return Collect(kRequestsView, std::nullopt);
}

Result<std::vector<AdminRequest>> AdminRequestsDb::Pending() const { return Collect(kPendingView, std::nullopt); }

Result<AdminRequestsDb::PendingPage> AdminRequestsDb::PendingAfter(std::string_view after, std::size_t limit) const {
  PendingPage page;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    // The view's keys are unique (creation time, note id, UNID), so the entry `after`
    // names is the only one to skip.
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries,
                            txn.Scan(kPendingView, ScanOptions::StartingAt(std::string(after), limit + 1)));
    for (const ViewEntry& entry : entries) {
      if (!after.empty() && entry.key <= after) continue;
      if (page.requests.size() == limit) break;
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      NOTESD_ASSIGN_OR_RETURN(AdminRequest request, AdminRequestFromNote(note));
      page.requests.push_back(std::move(request));
      page.next_after = entry.key;
    }
    return Status::Ok();
  }));
  return page;
}

Result<std::vector<AdminRequest>> AdminRequestsDb::InBatch(std::string_view batch_id) const {
  return Collect(kByBatchView, std::string(batch_id));
}

Result<std::vector<AdminRequest>> AdminRequestsDb::FinallyFailedInBatch(std::string_view batch_id) const {
  return Collect(kBatchStateView, BatchStateKey(batch_id, "failed"));
}

Result<std::optional<AdminRequest>> AdminRequestsDb::FirstOfBatch(std::string_view batch_id) const {
  std::optional<AdminRequest> first;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kByBatchView, batch_id));
    if (ids.empty()) return Status::Ok();
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(ids.front()));
    NOTESD_ASSIGN_OR_RETURN(first, AdminRequestFromNote(note));
    return Status::Ok();
  }));
  return first;
}

Result<std::vector<AdminRequest>> AdminRequestsDb::ForTarget(std::string_view target) const {
  return Collect(kByTargetView, std::string(target));
}

Result<std::vector<AdminResponse>> AdminRequestsDb::Responses(std::string_view request_unid) const {
  std::vector<AdminResponse> responses;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(kResponsesView, ToUpperAscii(request_unid)));
    for (const Note& note : notes) {
      NOTESD_ASSIGN_OR_RETURN(AdminResponse response, AdminResponseFromNote(note));
      responses.push_back(std::move(response));
    }
    return Status::Ok();
  }));
  return responses;
}

Result<BeginOutcome> AdminRequestsDb::BeginAttempt(std::string_view unid, const RetryPolicy& policy, TimeMicros now,
                                                   bool ignore_backoff) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<Result<BeginOutcome>> outcomes,
                          BeginAttempts({std::string(unid)}, policy, now, ignore_backoff));
  return std::move(outcomes.front());
}

namespace {

// The request with `unid`, read and parsed in `txn`.
Result<AdminRequest> LoadRequest(const ReadTxn& txn, std::string_view unid) {
  NOTESD_ASSIGN_OR_RETURN(Note note, GetRequestNote(txn, unid));
  return AdminRequestFromNote(note);
}

// One request's part of BeginAttempts, inside its transaction. Returns the outcome, or
// the request's own error in `own_error`; a returned error is a storage failure that
// aborts the whole transaction.
Status BeginOne(WriteTxn& txn, std::string_view unid, const RetryPolicy& policy, TimeMicros now, bool ignore_backoff,
                BeginOutcome& outcome, Status& own_error) {
  Result<AdminRequest> parsed = LoadRequest(txn, unid);
  if (!parsed.ok()) {
    own_error = parsed.status();
    return Status::Ok();
  }
  AdminRequest& request = *parsed;
  outcome.verdict = CheckBegin(request, policy, now, ignore_backoff);
  if (outcome.verdict == BeginVerdict::kBegin) {
    request.status = RequestStatus::kInProgress;
    request.attempts += 1;
    request.started = now;
    request.finished = 0;
    request.retry_at = 0;
  } else if (outcome.verdict == BeginVerdict::kGiveUp) {
    AdminResponse response;
    response.request_unid = request.unid;
    response.type = request.type;
    response.server = request.server;
    response.attempt = request.attempts;
    response.outcome = RequestStatus::kFailed;
    response.error = "gave up after " + std::to_string(request.attempts) + " attempts (the last one was interrupted)";
    response.started = request.started;
    response.finished = now;
    NOTESD_ASSIGN_OR_RETURN(Note stored_response, txn.Create(AdminResponseToNote(response)));
    request.status = RequestStatus::kFailed;
    request.retry_at = 0;
    request.finished = now;
    request.error = response.error;
    request.last_response_unid = stored_response.unid();
    request.secrets.clear();
  } else {
    outcome.request = std::move(request);
    return Status::Ok();
  }
  NOTESD_ASSIGN_OR_RETURN(Note updated, txn.Update(AdminRequestToNote(request)));
  NOTESD_ASSIGN_OR_RETURN(outcome.request, AdminRequestFromNote(updated));
  return Status::Ok();
}

// One request's part of FinishAttempts, as BeginOne.
Status FinishOne(WriteTxn& txn, const AdminRequestsDb::AttemptEnd& attempt, const RetryPolicy& policy, TimeMicros now,
                 AdminRequestsDb::FinishOutcome& finished, Status& own_error) {
  Result<AdminRequest> parsed = LoadRequest(txn, attempt.unid);
  if (!parsed.ok()) {
    own_error = parsed.status();
    return Status::Ok();
  }
  AdminRequest& request = *parsed;
  if (request.status != RequestStatus::kInProgress) {
    own_error = Status::InvalidArgument("request " + request.unid + " is " + RequestStatusName(request.status) +
                                        ", not InProgress");
    return Status::Ok();
  }
  const Status& outcome = attempt.outcome;
  AdminResponse response;
  response.request_unid = request.unid;
  response.type = request.type;
  response.server = request.server;
  response.attempt = request.attempts;
  response.started = request.started;
  response.finished = now;
  request.finished = now;
  if (outcome.ok()) {
    response.outcome = RequestStatus::kDone;
    response.results = attempt.results.results;
    response.binary_results = attempt.results.binary_results;
    request.status = RequestStatus::kDone;
    request.error.clear();
    request.retry_at = 0;
    request.secrets.clear();
    for (const AdminRequest& follow_up : attempt.results.follow_ups) {
      AdminRequest fresh = follow_up;
      fresh.note_id = 0;
      fresh.unid.clear();
      fresh.status = RequestStatus::kNew;
      fresh.attempts = 0;
      NOTESD_RETURN_IF_ERROR(txn.Create(AdminRequestToNote(fresh)).status());
    }
  } else {
    FailureDecision decision = DecideAfterFailure(policy, outcome, request.attempts, now);
    response.outcome = RequestStatus::kFailed;
    response.error = outcome.message();
    request.status = RequestStatus::kFailed;
    request.error = outcome.message();
    request.retry_at = decision.retry ? decision.retry_at : 0;
    if (!decision.retry) request.secrets.clear();
  }
  NOTESD_ASSIGN_OR_RETURN(Note response_note, txn.Create(AdminResponseToNote(response)));
  request.last_response_unid = response_note.unid();
  NOTESD_ASSIGN_OR_RETURN(Note request_note, txn.Update(AdminRequestToNote(request)));
  NOTESD_ASSIGN_OR_RETURN(finished.response, AdminResponseFromNote(response_note));
  NOTESD_ASSIGN_OR_RETURN(finished.request, AdminRequestFromNote(request_note));
  return Status::Ok();
}

}  // namespace

Result<std::vector<Result<BeginOutcome>>> AdminRequestsDb::BeginAttempts(const std::vector<std::string>& unids,
                                                                         const RetryPolicy& policy, TimeMicros now,
                                                                         bool ignore_backoff) {
  std::vector<Result<BeginOutcome>> outcomes;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    outcomes.clear();  // the body may run again after the map grew
    for (const std::string& unid : unids) {
      BeginOutcome outcome;
      Status own_error;
      NOTESD_RETURN_IF_ERROR(BeginOne(txn, unid, policy, now, ignore_backoff, outcome, own_error));
      if (own_error.ok()) {
        outcomes.emplace_back(std::move(outcome));
      } else {
        outcomes.emplace_back(std::move(own_error));
      }
    }
    return Status::Ok();
  }));
  return outcomes;
}

Result<AdminResponse> AdminRequestsDb::FinishAttempt(std::string_view unid, const Status& outcome,
                                                     const AttemptResults& results, const RetryPolicy& policy,
                                                     TimeMicros now) {
  std::vector<AttemptEnd> attempts(1);
  attempts[0].unid = std::string(unid);
  attempts[0].outcome = outcome;
  attempts[0].results = results;
  NOTESD_ASSIGN_OR_RETURN(std::vector<Result<FinishOutcome>> finished, FinishAttempts(attempts, policy, now));
  if (!finished.front().ok()) return finished.front().status();
  return std::move(finished.front()->response);
}

Result<std::vector<Result<AdminRequestsDb::FinishOutcome>>> AdminRequestsDb::FinishAttempts(
    const std::vector<AttemptEnd>& attempts, const RetryPolicy& policy, TimeMicros now) {
  std::vector<Result<FinishOutcome>> outcomes;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    outcomes.clear();  // the body may run again after the map grew
    for (const AttemptEnd& attempt : attempts) {
      FinishOutcome finished;
      Status own_error;
      NOTESD_RETURN_IF_ERROR(FinishOne(txn, attempt, policy, now, finished, own_error));
      if (own_error.ok()) {
        outcomes.emplace_back(std::move(finished));
      } else {
        outcomes.emplace_back(std::move(own_error));
      }
    }
    return Status::Ok();
  }));
  return outcomes;
}

Result<std::shared_ptr<AdminRequestsDb>> OpenAdminRequests(DatabaseSet& databases,
                                                           const std::filesystem::path& data_dir) {
  return databases.Get<AdminRequestsDb>(data_dir / "admin4.nsf", [&databases](const std::filesystem::path& path) {
    return AdminRequestsDb::Open(path, databases.NoteClock());
  });
}

// ---- Handlers ---------------------------------------------------------------------------

TimingClass AdminRequestHandler::Timing() const {
  const RequestTypeInfo* info = FindRequestType(Type());
  return info ? info->timing : TimingClass::kImmediate;
}

Status AdminRequestHandlerRegistry::Add(std::shared_ptr<AdminRequestHandler> handler) {
  if (!handler) return Status::InvalidArgument("no handler given");
  std::lock_guard lock(mutex_);
  for (const auto& existing : handlers_)
    if (EqualsIgnoreCase(existing->Type(), handler->Type()))
      return Status::AlreadyExists("a handler for '" + handler->Type() + "' is already registered");
  handlers_.push_back(std::move(handler));
  return Status::Ok();
}

std::shared_ptr<AdminRequestHandler> AdminRequestHandlerRegistry::Find(std::string_view type) const {
  std::lock_guard lock(mutex_);
  for (const auto& handler : handlers_)
    if (EqualsIgnoreCase(handler->Type(), type)) return handler;
  return nullptr;
}

std::vector<BatchOutcome> AdminRequestHandler::HandleBatch(std::span<const AdminRequest> requests,
                                                           HandlerContext& context) {
  std::vector<BatchOutcome> outcomes;
  outcomes.reserve(requests.size());
  for (const AdminRequest& request : requests) {
    context.results = {};
    Status status = Handle(request, context);
    outcomes.push_back({std::move(status), std::move(context.results)});
  }
  context.results = {};
  return outcomes;
}

std::vector<std::string> AdminRequestHandlerRegistry::Types() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> types;
  for (const auto& handler : handlers_) types.push_back(handler->Type());
  return types;
}

}  // namespace notesd
