#include "ldap/ldap_message.h"

#include <lber.h>
#include <ldap.h>

#include <cerrno>
#include <cstring>

namespace notesd::ldap {

namespace {

struct BerFree {
  void operator()(BerElement* ber) const { ber_free(ber, 1); }
};
using BerPtr = std::unique_ptr<BerElement, BerFree>;

// A liblber decoder over `bytes` (copied by ber_init). Positions are counted as the bytes
// remaining, which liblber reports, so a constructed element's end is checked exactly.
class Reader {
 public:
  explicit Reader(std::string_view bytes) {
    if (bytes.empty()) return;  // liblber has no empty element to read from
    berval bv{static_cast<ber_len_t>(bytes.size()), const_cast<char*>(bytes.data())};
    ber_.reset(ber_init(&bv));
  }
  // Takes `ber` (as ber_get_next left it).
  explicit Reader(BerElement* ber) : ber_(ber) {}
  bool valid() const { return ber_ != nullptr; }

  ber_len_t Remaining() const {
    ber_len_t left = 0;
    ber_get_option(ber_.get(), LBER_OPT_BER_REMAINING_BYTES, &left);
    return left;
  }
  ber_tag_t PeekTag() {
    ber_len_t len = 0;
    return ber_peek_tag(ber_.get(), &len);
  }
  // Enters a constructed element with tag `tag`; `end` receives the remaining count at its end.
  bool Enter(ber_tag_t tag, ber_len_t& end) {
    ber_len_t len = 0;
    if (ber_skip_tag(ber_.get(), &len) != tag) return false;
    ber_len_t left = Remaining();
    if (len > left) return false;
    end = left - len;
    return true;
  }
  bool More(ber_len_t end) const { return Remaining() > end; }
  bool AtEnd(ber_len_t end) const { return Remaining() == end; }

  bool String(ber_tag_t tag, std::string& out) {
    if (PeekTag() != tag) return false;
    berval bv{0, nullptr};
    if (ber_get_stringbv(ber_.get(), &bv, LBER_BV_NOTERM) == LBER_DEFAULT) return false;
    out.assign(bv.bv_val != nullptr ? bv.bv_val : "", bv.bv_len);
    return true;
  }
  bool Int(ber_tag_t tag, ber_int_t& out) {
    if (PeekTag() != tag) return false;
    return ber_get_int(ber_.get(), &out) == tag;
  }
  bool Bool(bool& out) {
    if (PeekTag() != LBER_BOOLEAN) return false;
    ber_int_t b = 0;
    if (ber_get_boolean(ber_.get(), &b) != LBER_BOOLEAN) return false;
    out = b != 0;
    return true;
  }
  // Skips one element whatever it is.
  bool SkipElement() {
    berval bv{0, nullptr};
    return ber_skip_element(ber_.get(), &bv) != LBER_DEFAULT;
  }
  BerElement* get() { return ber_.get(); }

