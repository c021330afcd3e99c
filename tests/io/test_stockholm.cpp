// Reading Stockholm 1.0: interleaved blocks, annotation lines, insert columns by case or by
// the #=GC RF line, '.' gaps in match columns, gzip.
#include "io_test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace pottsrbm;
using namespace pottsrbm::test;

namespace {

// Two blocks (hmmalign/Pfam style): lowercase and '.' columns 3, 4 and 9 are inserts.
// Match rows: ACEFGHIK, -CEFLMN-, WY-HPQRS.
const std::string pfam_style =
    "# STOCKHOLM 1.0\n"
    "#=GF ID   test\n"
    "#=GF DE   A test family\n"
    "#=GS seq1/1-10 AC P00001.1\n"
    "#=GS seq2/3-9  AC P00002.1\n"
    "\n"
    "seq1/1-10   ACd.EF\n"
    "#=GR seq1/1-10 SS  HH..EE\n"
    "seq2/3-9    -C.kEF\n"
    "seq3        WYa.-H\n"
    "#=GC SS_cons   HH..EE\n"
    "\n"
    "seq1/1-10   GHI.K\n"
    "#=GR seq1/1-10 SS  CCC.C\n"
    "seq2/3-9    LMNa-\n"
    "seq3        PQR.S\n"
    "#=GC SS_cons   CCC.C\n"
    "# a comment line\n"
    "//\n";

const std::vector<std::string> pfam_rows = {"ACEFGHIK", "-CEFLMN-", "WY-HPQRS"};
const std::vector<std::string> pfam_ids = {"seq1/1-10", "seq2/3-9", "seq3"};

std::string with_rf(const std::string& rf_block1, const std::string& rf_block2) {
    std::string text = pfam_style;
    const auto first = text.find("#=GC SS_cons   HH..EE\n");
    text.insert(first, "#=GC RF   " + rf_block1 + "\n");
    const auto second = text.find("#=GC SS_cons   CCC.C\n");
    text.insert(second, "#=GC RF   " + rf_block2 + "\n");
    return text;
}

}  // namespace

TEST_CASE("Stockholm: interleaved blocks, every #= line kind, lowercase/'.' insert columns", "[io][stockholm]") {
    const auto path = write_input("family.sto", pfam_style);
    const auto alignment = io::read_alignment(path);
    CHECK(alignment.format == msa::Format::stockholm);
    CHECK(alignment.source == path);
    CHECK(alignment.ids == pfam_ids);
    CHECK(letter_rows(alignment) == pfam_rows);
    CHECK(alignment.original_length == 8);
    CHECK(alignment.columns == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("Stockholm: the #=GC RF line decides the match columns", "[io][stockholm]") {
    // RF agreeing with the case of the residues.
    const auto same = io::parse_alignment(with_rf("xx..xx", "xxx.x"), "rf.sto");
    CHECK(letter_rows(same) == pfam_rows);
    // RF marking column 3 (d . a) as a match state: its residues are read whatever their case,
    // and uppercase residues in RF insert columns (column 10) are dropped.
    const auto rf3 = io::parse_alignment(with_rf("xxx.xx", "xxx.-"), "rf.sto");
    CHECK(letter_rows(rf3) == std::vector<std::string>{"ACDEFGHI", "-C-EFLMN", "WYA-HPQR"});
}

TEST_CASE("Stockholm seed style: '.' in match columns is a gap", "[io][stockholm]") {
    const auto alignment = io::parse_alignment("# STOCKHOLM 1.0\ns1 AC.EF\ns2 A..EF\ns3 .CDE.\n//\n", "seed.sto");
    CHECK(letter_rows(alignment) == std::vector<std::string>{"AC-EF", "A--EF", "-CDE-"});
}

TEST_CASE("Stockholm: non-standard symbols, CRLF, trailing blank lines, gzip", "[io][stockholm][gzip]") {
    std::string text = "# STOCKHOLM 1.0\r\n\r\ns1 ACXE\r\ns2 B*DE\r\n//\r\n\r\n";
    const auto alignment = io::parse_alignment(text, "ns.sto");
    CHECK(letter_rows(alignment) == std::vector<std::string>{"AC-E", "--DE"});
    CHECK(alignment.nonstandard.counts == std::array<std::int64_t, 7>{1, 0, 0, 1, 0, 0, 1});
    CHECK(alignment.nonstandard.sequences == 2);

    const auto plain = io::read_alignment(write_input("family.sto", pfam_style));
    const auto gz = io::read_alignment(write_input("family.sto.gz", gzip(pfam_style)));
    CHECK(gz.format == msa::Format::stockholm);
    CHECK(gz.ids == plain.ids);
    CHECK(gz.states == plain.states);
}

TEST_CASE("Stockholm: Debian hmmer-examples files read with the sizes counted independently", "[io][stockholm][real]") {
    // M x N counted with a separate Python script: sequences by name over all blocks, match
    // columns = columns with an uppercase residue, '-' or '*' (these files have no #=GC RF).
    struct Expected {
        const char* path;
        std::int64_t m;
        int n;
        const char* first_id;
    };
    const Expected files[] = {
        {"/usr/share/doc/hmmer/examples/tutorial/Pkinase.sto", 38, 419, "CDC15_YEAST/25-272"},
        {"/usr/share/doc/hmmer/examples/tutorial/fn3.sto", 98, 117, "LAR_DROME/418-503"},
        {"/usr/share/doc/hmmer/examples/testsuite/RRM_1.sto.gz", 79, 80, "GBP2_YEAST/221-291"},
    };
    for (const auto& expected : files) {
        if (!std::filesystem::exists(expected.path)) {
            WARN("skipped: " << expected.path << " is absent (Debian package hmmer-examples)");
            continue;
        }
        const auto alignment = io::read_alignment(expected.path);
        CHECK(alignment.format == msa::Format::stockholm);
        CHECK(alignment.sequences() == expected.m);
        CHECK(alignment.length() == expected.n);
        CHECK(alignment.ids.front() == expected.first_id);
    }
}
