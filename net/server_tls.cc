// net/server_tls.cc — server.id into a TLS context (contract in net/server_tls.h).
#include "net/server_tls.h"

#include "base/identity_keys.h"
#include "pki/id_file.h"
#include "pki/tls_context.h"

namespace notesd::net {

Result<std::unique_ptr<boost::asio::ssl::context>> LoadServerTls(const std::filesystem::path& data_dir,
                                                                 const NotesIni& ini,
                                                                 std::string_view session_id_context) {
  std::filesystem::path id_path = data_dir / ConfigText(ini, identity_keys::kKeyFileName);
  Result<IdFile> id = IdFile::Load(id_path, "");
  if (!id.ok()) return Status::Unavailable("cannot load " + id_path.string() + ": " + id.status().message());
  auto tls = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  NOTESD_RETURN_IF_ERROR(
      ConfigureServerTls(*tls->native_handle(), *id, ClientCertificates::kNotAsked, session_id_context)
          .WithContext(id_path.string()));
  return tls;
}

}  // namespace notesd::net
