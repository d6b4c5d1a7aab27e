// tests/unit/unit_test_support.h — fixtures several unit test files share: a temporary
// directory removed afterwards, the cheap ID-file KDF for tests that make many IDs, and
// Must / Name for results a test requires to be ok.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "pki/hier_name.h"
#include "base/status.h"

namespace notesd::testing {

// The value of a result the test needs; fails the test (with the error) otherwise.
template <typename T>
T Must(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

// A Notes name the test writes out, e.g. Name("CN=Jane Doe/O=Acme").
inline HierName Name(const std::string& text) { return Must(HierName::Parse(text)); }

// A fresh directory under the system temp directory, removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "notesd-test-") {
    std::random_device random;
    path =
        std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Sets NOTESD_ID_KDF=fast (test-only cheap scrypt) for its lifetime, then restores it.
class FastKdf {
 public:
  FastKdf() {
    if (const char* old = std::getenv("NOTESD_ID_KDF")) saved_ = old;
    setenv("NOTESD_ID_KDF", "fast", 1);
  }
  ~FastKdf() {
    if (saved_) {
      setenv("NOTESD_ID_KDF", saved_->c_str(), 1);
    } else {
      unsetenv("NOTESD_ID_KDF");
    }
  }
  FastKdf(const FastKdf&) = delete;
  FastKdf& operator=(const FastKdf&) = delete;

 private:
  std::optional<std::string> saved_;
};

}  // namespace notesd::testing
