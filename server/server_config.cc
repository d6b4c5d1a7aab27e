#include "server/server_config.h"

#include <array>

#include "directory/internet_password.h"

namespace notesd {

std::span<const ConfigKey> ServerConfigKeys() {
  // The Internet lockout's keys are the server's: every task that checks an Internet
  // password (directory/internet_password.h) reads the same ones.
  static const std::array<ConfigKey, 13> keys = {
      server_keys::kServerTasks,
      server_keys::kServerName,
      server_keys::kDomain,
      server_keys::kServerSetup,
      server_keys::kConsoleHistory,
      server_keys::kConsoleLogMaxKbytes,
      server_keys::kControlTimeout,
      server_keys::kIoThreads,
      server_keys::kTestClockAdvance,
      server_keys::kTestFailTask,
      internet_password_keys::kMaxTries,
      internet_password_keys::kExpirationMinutes,
      internet_password_keys::kMaxTriesPerAddress,
  };
  return keys;
}

}  // namespace notesd
