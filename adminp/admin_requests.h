// adminp/admin_requests.h — the request service of AdminP: admin4.nsf, the
// Administration Requests database, the request model AdminP works on, its state
// machine and retry rules, and the interface of the handlers that carry requests out.
//
// Owns: the schema of admin4.nsf (request notes, response notes, views), the request
// state machine (New -> InProgress -> Done | Failed, with retries), the known request
// types with their timing classes, and the registry of AdminRequestHandlers. It lives
// beside the AdminP task (adminp_task.h) but needs nothing of it, so the CA task can
// implement handlers and the CA service can post requests by linking notesd_adminp
// without running or reaching into the task.
//
// ---- Request notes (Form "AdminRequest"; item names follow Domino's ADMIN4.NTF) --------
//   ProxyAction        number  the request number (kRequestTypes below; notesd's own numbers)
//   ProxyActionName    text    the request name: "Create Internet Certifier"
//   ProxyAuthor        names   canonical name of the authenticated administrator who posted it
//   ProxyServer        names   canonical name of the server that must carry it out
//   ProxyNameList      names   what it acts on (a certifier or person name)
//   ProxyStatus        text    New | InProgress | Done | Failed
//   AdminPTiming       text    Immediate | Interval | Daily | Delayed | Timed
//   AdminPAttempts     number  attempts started so far (an interrupted attempt counts)
//   ActionStartTime    time    start of the last attempt
//   ActionEndTime      time    end of the last attempt (0 while none ended)
//   AdminPRetryAt      time    a Failed request is retried after this time; 0 = final
//   ErrorText          text    the last failure, for administrators
//   $LastResponse      text    UNID of the newest response note
//   Param_<name>       text list   the request's parameters (never secrets)
//   Secret_<name>      binary  secret parameters, CMS-enveloped to the server ID by the
//                              poster (ca_task/server_id_wrap.h); removed once the
//                              request is Done or finally Failed
// ---- Response notes (Form "AdminLog"), one per finished attempt, Domino's chaining ----
//   $Ref               text    UNID of the request (the parent)
//   ProxyAction, ProxyActionName, ProxyServerName, ActionStartTime, ActionEndTime
//   ProxyStatus        text    Done | Failed (the attempt's outcome)
//   AdminPAttempt      number  which attempt this was
//   ErrorText          text    the error, when Failed
//   Result_<name>      text    handler results (e.g. the certifier's name and ICL file)
//   ResultBin_<name>   binary  handler results as bytes (e.g. the local certifier ID copy,
//                              encrypted with its own password)
// ---- Views (case-insensitive) ---------------------------------------------------------
//   ($Requests)   every request, key = created time (20 digits) + UNID: oldest first
//   ($Pending)    New, InProgress, and Failed with a retry time; key as ($Requests)
//   ($ByStatus)   ProxyStatus of every request
//   ($ByTarget)   ProxyNameList of every request
//   ($ByBatch)    Param_BatchID of every request posted as part of a batch (PostMany)
//   ($Responses)  $Ref of every response note
//
// ---- State machine and retry rules ----------------------------------------------------
//   New --BeginAttempt--> InProgress --FinishAttempt(ok)--> Done
//                                    --FinishAttempt(error)--> Failed (retry_at set: will
//                                      be retried; retry_at 0: final)
//   BeginAttempts / FinishAttempts make the same transitions for a chunk of requests in
//   one transaction (AdminP's batch path), each request keeping its own outcome.
//   InProgress found by BeginAttempt means the previous attempt was interrupted (the
//   server stopped or crashed): it is begun again with the attempt count raised. Each
//   step is one LMDB transaction, so a crash leaves a request New, InProgress or
//   finished, never lost. Handlers are idempotent, so redoing an interrupted attempt
//   never does the work twice.
//   A failure is final when the error is permanent (InvalidArgument, AlreadyExists,
//   NotFound, PermissionDenied, Corruption: retrying cannot help) or when the attempts
//   reach RetryPolicy::max_attempts; otherwise (Unavailable, IOError, Internal) the
//   request is retried after a back-off of 1, 5, 30, 120 minutes, then 120 minutes.
//   An interrupted attempt counts: a request that crashes the server every time stops
//   being retried after max_attempts.
//
// Thread safety: AdminRequestsDb and AdminRequestHandlerRegistry may be used from any
// thread. Every change is one LMDB write transaction.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/notes_ini.h"
#include "store/nsf_database.h"
#include "base/status.h"
#include "directory/directory.h"