 private:
  BerPtr ber_;
};

class FilterDecoder {
 public:
  FilterDecoder(Reader& in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  // Decodes one Filter; sets problem_ on failure.
  bool Decode(Filter& out, int depth) {
    if (depth > limits_.max_filter_depth)
      return Fail("filter nested deeper than " + std::to_string(limits_.max_filter_depth),
                  ResultCode::kUnwillingToPerform);
    if (++terms_ > limits_.max_filter_terms) return Fail("filter has too many terms", ResultCode::kUnwillingToPerform);
    ber_tag_t tag = in_.PeekTag();
    ber_len_t end = 0;
    switch (tag) {
      case LDAP_FILTER_AND:
      case LDAP_FILTER_OR:
      case LDAP_FILTER_NOT: {
        out.type = tag == LDAP_FILTER_AND  ? FilterType::kAnd
                   : tag == LDAP_FILTER_OR ? FilterType::kOr
                                           : FilterType::kNot;
        if (!in_.Enter(tag, end)) return Fail("bad filter set");
        while (in_.More(end)) {
          out.children.emplace_back();
          if (!Decode(out.children.back(), depth + 1)) return false;
        }
        if (!in_.AtEnd(end)) return Fail("filter set overruns its length");
        if (out.type == FilterType::kNot && out.children.size() != 1) return Fail("not must hold one filter");
        return true;
      }
      case LDAP_FILTER_EQUALITY:
      case LDAP_FILTER_GE:
      case LDAP_FILTER_LE:
      case LDAP_FILTER_APPROX:
        out.type = tag == LDAP_FILTER_EQUALITY ? FilterType::kEquality
                   : tag == LDAP_FILTER_GE     ? FilterType::kGreaterOrEqual
                   : tag == LDAP_FILTER_LE     ? FilterType::kLessOrEqual
                                               : FilterType::kApprox;
        if (!in_.Enter(tag, end) || !in_.String(LBER_OCTETSTRING, out.attribute) ||
            !in_.String(LBER_OCTETSTRING, out.value) || !in_.AtEnd(end))
          return Fail("bad attribute value assertion");
        return true;
      case LDAP_FILTER_PRESENT:
        out.type = FilterType::kPresent;
        if (!in_.String(LDAP_FILTER_PRESENT, out.attribute)) return Fail("bad present filter");
        return true;
      case LDAP_FILTER_SUBSTRINGS: {
        out.type = FilterType::kSubstrings;
        ber_len_t parts_end = 0;
        if (!in_.Enter(tag, end) || !in_.String(LBER_OCTETSTRING, out.attribute) ||
            !in_.Enter(LBER_SEQUENCE, parts_end))
          return Fail("bad substrings filter");
        std::size_t parts = 0;
        while (in_.More(parts_end)) {
          ber_tag_t part = in_.PeekTag();
          std::string text;
          if (!in_.String(part, text)) return Fail("bad substring");
          if (++terms_ > limits_.max_filter_terms)
            return Fail("filter has too many terms", ResultCode::kUnwillingToPerform);
          if (part == LDAP_SUBSTRING_INITIAL && parts == 0 && !out.initial) {
            out.initial = std::move(text);
          } else if (part == LDAP_SUBSTRING_ANY && !out.final) {
            out.any.push_back(std::move(text));
          } else if (part == LDAP_SUBSTRING_FINAL && !out.final) {
            out.final = std::move(text);
          } else {
            return Fail("substrings out of order");
          }
          ++parts;
        }
        if (parts == 0 || !in_.AtEnd(parts_end) || !in_.AtEnd(end)) return Fail("bad substrings filter");
        return true;
      }
      case LDAP_FILTER_EXT: {
        out.type = FilterType::kExtensible;
        if (!in_.Enter(tag, end)) return Fail("bad extensible filter");
        while (in_.More(end)) {
          ber_tag_t part = in_.PeekTag();
          std::string text;
          if (part == LDAP_FILTER_EXT_DNATTRS) {
            if (!in_.SkipElement()) return Fail("bad extensible filter");
            continue;
          }
          if (!in_.String(part, text)) return Fail("bad extensible filter");
          if (part == LDAP_FILTER_EXT_TYPE)
            out.attribute = std::move(text);
          else if (part == LDAP_FILTER_EXT_VALUE)
            out.value = std::move(text);
        }
        if (!in_.AtEnd(end)) return Fail("bad extensible filter");
        return true;
      }
      default: return Fail("unknown filter choice");
    }
  }

  bool Fail(std::string why, ResultCode code = ResultCode::kProtocolError) {
    if (!problem_) {
      problem_ = std::move(why);
      code_ = code;
    }
    return false;
  }
  std::optional<std::string> problem_;
  ResultCode code_ = ResultCode::kProtocolError;

 private:
  Reader& in_;
  const DecodeLimits& limits_;
  std::size_t terms_ = 0;
};

bool DecodeSearch(Reader& in, ber_len_t end, SearchRequest& search, const DecodeLimits& limits, Decoded& out) {
  ber_int_t scope = 0, deref = 0, size = 0, time = 0;
  bool types_only = false;
  if (!in.String(LBER_OCTETSTRING, search.base) || !in.Int(LBER_ENUMERATED, scope) || !in.Int(LBER_ENUMERATED, deref) ||
      !in.Int(LBER_INTEGER, size) || !in.Int(LBER_INTEGER, time) || !in.Bool(types_only)) {
    out.problem = "bad search request";
    return false;
  }
  if (scope < 0 || scope > 2 || size < 0 || time < 0) {
    out.problem = "bad search scope or limits";
    return false;
  }
  search.scope = static_cast<Scope>(scope);
  search.deref = deref;
  search.size_limit = size;
  search.time_limit = time;
  search.types_only = types_only;
  FilterDecoder filters(in, limits);
  if (!filters.Decode(search.filter, 1)) {
    out.problem = filters.problem_;
    out.code = filters.code_;
    return false;
  }
  ber_len_t attrs_end = 0;
  if (!in.Enter(LBER_SEQUENCE, attrs_end)) {
    out.problem = "bad attribute list";
    return false;
  }
  while (in.More(attrs_end)) {
    std::string name;
    if (!in.String(LBER_OCTETSTRING, name) || search.attributes.size() >= limits.max_attributes) {
      out.problem = "bad attribute list";
      return false;
    }
    search.attributes.push_back(std::move(name));
  }
  if (!in.AtEnd(attrs_end) || !in.AtEnd(end)) {
    out.problem = "search request overruns its length";
    return false;
  }
  return true;
}

bool DecodeControls(Reader& in, std::vector<Control>& controls, const DecodeLimits& limits) {
  ber_len_t end = 0;
  if (!in.Enter(LDAP_TAG_CONTROLS, end)) return false;
  while (in.More(end)) {
    ber_len_t control_end = 0;
    if (controls.size() >= limits.max_controls || !in.Enter(LBER_SEQUENCE, control_end)) return false;
    Control control;
    if (!in.String(LBER_OCTETSTRING, control.oid)) return false;
    if (in.More(control_end) && in.PeekTag() == LBER_BOOLEAN && !in.Bool(control.critical)) return false;
    if (in.More(control_end)) {
      std::string value;
      if (!in.String(LBER_OCTETSTRING, value)) return false;
      control.value = std::move(value);
    }
    if (!in.AtEnd(control_end)) return false;
    controls.push_back(std::move(control));
  }
  return in.AtEnd(end);
}

}  // namespace

namespace {

// The LDAPMessage's contents, from the message id to `message_end`.
Decoded DecodeBody(Reader& in, ber_len_t message_end, const DecodeLimits& limits) {
  Decoded out;
  Request& request = out.request;
  ber_int_t id = 0;
  if (!in.Int(LDAP_TAG_MSGID, id) || id < 0) {
    out.problem = "not an LDAPMessage";
    return out;
  }
  request.message_id = id;
  ber_tag_t tag = in.PeekTag();
  ber_len_t end = 0;
  switch (tag) {
    case LDAP_REQ_BIND: {
      request.operation = Operation::kBind;
      ber_int_t version = 0;
      if (!in.Enter(tag, end) || !in.Int(LBER_INTEGER, version) || !in.String(LBER_OCTETSTRING, request.bind.name)) {
        out.problem = "bad bind request";
        return out;
      }
      request.bind.version = version;
      ber_tag_t auth = in.PeekTag();
      if (auth == LDAP_AUTH_SIMPLE) {
        if (!in.String(auth, request.bind.password)) out.problem = "bad simple credentials";
      } else if (auth == LDAP_AUTH_SASL) {
        request.bind.simple = false;
        ber_len_t sasl_end = 0;
        if (!in.Enter(auth, sasl_end) || !in.String(LBER_OCTETSTRING, request.bind.sasl_mechanism)) {
          out.problem = "bad SASL credentials";
          return out;
        }
        if (in.More(sasl_end) && !in.String(LBER_OCTETSTRING, request.bind.password))
          out.problem = "bad SASL credentials";
      } else {
        out.problem = "unknown authentication choice";
        out.code = ResultCode::kAuthMethodNotSupported;
      }
      if (!out.problem && !in.AtEnd(end)) out.problem = "bind request overruns its length";
      break;
    }
    case LDAP_REQ_UNBIND:
      request.operation = Operation::kUnbind;
      if (!in.SkipElement()) out.problem = "bad unbind request";
      break;
    case LDAP_REQ_SEARCH:
      request.operation = Operation::kSearch;
      if (!in.Enter(tag, end)) {
        out.problem = "bad search request";
        return out;
      }
      if (!DecodeSearch(in, end, request.search, limits, out)) return out;
      break;
    case LDAP_REQ_ABANDON: {
      request.operation = Operation::kAbandon;
      ber_int_t abandon = 0;
      if (!in.Int(LDAP_REQ_ABANDON, abandon)) out.problem = "bad abandon request";
      request.abandon_id = abandon;
      break;
    }
    case LDAP_REQ_EXTENDED: {
      request.operation = Operation::kExtended;
      if (!in.Enter(tag, end) || !in.String(LDAP_TAG_EXOP_REQ_OID, request.extended.oid)) {
        out.problem = "bad extended request";
        return out;
      }
      if (in.More(end)) {
        std::string value;
        if (!in.String(LDAP_TAG_EXOP_REQ_VALUE, value)) out.problem = "bad extended request value";
        request.extended.value = std::move(value);
      }
      if (!out.problem && !in.AtEnd(end)) out.problem = "extended request overruns its length";
      break;
    }
    case LDAP_REQ_MODIFY:
    case LDAP_REQ_ADD:
    case LDAP_REQ_DELETE:
    case LDAP_REQ_MODDN:
    case LDAP_REQ_COMPARE:
      request.operation = tag == LDAP_REQ_MODIFY   ? Operation::kModify
                          : tag == LDAP_REQ_ADD    ? Operation::kAdd
                          : tag == LDAP_REQ_DELETE ? Operation::kDelete
                          : tag == LDAP_REQ_MODDN  ? Operation::kModifyDn
                                                   : Operation::kCompare;
      // Never performed (the directory is read-only over LDAP): the body is not read.
      if (!in.SkipElement()) out.problem = "bad request";
      break;
    default: out.problem = "unknown operation"; return out;
  }
  if (out.problem) return out;
  if (in.More(message_end)) {
    if (in.PeekTag() != LDAP_TAG_CONTROLS || !DecodeControls(in, request.controls, limits)) {
      out.problem = "bad controls";
      return out;
    }
  }
  if (!in.AtEnd(message_end)) out.problem = "message overruns its length";
  return out;
}

}  // namespace

Decoded DecodeRequest(std::string_view pdu, const DecodeLimits& limits) {
  Reader in(pdu);
  ber_len_t message_end = 0;
  if (!in.valid() || !in.Enter(LDAP_TAG_MESSAGE, message_end)) {
    Decoded out;
    out.problem = "not an LDAPMessage";
    return out;
  }
  return DecodeBody(in, message_end, limits);
}

int ResponseTag(Operation operation) {
  switch (operation) {
    case Operation::kBind: return LDAP_RES_BIND;
    case Operation::kSearch: return LDAP_RES_SEARCH_RESULT;
    case Operation::kModify: return LDAP_RES_MODIFY;
    case Operation::kAdd: return LDAP_RES_ADD;
    case Operation::kDelete: return LDAP_RES_DELETE;
    case Operation::kModifyDn: return LDAP_RES_MODDN;
    case Operation::kCompare: return LDAP_RES_COMPARE;
    case Operation::kExtended:
    case Operation::kUnknown:
    case Operation::kUnbind:
    case Operation::kAbandon: return LDAP_RES_EXTENDED;
  }
  return LDAP_RES_EXTENDED;
}

// ---- Framing ------------------------------------------------------------------------

// liblber reads through a Sockbuf; this IO layer hands it the bytes the session fed and
// says EWOULDBLOCK when they run out, so ber_get_next keeps its partial message.
struct PduReader::Impl {
  Sockbuf* sb = nullptr;
  BerElement* ber = nullptr;
  PduReader* owner = nullptr;

