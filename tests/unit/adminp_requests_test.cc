// Unit tests for directory/admin_requests.h: admin4.nsf's request notes, the state
// machine (New -> InProgress -> Done | Failed), the retry rules, responses chained by
// $Ref, and the handler registry.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "base/notes_ini.h"
#include "adminp/admin_requests.h"
#include "base/ascii.h"

using namespace notesd;

namespace {

constexpr TimeMicros kSecond = 1'000'000;
constexpr TimeMicros kT0 = 1'800'000'000 * kSecond;

struct TempAdmin4 {
  std::filesystem::path dir;
  std::unique_ptr<AdminRequestsDb> db;
  TempAdmin4() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          ("notesd-admin4-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(dir);
    auto opened = AdminRequestsDb::Open(dir / "admin4.nsf", [] { return kT0; });
    REQUIRE(opened.ok());
    db = std::move(opened).value();
  }
  ~TempAdmin4() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

AdminRequest CertifierRequest(const std::string& target = "CN=Acme-Corp-Email/O=Acme") {
  AdminRequest request;
  request.type = kRequestCreateInternetCertifier;
  request.author = "CN=Jane Admin/O=Acme";
  request.server = "CN=Acme01/O=Acme";
  request.target = target;
  request.SetParam("CommonName", "Acme-Corp-Email");
  request.SetParamList("CAAdministrators", {"CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"});
  request.secrets["CertifierPassword"] = std::string("\x30\x82\x00wrapped", 10);
  return request;
}

}  // namespace

TEST_CASE("a posted request is New, Interval for Create Internet Certifier, with Domino's item names", "[adminp]") {
  TempAdmin4 admin4;
  auto posted = admin4.db->Post(CertifierRequest());
  REQUIRE(posted.ok());
  CHECK(IsValidUnid(posted->unid));
  CHECK(posted->status == RequestStatus::kNew);
  CHECK(posted->timing == TimingClass::kInterval);
  CHECK(posted->proxy_action == 300);
  CHECK(posted->attempts == 0);
  CHECK(posted->ParamList("CAAdministrators").size() == 2);
  CHECK(posted->secrets.at("CertifierPassword").size() == 10);

  Note note = AdminRequestToNote(*posted);
  CHECK(note.form() == "AdminRequest");
  CHECK(note.GetText("ProxyActionName") == "Create Internet Certifier");
  CHECK(note.GetText("ProxyAuthor") == "CN=Jane Admin/O=Acme");
  CHECK(note.GetText("ProxyStatus") == "New");
  CHECK(note.GetText("Param_CommonName") == "Acme-Corp-Email");
  CHECK(note.GetBinary("Secret_CertifierPassword").size() == 10);

  AdminRequest unknown = CertifierRequest();
  unknown.type = "Launch Rockets";
  CHECK(admin4.db->Post(unknown).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("requests posted together keep their posting order in ($Requests) and ($Pending)", "[adminp]") {
  TempAdmin4 admin4;  // its clock stands still: every request has the same created time
  std::vector<AdminRequest> requests;
  for (int i = 0; i < 40; ++i) requests.push_back(CertifierRequest("CN=Certifier " + std::to_string(i) + "/O=Acme"));
  auto posted = admin4.db->PostMany(requests, "order");
  REQUIRE(posted.ok());
  auto pending = admin4.db->Pending();
  auto all = admin4.db->List();
  REQUIRE(pending.ok());
  REQUIRE(all.ok());
  REQUIRE(pending->size() == requests.size());
  REQUIRE(all->size() == requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    CHECK((*pending)[i].target == requests[i].target);
    CHECK((*all)[i].target == requests[i].target);
  }
  auto counts = admin4.db->BatchProgress("order");
  REQUIRE(counts.ok());
  CHECK(counts->total == 40);
  CHECK(counts->pending == 40);
}

TEST_CASE("pending requests are read a page at a time, each once, in posting order", "[adminp]") {
  TempAdmin4 admin4;
  std::vector<AdminRequest> requests;
  for (int i = 0; i < 5; ++i) requests.push_back(CertifierRequest("CN=Certifier " + std::to_string(i) + "/O=Acme"));
  REQUIRE(admin4.db->PostMany(requests, "paged").ok());

  std::vector<std::string> seen;
  auto page = admin4.db->PendingAfter("", 2);
  REQUIRE(page.ok());
  REQUIRE(page->requests.size() == 2);
  for (const AdminRequest& request : page->requests) seen.push_back(request.target);
  // A request of the first page that is done meanwhile changes nothing for the next one.
  REQUIRE(admin4.db->BeginAttempt(page->requests.front().unid, RetryPolicy{}, kT0, false).ok());
  REQUIRE(admin4.db->FinishAttempt(page->requests.front().unid, Status::Ok(), {}, RetryPolicy{}, kT0).ok());
  std::string after = page->next_after;
  while (true) {
    auto next = admin4.db->PendingAfter(after, 2);
    REQUIRE(next.ok());
    if (next->requests.empty()) break;
    CHECK(next->requests.size() <= 2);
    for (const AdminRequest& request : next->requests) seen.push_back(request.target);
    after = next->next_after;
  }
  REQUIRE(seen.size() == requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) CHECK(seen[i] == requests[i].target);
  CHECK(admin4.db->PendingAfter("", 10)->requests.size() == 4);
}

TEST_CASE("batch progress: counts by state, the final failures and the batch's first request", "[adminp]") {
  TempAdmin4 admin4;
  RetryPolicy policy;
  std::vector<AdminRequest> requests;
  for (int i = 0; i < 4; ++i) requests.push_back(CertifierRequest("CN=Batch " + std::to_string(i) + "/O=Acme"));
  auto posted = admin4.db->PostMany(requests, "b1");
  REQUIRE(posted.ok());
  REQUIRE(admin4.db->PostMany({CertifierRequest("CN=Other/O=Acme")}, "b2").ok());
  const std::vector<AdminRequest>& batch = *posted;
  // 0 done, 1 failed finally (a permanent error), 2 failed with a retry, 3 still New.
  for (int i = 0; i < 3; ++i) REQUIRE(admin4.db->BeginAttempt(batch[i].unid, policy, kT0, false).ok());
  REQUIRE(admin4.db->FinishAttempt(batch[0].unid, Status::Ok(), {}, policy, kT0).ok());
  REQUIRE(admin4.db->FinishAttempt(batch[1].unid, Status::InvalidArgument("no such person"), {}, policy, kT0).ok());
  REQUIRE(admin4.db->FinishAttempt(batch[2].unid, Status::Unavailable("certifier not active"), {}, policy, kT0).ok());

  auto counts = admin4.db->BatchProgress("b1");
  REQUIRE(counts.ok());
  CHECK(counts->total == 4);
  CHECK(counts->done == 1);
  CHECK(counts->failed == 1);
  CHECK(counts->pending == 2);  // the one waiting for its retry and the New one

  auto failed = admin4.db->FinallyFailedInBatch("b1");
  REQUIRE(failed.ok());
  REQUIRE(failed->size() == 1);
  CHECK((*failed)[0].unid == batch[1].unid);
  CHECK((*failed)[0].error.find("no such person") != std::string::npos);

  auto first = admin4.db->FirstOfBatch("b1");
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->unid == batch[0].unid);
  auto unknown = admin4.db->FirstOfBatch("nope");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
  auto none = admin4.db->BatchProgress("nope");
  REQUIRE(none.ok());
  CHECK(none->total == 0);
}

TEST_CASE("state machine: New -> InProgress -> Done, with a response note chained by $Ref", "[adminp]") {
  TempAdmin4 admin4;
  RetryPolicy policy;
  auto posted = admin4.db->Post(CertifierRequest());
  REQUIRE(posted.ok());

  auto begun = admin4.db->BeginAttempt(posted->unid, policy, kT0, false);
  REQUIRE(begun.ok());
  CHECK(begun->verdict == BeginVerdict::kBegin);
  CHECK(begun->request.status == RequestStatus::kInProgress);
  CHECK(begun->request.attempts == 1);
  CHECK(begun->request.started == kT0);
  CHECK(admin4.db->List(RequestStatus::kInProgress)->size() == 1);

  AttemptResults results;
  results.results["CertifierName"] = "CN=Acme-Corp-Email/O=Acme";
  results.binary_results["LocalCopyID"] = "NOTESDID...";
  auto response = admin4.db->FinishAttempt(posted->unid, Status::Ok(), results, policy, kT0 + 5 * kSecond);
  REQUIRE(response.ok());
  CHECK(response->request_unid == posted->unid);
  CHECK(response->outcome == RequestStatus::kDone);
  CHECK(response->attempt == 1);

  auto done = admin4.db->Get(posted->unid);
  REQUIRE(done.ok());
  CHECK(done->status == RequestStatus::kDone);
  CHECK(done->finished == kT0 + 5 * kSecond);
  CHECK(done->secrets.empty());  // passwords are gone once the request is done
  CHECK(done->last_response_unid == response->unid);
  CHECK_FALSE(done->IsPending());
  CHECK(admin4.db->Pending()->empty());

  auto responses = admin4.db->Responses(posted->unid);
  REQUIRE(responses.ok());
  REQUIRE(responses->size() == 1);
  CHECK(responses->front().results.at("CertifierName") == "CN=Acme-Corp-Email/O=Acme");
  CHECK(responses->front().binary_results.at("LocalCopyID") == "NOTESDID...");
  CHECK(AdminResponseToNote(responses->front()).GetText("$Ref") == posted->unid);

  // A done request is closed: no second attempt, and finishing it again is refused.
  CHECK(admin4.db->BeginAttempt(posted->unid, policy, kT0, true)->verdict == BeginVerdict::kClosed);
  CHECK(admin4.db->FinishAttempt(posted->unid, Status::Ok(), {}, policy, kT0).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("retry rules: permanent errors fail at once, transient ones back off until the attempt limit", "[adminp]") {
  RetryPolicy policy;  // 5 attempts; 60, 300, 1800, 7200 s
  struct Row {
    Status error;
    int attempts;
    bool retry;
    int64_t delay_seconds;
  };
  auto row = GENERATE(values<Row>({
      {Status::InvalidArgument("bad name"), 1, false, 0},
      {Status::AlreadyExists("exists"), 1, false, 0},
      {Status::NotFound("no such person"), 1, false, 0},
      {Status::PermissionDenied("not a CAA"), 1, false, 0},
      {Status::Corruption("bad note"), 1, false, 0},
      {Status::Unavailable("certifier inactive"), 1, true, 60},
      {Status::IOError("disk full"), 2, true, 300},
      {Status::Internal("bug"), 3, true, 1800},
      {Status::Unavailable("x"), 4, true, 7200},
      {Status::Unavailable("x"), 5, false, 0},  // the limit
      {Status::Unavailable("x"), 9, false, 0},
  }));
  CAPTURE(row.error.ToString(), row.attempts);
  FailureDecision decision = DecideAfterFailure(policy, row.error, row.attempts, kT0);
  CHECK(decision.retry == row.retry);
  if (row.retry) CHECK(decision.retry_at == kT0 + row.delay_seconds * kSecond);

  RetryPolicy long_policy;
  long_policy.max_attempts = 10;
  CHECK(DecideAfterFailure(long_policy, Status::Unavailable("x"), 8, kT0).retry_at ==
        kT0 + 7200 * kSecond);  // last repeats
}

TEST_CASE("CheckBegin: which requests may start an attempt", "[adminp]") {
  RetryPolicy policy;
  struct Row {
    RequestStatus status;
    int attempts;
    TimeMicros retry_at;
    bool ignore_backoff;
    BeginVerdict verdict;
  };
  auto row = GENERATE(values<Row>({
      {RequestStatus::kNew, 0, 0, false, BeginVerdict::kBegin},
      {RequestStatus::kInProgress, 1, 0, false, BeginVerdict::kBegin},   // interrupted: redo
      {RequestStatus::kInProgress, 5, 0, false, BeginVerdict::kGiveUp},  // interrupted too often
      {RequestStatus::kFailed, 1, kT0 + kSecond, false, BeginVerdict::kNotDue},
      {RequestStatus::kFailed, 1, kT0 + kSecond, true, BeginVerdict::kBegin},
      {RequestStatus::kFailed, 1, kT0 - kSecond, false, BeginVerdict::kBegin},
      {RequestStatus::kFailed, 2, 0, true, BeginVerdict::kClosed},  // final failure
      {RequestStatus::kDone, 1, 0, true, BeginVerdict::kClosed},
  }));
  AdminRequest request;
  request.status = row.status;
  request.attempts = row.attempts;
  request.retry_at = row.retry_at;
  CAPTURE(RequestStatusName(row.status), row.attempts, row.ignore_backoff);
  CHECK(CheckBegin(request, policy, kT0, row.ignore_backoff) == row.verdict);
}

TEST_CASE("a transient failure is retried after its back-off, then given up at the limit", "[adminp]") {
  TempAdmin4 admin4;
  RetryPolicy policy;
  policy.max_attempts = 2;
  auto posted = admin4.db->Post(CertifierRequest());
  REQUIRE(posted.ok());

  REQUIRE(admin4.db->BeginAttempt(posted->unid, policy, kT0, false)->verdict == BeginVerdict::kBegin);
  REQUIRE(admin4.db->FinishAttempt(posted->unid, Status::Unavailable("certifier not active"), {}, policy, kT0).ok());
  auto failed = admin4.db->Get(posted->unid);
  CHECK(failed->status == RequestStatus::kFailed);
  CHECK(failed->retry_at == kT0 + 60 * kSecond);
  CHECK(failed->error == "certifier not active");
  CHECK(failed->secrets.size() == 1);  // kept for the retry
  CHECK(failed->IsPending());
  CHECK(admin4.db->Pending()->size() == 1);

  CHECK(admin4.db->BeginAttempt(posted->unid, policy, kT0 + 30 * kSecond, false)->verdict == BeginVerdict::kNotDue);
  REQUIRE(admin4.db->BeginAttempt(posted->unid, policy, kT0 + 61 * kSecond, false)->verdict == BeginVerdict::kBegin);
  REQUIRE(
      admin4.db->FinishAttempt(posted->unid, Status::Unavailable("still not"), {}, policy, kT0 + 62 * kSecond).ok());
  auto final_failure = admin4.db->Get(posted->unid);
  CHECK(final_failure->status == RequestStatus::kFailed);
  CHECK(final_failure->retry_at == 0);
  CHECK(final_failure->secrets.empty());
  CHECK(admin4.db->Pending()->empty());
  CHECK(admin4.db->List(RequestStatus::kFailed)->size() == 1);
  CHECK(admin4.db->Responses(posted->unid)->size() == 2);
}

TEST_CASE("an interrupted attempt (a crash while InProgress) is redone, and counts against the limit", "[adminp]") {
  TempAdmin4 admin4;
  RetryPolicy policy;
  policy.max_attempts = 3;
  auto posted = admin4.db->Post(CertifierRequest());
  REQUIRE(posted.ok());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto begun = admin4.db->BeginAttempt(posted->unid, policy, kT0, false);  // ...and the server dies
    REQUIRE(begun.ok());
    CHECK(begun->verdict == BeginVerdict::kBegin);
    CHECK(begun->request.attempts == attempt);
    CHECK(admin4.db->Pending()->size() == 1);  // never lost
  }
  auto gave_up = admin4.db->BeginAttempt(posted->unid, policy, kT0, false);
  REQUIRE(gave_up.ok());
  CHECK(gave_up->verdict == BeginVerdict::kGiveUp);
  CHECK(gave_up->request.status == RequestStatus::kFailed);
  CHECK(gave_up->request.retry_at == 0);
  CHECK_THAT(gave_up->request.error, Catch::Contains("gave up after 3 attempts"));
  CHECK(admin4.db->Responses(posted->unid)->size() == 1);
}

TEST_CASE("follow-up requests are posted in the same transaction as Done", "[adminp]") {
  TempAdmin4 admin4;
  RetryPolicy policy;
  auto posted = admin4.db->Post(CertifierRequest());
  REQUIRE(admin4.db->BeginAttempt(posted->unid, policy, kT0, false).ok());
  AttemptResults results;
  AdminRequest follow_up;
  follow_up.type = kRequestModifyCaConfiguration;
  follow_up.target = "CN=Acme-Corp-Email/O=Acme";
  follow_up.timing = TimingClass::kImmediate;
  results.follow_ups.push_back(follow_up);
  REQUIRE(admin4.db->FinishAttempt(posted->unid, Status::Ok(), results, policy, kT0).ok());
  auto for_target = admin4.db->ForTarget("cn=acme-corp-email/o=acme");
  REQUIRE(for_target.ok());
  REQUIRE(for_target->size() == 2);
  CHECK(for_target->at(1).type == kRequestModifyCaConfiguration);
  CHECK(for_target->at(1).status == RequestStatus::kNew);
}

TEST_CASE("requests are listed oldest first and by status; bad UNIDs are refused", "[adminp]") {
  TempAdmin4 admin4;
  auto first = admin4.db->Post(CertifierRequest("CN=One/O=Acme"));
  auto second = admin4.db->Post(CertifierRequest("CN=Two/O=Acme"));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  auto all = admin4.db->List();
  REQUIRE(all->size() == 2);
  CHECK(admin4.db->List(RequestStatus::kNew)->size() == 2);
  CHECK(admin4.db->List(RequestStatus::kDone)->empty());
  CHECK(admin4.db->Get("nonsense").status().code() == StatusCode::kInvalidArgument);
  CHECK(admin4.db->Get(std::string(32, 'A')).status().code() == StatusCode::kNotFound);
  CHECK(admin4.db->Get(ToLowerAscii(first->unid)).ok());
}

TEST_CASE("status and timing names parse case-insensitively", "[adminp]") {
  CHECK(*ParseRequestStatus("inprogress") == RequestStatus::kInProgress);
  CHECK(*ParseTimingClass("DAILY") == TimingClass::kDaily);
  CHECK_FALSE(ParseRequestStatus("Maybe").ok());
  CHECK(FindRequestType("add internet certificate to person record")->updates_person_documents);
  CHECK(FindRequestType("nothing") == nullptr);
}

namespace {
class NamedHandler : public AdminRequestHandler {
 public:
  explicit NamedHandler(std::string type) : type_(std::move(type)) {}
  std::string Type() const override { return type_; }
  Status Handle(const AdminRequest&, HandlerContext&) override { return Status::Ok(); }

 private:
  std::string type_;
};
}  // namespace

TEST_CASE("the handler registry finds handlers by type and refuses duplicates", "[adminp]") {
  AdminRequestHandlerRegistry registry;
  REQUIRE(registry.Add(std::make_shared<NamedHandler>(kRequestCreateInternetCertifier)).ok());
  CHECK(registry.Add(std::make_shared<NamedHandler>("create internet certifier")).code() == StatusCode::kAlreadyExists);
  CHECK(registry.Find("CREATE INTERNET CERTIFIER") != nullptr);
  CHECK(registry.Find("Rename Person") == nullptr);
  CHECK(registry.Find(kRequestCreateInternetCertifier)->Timing() == TimingClass::kInterval);
}