namespace notesd {

enum class RequestStatus { kNew, kInProgress, kDone, kFailed };
// "New", "InProgress", "Done", "Failed".
const char* RequestStatusName(RequestStatus status);
// Case-insensitive; InvalidArgument naming the accepted words.
Result<RequestStatus> ParseRequestStatus(std::string_view text);

// Domino's timing classes. Timed requests (deleting unlinked mail files) run only on
// TELL ADMINP PROCESS TIME; notesd has none yet.
enum class TimingClass { kImmediate, kInterval, kDaily, kDelayed, kTimed };
// "Immediate", "Interval", "Daily", "Delayed", "Timed".
const char* TimingClassName(TimingClass timing);
Result<TimingClass> ParseTimingClass(std::string_view text);

// Request names. Create Internet Certifier and Modify CA Configuration are notesd's
// names (Domino documents no standalone request for them); Add Internet Certificate to
// Person Record is Domino's (its handler, which works requests in batches, and its
// parameters: ca_task/person_certificates.h).
inline constexpr char kRequestCreateInternetCertifier[] = "Create Internet Certifier";
inline constexpr char kRequestModifyCaConfiguration[] = "Modify CA Configuration";
inline constexpr char kRequestAddInternetCertificate[] = "Add Internet Certificate to Person Record";
// The parameter PostMany gives every request of a batch.
inline constexpr char kParamBatchId[] = "BatchID";

// What every request of a type has in common.
struct RequestTypeInfo {
  const char* name;
  double proxy_action;  // notesd's request numbers start at 300 (Domino's own run below)
  TimingClass timing;
  bool updates_person_documents;  // processed by TELL ADMINP PROCESS PEOPLE
};
// The known request types; nullptr for an unknown name (case-insensitive).
const RequestTypeInfo* FindRequestType(std::string_view name);
const std::vector<RequestTypeInfo>& KnownRequestTypes();

struct AdminRequest {
  NoteId note_id = 0;
  std::string unid;
  std::string type;         // ProxyActionName
  double proxy_action = 0;  // ProxyAction
  std::string author;       // canonical name
  std::string server;       // canonical name of the server that carries it out
  std::string target;       // what it acts on
  TimingClass timing = TimingClass::kImmediate;
  RequestStatus status = RequestStatus::kNew;
  int attempts = 0;
  TimeMicros created = 0;
  TimeMicros started = 0;   // ActionStartTime of the last attempt
  TimeMicros finished = 0;  // ActionEndTime of the last attempt
  TimeMicros retry_at = 0;  // Failed and retried after this; 0 = not retried
  std::string error;
  std::string last_response_unid;
  std::map<std::string, std::vector<std::string>> parameters;
  std::map<std::string, std::string> secrets;  // name -> CMS EnvelopedData DER

  // First value of a parameter, "" when absent.
  std::string Param(const std::string& name) const;
  std::vector<std::string> ParamList(const std::string& name) const;
  void SetParam(const std::string& name, std::string value) { parameters[name] = {std::move(value)}; }
  void SetParamList(const std::string& name, std::vector<std::string> values) { parameters[name] = std::move(values); }
  // Pending: New, InProgress, or Failed with a retry time.
  bool IsPending() const;
};

struct AdminResponse {
  NoteId note_id = 0;
  std::string unid;
  std::string request_unid;  // $Ref
  std::string type;
  std::string server;
  int attempt = 0;
  RequestStatus outcome = RequestStatus::kDone;  // kDone or kFailed
  std::string error;
  TimeMicros started = 0;
  TimeMicros finished = 0;
  std::map<std::string, std::string> results;
  std::map<std::string, std::string> binary_results;
};

// Note <-> struct conversions (exposed for tests and `notes db show`). FromNote returns
// InvalidArgument for a note of another form, Corruption for an unreadable field.
Note AdminRequestToNote(const AdminRequest& request);
Result<AdminRequest> AdminRequestFromNote(const Note& note);
Note AdminResponseToNote(const AdminResponse& response);
Result<AdminResponse> AdminResponseFromNote(const Note& note);

// ---- Retry rules ----------------------------------------------------------------------

struct RetryPolicy {
  int max_attempts = 5;
  // Back-off after the 1st, 2nd, ... failed attempt; the last value repeats.
  std::vector<int64_t> backoff_seconds = {60, 300, 1800, 7200};
};

// True for errors retrying cannot cure (see the top of this file).
bool IsPermanentError(const Status& error);

struct FailureDecision {
  bool retry = false;
  TimeMicros retry_at = 0;  // when retry
};
// What follows a failed attempt number `attempts` (1-based) that ended with `error` at
// `now`. Pure.
FailureDecision DecideAfterFailure(const RetryPolicy& policy, const Status& error, int attempts, TimeMicros now);

// Whether a request may begin an attempt now. Pure.
enum class BeginVerdict {
  kBegin,   // start (or restart an interrupted) attempt
  kNotDue,  // Failed and waiting for its retry time
  kGiveUp,  // interrupted too often: mark it finally Failed
  kClosed,  // Done or finally Failed: nothing to do
};
BeginVerdict CheckBegin(const AdminRequest& request, const RetryPolicy& policy, TimeMicros now, bool ignore_backoff);

// ---- The database ----------------------------------------------------------------------

// What a handler produced, stored with the outcome.
struct AttemptResults {
  std::map<std::string, std::string> results;
  std::map<std::string, std::string> binary_results;
  std::vector<AdminRequest> follow_ups;  // posted in the same transaction when Done
};

struct BeginOutcome {
  BeginVerdict verdict = BeginVerdict::kClosed;
  AdminRequest request;  // as stored after the call
};

class AdminRequestsDb {
 public:
  // Opens (creating if missing) admin4.nsf at `path`. AlreadyExists if this process has it
  // open (the server uses OpenAdminRequests). `clock` stamps notes; default the system clock.
  static Result<std::unique_ptr<AdminRequestsDb>> Open(const std::filesystem::path& path,
                                                       std::function<TimeMicros()> clock = nullptr);

