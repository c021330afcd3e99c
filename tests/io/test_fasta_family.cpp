// Reading aligned FASTA, A2M and A3M (plain and gzipped), non-standard symbols, format detection.
#include "io_test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace pottsrbm;
using namespace pottsrbm::test;

namespace {

const std::string one_line_fasta =
    ">seqA first sequence\n"
    "ACDEFGHIKL\n"
    ">seqB\n"
    "MNPQRSTVWY\n"
    ">seqC\n"
    "A-C-E-G-I-\n";

const std::vector<std::string> fasta_rows = {"ACDEFGHIKL", "MNPQRSTVWY", "A-C-E-G-I-"};

// Padded A2M, raw columns M M i i M M i M: match rows ACFGH, -CF-L, WY--- (X, B, * map to the gap).
const std::string padded_a2m =
    ">s1\n"
    "ACdeFG.H\n"
    ">s2 second\n"
    "-C..F-kL\n"
    ">s3\n"
    "WY..XB.*\n";

// The same alignment with the dots removed (A3M).
const std::string a3m =
    ">s1\n"
    "ACdeFGH\n"
    ">s2 second\n"
    "-CF-kL\n"
    ">s3\n"
    "WYXB*\n";

const std::vector<std::string> a2m_rows = {"ACFGH", "-CF-L", "WY---"};

}  // namespace

