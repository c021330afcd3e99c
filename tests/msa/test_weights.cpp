// Tests of the sequence weights: the identity threshold in columns, the fast neighbour counts
// against the reference double loop on many shapes and thread counts, a hand-computed example,
// and the weights file format.
#include "msa_test_helpers.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/msa/weights.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>

using namespace pottsrbm;
using test::make_alignment;

namespace {

/// Restores the default thread count when a test changed it.
struct ThreadGuard {
    ~ThreadGuard() { set_threads(0); }
};

std::string read_error(const std::string& text, std::int64_t expected) {
    std::istringstream in(text);
    try {
        (void)msa::read_weights(in, "w.txt", expected);
    } catch (const InputError& e) {
        return e.what();
    }
    FAIL("no InputError for: " << text);
    return {};
}

}  // namespace

TEST_CASE("min_identical_columns is the smallest k with k / N >= theta", "[weights]") {
    CHECK(msa::min_identical_columns(10, 0.8) == 8);
    CHECK(msa::min_identical_columns(10, 0.7) == 7);
    CHECK(msa::min_identical_columns(10, 0.71) == 8);
    CHECK(msa::min_identical_columns(82, 0.8) == 66);
    CHECK(msa::min_identical_columns(25, 0.28) == 7);   // ceil(0.28 * 25) in doubles gives 8
    CHECK(msa::min_identical_columns(100, 0.07) == 7);  // ceil(0.07 * 100) in doubles gives 8
    CHECK(msa::min_identical_columns(1, 0.0) == 0);
    CHECK(msa::min_identical_columns(1, 0.5) == 1);
    CHECK(msa::min_identical_columns(1, 1.0) == 1);
    CHECK(msa::min_identical_columns(3, 1.0 / 3.0) == 1);
    CHECK(msa::min_identical_columns(3, 2.0 / 3.0) == 2);
    CHECK(msa::min_identical_columns(0, 0.8) == 0);
    CHECK(msa::min_identical_columns(100000, 1.0) == 100000);
    CHECK(msa::min_identical_columns(100000, 0.0) == 0);
    CHECK(msa::min_identical_columns(100000, std::nextafter(0.0, 1.0)) == 1);
    CHECK(msa::min_identical_columns(10, std::nextafter(0.8, 1.0)) == 9);
    CHECK(msa::min_identical_columns(10, std::nextafter(0.8, 0.0)) == 8);
    // Exact oracle for every two-decimal threshold: k / N >= t / 100 <=> 100 k >= t N.
    for (int n = 1; n <= 400; ++n)
        for (int t = 0; t <= 100; ++t) {
            const int exact = (t * n + 99) / 100;
            if (msa::min_identical_columns(n, t / 100.0) != exact) FAIL_CHECK("N " << n << " theta " << t / 100.0);
        }
    CHECK_THROWS_AS(msa::min_identical_columns(10, -0.01), UsageError);
    CHECK_THROWS_AS(msa::min_identical_columns(10, 1.01), UsageError);
    CHECK_THROWS_WITH(msa::min_identical_columns(10, std::numeric_limits<double>::quiet_NaN()),
                      Catch::Contains("--identity") && Catch::Contains("nan"));
}

TEST_CASE("weights of a hand-computed example", "[weights]") {
    // Identities (N = 4): s1-s2 3/4, s1-s4 1, s2-s4 3/4, s3 and s5 (all gaps) match nobody at
    // theta >= 0.5 (s1-s3: 0, s2-s3: 1/4, s3-s5: 0, s1-s5: 0).
    const auto alignment = make_alignment({"AAAA", "AAAC", "CCCC", "AAAA", "----"});
    const Eigen::VectorXi counts_75 = msa::neighbour_counts(alignment, 0.75);
    CHECK(counts_75 == (Eigen::VectorXi(5) << 3, 3, 1, 3, 1).finished());
    const Eigen::VectorXd weights_75 = msa::compute_weights(alignment, 0.75);
    CHECK(weights_75.sum() == Approx(3.0).epsilon(1e-15));
    CHECK(weights_75(0) == 1.0 / 3.0);
    const Eigen::VectorXi counts_80 = msa::neighbour_counts(alignment, 0.8);
    CHECK(counts_80 == (Eigen::VectorXi(5) << 2, 1, 1, 2, 1).finished());
    CHECK(msa::compute_weights(alignment, 0.8).sum() == 4.0);
    CHECK(msa::neighbour_counts(alignment, 0.25) == (Eigen::VectorXi(5) << 3, 4, 2, 3, 1).finished());
    CHECK(msa::neighbour_counts(alignment, 0.0) == Eigen::VectorXi::Constant(5, 5));
    CHECK(msa::neighbour_counts(alignment, 1.0) == (Eigen::VectorXi(5) << 2, 1, 1, 2, 1).finished());
    CHECK(msa::neighbour_counts_reference(alignment, 0.75) == counts_75);
    CHECK(msa::compute_weights_reference(alignment, 0.8) == msa::compute_weights(alignment, 0.8));
    CHECK_THROWS_AS(msa::neighbour_counts(alignment, 1.5), UsageError);
    CHECK_THROWS_AS(msa::neighbour_counts_reference(alignment, -1.0), UsageError);
}

