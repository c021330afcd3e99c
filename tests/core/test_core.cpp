// Tests of the core module: alphabet tables, RNG streams, atomic output files.
#include "support/test_support.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/core/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace pottsrbm;

TEST_CASE("alphabet maps letters to states in -ACDEFGHIKLMNPQRSTVWY order", "[alphabet]") {
    for (int a = 0; a < q_states; ++a) CHECK(state_of(letter_of(a)) == a);
    CHECK(state_of('-') == 0);
    CHECK(state_of('A') == 1);
    CHECK(state_of('Y') == 20);
    CHECK(state_of('y') == 20);
    CHECK(classify_symbol('W') == SymbolClass::residue);
    CHECK(classify_symbol('w') == SymbolClass::insert_residue);
    CHECK(classify_symbol('-') == SymbolClass::gap);
    CHECK(classify_symbol('.') == SymbolClass::insert_gap);
    for (char c : std::string("BZJXUO*")) CHECK(classify_symbol(c) == SymbolClass::nonstandard);
    for (char c : std::string("x1 #?\t\n")) CHECK((classify_symbol(c) == SymbolClass::invalid) == (c != 'x'));
}

TEST_CASE("RNG streams are reproducible and distinct", "[rng]") {
    Rng a(42, 0), b(42, 0), c(42, 1), d(43, 0);
    bool differs_c = false, differs_d = false;
    for (int i = 0; i < 100; ++i) {
        const auto x = a();
        CHECK(x == b());
        differs_c |= x != c();
        differs_d |= x != d();
    }
    CHECK(differs_c);
    CHECK(differs_d);
    Rng e(7, 3);
    const auto saved = e.state();
    const double first = e.uniform();
    e.set_state(saved);
    CHECK(e.uniform() == first);
}

TEST_CASE("RNG uniform and normal moments", "[rng]") {
    Rng rng(1, 0);
    const int n = 200000;
    double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0;
    std::array<int, 10> bins{};
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        REQUIRE(u >= 0.0);
        REQUIRE(u < 1.0);
        sum += u;
        sum2 += u * u;
        const double z = rng.normal();
        nsum += z;
        nsum2 += z * z;
        ++bins[rng.below(10)];
    }
    CHECK(std::abs(sum / n - 0.5) < 0.005);
    CHECK(std::abs(sum2 / n - 1.0 / 3.0) < 0.005);
    CHECK(std::abs(nsum / n) < 0.01);
    CHECK(std::abs(nsum2 / n - 1.0) < 0.01);
    double chi2 = 0;
    for (int count : bins) chi2 += (count - n / 10.0) * (count - n / 10.0) / (n / 10.0);
    CHECK(chi2 < 27.9);  // chi-square, 9 degrees of freedom, p = 0.001
}

TEST_CASE("OutputFile writes atomically and refuses to overwrite without force", "[output]") {
    const auto dir = test::scratch_dir("output");
    const auto path = (dir / "out.txt").string();
    {
        OutputFile out(path, false);
        out.stream() << "first\n";
        CHECK_FALSE(std::filesystem::exists(path));
        out.commit();
    }
    CHECK(test::read_file(path) == "first\n");
    CHECK_THROWS_AS(OutputFile(path, false), UsageError);
    {
        OutputFile out(path, true);
        out.stream() << "second\n";
        // destroyed without commit: the old file stays, no temporary is left behind
    }
    CHECK(test::read_file(path) == "first\n");
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++entries;
    CHECK(entries == 1);
}