  // Stores a new request: status New, no attempts. The type must be known
  // (InvalidArgument otherwise); its timing class comes from its RequestTypeInfo, and so
  // does proxy_action when zero. Returns it with its UNID and times.
  Result<AdminRequest> Post(const AdminRequest& request);
  // Stores many new requests in one transaction (all or none), each as Post would. With
  // a non-empty `batch_id` each gets the parameter kParamBatchId = batch_id, so that
  // BatchProgress can count them. Returns them in input order.
  Result<std::vector<AdminRequest>> PostMany(const std::vector<AdminRequest>& requests,
                                             const std::string& batch_id = "");
  // How far the requests of a batch have got: three key counts of ($BatchState), so a
  // poll costs the same for a batch of ten or of 100,000.
  struct BatchCounts {
    int total = 0;
    int done = 0;
    int failed = 0;   // finally failed (no retry time)
    int pending = 0;  // New, InProgress, or Failed and waiting for a retry
  };
  Result<BatchCounts> BatchProgress(std::string_view batch_id) const;
  // The requests of a batch, oldest first (one read transaction over ($ByBatch)); empty
  // for an unknown batch.
  Result<std::vector<AdminRequest>> InBatch(std::string_view batch_id) const;
  // The batch's requests that failed finally (no retry time), oldest first: read without
  // reading the rest of the batch.
  Result<std::vector<AdminRequest>> FinallyFailedInBatch(std::string_view batch_id) const;
  // One request of the batch (the one stored first), or nullopt for an unknown batch.
  Result<std::optional<AdminRequest>> FirstOfBatch(std::string_view batch_id) const;
  // NotFound naming the UNID; InvalidArgument for a malformed UNID or a UNID of a
  // response note.
  Result<AdminRequest> Get(std::string_view unid) const;
  // Oldest first. `status` nullopt: all.
  Result<std::vector<AdminRequest>> List(std::optional<RequestStatus> status = std::nullopt) const;
  Result<std::vector<AdminRequest>> Pending() const;
  // The pending requests in order, at most `limit`, from just after the one whose
  // position `after` names ("" = from the first); `next_after` is the position of the last
  // one returned, for the next page. So a pass over 100,000 requests holds one page.
  struct PendingPage {
    std::vector<AdminRequest> requests;
    std::string next_after;
  };
  Result<PendingPage> PendingAfter(std::string_view after, std::size_t limit) const;
  // Requests naming `target` (case-insensitive), oldest first.
  Result<std::vector<AdminRequest>> ForTarget(std::string_view target) const;
  // The response notes of a request, oldest first.
  Result<std::vector<AdminResponse>> Responses(std::string_view request_unid) const;

  // One transaction: applies CheckBegin; on kBegin marks the request InProgress with
  // attempts+1 and started=now; on kGiveUp marks it finally Failed with a response note
  // ("interrupted N times"). NotFound for an unknown UNID.
  Result<BeginOutcome> BeginAttempt(std::string_view unid, const RetryPolicy& policy, TimeMicros now,
                                    bool ignore_backoff);
  // BeginAttempt for many requests in ONE write transaction (AdminP's batches: one
  // commit, one fsync, for a chunk of requests). Element i is what BeginAttempt would
  // return for unids[i]; an unknown or malformed UNID fails only its own element. The
  // outer error (nothing begun) is a storage failure.
  Result<std::vector<Result<BeginOutcome>>> BeginAttempts(const std::vector<std::string>& unids,
                                                          const RetryPolicy& policy, TimeMicros now,
                                                          bool ignore_backoff);
  // One transaction: records the outcome of the attempt begun last. Ok `outcome`: Done,
  // results stored in a new response note, follow-ups posted, secrets removed. Error:
  // Failed with DecideAfterFailure's retry time, error kept, response note with the
  // error; secrets removed when the failure is final. InvalidArgument if the request is
  // not InProgress. Returns the response note.
  Result<AdminResponse> FinishAttempt(std::string_view unid, const Status& outcome, const AttemptResults& results,
                                      const RetryPolicy& policy, TimeMicros now);
  // FinishAttempt for many requests in ONE write transaction. Element i is the outcome
  // of attempts[i]: the response note and the request as stored afterwards (its
  // retry_at says whether a failure will be retried); a request that is unknown or not
  // InProgress fails only its own element. The outer error (nothing recorded: the
  // requests stay InProgress and are redone) is a storage failure.
  struct AttemptEnd {
    std::string unid;
    Status outcome;
    AttemptResults results;
  };
  struct FinishOutcome {
    AdminResponse response;
    AdminRequest request;
  };
  Result<std::vector<Result<FinishOutcome>>> FinishAttempts(const std::vector<AttemptEnd>& attempts,
                                                            const RetryPolicy& policy, TimeMicros now);

