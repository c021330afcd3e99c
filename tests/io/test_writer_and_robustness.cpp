// write_fasta (exact text, round trips through the readers) and robustness of the readers on
// mutated and very large inputs: every outcome is an Alignment or a pottsrbm::Error.
#include "io_test_helpers.hpp"

#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/io/alignment_writer.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace pottsrbm;
using namespace pottsrbm::test;

namespace {

const std::string a2m_text =
    ">s1 desc\nACdeFG.H\n"
    ">s2\n-C..F-kL\n"
    ">s3\nWY..XB.*\n";

const std::string stockholm_text =
    "# STOCKHOLM 1.0\n#=GF ID x\n#=GS s1 AC P1\n\n"
    "s1   ACd.EF\n#=GR s1 SS HH..EE\ns2   -C.kEF\n#=GC RF xx..xx\n\n"
    "s1   GHI.K\ns2   LMNa-\n#=GC RF xxx.x\n//\n";

void check_invariants(const msa::Alignment& alignment) {
    REQUIRE(static_cast<Eigen::Index>(alignment.ids.size()) == alignment.states.rows());
    REQUIRE(alignment.states.rows() > 0);
    REQUIRE(alignment.states.cols() > 0);
    REQUIRE(static_cast<Eigen::Index>(alignment.columns.size()) == alignment.states.cols());
    REQUIRE(alignment.original_length == alignment.length());
    REQUIRE(alignment.states.maxCoeff() < q_states);
    for (const auto& id : alignment.ids) REQUIRE(!id.empty());
}

// Parses `bytes`; returns true when it gave an alignment, false on a pottsrbm::Error.
bool parses(const std::string& bytes) {
    try {
        check_invariants(io::parse_alignment(bytes, "mutant"));
        return true;
    } catch (const Error& e) {
        const std::string message = e.what();
        REQUIRE(message.rfind("mutant: ", 0) == 0);
        REQUIRE(message.find('\n') == std::string::npos);
        return false;
    }
}

std::string mutate(std::string text, Rng& rng) {
    static const std::string palette = ">\n.aA-#/ \r*X1;=\t";
    const int edits = 1 + static_cast<int>(rng.below(4));
    for (int e = 0; e < edits && !text.empty(); ++e) {
        const auto at = static_cast<std::size_t>(rng.below(text.size()));
        switch (rng.below(6)) {
            case 0: text[at] = palette[rng.below(palette.size())]; break;
            case 1: text[at] = static_cast<char>(rng.below(256)); break;
            case 2: text.erase(at, 1 + rng.below(8)); break;
            case 3: text.insert(at, text.substr(at, 1 + rng.below(40))); break;
            case 4: text.resize(at); break;
            default: text.insert(at, std::string(1, palette[rng.below(palette.size())])); break;
        }
    }
    return text;
}

}  // namespace

TEST_CASE("write_fasta writes '>id' and the state letters of every row", "[io][writer]") {
    const auto alignment = io::parse_alignment(a2m_text, "in.a2m");
    std::ostringstream out;
    io::write_fasta(out, alignment);
    CHECK(out.str() == ">s1\nACFGH\n>s2\n-CF-L\n>s3\nWY---\n");
}

TEST_CASE("write_fasta output reads back to the same ids and states", "[io][writer]") {
    for (const auto& text : {a2m_text, stockholm_text}) {
        const auto alignment = io::parse_alignment(text, "in");
        std::ostringstream out;
        io::write_fasta(out, alignment);
        const auto again = io::parse_alignment(out.str(), "out.fasta");
        CHECK(again.format == msa::Format::fasta);
        CHECK(again.ids == alignment.ids);
        CHECK(again.states == alignment.states);
    }
    if (const auto path = shared_data("PF00014_full_pfam.a2m.gz")) {
        const auto alignment = io::read_alignment(path->string());
        std::ostringstream out;
        io::write_fasta(out, alignment);
        const auto again = io::parse_alignment(out.str(), "out.fasta");
        CHECK(again.ids == alignment.ids);
        CHECK(again.states == alignment.states);
    }
}

TEST_CASE("mutated inputs give an alignment or one InputError line, never a crash", "[io][robustness]") {
    const std::vector<std::string> seeds = {a2m_text, stockholm_text, ">a\nACDE\n>b\nAC-E\n",
                                            ">s1\nACDEF\n>s2\nACgDEF\n>s3\nA-DEF\n"};
    Rng rng(2024, 0);
    int parsed = 0, rejected = 0;
    for (int round = 0; round < 3000; ++round) {
        const auto& seed = seeds[rng.below(seeds.size())];
        std::string text = mutate(seed, rng);
        if (round % 5 == 0) text = gzip(text);
        if (round % 7 == 0) text = mutate(gzip(seed), rng);  // corrupt gzip streams
        (parses(text) ? parsed : rejected)++;
    }
    INFO("parsed " << parsed << ", rejected " << rejected);
    CHECK(parsed > 100);
    CHECK(rejected > 100);
}

TEST_CASE("large inputs read in linear time: many records, many blocks, long rows", "[io][robustness]") {
    std::string many_records;
    for (int i = 0; i < 200000; ++i) many_records += ">s\nA\n";
    CHECK(io::parse_alignment(many_records, "many.fasta").sequences() == 200000);

    std::string many_blocks = "# STOCKHOLM 1.0\n";
    for (int b = 0; b < 20000; ++b) many_blocks += "\nseq1 AC\nseq2 A-\n#=GC RF xx\n";
    many_blocks += "//\n";
    const auto blocks = io::parse_alignment(many_blocks, "blocks.sto");
    CHECK(blocks.sequences() == 2);
    CHECK(blocks.length() == 40000);

    const std::string long_row(2000000, 'W');
    const auto wide = io::parse_alignment(">a\n" + long_row + "\n>b\n" + long_row + "\n", "wide.fasta");
    CHECK(wide.length() == 2000000);

    // Duplicate ids everywhere in one Stockholm block: rejected at the first repeat.
    std::string duplicates = "# STOCKHOLM 1.0\n";
    for (int i = 0; i < 100000; ++i) duplicates += "x A\n";
    CHECK(input_error_of([&] { (void)io::parse_alignment(duplicates + "//\n", "dup.sto"); }) ==
          "dup.sto: line 3: duplicate sequence id 'x' in the block (first at line 2)");
}
