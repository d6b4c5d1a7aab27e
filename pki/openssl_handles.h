// pki/openssl_handles.h — RAII owners for OpenSSL 3 handles, and the error-queue reader.
//
// Owns: nothing but the lifetime of OpenSSL objects. Every OpenSSL object notesd creates
// lives in one of these unique_ptrs, so an early return can never leak one.
//
// Rules:
//  - Each alias frees with the matching OpenSSL *_free function; a null pointer is fine.
//  - X509StackPtr frees the stack AND every certificate in it (sk_X509_pop_free): push
//    only certificates the stack may own (X509_up_ref a borrowed one first, or use
//    UpRef() below).
//  - Copies are never implicit: UpRef() takes a second reference to a certificate or a
//    key, which OpenSSL shares; such shared objects must then be treated as read-only.
//  - None of these objects is safe to mutate from two threads at once; read-only use of
//    a fully built X509 or EVP_PKEY from several threads is safe in OpenSSL 3.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace notesd {

// A deleter that calls one OpenSSL free function.
template <auto kFreeFunction>
struct OpenSslFree {
  template <typename T>
  void operator()(T* object) const noexcept {
    kFreeFunction(object);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<&EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<&EVP_PKEY_CTX_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpenSslFree<&EVP_CIPHER_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<&EVP_MD_CTX_free>>;
using EvpKdfPtr = std::unique_ptr<EVP_KDF, OpenSslFree<&EVP_KDF_free>>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, OpenSslFree<&EVP_KDF_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<&X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslFree<&X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<&X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslFree<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree<&X509_STORE_CTX_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpenSslFree<&X509_CRL_free>>;
// BIO_free_all: frees a whole BIO chain (a lone memory BIO is a chain of one).
using BioPtr = std::unique_ptr<BIO, OpenSslFree<&BIO_free_all>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OpenSslFree<&PKCS7_free>>;
using CmsContentInfoPtr = std::unique_ptr<CMS_ContentInfo, OpenSslFree<&CMS_ContentInfo_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, OpenSslFree<&PKCS12_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslFree<&ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpenSslFree<&ASN1_TIME_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, OpenSslFree<&ASN1_BIT_STRING_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<&BN_free>>;
// X.509v3 extension structures (built or decoded by x509_certs.cc).
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslFree<&GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OpenSslFree<&GENERAL_NAME_free>>;
using CrlDistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, OpenSslFree<&CRL_DIST_POINTS_free>>;
using DistPointPtr = std::unique_ptr<DIST_POINT, OpenSslFree<&DIST_POINT_free>>;
using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, OpenSslFree<&EXTENDED_KEY_USAGE_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, OpenSslFree<&BASIC_CONSTRAINTS_free>>;

// Frees a certificate stack together with the certificates it holds.
struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// Takes another reference to a certificate / key (OpenSSL reference counting). Returns
// null for a null argument. The result owns one reference; the object is shared.
inline X509Ptr UpRef(X509* cert) {
  if (cert == nullptr || X509_up_ref(cert) != 1) return X509Ptr();
  return X509Ptr(cert);
}
inline EvpPkeyPtr UpRef(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) return EvpPkeyPtr();
  return EvpPkeyPtr(key);
}

// Drains this thread's OpenSSL error queue into one line ("error:...; error:..."), or
// "no OpenSSL error detail" when it is empty. Meant for logs and Internal errors, not
// for end users. Defined in crypto.cc.
std::string OpenSslErrors();

}  // namespace notesd
