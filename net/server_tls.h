// net/server_tls.h — the TLS context a network task serves with: server.id's certificate
// and key (KeyFileName in notes.ini) under the one TLS policy of pki/tls_context.h, no
// client certificates asked.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/notes_ini.h"
#include "base/status.h"

namespace notesd::net {

// A server TLS context from `<data_dir>/<KeyFileName>`. `session_id_context` tells the
// tasks' TLS session caches apart ("notesd-imap"). The error names the file and what is
// wrong (no such file, a bad ID, a key that does not match); the caller decides whether
// to run without TLS.
Result<std::unique_ptr<boost::asio::ssl::context>> LoadServerTls(const std::filesystem::path& data_dir,
                                                                 const NotesIni& ini,
                                                                 std::string_view session_id_context);

}  // namespace notesd::net
