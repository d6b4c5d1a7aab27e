// adminp/adminp_task.h — the Administration Process (AdminP), task name "AdminP".
//
// Owns: working the requests in admin4.nsf (directory/admin_requests.h) on Domino's
// schedule (adminp_schedule.h) and on TELL ADMINP PROCESS ..., one request at a time,
// each by the AdminRequestHandler registered for its type (the CA task's handlers are
// wired in by server/builtin_tasks.cc). Delegates the work itself to the handlers and
// the storage to AdminRequestsDb. Reads names.nsf (SHOW DATABASES) and the server ID
// path; writes admin4.nsf.
//
// notes.ini keys (re-read at every poll; no restart needed):
//   AdminPInterval (60)  minutes between Interval passes (Domino's default Interval)
//   AdminPModifyPersonDocumentsAt (0)  hour of the Daily pass, local time
//   AdminP_Interval_Seconds (0)  notesd, for tests: when > 0, the Interval period in
//                                seconds, overriding AdminPInterval
//   AdminP_MaxAttempts (5)  attempts before a failing request is given up
// TELL ADMINP commands (words may be abbreviated):
//   PROCESS ALL        immediate, interval, daily and delayed requests, now (retry
//                      back-off ignored, the attempt limit kept)
//   PROCESS NEW        requests never attempted, of every timing class
//   PROCESS PEOPLE     requests that update Person documents
//   PROCESS INTERVAL   immediate and interval requests
//   PROCESS DAILY | DELAYED | TIME   that timing class
//   SHOW DATABASES     the databases this server's AdminP works on
//   SHOW REQUESTS [PENDING|FAILED|DONE|ALL]   requests with status, attempts, errors
//                      (default: every request not Done)
//   HELP               this list; QUIT (handled by the server core) stops AdminP
// A TELL ADMINP PROCESS command runs the pass on the calling console thread and answers
// with its summary; the scheduled passes run on AdminP's "scheduler" worker (the server's
// worker facility, task/task_worker.h: an exception there stops AdminP alone). Passes never
// overlap. At start AdminP works every class once, as Domino does after a restart, so a
// request interrupted by a crash is finished then.
// Crash safety: BeginAttempt (InProgress, attempt+1) and FinishAttempt (Done or Failed
// with the response note) are one transaction each; handlers are idempotent.
// TEST ONLY: NOTESD_TEST_ADMINP_PAUSE_MS=<n> in the environment makes AdminP sleep n ms
// after marking each request InProgress and before its handler runs (logged), so a test
// can kill the server mid-request. Never set it in production.
// SECURITY: requests come only from admin4.nsf, written by the HTTP API for
// authenticated administrators (the author is the caller's verified name). Secret
// parameters stay CMS-enveloped to the server ID and are deleted when the request ends.
// Logs: "Admin Process: Searching Administration Requests database" for each pass that is
// not a bare immediate poll, one line per request begun and finished, pass summaries.
// Requests of a batching handler (AdminRequestHandler::MaxBatch, e.g. 10,000 "Add
// Internet Certificate to Person Record" requests posted at once) are worked in chunks:
// two lines per chunk plus one per failed request, and one admin4.nsf transaction to
// begin and one to finish each chunk.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "task/task.h"
#include "adminp/admin_requests.h"

namespace notesd {

std::span<const ConfigKey> AdminPConfigKeys();
// `handlers` is shared with whoever registers handlers (builtin_tasks.cc).
TaskSpec AdminPTaskSpec(std::shared_ptr<AdminRequestHandlerRegistry> handlers);

// Which requests a pass works on.
struct PassSelection {
  std::set<TimingClass> classes;
  bool only_new = false;        // never attempted
  bool only_people = false;     // types that update Person documents
  bool ignore_backoff = false;  // retry Failed requests before their retry time
  bool announce = true;         // log "Searching Administration Requests database"
};
// ALL, NEW, PEOPLE, INTERVAL, DAILY, DELAYED, TIME (abbreviations allowed). InvalidArgument
// naming the choices otherwise.
Result<PassSelection> ParseProcessSelection(std::string_view word);

struct PassSummary {
  int begun = 0;
  int done = 0;
  int failed = 0;            // finally failed
  int retrying = 0;          // failed, will be retried
  std::string Text() const;  // "Admin Process: Processed 1 request(s): 1 done, 0 failed, 0 to retry"
};

// Works requests: the engine behind the task, usable on its own in tests. Thread-safe:
// passes are serialised by an internal mutex.
class AdminProcessor {
 public:
  struct Environment {
    std::shared_ptr<AdminRequestsDb> requests;
    std::shared_ptr<AdminRequestHandlerRegistry> handlers;
    HandlerContext handler_context;  // copied for each request (results start empty)
    RetryPolicy retry;
    // Called after a request was marked InProgress, before its handler (test hook); for
    // a chunk of batched requests, once, with the chunk's first request.
    std::function<void(const AdminRequest&)> after_begin;
    // Checked between requests; true stops the pass early.
    std::function<bool()> stopping;
    // Pending requests read from admin4.nsf at a time in a pass: what a pass holds.
    std::size_t pass_page_size = 2048;
  };
  explicit AdminProcessor(Environment environment) : env_(std::move(environment)) {}

  // Works every pending request that `selection` picks, oldest first, at time `now`
  // (microseconds). Errors of single requests are recorded in them, never returned;
  // only a failure to read admin4.nsf is an error. Consecutive selected requests whose
  // handler batches (MaxBatch() > 1) are worked in chunks of up to MaxBatch(): one
  // BeginAttempts and one FinishAttempts transaction per chunk, HandleBatch in between,
  // and the log says "Performing N '<type>' request(s) ..." and "Performed N ...: D done,
  // F failed" per chunk plus one line per failed request.
  Result<PassSummary> RunPass(const PassSelection& selection, TimeMicros now);
  void SetRetryPolicy(const RetryPolicy& policy);
  // Describes what the processor is doing ("Idle", "Processing ...") for SHOW TASKS.
  std::string Activity() const;

 private:
  bool Selected(const AdminRequest& request, const PassSelection& selection) const;
  // Works the requests of one page of a pass, chunk by chunk.
  void ProcessPage(const std::vector<AdminRequest>& pending, const PassSelection& selection, TimeMicros now,
                   PassSummary& summary);
  // Begins, runs and finishes a chunk of requests of one type: one transaction begins
  // them all, the handler runs them (HandleBatch; a handler that does not batch gets a
  // chunk of one), one transaction finishes them all. `handler` null: each fails with
  // "no handler". Updates `summary`.
  void ProcessChunk(const std::vector<AdminRequest>& chunk, AdminRequestHandler* handler,
                    const PassSelection& selection, TimeMicros now, PassSummary& summary);
  // The requests of `chunk` now InProgress (those given up are counted and logged).
  std::vector<AdminRequest> BeginChunk(const std::vector<AdminRequest>& chunk, const PassSelection& selection,
                                       TimeMicros now, bool itemised, PassSummary& summary);
  // One outcome per request of `running`; a throwing handler fails them all (Internal).
  std::vector<BatchOutcome> RunHandler(const std::vector<AdminRequest>& running, AdminRequestHandler* handler);
  void Log(const std::string& message) const;
  void SetActivity(std::string activity);

  Environment env_;
  std::mutex pass_mutex_;
  mutable std::mutex state_mutex_;
  std::string activity_ = "Idle";
};

}  // namespace notesd
