#include "core/json_body.h"

namespace notesd {

Result<nlohmann::json> ParseJsonBody(const std::string& body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!parsed.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return parsed;
}

}  // namespace notesd
