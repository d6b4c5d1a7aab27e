#include "ca_task/server_id_wrap.h"

#include <openssl/err.h>

namespace notesd {

namespace {

Result<BioPtr> MemoryBio(std::string_view bytes) {
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return Status::Internal("cannot make a memory BIO: " + OpenSslErrors());
  return bio;
}

std::string BioBytes(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace

Result<std::string> WrapSecret(std::string_view secret, X509* recipient) {
  if (recipient == nullptr) return Status::InvalidArgument("no certificate to wrap the secret for");
  X509StackPtr recipients(sk_X509_new_null());
  X509Ptr shared = UpRef(recipient);
  if (!recipients || !shared || sk_X509_push(recipients.get(), shared.get()) == 0)
    return Status::Internal("cannot list the recipient: " + OpenSslErrors());
  shared.release();  // the stack owns it now
  NOTESD_ASSIGN_OR_RETURN(BioPtr in, MemoryBio(secret));
  CmsContentInfoPtr cms(CMS_encrypt(recipients.get(), in.get(), EVP_aes_256_cbc(), CMS_BINARY));
  if (!cms) return Status::Internal("cannot encrypt the secret for the server ID: " + OpenSslErrors());
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms.get()) != 1)
    return Status::Internal("cannot encode the wrapped secret: " + OpenSslErrors());
  return BioBytes(out.get());
}

Result<std::string> UnwrapSecret(std::string_view wrapped, EVP_PKEY* key, X509* certificate) {
  if (key == nullptr) return Status::InvalidArgument("no key to unwrap the secret with");
  NOTESD_ASSIGN_OR_RETURN(BioPtr in, MemoryBio(wrapped));
  CmsContentInfoPtr cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_enveloped) {
    ERR_clear_error();
    return Status::InvalidArgument("the wrapped secret is not CMS EnvelopedData");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return Status::Internal("cannot make a memory BIO: " + OpenSslErrors());
  if (CMS_decrypt(cms.get(), key, certificate, nullptr, out.get(), CMS_BINARY) != 1) {
    ERR_clear_error();
    return Status::PermissionDenied("the wrapped secret was not made for this server ID");
  }
  return BioBytes(out.get());
}

}  // namespace notesd
