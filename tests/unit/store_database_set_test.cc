// Tests of the server's set of open databases (store/database_set.h): one object per path
// and kind, failures that name the path, and everything closed when the set goes.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "store/database_set.h"
#include "store/nsf_database.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using testing::TempDir;

// A database kind that counts how often it was opened and how many are alive.
struct Counted {
  static inline std::atomic<int> opened{0};
  static inline std::atomic<int> alive{0};
  std::filesystem::path path;
  explicit Counted(std::filesystem::path p) : path(std::move(p)) {
    ++opened;
    ++alive;
  }
  ~Counted() { --alive; }
};
// A second kind, to show that the kind is part of the key.
struct OtherKind {};

Result<std::unique_ptr<Counted>> OpenCounted(const std::filesystem::path& path) {
  return std::make_unique<Counted>(path);
}

Result<std::unique_ptr<NsfDatabase>> OpenNsf(const std::filesystem::path& path) {
  NsfOptions options;
  options.title = "set test";
  return NsfDatabase::Open(path, std::move(options));
}

TEST_CASE("database set: the same path and kind give the same object, opened once", "[store]") {
  TempDir dir;
  Counted::opened = 0;
  DatabaseSet set;
  auto first = set.Get<Counted>(dir.path / "a.nsf", OpenCounted);
  REQUIRE(first.ok());
  // Another spelling of the same path is the same database.
  auto second = set.Get<Counted>(dir.path / "sub" / ".." / "a.nsf", OpenCounted);
  REQUIRE(second.ok());
  CHECK(first->get() == second->get());
  CHECK(Counted::opened == 1);
  CHECK(set.size() == 1);
  CHECK((*first)->path == std::filesystem::weakly_canonical(dir.path / "a.nsf"));
}

TEST_CASE("database set: different paths, or different kinds at one path, are different databases", "[store]") {
  TempDir dir;
  DatabaseSet set;
  auto a = set.Get<Counted>(dir.path / "a.nsf", OpenCounted);
  auto b = set.Get<Counted>(dir.path / "b.nsf", OpenCounted);
  auto other =
      set.Get<OtherKind>(dir.path / "a.nsf", [](const std::filesystem::path&) -> Result<std::unique_ptr<OtherKind>> {
        return std::make_unique<OtherKind>();
      });
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(other.ok());
  CHECK(a->get() != b->get());
  CHECK(set.size() == 3);
}

TEST_CASE("database set: a failed open names the path, keeps nothing, and is tried again", "[store]") {
  TempDir dir;
  DatabaseSet set;
  int attempts = 0;
  auto failing = [&](const std::filesystem::path&) -> Result<std::unique_ptr<Counted>> {
    ++attempts;
    return Status::Corruption("not an LMDB file");
  };
  auto failed = set.Get<Counted>(dir.path / "bad.nsf", failing);
  REQUIRE(!failed.ok());
  CHECK(failed.status().code() == StatusCode::kCorruption);
  CHECK(failed.status().message().find((dir.path / "bad.nsf").string()) != std::string::npos);
  CHECK(failed.status().message().find("not an LMDB file") != std::string::npos);
  CHECK(set.size() == 0);
  CHECK(!set.Get<Counted>(dir.path / "bad.nsf", failing).ok());
  CHECK(attempts == 2);

  // A message that names the path already is not given it twice.
  std::string path = std::filesystem::weakly_canonical(dir.path / "named.nsf").string();
  auto named =
      set.Get<Counted>(dir.path / "named.nsf", [&](const std::filesystem::path&) -> Result<std::unique_ptr<Counted>> {
        return Status::NotFound("no database file " + path);
      });
  CHECK(named.status().message() == "no database file " + path);
}

TEST_CASE("database set: every database is closed when the set is destroyed", "[store]") {
  TempDir dir;
  Counted::alive = 0;
  {
    DatabaseSet set;
    REQUIRE(set.Get<Counted>(dir.path / "a.nsf", OpenCounted).ok());
    REQUIRE(set.Get<Counted>(dir.path / "b.nsf", OpenCounted).ok());
    CHECK(Counted::alive == 2);
  }
  CHECK(Counted::alive == 0);

  // An .nsf file is free to open again (NsfDatabase refuses a second open while it is open).
  {
    DatabaseSet set;
    REQUIRE(set.Get<NsfDatabase>(dir.path / "real.nsf", OpenNsf).ok());
    CHECK(OpenNsf(dir.path / "real.nsf").status().code() == StatusCode::kAlreadyExists);
  }
  CHECK(OpenNsf(dir.path / "real.nsf").ok());
}

TEST_CASE("database set: threads asking at once for one path get one object", "[store]") {
  TempDir dir;
  Counted::opened = 0;
  DatabaseSet set;
  std::vector<Counted*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = set.Get<Counted>(dir.path / "shared.nsf", OpenCounted).value().get(); });
  for (std::thread& thread : threads) thread.join();
  CHECK(Counted::opened == 1);
  for (Counted* one : seen) CHECK(one == seen.front());
}

}  // namespace
}  // namespace notesd
