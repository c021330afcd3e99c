// Tests of the alignment filters on hand-made alignments: each filter alone, their order, the
// column map, the errors (focus absent, nothing left, bad parameters) and duplicate counting.
#include "msa_test_helpers.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/msa/filter.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace pottsrbm;
using test::make_alignment;
using test::rows_of;

namespace {

template <typename Error>
std::string error_message(msa::Alignment alignment, const msa::FilterParams& params) {
    try {
        (void)msa::apply_filters(alignment, params);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("no exception");
    return {};
}

}  // namespace

TEST_CASE("no filter leaves the alignment unchanged", "[filter]") {
    auto alignment = make_alignment({"AC-D", "AC-D", "----"});
    const auto report = msa::apply_filters(alignment, {});
    CHECK(rows_of(alignment) == std::vector<std::string>{"AC-D", "AC-D", "----"});
    CHECK(alignment.columns == std::vector<int>{0, 1, 2, 3});
    CHECK(alignment.ids == std::vector<std::string>{"s1", "s2", "s3"});
    CHECK(report.input_sequences == 3);
    CHECK(report.input_columns == 4);
    CHECK(report.removed_by_focus == 0);
    CHECK(report.removed_gappy_sequences == 0);
    CHECK(report.removed_gappy_columns == 0);
    CHECK(report.removed_duplicates == 0);
}

TEST_CASE("focus sequence keeps the columns where it has a residue", "[filter]") {
    auto alignment = make_alignment({"AC-DE-", "-CKDEF", "WWWWWW"}, {"x", "focus", "y"});
    alignment.columns = {0, 2, 3, 7, 8, 9};  // e.g. match columns left after insert removal
    alignment.original_length = 10;
    msa::FilterParams params;
    params.focus = "focus";
    const auto report = msa::apply_filters(alignment, params);
    CHECK(rows_of(alignment) == std::vector<std::string>{"C-DE-", "CKDEF", "WWWWW"});
    CHECK(alignment.columns == std::vector<int>{2, 3, 7, 8, 9});
    CHECK(alignment.ids == std::vector<std::string>{"x", "focus", "y"});
    CHECK(alignment.original_length == 10);
    CHECK(report.removed_by_focus == 1);
}

TEST_CASE("absent focus sequence and a focus of gaps only are input errors", "[filter]") {
    const auto alignment = make_alignment({"AC", "--"}, {"a", "b"});
    msa::FilterParams params;
    params.focus = "nope";
    const auto absent = error_message<InputError>(alignment, params);
    CHECK_THAT(absent, Catch::Contains("nope") && Catch::Contains("not found") && Catch::Contains("test.fasta"));
    msa::FilterParams gap_focus;
    gap_focus.focus = alignment.ids[1];
    const auto empty = error_message<InputError>(alignment, gap_focus);
    CHECK_THAT(empty, Catch::Contains("no column left") && Catch::Contains("--focus"));
}

TEST_CASE("gappy sequences: the fraction is compared with <=, exactly at the limit kept", "[filter]") {
    // Gap fractions over 10 columns: 0.1, 0.2, 0.3.
    auto alignment = make_alignment({"-ACDEFGHIK", "--CDEFGHIK", "---DEFGHIK"});
    msa::FilterParams params;
    params.max_sequence_gap = 0.2;
    const auto report = msa::apply_filters(alignment, params);
    CHECK(alignment.ids == std::vector<std::string>{"s1", "s2"});
    CHECK(report.removed_gappy_sequences == 1);
    CHECK(alignment.length() == 10);
}

TEST_CASE("gappy columns over the remaining sequences", "[filter]") {
    // Column gap fractions over 5 rows: col0 0.4, col1 0.6, col2 0.
    auto alignment = make_alignment({"--A", "--A", "A-A", "AAA", "AAA"});
    alignment.columns = {4, 5, 6};
    msa::FilterParams params;
    params.max_column_gap = 0.4;
    const auto report = msa::apply_filters(alignment, params);
    CHECK(rows_of(alignment) == std::vector<std::string>{"-A", "-A", "AA", "AA", "AA"});
    CHECK(alignment.columns == std::vector<int>{4, 6});
    CHECK(report.removed_gappy_columns == 1);
    CHECK(report.removed_gappy_sequences == 0);
}

TEST_CASE("exact duplicates over the kept columns, first copy kept", "[filter]") {
    auto alignment = make_alignment({"ACDE", "ACDE", "ACDF", "ACDE", "ACDF", "WCDE"}, {"a", "b", "c", "d", "e", "f"});
    CHECK(msa::count_duplicates(alignment) == 3);
    msa::FilterParams params;
    params.drop_duplicates = true;
    const auto report = msa::apply_filters(alignment, params);
    CHECK(rows_of(alignment) == std::vector<std::string>{"ACDE", "ACDF", "WCDE"});
    CHECK(alignment.ids == std::vector<std::string>{"a", "c", "f"});
    CHECK(report.removed_duplicates == 3);
    CHECK(msa::count_duplicates(alignment) == 0);
}

TEST_CASE("filters apply in the documented order: focus, sequences, columns, duplicates", "[filter]") {
    // Focus f has a gap in column 5, removed first. Over the 4 focus columns s2 has 2 gaps (0.5 >
    // 0.4: removed); over all 5 columns it would have had 0.4 (kept). Without s2, column 2 has 1 gap
    // in 4 rows (0.25 <= 0.3: kept; with s2 it would have been 0.4) and column 3 has 2 (0.5:
    // removed). Then s3 and s4 equal f (they differed only in columns 3 and 5): duplicates.
    auto alignment = make_alignment({"ACDE-", "--DEW", "AC-EF", "AC-EW", "A-DEF"}, {"f", "s2", "s3", "s4", "s5"});
    msa::FilterParams params;
    params.focus = "f";
    params.max_sequence_gap = 0.4;
    params.max_column_gap = 0.3;
    params.drop_duplicates = true;
    const auto report = msa::apply_filters(alignment, params);
    CHECK(report.removed_by_focus == 1);
    CHECK(report.removed_gappy_sequences == 1);
    CHECK(report.removed_gappy_columns == 1);
    CHECK(report.removed_duplicates == 2);
    CHECK(alignment.ids == std::vector<std::string>{"f", "s5"});
    CHECK(alignment.columns == std::vector<int>{0, 1, 3});
    CHECK(rows_of(alignment) == std::vector<std::string>{"ACE", "A-E"});
}

TEST_CASE("filters that remove everything name themselves", "[filter]") {
    const auto alignment = make_alignment({"-A", "--"});
    msa::FilterParams params;
    params.max_sequence_gap = 0.0;
    CHECK_THAT(error_message<InputError>(make_alignment({"-A", "--"}), params),
               Catch::Contains("no sequence left") && Catch::Contains("--max-seq-gap"));
    params = {};
    params.max_column_gap = 0.4;
    CHECK_THAT(error_message<InputError>(alignment, params),
               Catch::Contains("no column left") && Catch::Contains("--max-col-gap"));
}

TEST_CASE("filter parameters are validated with the option and value", "[filter]") {
    const auto check = [](double seq, double col, const std::string& option, const std::string& value) {
        msa::FilterParams params;
        params.max_sequence_gap = seq;
        params.max_column_gap = col;
        try {
            params.validate();
            FAIL("no exception for " << option << " " << value);
        } catch (const UsageError& e) {
            CHECK_THAT(e.what(), Catch::Contains(option) && Catch::Contains(value));
        }
    };
    check(-0.1, 1.0, "--max-seq-gap", "-0.1");
    check(1.5, 1.0, "--max-seq-gap", "1.5");
    check(std::numeric_limits<double>::quiet_NaN(), 1.0, "--max-seq-gap", "nan");
    check(1.0, 2.0, "--max-col-gap", "2");
    check(1.0, -std::numeric_limits<double>::infinity(), "--max-col-gap", "inf");
    msa::FilterParams ok;
    ok.max_sequence_gap = 0.0;
    ok.max_column_gap = 1.0;
    CHECK_NOTHROW(ok.validate());
    auto alignment = make_alignment({"AC"});
    msa::FilterParams bad;
    bad.max_column_gap = 1.01;
    CHECK_THROWS_AS(msa::apply_filters(alignment, bad), UsageError);
}

TEST_CASE("filters on a large random alignment agree with a direct computation", "[filter]") {
    auto alignment = test::random_alignment(5000, 40, 11, {0.3, 0.05, 3});
    // Make the columns gappy to different degrees.
    Rng rng(5, 0);
    for (Eigen::Index m = 0; m < alignment.states.rows(); ++m)
        for (int j = 0; j < 40; ++j)
            if (rng.uniform() < 0.01 * j) alignment.states(m, j) = gap_state;
    const auto original = alignment;
    msa::FilterParams params;
    params.max_sequence_gap = 0.3;
    params.max_column_gap = 0.25;
    params.drop_duplicates = true;
    const auto report = msa::apply_filters(alignment, params);

    std::vector<Eigen::Index> rows;
    for (Eigen::Index m = 0; m < original.states.rows(); ++m)
        if ((original.states.row(m).array() == 0).count() <= 12) rows.push_back(m);  // 12 / 40 = 0.3
    std::vector<int> columns;
    for (int j = 0; j < 40; ++j) {
        std::int64_t gaps = 0;
        for (auto m : rows) gaps += original.states(m, j) == 0;
        if (static_cast<double>(gaps) / static_cast<double>(rows.size()) <= 0.25) columns.push_back(j);
    }
    std::vector<std::string> expected;
    std::vector<std::string> expected_ids;
    for (auto m : rows) {
        std::string row;
        for (int j : columns) row += letter_of(original.states(m, j));
        if (std::find(expected.begin(), expected.end(), row) == expected.end()) {
            expected.push_back(row);
            expected_ids.push_back(original.ids[static_cast<std::size_t>(m)]);
        }
    }
    CHECK(alignment.columns == columns);
    CHECK(rows_of(alignment) == expected);
    CHECK(alignment.ids == expected_ids);
    CHECK(report.removed_gappy_sequences == original.sequences() - static_cast<std::int64_t>(rows.size()));
    CHECK(report.removed_gappy_columns == 40 - static_cast<int>(columns.size()));
    CHECK(report.removed_duplicates == static_cast<std::int64_t>(rows.size() - expected.size()));
    CHECK(report.removed_duplicates > 0);
    CHECK(report.removed_gappy_columns > 0);
    CHECK(report.removed_gappy_sequences > 0);
}
