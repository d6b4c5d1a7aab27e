// ldap/ldap_message.h — the pure LDAPv3 message pieces (RFC 4511): PDU framing with a size
// cap, request decoding and response encoding, all through OpenLDAP's liblber (never BER by
// hand). No sockets, no directory: bytes in, requests out; replies in, bytes out.
//
// Framing (PduReader): liblber's own ber_get_next over a memory Sockbuf, with
// LBER_SB_OPT_SET_MAX_INCOMING as the cap, so a length field of 2^31 is refused from its
// header alone and a session never buffers more than the cap plus one read.
//
// SECURITY: every byte given here is untrusted. Decoding is bounded: filters nest at most
// DecodeLimits::max_filter_depth deep, a request has at most max_attributes attribute names
// and max_controls controls; a bad message yields a Decoded with its problem and the fields
// read so far (the message id, when it was read, lets the session answer it).
//
// Thread safety: a PduReader belongs to one session; the free functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notesd::ldap {

// RFC 4511 4.1.9 (the codes this server sends).
enum class ResultCode : int {
  kSuccess = 0,
  kOperationsError = 1,
  kProtocolError = 2,
  kTimeLimitExceeded = 3,
  kSizeLimitExceeded = 4,
  kCompareFalse = 5,
  kAuthMethodNotSupported = 7,
  kUnavailableCriticalExtension = 12,
  kConfidentialityRequired = 13,
  kNoSuchObject = 32,
  kInvalidDnSyntax = 34,
  kInvalidCredentials = 49,
  kInsufficientAccessRights = 50,
  kBusy = 51,
  kUnavailable = 52,
  kUnwillingToPerform = 53,
  kOther = 80,
};

inline constexpr const char* kStartTlsOid = "1.3.6.1.4.1.1466.20037";
inline constexpr const char* kWhoAmIOid = "1.3.6.1.4.1.4203.1.11.3";
inline constexpr const char* kNoticeOfDisconnectionOid = "1.3.6.1.4.1.1466.20036";
inline constexpr const char* kPagedResultsOid = "1.2.840.113556.1.4.319";

struct Control {
  std::string oid;
  bool critical = false;
  std::optional<std::string> value;
};

enum class FilterType {
  kAnd,
  kOr,
  kNot,
  kEquality,
  kSubstrings,
  kGreaterOrEqual,
  kLessOrEqual,
  kPresent,
  kApprox,
  kExtensible
};

struct Filter {
  FilterType type = FilterType::kPresent;
  std::vector<Filter> children;  // and, or; not has exactly one
  std::string attribute;         // the attribute description as sent ("mail", "userCertificate;binary")
  std::string value;             // equality, >=, <=, approx; extensible's matchValue
  // Substrings: initial, any..., final (each optional but at least one part).
  std::optional<std::string> initial;
  std::vector<std::string> any;
  std::optional<std::string> final;
};

enum class Scope { kBase = 0, kOneLevel = 1, kSubtree = 2 };

struct SearchRequest {
  std::string base;
  Scope scope = Scope::kBase;
  int deref = 0;
  std::int64_t size_limit = 0;  // 0: none asked
  std::int64_t time_limit = 0;  // seconds; 0: none asked
  bool types_only = false;
  Filter filter;
  std::vector<std::string> attributes;
};

struct BindRequest {
  int version = 3;
  std::string name;
  bool simple = true;  // false: SASL (mechanism in sasl_mechanism)
  std::string password;
  std::string sasl_mechanism;
};

struct ExtendedRequest {
  std::string oid;
  std::optional<std::string> value;
};

enum class Operation {
  kUnknown,
  kBind,
  kUnbind,
  kSearch,
  kModify,
  kAdd,
  kDelete,
  kModifyDn,
  kCompare,
  kAbandon,
  kExtended
};

struct Request {
  std::int32_t message_id = -1;  // -1: not read
  Operation operation = Operation::kUnknown;
  BindRequest bind;
  SearchRequest search;
  std::int32_t abandon_id = 0;
  ExtendedRequest extended;
  std::vector<Control> controls;
};

struct DecodeLimits {
  int max_filter_depth = 64;
  std::size_t max_filter_terms = 1000;  // filter nodes in all
  std::size_t max_attributes = 256;
  std::size_t max_controls = 32;
};

struct Decoded {
  Request request;                               // as far as it was read
  std::optional<std::string> problem;            // why the message is bad; nullopt: good
  ResultCode code = ResultCode::kProtocolError;  // what to answer a bad message with
};

// Decodes one whole LDAPMessage (the SEQUENCE with its tag and length, as PduReader returns it).
Decoded DecodeRequest(std::string_view pdu, const DecodeLimits& limits = {});

// The response operation tag for a request (the LDAPResult it is answered with).
int ResponseTag(Operation operation);

// Incremental framing of the bytes a client sends into whole LDAPMessages.
class PduReader {
 public:
  explicit PduReader(std::size_t max_pdu_bytes = 1024 * 1024);
  ~PduReader();
  PduReader(const PduReader&) = delete;
  PduReader& operator=(const PduReader&) = delete;

  enum class Status { kNeedMore, kPdu, kTooBig, kMalformed };
  // Adds bytes received.
  void Feed(std::string_view bytes);
  // The next whole message, decoded into `decoded` (kPdu; it may still be a bad request:
  // see Decoded::problem), or why there is none. After kTooBig or kMalformed the stream
  // cannot be resynchronised: the session closes.
  Status Next(Decoded& decoded, const DecodeLimits& limits = {});
  // True when bytes are held that are not yet a whole message (or not yet framed).
  bool has_buffered() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string input_;
  std::size_t consumed_ = 0;
  std::size_t max_pdu_bytes_;
  bool partial_ = false;  // bytes of a message not yet whole were handed to liblber
};

// ---- Responses ---------------------------------------------------------------------

struct Attribute {
  std::string name;
  std::vector<std::string> values;
};

// An LDAPResult of operation `tag` (ResponseTag). `extra`: DER appended inside the result
// sequence (the extended response's name and value); `controls`: the response controls.
std::string EncodeResult(std::int32_t message_id, int tag, ResultCode code, std::string_view matched_dn,
                         std::string_view message, const std::vector<Control>& controls = {});
std::string EncodeExtendedResult(std::int32_t message_id, ResultCode code, std::string_view message,
                                 const std::optional<std::string>& oid, const std::optional<std::string>& value);
std::string EncodeSearchEntry(std::int32_t message_id, std::string_view dn, const std::vector<Attribute>& attributes,
                              bool types_only = false);
// The paged-results control value (RFC 2696): {size, cookie}.
std::string EncodePagedResultsValue(std::int64_t size, std::string_view cookie);
// Reads a paged-results control value; nullopt when malformed.
struct PagedResults {
  std::int64_t size = 0;
  std::string cookie;
};
std::optional<PagedResults> DecodePagedResultsValue(std::string_view value);

}  // namespace notesd::ldap
