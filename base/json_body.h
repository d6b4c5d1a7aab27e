// base/json_body.h — reading a request body as a JSON object (the client API's bodies,
// http/http_api*.cc). Kept below the server so that the parse can be unit-tested and
// fuzzed (fuzz/api_body_fuzz.cc) without HTTP.
//
// SECURITY: the body comes from an authenticated but untrusted client. Never throws;
// nlohmann's parser bounds nothing but memory, which the HTTP layer's payload limit does.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace notesd {

// The response header that carries the administrator's BROADCAST message to a client
// API user, once, at their next request (task/session_registry.h); `notes` prints it on
// stderr.
inline constexpr char kBroadcastHeader[] = "X-Notesd-Broadcast";

// Parses a request body as a JSON object; InvalidArgument "request body is not valid
// JSON" or "request body must be a JSON object".
Result<nlohmann::json> ParseJsonBody(const std::string& body);

// A text field of a body, "" when absent or not a string.
std::string JsonStringField(const nlohmann::json& body, const char* field);
// A field that is one string or an array of strings (other elements skipped); empty when
// absent.
std::vector<std::string> JsonStringList(const nlohmann::json& body, const char* field);

}  // namespace notesd
