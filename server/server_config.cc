#include "server/server_config.h"

#include <array>

namespace notesd {

std::span<const ConfigKey> ServerConfigKeys() {
  static const std::array<ConfigKey, 9> keys = {
      server_keys::kServerTasks, server_keys::kServerName,       server_keys::kDomain,
      server_keys::kServerSetup, server_keys::kConsoleHistory,   server_keys::kControlTimeout,
      server_keys::kIoThreads,   server_keys::kTestClockAdvance, server_keys::kTestFailTask,
  };
  return keys;
}

}  // namespace notesd
