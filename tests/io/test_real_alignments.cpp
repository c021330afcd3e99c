// Real alignments from ../shared/data (skipped with a warning when absent). Sizes are those of
// ../shared/data/README.md, which were counted independently of this reader.
#include "io_test_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace pottsrbm;
using namespace pottsrbm::test;

TEST_CASE("Pfam PF00014 full alignment: padded A2M and A3M give the same 4,915 x 53 matrix", "[io][real]") {
    const auto a2m_path = shared_data("PF00014_full_pfam.a2m.gz");
    const auto a3m_path = shared_data("PF00014_full_pfam.a3m.gz");
    if (!a2m_path || !a3m_path) return;
    const auto a2m = io::read_alignment(a2m_path->string());
    const auto a3m = io::read_alignment(a3m_path->string());
    CHECK(a2m.format == msa::Format::a2m);
    CHECK(a3m.format == msa::Format::a3m);
    CHECK(a2m.sequences() == 4915);
    CHECK(a2m.length() == 53);
    CHECK(a3m.sequences() == 4915);
    CHECK(a3m.length() == 53);
    CHECK(a2m.ids == a3m.ids);
    CHECK(a2m.states == a3m.states);
    CHECK(a2m.ids.front() == "E5S5S7_TRISP/1276-1328");
    // README: uppercase B x1 and X x7 in match columns (lowercase x, z are inserts).
    CHECK(a2m.nonstandard.counts[0] == 1);
    CHECK(a2m.nonstandard.counts[3] == 7);
    CHECK(a2m.nonstandard.total() == 8);
    CHECK(a3m.nonstandard.counts == a2m.nonstandard.counts);
    CHECK(a3m.nonstandard.sequences == a2m.nonstandard.sequences);

    io::ReadOptions drop;
    drop.nonstandard = io::NonstandardPolicy::drop_sequence;
    const auto dropped = io::read_alignment(a2m_path->string(), drop);
    CHECK(dropped.sequences() == 4915 - a2m.nonstandard.sequences);
}

TEST_CASE("PGM WW alignment with '>>' headers: 17,233 x 31", "[io][real]") {
    const auto path = shared_data("PF00397_WW.fasta.gz");
    if (!path) return;
    const auto alignment = io::read_alignment(path->string());
    CHECK(alignment.format == msa::Format::fasta);
    CHECK(alignment.sequences() == 17233);
    CHECK(alignment.length() == 31);
    CHECK(alignment.ids.front() == "S1");
    CHECK(alignment.ids.back() == "S17233");
    CHECK(letter_rows(alignment).front() == "LPGEWKPCQDIT-GDIYYFNFANGQSMWDHP");
}

TEST_CASE("wrapped padded A2M (EVcouplings example): 53 x 420", "[io][real]") {
    const auto path = shared_data("example_aln_wrapped.a2m");
    if (!path) return;
    const auto alignment = io::read_alignment(path->string());
    CHECK(alignment.format == msa::Format::a2m);
    CHECK(alignment.sequences() == 53);
    CHECK(alignment.length() == 420);
    CHECK(alignment.ids.front() == "Q641K6_MOUSE");
}

TEST_CASE("PDZ alignment PF00595: 36,690 x 82", "[io][real]") {
    const auto path = shared_data("PF00595_mgap6.fasta.gz");
    if (!path) return;
    const auto alignment = io::read_alignment(path->string());
    CHECK(alignment.sequences() == 36690);
    CHECK(alignment.length() == 82);
    CHECK(std::find(alignment.ids.begin(), alignment.ids.end(), "DLG4_MOUSE/313-391") != alignment.ids.end());
}
