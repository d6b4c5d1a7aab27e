// id_pem_tool: test-only. Writes an ID file's Notes certificate, private key and trusted
// roots as PEM files, so tests can talk to the server with curl/openssl as an outside
// client would. Usage: id_pem_tool ID PASSWORD CERT.pem KEY.pem ROOTS.pem
#include <cstdio>
#include <string>

#include "pki/crypto.h"
#include "pki/id_file.h"
#include "base/notes_ini.h"

using namespace notesd;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: id_pem_tool ID PASSWORD CERT.pem KEY.pem ROOTS.pem\n");
    return 2;
  }
  auto id = IdFile::Load(argv[1], argv[2]);
  if (!id.ok()) {
    std::fprintf(stderr, "id_pem_tool: %s\n", id.status().message().c_str());
    return 1;
  }
  auto cert = CertificateToPem(id->notes_certificate());
  auto key = PrivateKeyToPem(id->notes_key());
  std::string roots;
  for (X509* root : id->TrustAnchors()) roots += *CertificateToPem(root);
  if (!cert.ok() || !key.ok() || !WriteFileAtomic(argv[3], *cert).ok() || !WriteFileAtomic(argv[4], *key, 0600).ok() ||
      !WriteFileAtomic(argv[5], roots).ok()) {
    std::fprintf(stderr, "id_pem_tool: cannot write the PEM files\n");
    return 1;
  }
  return 0;
}