TEST_CASE("fast neighbour counts equal the reference on many shapes, with 1 and 2 threads", "[weights]") {
    ThreadGuard guard;
    std::uint64_t seed = 100;
    for (int n : {1, 31, 32, 33, 64, 82, 200, 255, 256, 1000}) {
        for (std::int64_t m : {1, 2, 33, 100, 1000}) {
            // M = 1000 for a few lengths only: the reference loop is slow under sanitizers.
            if (m == 1000 && n != 1 && n != 32 && n != 33 && n != 82 && n != 256) continue;
            const auto alignment = test::random_alignment(m, n, ++seed, {0.2, 0.05, 3});
            for (double theta : {0.0, 0.5, 0.8, 1.0}) {
                const Eigen::VectorXi reference = msa::neighbour_counts_reference(alignment, theta);
                for (int threads : {1, 2}) {
                    set_threads(threads);
                    INFO("N " << n << " M " << m << " theta " << theta << " threads " << threads);
                    CHECK(msa::neighbour_counts(alignment, theta) == reference);
                }
            }
        }
    }
    const auto large = test::random_alignment(600, 1000, 7, {0.2, 0.05, 3});
    for (double theta : {0.3, 0.8}) {
        const Eigen::VectorXi reference = msa::neighbour_counts_reference(large, theta);
        for (int threads : {1, 2}) {
            set_threads(threads);
            CHECK(msa::neighbour_counts(large, theta) == reference);
        }
    }
}

TEST_CASE("fast neighbour counts with many duplicates, gap rows and close thresholds", "[weights]") {
    ThreadGuard guard;
    // Mostly duplicates and all-gap rows: multiplicities up to hundreds.
    const auto dense = test::random_alignment(700, 50, 3, {0.8, 0.15, 2});
    // Identities concentrated around the threshold: one family, low mutation rates.
    const auto close = test::random_alignment(500, 90, 4, {0.0, 0.0, 1});
    // Only gaps.
    const auto gaps = make_alignment(std::vector<std::string>(40, std::string(70, '-')));
    for (const auto* alignment : {&dense, &close, &gaps}) {
        for (double theta : {0.0, 0.2, 0.62, 0.8, 0.9, 0.95, 1.0}) {
            const Eigen::VectorXi reference = msa::neighbour_counts_reference(*alignment, theta);
            for (int threads : {1, 2, 5}) {
                set_threads(threads);
                CHECK(msa::neighbour_counts(*alignment, theta) == reference);
            }
        }
    }
    CHECK(msa::neighbour_counts(gaps, 1.0) == Eigen::VectorXi::Constant(40, 40));
}

TEST_CASE("fast neighbour counts do not depend on the thread count", "[weights]") {
    ThreadGuard guard;
    // Large enough (about 2.5e8 comparisons) for the parallel path, which small inputs skip.
    const auto alignment = test::random_alignment(2000, 120, 21, {0.05, 0.01, 6});
    for (double theta : {0.5, 0.8}) {
        const Eigen::VectorXi reference = msa::neighbour_counts_reference(alignment, theta);
        for (int threads : {1, 2, 3, 5}) {
            set_threads(threads);
            INFO("theta " << theta << " threads " << threads);
            CHECK(msa::neighbour_counts(alignment, theta) == reference);
        }
    }
}

TEST_CASE("weights of degenerate alignments", "[weights]") {
    msa::Alignment empty;
    CHECK(msa::neighbour_counts(empty, 0.8).size() == 0);
    CHECK(msa::neighbour_counts_reference(empty, 0.8).size() == 0);
    // No columns: every pair counts as identical in both implementations.
    msa::Alignment no_columns;
    no_columns.states.resize(3, 0);
    CHECK(msa::neighbour_counts(no_columns, 0.8) == Eigen::VectorXi::Constant(3, 3));
    CHECK(msa::neighbour_counts_reference(no_columns, 0.8) == Eigen::VectorXi::Constant(3, 3));
}

TEST_CASE("weights files round-trip exactly", "[weights]") {
    Eigen::VectorXd weights(7);
    weights << 1.0 / 3.0, 1e-300, 0.0, 12345.678, 0.1, 1.0, 2.0 / 7.0;
    std::ostringstream out;
    msa::write_weights(out, weights);
    const std::string text = out.str();
    CHECK(std::count(text.begin(), text.end(), '\n') == 7);
    std::istringstream in(text);
    const Eigen::VectorXd back = msa::read_weights(in, "w.txt", 7);
    CHECK(back == weights);
}

TEST_CASE("weights files: comments, blank lines and errors with file and line", "[weights]") {
    std::istringstream in("# weights\n\n 0.5 \n1e-3  # a comment\n+2\n\t\n3\r\n");
    const Eigen::VectorXd weights = msa::read_weights(in, "w.txt", 4);
    CHECK(weights == (Eigen::VectorXd(4) << 0.5, 1e-3, 2.0, 3.0).finished());

    CHECK_THAT(read_error("1\nabc\n", 2),
               Catch::Contains("w.txt") && Catch::Contains("line 2") && Catch::Contains("abc"));
    CHECK_THAT(read_error("1\n2 3\n", 2), Catch::Contains("w.txt") && Catch::Contains("line 2"));
    CHECK_THAT(read_error("1.5x\n", 1), Catch::Contains("line 1"));
    CHECK_THAT(read_error("# c\n-1\n", 1),
               Catch::Contains("w.txt") && Catch::Contains("line 2") && Catch::Contains("non-negative"));
    CHECK_THAT(read_error("nan\n", 1), Catch::Contains("line 1") && Catch::Contains("finite"));
    CHECK_THAT(read_error("inf\n", 1), Catch::Contains("line 1") && Catch::Contains("finite"));
    CHECK_THAT(read_error("1e999\n", 1), Catch::Contains("line 1"));
    CHECK_THAT(read_error("1\n2\n3\n", 2),
               Catch::Contains("w.txt") && Catch::Contains("line 3") && Catch::Contains("more weights than the 2"));
    CHECK_THAT(read_error("1\n\n", 2),
               Catch::Contains("w.txt") && Catch::Contains("line 2") && Catch::Contains("1 weights for the 2"));
    CHECK_THAT(read_error("", 1), Catch::Contains("0 weights for the 1"));
}
