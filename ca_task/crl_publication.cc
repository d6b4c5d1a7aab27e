#include "ca_task/crl_publication.h"

#include <unistd.h>

#include <cctype>

namespace notesd {

namespace {

std::string ThisHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string BaseUrl(const NotesIni& ini) {
  std::string base = ConfigText(ini, kCaCrlBaseUrl);
  if (!base.empty()) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }
  int64_t port = ConfigInt(ini, kHttpCrlPort);
  if (port <= 0) return "";
  std::string host = ConfigText(ini, kHttpAddress);
  if (host.empty() || host == "0.0.0.0" || host == "::") host = ThisHostName();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port) + "/crl";
}

}  // namespace

std::string CrlFileName(const std::string& certifier_common_name) {
  std::string file;
  for (char c : certifier_common_name)
    file += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  return file + ".crl";
}

std::string CrlDistributionUrl(const NotesIni& ini, const std::string& certifier_common_name) {
  std::string base = BaseUrl(ini);
  return base.empty() ? "" : base + "/" + CrlFileName(certifier_common_name);
}

}  // namespace notesd