  NsfDatabase& Database() { return *db_; }

 private:
  explicit AdminRequestsDb(std::unique_ptr<NsfDatabase> db) : db_(std::move(db)) {}
  Result<std::vector<AdminRequest>> Collect(std::string_view view, std::optional<std::string> key) const;

  std::unique_ptr<NsfDatabase> db_;
};

// `<data_dir>/admin4.nsf` from the server's open databases (store/database_set.h),
// shared by AdminP, the CA task and the HTTP API: opened (created if missing) on first
// use. Errors as AdminRequestsDb::Open. Thread-safe.
Result<std::shared_ptr<AdminRequestsDb>> OpenAdminRequests(DatabaseSet& databases,
                                                           const std::filesystem::path& data_dir);

// ---- Handlers ---------------------------------------------------------------------------

// What a handler may use while it carries out a request. Borrowed references live for
// the call; `results` is the handler's output.
struct HandlerContext {
  std::filesystem::path data_dir;
  std::string server_name;               // canonical name of this server
  std::filesystem::path server_id_path;  // the server ID file (KeyFileName)
  const Clock* clock = nullptr;
  Logger* log = nullptr;
  std::shared_ptr<Directory> directory;
  // The server's open databases, for those a handler finds only as it goes (an ICL);
  // outlives the call.
  DatabaseSet* databases = nullptr;
  // The server's notes.ini as it is now (re-read at each call); null in tests that need
  // no configuration.
  std::function<NotesIni()> config;
  AttemptResults results;
};

// The outcome of one request of a batch: what Handle would have returned, and what it
// would have left in HandlerContext::results.
struct BatchOutcome {
  Status status;
  AttemptResults results;
};

// Carries out one type of request. Handle MUST be idempotent: it may run again for the
// same request after a crash or a retry, so it first looks for what an earlier run of
// the same request (same UNID) already made and finishes or reuses it, never doing the
// work twice. It returns Ok when the request is done; an error otherwise (see the retry
// rules at the top). It runs on AdminP's thread, one request (or one batch) at a time.
//
// Batches (optional): a handler whose MaxBatch() > 1 is given consecutive pending
// requests of its type in chunks of up to MaxBatch() through HandleBatch, so it can do
// the work of many requests in a few transactions (the Add Internet Certificate handler
// signs 10,000 certificates with a handful of LMDB commits per chunk). AdminP begins and
// finishes a chunk's attempts in one transaction each (BeginAttempts/FinishAttempts).
// Each request keeps its own outcome; the same idempotence rule applies to each.
class AdminRequestHandler {
 public:
  virtual ~AdminRequestHandler() = default;
  virtual std::string Type() const = 0;
  // Defaults from FindRequestType(Type()); Immediate for an unknown type.
  virtual TimingClass Timing() const;
  virtual Status Handle(const AdminRequest& request, HandlerContext& context) = 0;
  // The most requests HandleBatch takes at once; 1 (the default): no batching.
  virtual std::size_t MaxBatch() const { return 1; }
  // Carries out `requests` (all of this handler's type); returns exactly one outcome per
  // request, in order. `context.results` is not used (each outcome has its own). The
  // default runs Handle on each, with fresh results. Throwing fails the whole chunk
  // (AdminP records Internal for each and retries it).
  virtual std::vector<BatchOutcome> HandleBatch(std::span<const AdminRequest> requests, HandlerContext& context);
};

// Handlers by request type (case-insensitive). Thread-safe.
class AdminRequestHandlerRegistry {
 public:
  // AlreadyExists when a handler for the type is registered.
  Status Add(std::shared_ptr<AdminRequestHandler> handler);
  std::shared_ptr<AdminRequestHandler> Find(std::string_view type) const;
  std::vector<std::string> Types() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<AdminRequestHandler>> handlers_;
};

// "2026-11-29T01:51:33Z"; "" for 0.
std::string IsoTime(TimeMicros micros);

}  // namespace notesd
