#include "router/mail_config.h"

#include "pki/hier_name.h"
#include "base/ascii.h"

namespace notesd::mail_keys {

namespace {

// Host-name characters only, so a name from the directory cannot inject anything.
std::string HostSafe(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')
      out += AsciiToLower(c);
    else if (c == ' ')
      out += '-';
  }
  return out;
}

}  // namespace

std::string MailHostName(const NotesIni& ini) {
  std::string configured = HostSafe(ConfigText(ini, kSmtpHostName));
  if (!configured.empty()) return configured;
  std::vector<std::string> domains = ConfigList(ini, kSmtpDomains);
  auto server = HierName::Parse(ConfigText(ini, identity_keys::kServerName));
  std::string common = server.ok() ? HostSafe(server->CommonName()) : std::string();
  if (domains.empty()) return common.empty() ? "localhost" : common;
  return common.empty() ? HostSafe(domains.front()) : common + "." + HostSafe(domains.front());
}

RouterConfig ReadRouterConfig(const NotesIni& ini, std::vector<std::string>* problems) {
  auto int_key = [&](const ConfigKey& key) {
    std::string problem;
    std::int64_t value = ConfigInt(ini, key, &problem);
    if (!problem.empty() && problems) problems->push_back(problem);
    return value;
  };
  RouterConfig config;
  config.local_domains = ConfigList(ini, kSmtpDomains);
  config.host_name = MailHostName(ini);
  config.relay.host = TrimSpaces(ConfigText(ini, kRelayHost));
  config.relay.port = static_cast<int>(int_key(kRelayPort));
  config.relay.helo_name = config.host_name;
  std::string tls = ConfigText(ini, kRelayTls);
  if (EqualsIgnoreCase(tls, "Required")) {
    config.relay.tls = RelayTls::kRequired;
  } else if (EqualsIgnoreCase(tls, "None")) {
    config.relay.tls = RelayTls::kNone;
  } else {
    config.relay.tls = RelayTls::kOptional;
    if (!EqualsIgnoreCase(tls, "Optional") && problems)
      problems->push_back("RouterRelayTLS=" + tls + ": expected Optional, Required or None; using Optional");
  }
  config.relay.ca_file = ConfigText(ini, kRelayTlsCaFile);
  config.relay.timeout = std::chrono::seconds(int_key(kRelayTimeout));
  config.retry_interval_seconds = int_key(kRetryInterval);
  config.retry_max_seconds = int_key(kRetryMax);
  config.expire_minutes = int_key(kExpire);
  config.tracking_enabled = ConfigBool(ini, kTrackingEnabled);
  config.tracking_keep_days = int_key(kTrackingKeepDays);
  config.tracking_exclude_subject = ConfigBool(ini, kTrackingExcludeSubject);
  return config;
}

}  // namespace notesd::mail_keys