TEST_CASE("one-line aligned FASTA fills every Alignment field", "[io][fasta]") {
    const auto path = write_input("aln.fasta", one_line_fasta);
    const auto alignment = io::read_alignment(path);
    CHECK(alignment.source == path);
    CHECK(alignment.format == msa::Format::fasta);
    CHECK(alignment.ids == std::vector<std::string>{"seqA", "seqB", "seqC"});
    CHECK(letter_rows(alignment) == fasta_rows);
    CHECK(alignment.sequences() == 3);
    CHECK(alignment.length() == 10);
    CHECK(alignment.original_length == 10);
    CHECK(alignment.columns == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(alignment.nonstandard.total() == 0);
    CHECK(alignment.nonstandard.sequences == 0);
    CHECK(alignment.states(0, 0) == 1);   // A
    CHECK(alignment.states(1, 9) == 20);  // Y
    CHECK(alignment.states(2, 1) == 0);   // gap
}

TEST_CASE("wrapped FASTA, CRLF line ends, blank lines and trailing blanks read like one-line FASTA", "[io][fasta]") {
    const std::string wrapped =
        ">seqA first sequence\n"
        "ACDEF\n"
        "GHIKL\n"
        ">seqB\n"
        "MNPQR  \n"
        "STVWY\t\n"
        "\n"
        ">seqC\n"
        "A-C-E\n"
        "-G-I-";  // no final newline
    std::string crlf;
    for (char c : one_line_fasta) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    for (const auto& content : {wrapped, crlf}) {
        const auto alignment = io::read_alignment(write_input("aln.fasta", content));
        CHECK(alignment.format == msa::Format::fasta);
        CHECK(alignment.ids == std::vector<std::string>{"seqA", "seqB", "seqC"});
        CHECK(letter_rows(alignment) == fasta_rows);
    }
}

TEST_CASE("'>>' headers (PGM files) and blanks after '>' give the first word as id", "[io][fasta]") {
    const auto alignment = io::read_alignment(write_input("pgm.fasta", ">>S1\nACDE\n>> S2 x\nFGHI\n>  S3\tdesc\nKLMN\n"));
    CHECK(alignment.ids == std::vector<std::string>{"S1", "S2", "S3"});
    CHECK(letter_rows(alignment) == std::vector<std::string>{"ACDE", "FGHI", "KLMN"});
}

TEST_CASE("comment lines before the first header are skipped (ColabFold A3M)", "[io][a3m]") {
    const auto alignment = io::read_alignment(write_input("colabfold.a3m", "#5\t1\n>101\nACDEF\n>seq2\nAC-kkEF\n"));
    CHECK(alignment.format == msa::Format::a3m);
    CHECK(alignment.ids == std::vector<std::string>{"101", "seq2"});
    CHECK(letter_rows(alignment) == std::vector<std::string>{"ACDEF", "AC-EF"});
}

TEST_CASE("A2M drops lowercase and '.' insert states", "[io][a2m]") {
    const auto alignment = io::read_alignment(write_input("aln.a2m", padded_a2m));
    CHECK(alignment.format == msa::Format::a2m);
    CHECK(alignment.ids == std::vector<std::string>{"s1", "s2", "s3"});
    CHECK(letter_rows(alignment) == a2m_rows);
    CHECK(alignment.original_length == 5);
    CHECK(alignment.columns == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("A3M drops lowercase inserts and matches the padded A2M", "[io][a3m]") {
    const auto from_a3m = io::read_alignment(write_input("aln.a3m", a3m));
    const auto from_a2m = io::read_alignment(write_input("aln.a2m", padded_a2m));
    CHECK(from_a3m.format == msa::Format::a3m);
    CHECK(from_a3m.ids == from_a2m.ids);
    CHECK(from_a3m.states == from_a2m.states);
    CHECK(letter_rows(from_a3m) == a2m_rows);
}

TEST_CASE("non-standard symbols map to the gap and are counted, or drop their sequence", "[io][nonstandard]") {
    // B Z J X U O * in match columns; lowercase x in an insert column is not counted.
    const std::string padded =
        ">plain\nACDEFGH.\n"
        ">amb\nBZJXACD.\n"
        ">rare\nUOA*CDEx\n";
    const auto path = write_input("ns.a2m", padded);
    const auto mapped = io::read_alignment(path);
    CHECK(letter_rows(mapped) == std::vector<std::string>{"ACDEFGH", "----ACD", "--A-CDE"});
    CHECK(mapped.nonstandard.counts == std::array<std::int64_t, 7>{1, 1, 1, 1, 1, 1, 1});
    CHECK(mapped.nonstandard.sequences == 2);
    CHECK(mapped.nonstandard.total() == 7);

    io::ReadOptions drop;
    drop.nonstandard = io::NonstandardPolicy::drop_sequence;
    const auto dropped = io::read_alignment(path, drop);
    CHECK(dropped.ids == std::vector<std::string>{"plain"});
    CHECK(letter_rows(dropped) == std::vector<std::string>{"ACDEFGH"});
    CHECK(dropped.nonstandard.counts == mapped.nonstandard.counts);
    CHECK(dropped.nonstandard.sequences == 2);
}

TEST_CASE("forced FASTA reads lowercase letters as residues and '.' as a gap", "[io][fasta]") {
    const std::string content = ">a\nacd.x\n>b\nAC-EF\n";
    io::ReadOptions options;
    options.format = msa::Format::fasta;
    const auto alignment = io::read_alignment(write_input("lower.txt", content), options);
    CHECK(alignment.format == msa::Format::fasta);
    CHECK(letter_rows(alignment) == std::vector<std::string>{"ACD--", "AC-EF"});
    CHECK(alignment.nonstandard.counts[3] == 1);  // x
    // Detected, the same text is A2M (lowercase and uppercase mixed) and its rows disagree.
    CHECK(io::detect_format(content, "lower.txt") == msa::Format::a2m);
}

TEST_CASE("an all-lowercase aligned FASTA is read as FASTA, and '.' gaps in equal rows as FASTA", "[io][detect]") {
    const auto lower = io::read_alignment(write_input("lower.fasta", ">a\nacdef\n>b\nac-ef\n"));
    CHECK(lower.format == msa::Format::fasta);
    CHECK(letter_rows(lower) == std::vector<std::string>{"ACDEF", "AC-EF"});
    const auto dotted = io::read_alignment(write_input("dots.fasta", ">a\nACDEF\n>b\n..DE.\n"));
    CHECK(dotted.format == msa::Format::fasta);
    CHECK(letter_rows(dotted) == std::vector<std::string>{"ACDEF", "--DE-"});
}

TEST_CASE("gzipped FASTA, A2M and A3M read like the plain files, with misleading extensions too", "[io][gzip]") {
    const std::vector<std::pair<std::string, std::string>> files = {
        {"aln.fasta", one_line_fasta}, {"aln.a2m", padded_a2m}, {"aln.a3m", a3m}};
    for (const auto& [name, content] : files) {
        const auto plain = io::read_alignment(write_input(name, content));
        for (const auto& gz_name : {name + ".gz", std::string("misnamed.sto"), std::string("noext")}) {
            const auto gz = io::read_alignment(write_input(gz_name, gzip(content)));
            CHECK(gz.format == plain.format);
            CHECK(gz.ids == plain.ids);
            CHECK(gz.states == plain.states);
            CHECK(io::read_file_bytes(write_input(gz_name, gzip(content))) == content);
        }
    }
}

TEST_CASE("concatenated gzip members are read as one stream", "[io][gzip]") {
    const std::string first = ">a\nACDE\n";
    const std::string second = ">b\nFGHI\n";
    const auto alignment = io::read_alignment(write_input("two.fasta.gz", gzip(first) + gzip(second, 9)));
    CHECK(alignment.ids == std::vector<std::string>{"a", "b"});
    CHECK(letter_rows(alignment) == std::vector<std::string>{"ACDE", "FGHI"});
}

TEST_CASE("parse_alignment reads bytes in memory, gzipped or not", "[io]") {
    const auto plain = io::parse_alignment(padded_a2m, "memory");
    const auto gz = io::parse_alignment(gzip(padded_a2m), "memory");
    CHECK(plain.source == "memory");
    CHECK(plain.format == msa::Format::a2m);
    CHECK(gz.states == plain.states);
    CHECK(letter_rows(plain) == a2m_rows);
}

TEST_CASE("format detection uses the content; the extension only breaks ties", "[io][detect]") {
    const std::string stockholm = "# STOCKHOLM 1.0\ns1 ACDE\ns2 AC-E\n//\n";
    CHECK(io::detect_format(stockholm, "family.fasta") == msa::Format::stockholm);
    CHECK(io::detect_format("\n\n" + stockholm, "x.a2m") == msa::Format::stockholm);
    CHECK(io::detect_format(a3m, "aln.sto") == msa::Format::a3m);
    CHECK(io::detect_format(a3m, "aln.fasta") == msa::Format::a3m);
    CHECK(io::detect_format(a3m, "aln.a2m") == msa::Format::a2m);  // dotless A2M
    CHECK(io::detect_format(padded_a2m, "aln.fasta") == msa::Format::a2m);
    CHECK(io::detect_format(padded_a2m, "aln.a3m") == msa::Format::a2m);  // A3M has no '.'
    CHECK(io::detect_format(one_line_fasta, "aln.sto") == msa::Format::fasta);
    CHECK(io::detect_format(one_line_fasta, "aln.txt") == msa::Format::fasta);
    // Uppercase-only text fits all three FASTA formats: the extension decides.
    CHECK(io::detect_format(one_line_fasta, "aln.a2m") == msa::Format::a2m);
    CHECK(io::detect_format(one_line_fasta, "aln.A3M.gz") == msa::Format::a3m);
    // Lowercase inserts in rows of equal length: A2M unless the name says A3M.
    const std::string equal_rows = ">a\nACdE\n>b\nAC-E\n>c\nACeE\n";
    CHECK(io::detect_format(equal_rows, "x") == msa::Format::a2m);
    CHECK(io::detect_format(equal_rows, "x.a3m") == msa::Format::a3m);
    // No recognisable content: the extension, else FASTA.
    CHECK(io::detect_format("ACDE\n", "aln.sto") == msa::Format::stockholm);
    CHECK(io::detect_format("ACDE\n", "aln") == msa::Format::fasta);

    const auto misnamed = io::read_alignment(write_input("family.fasta", stockholm));
    CHECK(misnamed.format == msa::Format::stockholm);
    CHECK(letter_rows(misnamed) == std::vector<std::string>{"ACDE", "AC-E"});
    const auto a3m_as_sto = io::read_alignment(write_input("aln.sto", a3m));
    CHECK(a3m_as_sto.format == msa::Format::a3m);
    CHECK(letter_rows(a3m_as_sto) == a2m_rows);
}

TEST_CASE("format names parse and print", "[io]") {
    for (auto format : {msa::Format::fasta, msa::Format::a2m, msa::Format::a3m, msa::Format::stockholm})
        CHECK(io::parse_format(io::to_string(format)) == format);
    CHECK(io::to_string(msa::Format::stockholm) == "stockholm");
    try {
        (void)io::parse_format("clustal", "--input-format");
        FAIL("no UsageError");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()) ==
              "--input-format: unknown alignment format 'clustal' (expected fasta, a2m, a3m or stockholm)");
        CHECK(e.exit_code() == 2);
    }
}