  static int Setup(Sockbuf_IO_Desc* sbiod, void* arg) {
    sbiod->sbiod_pvt = arg;
    return 0;
  }
  static int Remove(Sockbuf_IO_Desc*) { return 0; }
  static int Ctrl(Sockbuf_IO_Desc*, int, void*) { return 0; }
  static ber_slen_t Read(Sockbuf_IO_Desc* sbiod, void* buf, ber_len_t len) {
    auto* reader = static_cast<PduReader*>(sbiod->sbiod_pvt);
    std::size_t left = reader->input_.size() - reader->consumed_;
    if (left == 0) {
      errno = EWOULDBLOCK;
      return -1;
    }
    // ber_get_next asks for up to 8 bytes while it reads a tag and length, and refuses
    // (ERANGE) bytes that run past a message shorter than that (an unbind is 7 bytes), as
    // a socket would never hold them for it. So small asks get one byte at a time (Next
    // calls again while bytes are left); the contents are asked for exactly.
    std::size_t n = std::min<std::size_t>(left, len <= 8 ? 1 : len);
    std::memcpy(buf, reader->input_.data() + reader->consumed_, n);
    reader->consumed_ += n;
    reader->partial_ = true;
    return static_cast<ber_slen_t>(n);
  }
  static ber_slen_t Write(Sockbuf_IO_Desc*, void*, ber_len_t) {
    errno = EINVAL;
    return -1;
  }
  static int CloseIo(Sockbuf_IO_Desc*) { return 0; }
  static inline Sockbuf_IO memory_io = {Setup, Remove, Ctrl, Read, Write, CloseIo};
};

PduReader::PduReader(std::size_t max_pdu_bytes) : impl_(std::make_unique<Impl>()), max_pdu_bytes_(max_pdu_bytes) {
  impl_->owner = this;
  impl_->sb = ber_sockbuf_alloc();
  ber_sockbuf_add_io(impl_->sb, &Impl::memory_io, LBER_SBIOD_LEVEL_PROVIDER, this);

  ber_len_t max = max_pdu_bytes_;
  ber_sockbuf_ctrl(impl_->sb, LBER_SB_OPT_SET_MAX_INCOMING, &max);
}

PduReader::~PduReader() {
  if (impl_->ber != nullptr) ber_free(impl_->ber, 1);
  ber_sockbuf_free(impl_->sb);
}

bool PduReader::has_buffered() const { return consumed_ < input_.size() || partial_; }

void PduReader::Feed(std::string_view bytes) {
  if (consumed_ == input_.size()) {
    input_.clear();
    consumed_ = 0;
  }
  input_.append(bytes);
}

PduReader::Status PduReader::Next(Decoded& decoded, const DecodeLimits& limits) {
  if (impl_->ber == nullptr) {
    impl_->ber = ber_alloc_t(LBER_USE_DER);
    if (impl_->ber == nullptr) return Status::kMalformed;
  }
  ber_len_t len = 0;
  ber_tag_t tag = LBER_DEFAULT;
  for (;;) {
    errno = 0;
    tag = ber_get_next(impl_->sb, &len, impl_->ber);
    bool waiting = tag == LBER_DEFAULT && (errno == EWOULDBLOCK || errno == EAGAIN);
    if (!waiting || consumed_ == input_.size()) break;
  }
  if (consumed_ == input_.size()) {
    input_.clear();
    consumed_ = 0;
  }
  if (tag == LBER_DEFAULT) {
    int error = errno;
    if (error == EWOULDBLOCK || error == EAGAIN) return Status::kNeedMore;
    partial_ = false;
    return error == ERANGE ? Status::kTooBig : Status::kMalformed;
  }
  partial_ = false;
  // ber_get_next leaves the message's contents in the element: decoded from there.
  Reader in(impl_->ber);
  impl_->ber = nullptr;
  if (tag != LDAP_TAG_MESSAGE) return Status::kMalformed;
  decoded = DecodeBody(in, 0, limits);
  return Status::kPdu;
}

// ---- Encoding -----------------------------------------------------------------------

namespace {

std::string Flatten(BerElement* ber) {
  berval flat{0, nullptr};
  if (ber_flatten2(ber, &flat, 0) != 0) return {};
  return std::string(flat.bv_val, flat.bv_len);
}

berval View(std::string_view text) {
  return berval{static_cast<ber_len_t>(text.size()), const_cast<char*>(text.data())};
}

void PutControls(BerElement* ber, const std::vector<Control>& controls) {
  if (controls.empty()) return;
  ber_printf(ber, "t{" /*}*/, LDAP_TAG_CONTROLS);
  for (const Control& control : controls) {
    berval oid = View(control.oid);
    ber_printf(ber, "{O" /*}*/, &oid);
    if (control.critical) ber_printf(ber, "b", 1);
    if (control.value) {
      berval value = View(*control.value);
      ber_printf(ber, "O", &value);
    }
    ber_printf(ber, /*{*/ "}");
  }
  ber_printf(ber, /*{*/ "}");
}

}  // namespace

std::string EncodeResult(std::int32_t message_id, int tag, ResultCode code, std::string_view matched_dn,
                         std::string_view message, const std::vector<Control>& controls) {
  BerPtr ber(ber_alloc_t(LBER_USE_DER));
  berval matched = View(matched_dn), text = View(message);
  ber_printf(ber.get(), "{it{eOO}" /*}*/, message_id, static_cast<ber_tag_t>(tag), static_cast<ber_int_t>(code),
             &matched, &text);
  PutControls(ber.get(), controls);
  ber_printf(ber.get(), /*{*/ "}");
  return Flatten(ber.get());
}

std::string EncodeExtendedResult(std::int32_t message_id, ResultCode code, std::string_view message,
                                 const std::optional<std::string>& oid, const std::optional<std::string>& value) {
  BerPtr ber(ber_alloc_t(LBER_USE_DER));
  berval matched = View(""), text = View(message);
  ber_printf(ber.get(), "{it{eOO" /*}}*/, message_id, static_cast<ber_tag_t>(LDAP_RES_EXTENDED),
             static_cast<ber_int_t>(code), &matched, &text);
  if (oid) {
    berval name = View(*oid);
    ber_printf(ber.get(), "tO", static_cast<ber_tag_t>(LDAP_TAG_EXOP_RES_OID), &name);
  }
  if (value) {
    berval data = View(*value);
    ber_printf(ber.get(), "tO", static_cast<ber_tag_t>(LDAP_TAG_EXOP_RES_VALUE), &data);
  }
  ber_printf(ber.get(), /*{{*/ "}}");
  return Flatten(ber.get());
}

std::string EncodeSearchEntry(std::int32_t message_id, std::string_view dn, const std::vector<Attribute>& attributes,
                              bool types_only) {
  BerPtr ber(ber_alloc_t(LBER_USE_DER));
  berval name = View(dn);
  ber_printf(ber.get(), "{it{O{" /*}}}*/, message_id, static_cast<ber_tag_t>(LDAP_RES_SEARCH_ENTRY), &name);
  for (const Attribute& attribute : attributes) {
    berval type = View(attribute.name);
    ber_printf(ber.get(), "{O[" /*]}*/, &type);
    if (!types_only) {
      for (const std::string& value : attribute.values) {
        berval bv = View(value);
        ber_printf(ber.get(), "O", &bv);
      }
    }
    ber_printf(ber.get(), /*[{*/ "]}");
  }
  ber_printf(ber.get(), /*{{{*/ "}}}");
  return Flatten(ber.get());
}

std::string EncodePagedResultsValue(std::int64_t size, std::string_view cookie) {
  BerPtr ber(ber_alloc_t(LBER_USE_DER));
  berval bv = View(cookie);
  ber_printf(ber.get(), "{iO}", static_cast<ber_int_t>(size), &bv);
  return Flatten(ber.get());
}

std::optional<PagedResults> DecodePagedResultsValue(std::string_view value) {
  Reader in(value);
  ber_len_t end = 0;
  ber_int_t size = 0;
  PagedResults out;
  if (!in.valid() || !in.Enter(LBER_SEQUENCE, end) || !in.Int(LBER_INTEGER, size) ||
      !in.String(LBER_OCTETSTRING, out.cookie) || !in.AtEnd(end) || size < 0)
    return std::nullopt;
  out.size = size;
  return out;
}

}  // namespace notesd::ldap
