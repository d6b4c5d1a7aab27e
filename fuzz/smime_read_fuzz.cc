// fuzz_smime_read — feeds the S/MIME and MIME reader behind `notes mail read`
// (smime/smime.h ReadMessage, ExtractContent; mime/mime_entity.h).
//
// Input: a whole mail message as it arrives from outside. The target reads it with a
// decryption key and a trusted root (a fixed test PKI made once, so encrypted and signed
// layers are opened and verified), then extracts the text and attachments of the
// innermost entity and walks the MIME tree directly (headers, Content-Type, file name,
// transfer decoding, multipart parts). Seeds: fuzz/corpus/smime_read/ (plain, multipart,
// signed, opaque-signed and encrypted messages like those the tests produce).
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "pki/crypto.h"
#include "pki/hier_name.h"
#include "fuzz/fuzz_pki.h"
#include "mime/mime_entity.h"
#include "smime/smime.h"

namespace {

// The identity the seed messages were signed by and encrypted to (fuzz/fuzz_pki.h).
struct Pki {
  notesd::X509Ptr cert;
  notesd::EvpPkeyPtr key;
};

const Pki& TestPki() {
  static const Pki* pki = [] {
    auto* made = new Pki;
    auto key = notesd::PrivateKeyFromPem(notesd::fuzz::kTestKeyPem);
    auto cert = notesd::CertificateFromPem(notesd::fuzz::kTestCertPem);
    if (key.ok()) made->key = std::move(key).value();
    if (cert.ok()) made->cert = std::move(cert).value();
    return made;
  }();
  return *pki;
}

void Walk(std::string_view raw, int depth) {
  if (depth > 8) return;
  notesd::mime::MimeEntity entity = notesd::mime::MimeEntity::Parse(raw);
  (void)entity.Header("From");
  (void)entity.TransferEncoding();
  (void)entity.FileName();
  (void)entity.IsAttachment();
  (void)entity.content_type().MediaType();
  (void)entity.DecodedBody();
  auto parts = entity.Parts();
  if (!parts.ok()) return;
  for (std::string_view part : *parts) Walk(part, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);
  const Pki& pki = TestPki();
  notesd::smime::SmimeKeys keys;
  if (pki.cert && pki.key) keys.keys.push_back({pki.cert.get(), pki.key.get()});
  std::vector<X509*> roots;
  if (pki.cert) roots.push_back(pki.cert.get());
  auto report = notesd::smime::ReadMessage(message, keys, roots, 1767225600 /* 2026-01-01 */);
  if (report.ok()) {
    (void)report->IsEncrypted();
    (void)report->IsSigned();
    (void)report->AnyTampered();
    (void)report->AllSignaturesTrusted();
    for (const auto& layer : report->layers)
      for (const auto& recipient : layer.encrypted.recipients) (void)recipient.Describe();
    if (report->content_available) (void)notesd::smime::ExtractContent(report->content);
  }
  (void)notesd::smime::ExtractContent(message);
  (void)notesd::smime::SplitMessage(message);
  Walk(message, 0);
  (void)notesd::mime::DecodeQuotedPrintable(message);
  (void)notesd::mime::ParseMimeType(message);
  return 0;
}
