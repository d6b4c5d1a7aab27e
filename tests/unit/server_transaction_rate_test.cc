// Unit tests for server/transaction_rate: SHOW SERVER's Transactions/minute from samples.
#include <catch2/catch.hpp>

#include "server/transaction_rate.h"

using namespace notesd;

namespace {
constexpr std::int64_t kMinute = 60'000;
}

TEST_CASE("No rates before a minute has been sampled", "[server][rate]") {
  TransactionRate rate;
  rate.Sample(0, 5);
  TransactionRate::Rates rates = rate.Read();
  CHECK(rates.last_minute == 0);
  CHECK(rates.last_hour == 0);
  CHECK(rates.peak == 0);
}

TEST_CASE("Last minute, last hour and the peak minute", "[server][rate]") {
  TransactionRate rate;
  rate.Sample(0, 100);
  rate.Sample(kMinute, 130);      // 30 in minute 1
  rate.Sample(2 * kMinute, 210);  // 80 in minute 2: the peak
  rate.Sample(3 * kMinute, 220);  // 10 in minute 3
  TransactionRate::Rates rates = rate.Read();
  CHECK(rates.last_minute == 10);
  CHECK(rates.last_hour == 120);
  CHECK(rates.peak == 80);
}

TEST_CASE("A sample soon after the last replaces it instead of making a short minute", "[server][rate]") {
  TransactionRate rate;
  rate.Sample(0, 0);
  rate.Sample(kMinute, 10);
  rate.Sample(kMinute + 2'000, 50);  // two seconds later: not a minute of 40
  TransactionRate::Rates rates = rate.Read();
  CHECK(rates.last_minute == 50);
  CHECK(rates.peak == 50);
}

TEST_CASE("The last hour forgets older minutes; the peak stays", "[server][rate]") {
  TransactionRate rate;
  std::uint64_t total = 0;
  rate.Sample(0, total);
  total += 1000;  // a busy first minute
  rate.Sample(kMinute, total);
  for (int minute = 2; minute <= 90; ++minute) {
    total += 1;
    rate.Sample(minute * kMinute, total);
  }
  TransactionRate::Rates rates = rate.Read();
  CHECK(rates.last_minute == 1);
  CHECK(rates.last_hour == 60);
  CHECK(rates.peak == 1000);
}
