// The Catch2 (v2, Debian 12) main for notesd_unit_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
