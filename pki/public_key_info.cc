#include "pki/public_key_info.h"

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "pki/crypto.h"
#include "pki/openssl_handles.h"

namespace notesd {

// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
// as a plain ASN.1 template: unlike OpenSSL's X509_PUBKEY it has no callback that decodes
// the key when it is read.
struct PublicKeyInfoFields {
  X509_ALGOR* algorithm;
  ASN1_BIT_STRING* public_key;
};

ASN1_SEQUENCE(PublicKeyInfoFields) =
    {
        ASN1_SIMPLE(PublicKeyInfoFields, algorithm, X509_ALGOR),
        ASN1_SIMPLE(PublicKeyInfoFields, public_key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(PublicKeyInfoFields)

        namespace {
  void FreeFields(const PublicKeyInfoFields* fields) {
    ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(const_cast<PublicKeyInfoFields*>(fields)),
                   ASN1_ITEM_rptr(PublicKeyInfoFields));
  }

}  // namespace

Result<PublicKeyInfo> PublicKeyInfo::FromDer(std::string_view der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = cursor + der.size();
  auto* raw = reinterpret_cast<PublicKeyInfoFields*>(
      ASN1_item_d2i(nullptr, &cursor, static_cast<long>(der.size()), ASN1_ITEM_rptr(PublicKeyInfoFields)));
  std::shared_ptr<const PublicKeyInfoFields> parsed(raw, FreeFields);
  if (!parsed) {
    ERR_clear_error();
    return Status::InvalidArgument("not a DER SubjectPublicKeyInfo");
  }
  if (cursor != end) return Status::InvalidArgument("bytes after the SubjectPublicKeyInfo");
  const ASN1_OBJECT* algorithm = nullptr;
  X509_ALGOR_get0(&algorithm, nullptr, nullptr, parsed->algorithm);
  const int nid = OBJ_obj2nid(algorithm);
  if (nid != NID_rsaEncryption && nid != NID_X9_62_id_ecPublicKey)
    return Status::InvalidArgument("the public key is neither RSA nor EC");
  if (ASN1_STRING_length(parsed->public_key) <= 0) return Status::InvalidArgument("the public key is empty");
  return PublicKeyInfo(std::move(parsed), nid == NID_X9_62_id_ecPublicKey);
}

Result<PublicKeyInfo> PublicKeyInfo::FromPem(std::string_view pem) {
  NOTESD_ASSIGN_OR_RETURN(std::string der, PublicKeyPemToDer(pem));
  return FromDer(der);
}

Status PublicKeyInfo::CopyInto(X509* cert) const {
  const ASN1_OBJECT* algorithm = nullptr;
  int parameter_type = V_ASN1_UNDEF;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&algorithm, &parameter_type, &parameter, parsed_->algorithm);
  // X509_PUBKEY_set0_param takes ownership of copies.
  void* parameter_copy = nullptr;
  if (parameter_type == V_ASN1_OBJECT) {
    parameter_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(parameter));
  } else if (parameter_type == V_ASN1_SEQUENCE || parameter_type == V_ASN1_OCTET_STRING) {
    parameter_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(parameter));
  } else if (parameter_type != V_ASN1_NULL && parameter_type != V_ASN1_UNDEF) {
    return Status::InvalidArgument("unsupported public key parameters");
  }
  ASN1_OBJECT* algorithm_copy = OBJ_dup(algorithm);
  const int length = ASN1_STRING_length(parsed_->public_key);
  auto* bits = static_cast<unsigned char*>(OPENSSL_memdup(ASN1_STRING_get0_data(parsed_->public_key), length));
  if (algorithm_copy == nullptr || bits == nullptr || (parameter != nullptr && parameter_copy == nullptr)) {
    ASN1_OBJECT_free(algorithm_copy);
    OPENSSL_free(bits);
    if (parameter_type == V_ASN1_OBJECT)
      ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(parameter_copy));
    else
      ASN1_STRING_free(static_cast<ASN1_STRING*>(parameter_copy));
    return Status::Internal("out of memory copying a public key");
  }
  // From here the certificate owns the copies, whether or not the call succeeds.
  if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), algorithm_copy, parameter_type, parameter_copy, bits,
                             length) != 1)
    return Status::Internal("cannot copy the public key into the certificate: " + OpenSslErrors());
  return Status::Ok();
}

}  // namespace notesd
