// pki/base64.h — the one base64 of notesd: MIME bodies (RFC 2045) for the composer, S/MIME
// and the MIME reader, and the flat form (RFC 4648) that carries bytes in JSON (messages and
// certifier ID copies over the client API).
//
// Owns: both forms of base64. The bytes are encoded and decoded by OpenSSL's EVP
// codecs; nothing here is a hand-written codec.
//
// SECURITY: Base64DecodeMime reads bodies from outside mail: it never throws, and its
// work and memory are bounded by the input size.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace notesd {

// Base64 without line breaks (RFC 4648 alphabet, with padding). Empty input gives an
// empty string.
std::string Base64Flat(std::string_view bytes);

// Decodes canonical flat base64, as Base64Flat writes it: padding required, no white
// space, no line breaks. InvalidArgument for anything else (the length is not a multiple
// of 4, a character outside the alphabet, a misplaced '=').
Result<std::string> Base64DecodeFlat(std::string_view text);

// Base64 with CRLF after every 76 characters and after the last line (a MIME body).
// Empty input gives an empty string.
std::string Base64Lines(std::string_view bytes);

// Decodes a MIME base64 body: white space and line breaks (CRLF or LF) anywhere are
// ignored, missing final padding is tolerated, decoding stops at the first '=' pad.
// InvalidArgument when any other character outside the alphabet appears, or when the
// data ends in a lone character (a truncated quantum).
Result<std::string> Base64DecodeMime(std::string_view text);

}  // namespace notesd
