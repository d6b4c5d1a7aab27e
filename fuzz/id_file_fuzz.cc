// fuzz_id_file — feeds the ID file loader (pki/id_file.h IdFile::Decode).
//
// The real loader is used unchanged; the target wraps the fuzzed bytes so that they
// reach each stage of it with the cheapest scrypt parameters Decode accepts (N=2^10,
// r=8, p=1: a millisecond, not the production 32 MiB):
//   byte 0 even: the rest is a whole ID file image (header, ciphertext, tag, checksum).
//     The target rewrites the length field and the trailing SHA-256 to match, so that
//     mutations get past the checksum, and lowers scrypt parameters that Validate()
//     accepts to N=2^10, r=8, p=1 (the loader's own limits are fuzzed by the invalid
//     ones, which are left alone). The password is "fuzz".
//   byte 0 odd: the rest is the decrypted payload (the JSON of a person, server or
//     certifier ID). The target encrypts it exactly as the format says (fixed salt and
//     nonce, password "fuzz") so the payload parser and its consistency checks run.
// A decoded ID must encode again and decode to the same name. Seeds: fuzz/corpus/id_file/
// (a cheap ID image made by the tests' parameters, and its payload).
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "pki/id_file.h"

namespace {

constexpr std::size_t kHeaderSize = 92;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kChecksumSize = 32;
constexpr std::string_view kPassword = "fuzz";

void PutBig(std::string& out, std::size_t offset, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[offset + i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

std::uint64_t GetBig(std::string_view in, std::size_t offset, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[offset + i]);
  return value;
}

void FixChecksum(std::string& image) {
  PutBig(image, 10, image.size(), 4);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(image.data()), image.size() - kChecksumSize, digest);
  std::memcpy(image.data() + image.size() - kChecksumSize, digest, kChecksumSize);
}

// The key material for the fixed salt, computed once: 32 bytes AES key, 32 verifier.
const std::array<unsigned char, 64>& FixedKeys() {
  static const std::array<unsigned char, 64> keys = [] {
    std::array<unsigned char, 64> out{};
    const unsigned char salt[16] = {'f', 'u', 'z', 'z', 's', 'a', 'l', 't', 0, 1, 2, 3, 4, 5, 6, 7};
    if (EVP_PBE_scrypt(kPassword.data(), kPassword.size(), salt, sizeof salt, 1024, 8, 1, 0, out.data(), out.size()) !=
        1)
      std::abort();
    return out;
  }();
  return keys;
}

// An ID image around `payload`, as IdFile::Encode would write it with fixed randomness.
std::string Wrap(std::string_view payload) {
  const unsigned char salt[16] = {'f', 'u', 'z', 'z', 's', 'a', 'l', 't', 0, 1, 2, 3, 4, 5, 6, 7};
  const unsigned char nonce[12] = {'n', 'o', 'n', 'c', 'e', 0, 1, 2, 3, 4, 5, 6};
  std::string image(kHeaderSize + payload.size() + kTagSize + kChecksumSize, '\0');
  std::memcpy(image.data(), "NOTESDID", 8);
  PutBig(image, 8, 1, 2);
  image[14] = 1;  // scrypt
  image[15] = 1;  // AES-256-GCM
  PutBig(image, 16, 1024, 8);
  PutBig(image, 24, 8, 4);
  PutBig(image, 28, 1, 4);
  std::memcpy(image.data() + 32, salt, 16);
  std::memcpy(image.data() + 48, FixedKeys().data() + 32, 32);
  std::memcpy(image.data() + 80, nonce, 12);
  PutBig(image, 10, image.size(), 4);

  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(image.data() + kHeaderSize);
  bool ok =
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, FixedKeys().data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(image.data()), kHeaderSize) == 1 &&
      EVP_EncryptUpdate(ctx, out, &len, reinterpret_cast<const unsigned char*>(payload.data()),
                        static_cast<int>(payload.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx, out + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, out + payload.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) std::abort();
  FixChecksum(image);
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > (1u << 20)) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string image;
  if ((data[0] & 1) == 0) {
    image.assign(rest);
    if (image.size() >= kHeaderSize + kTagSize + kChecksumSize) {
      notesd::KdfParams params{GetBig(image, 16, 8), static_cast<std::uint32_t>(GetBig(image, 24, 4)),
                               static_cast<std::uint32_t>(GetBig(image, 28, 4))};
      if (params.Validate().ok()) {
        PutBig(image, 16, 1024, 8);
        PutBig(image, 24, 8, 4);
        PutBig(image, 28, 1, 4);
      }
      FixChecksum(image);
    }
  } else {
    image = Wrap(rest);
  }

  auto id = notesd::IdFile::Decode(image, kPassword, "fuzz.id");
  if (!id.ok()) return 0;
  // A decoded ID is complete: it must encode and decode again to the same identity.
  auto encoded = id->Encode("again", notesd::KdfParams::ForTests());
  if (!encoded.ok()) std::abort();
  auto decoded = notesd::IdFile::Decode(*encoded, "again", "fuzz.id");
  if (!decoded.ok() || !(decoded->name() == id->name())) std::abort();
  return 0;
}
