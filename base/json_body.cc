#include "base/json_body.h"

namespace notesd {

Result<nlohmann::json> ParseJsonBody(const std::string& body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!parsed.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return parsed;
}

std::string JsonStringField(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> JsonStringList(const nlohmann::json& body, const char* field) {
  std::vector<std::string> values;
  auto it = body.find(field);
  if (it == body.end()) return values;
  if (it->is_string()) values.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& value : *it)
      if (value.is_string()) values.push_back(value.get<std::string>());
  return values;
}

}  // namespace notesd
