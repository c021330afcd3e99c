// Every malformed input gives one InputError line naming the file, the record or line, and the
// problem. Messages are compared in full.
#include "io_test_helpers.hpp"

#include <catch2/catch.hpp>

using namespace pottsrbm;
using namespace pottsrbm::test;

namespace {

// The message of reading `content` saved as `name`, with the file path replaced by "PATH".
std::string error_reading(const std::string& name, const std::string& content, const io::ReadOptions& options = {}) {
    const auto path = write_input(name, content);
    auto message = input_error_of([&] { (void)io::read_alignment(path, options); });
    INFO(message);
    CHECK(message.find('\n') == std::string::npos);
    if (message.compare(0, path.size(), path) == 0) message.replace(0, path.size(), "PATH");
    return message;
}

const std::string twenty = "ACDEFGHIKLMNPQRSTVWY";

}  // namespace

TEST_CASE("invalid characters name the file, record, id, column and line", "[io][errors]") {
    const std::string wrapped = ">seqA\n" + twenty + "\n>seqB\n" + twenty + "\n>seqC desc\nACDEFGHIKL\nMNPQRS1VWY\n";
    CHECK(error_reading("aln.fasta", wrapped) == "PATH: record 3 (seqC): invalid character '1' at column 17 (line 7)");
    CHECK(error_reading("aln.fasta", ">a\nAC DE\n") ==
          "PATH: record 1 (a): invalid character ' ' (space) at column 3 (line 2)");
    CHECK(error_reading("aln.fasta", ">a\nACDE\n>b\nAC\xC3\x89" "E\n") ==
          "PATH: record 2 (b): invalid byte 0xC3 at column 3 (line 4)");
    CHECK(error_reading("aln.fasta", ">a\nACDE\n>b\nAC>E\n") ==
          "PATH: record 2 (b): invalid character '>' at column 3 (line 4)");
    CHECK(error_reading("aln.a2m", ">a\nAC;E\n") == "PATH: record 1 (a): invalid character ';' at column 3 (line 2)");
    CHECK(error_reading("aln.fasta", ">a\nACDE\r\n>b\nAC\rE\n") ==
          "PATH: record 2 (b): invalid byte 0x0D at column 3 (line 4)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2 ACDE\n\ns1 FGHI\ns2 FG~I\n//\n") ==
          "PATH: line 6: record 2 (s2): invalid character '~' at column 7");
}

TEST_CASE("rows of different lengths after insert removal name both records", "[io][errors]") {
    const std::string a3m = ">Y\nACDEF\n>r2\nACDgEF\n>r3\nACDEF\n>r4\nACDEF\n>X desc\nACDE\n";
    CHECK(error_reading("aln.a3m", a3m) == "PATH: record 5 (X): 4 match columns, expected 5 as in record 1 (Y)");
    CHECK(error_reading("aln.fasta", ">first\nACDEF\n>second\nACDEFG\n") ==
          "PATH: record 2 (second): 6 columns, expected 5 as in record 1 (first)");
    CHECK(error_reading("aln.a2m", ">s1\nacde\n>s2\nACDE\n") ==
          "PATH: record 1 (s1): no match columns (every residue is a lowercase or '.' insert state; use --format "
          "fasta to read lowercase letters as residues)");
}

TEST_CASE("empty files, files without sequences, data before the first header", "[io][errors]") {
    CHECK(error_reading("aln.fasta", "") == "PATH: empty file");
    CHECK(error_reading("aln.fasta.gz", gzip("")) == "PATH: empty file (after gzip decompression)");
    CHECK(error_reading("aln.fasta", "\n  \n\t\r\n") == "PATH: no sequences (the file holds only blank lines)");
    CHECK(error_reading("aln.a3m", "#comment\n\n") == "PATH: no sequences (no '>' header line)");
    CHECK(error_reading("aln.fasta", "ACDE\n>s\nACDE\n") == "PATH: line 1: sequence data before the first '>' header");
    CHECK(error_reading("aln.fasta", "#A3M#\nACDE\n>s\nACDE\n") ==
          "PATH: line 2: sequence data before the first '>' header");
    CHECK(error_reading("aln", "just some text\n") == "PATH: line 1: sequence data before the first '>' header");
}

TEST_CASE("empty sequences and headers without an id", "[io][errors]") {
    CHECK(error_reading("aln.fasta", ">s1\nACDE\n>s2 nothing here\n>s3\nACDE\n") ==
          "PATH: record 2 (s2): empty sequence (header at line 3)");
    CHECK(error_reading("aln.fasta", ">s1\nACDE\n>s2\n\n") == "PATH: record 2 (s2): empty sequence (header at line 3)");
    CHECK(error_reading("aln.fasta", ">s1\nACDE\n>s2") == "PATH: record 2 (s2): empty sequence (header at line 3)");
    CHECK(error_reading("aln.fasta", ">s1\nACDE\n>> \nACDE\n") == "PATH: record 2: header without a sequence id (line 3)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2\n//\n") ==
          "PATH: line 3: record 2 (s2): empty sequence (expected 'ID SEQUENCE')");
}

TEST_CASE("binary data is reported with its line and offset", "[io][errors]") {
    CHECK(error_reading("aln.fasta", std::string("\x89PNG\r\n\x1a\n\0\0", 10)) ==
          "PATH: line 2: binary data (byte 0x1A at byte offset 6); not a text alignment file");
    CHECK(error_reading("aln.fasta", std::string(">a\nACDE\n>b\nAC\0E\n", 16)) ==
          "PATH: line 4: binary data (byte 0x00 at byte offset 13); not a text alignment file");
    CHECK(error_reading("aln.sto", std::string("# STOCKHOLM 1.0\n#=GF ID \x7f\n")) ==
          "PATH: line 2: binary data (byte 0x7F at byte offset 24); not a text alignment file");
}

TEST_CASE("truncated and corrupt gzip files", "[io][errors][gzip]") {
    std::string text;
    for (int i = 0; i < 200; ++i) text += ">s" + std::to_string(i) + "\n" + twenty + "\n";
    const std::string gz = gzip(text);
    const std::string truncated = gz.substr(0, gz.size() / 2);
    CHECK(error_reading("aln.fasta.gz", truncated) ==
          "PATH: truncated gzip data: the compressed stream ends after " + std::to_string(truncated.size()) +
              " bytes before its end marker");
    CHECK(error_reading("aln.fasta.gz", gz.substr(0, 2)) ==
          "PATH: truncated gzip data: the compressed stream ends after 2 bytes before its end marker");
    CHECK(error_reading("aln.fasta.gz", gz.substr(0, gz.size() - 1)) ==
          "PATH: truncated gzip data: the compressed stream ends after " + std::to_string(gz.size() - 1) +
              " bytes before its end marker");

    std::string bad_crc = gz;
    bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 0x55);
    const auto crc_message = error_reading("aln.fasta.gz", bad_crc);
    CHECK(crc_message.rfind("PATH: corrupt gzip data at compressed byte ", 0) == 0);
    CHECK(crc_message.find("(zlib: incorrect data check)") != std::string::npos);

    std::string bad_method = gz;
    bad_method[2] = 7;  // compression method other than deflate
    const auto method_message = error_reading("aln.fasta.gz", bad_method);  // the byte count is zlib's
    CHECK(method_message.rfind("PATH: corrupt gzip data at compressed byte ", 0) == 0);
    CHECK(method_message.find("(zlib: unknown compression method)") != std::string::npos);

    CHECK(error_reading("aln.fasta.gz", gz + "garbage") ==
          "PATH: corrupt gzip data: 7 bytes of trailing garbage after the gzip stream ends at byte " +
              std::to_string(gz.size()));
}

TEST_CASE("Stockholm block structure errors name the line", "[io][errors][stockholm]") {
    const std::string head = "# STOCKHOLM 1.0\n\ns1 ACDE\ns2 ACDE\ns3 ACDE\n\n";  // lines 1-6
    CHECK(error_reading("aln.sto", head + "s1 FGHI\ns3 FGHI\ns2 FGHI\n//\n") ==
          "PATH: line 8: block 2 has 's3' where the first block has 's2' (line 4); every block must list the same "
          "sequences in the same order");
    CHECK(error_reading("aln.sto", head + "s1 FGHI\ns4 FGHI\ns3 FGHI\n//\n") ==
          "PATH: line 8: sequence 's4' (block 2) is not in the first block");
    CHECK(error_reading("aln.sto", head + "s1 FGHI\ns2 FGHI\n//\n") ==
          "PATH: line 8: block 2 ends after 2 of the 3 sequences of the first block (missing 's3')");
    CHECK(error_reading("aln.sto", head + "s1 FGHI\ns1 FGHI\ns3 FGHI\n//\n") ==
          "PATH: line 8: duplicate sequence id 's1' in block 2 (first at line 7)");
    CHECK(error_reading("aln.sto", head + "s1 FGHI\ns2 FGHI\ns3 FGHI\ns1 FGHI\n//\n") ==
          "PATH: line 10: duplicate sequence id 's1' in block 2 (first at line 7)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2 ACDE\ns1 ACDE\n//\n") ==
          "PATH: line 4: duplicate sequence id 's1' in the block (first at line 2)");
    CHECK(error_reading("aln.sto", head + "s1 FGHI\ns2 FGHI\ns3 FGHI\n") ==
          "PATH: line 9: missing '//' at the end of the alignment");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\n") == "PATH: line 2: missing '//' at the end of the alignment");
    CHECK(error_reading("aln.sto", head + "//\n# STOCKHOLM 1.0\n") ==
          "PATH: line 8: text after the '//' of line 7 that ends the alignment (one alignment per file is supported)");
    CHECK(error_reading("aln.sto", "s1 ACDE\n//\n") ==
          "PATH: line 1: missing '# STOCKHOLM 1.0' header (is this a Stockholm file?)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\n#=GF ID x\n//\n") == "PATH: no sequences (no 'ID SEQUENCE' line)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2 ACD\n//\n") ==
          "PATH: line 3: record 2 (s2): 3 columns in this block, expected 4 as in line 2 (s1)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 AC DE\n//\n") ==
          "PATH: line 2: expected 'ID SEQUENCE', found more than two fields");
}

TEST_CASE("Stockholm insert and #=GC RF errors", "[io][errors][stockholm]") {
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2 AcDE\n//\n") ==
          "PATH: line 3: record 2 (s2): lowercase insert residue 'c' at column 2, where other sequences have "
          "uppercase residues or '-' (a match column)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 acde\ns2 a.de\n//\n") ==
          "PATH: no match columns (every column holds only lowercase insert residues and '.')");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2 ACDE\n#=GC RF ....\n//\n") ==
          "PATH: no match columns (the #=GC RF line marks none)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\ns2 ACDE\n#=GC RF xxx\n//\n") ==
          "PATH: line 4: #=GC RF has 3 columns, the sequences of this block have 4");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\n#=GC RF xxxx\n#=GC RF xxxx\n//\n") ==
          "PATH: line 4: second #=GC RF line in this block (first at line 3)");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\n#=GC RF xxxx\n\ns1 ACDE\n//\n") ==
          "PATH: line 5: this block has no #=GC RF line, but 1 of the 2 blocks have one; give it in every block or "
          "in none");
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\n#=GC RF xxxx\n\ns1 ACDE\n//\n") ==
          "PATH: line 2: #=GC RF line outside a block of sequences");
}

TEST_CASE("dropping every sequence and unreadable paths are errors", "[io][errors]") {
    io::ReadOptions drop;
    drop.nonstandard = io::NonstandardPolicy::drop_sequence;
    CHECK(error_reading("aln.fasta", ">a\nACXE\n>b\nBCDE\n", drop) ==
          "PATH: all 2 sequences contain non-standard symbols (B Z J X U O *) and were dropped; no sequence is left");
    const auto dir = scratch_dir("io");
    const auto missing = (dir / "missing.fasta").string();
    CHECK(input_error_of([&] { (void)io::read_alignment(missing); }) ==
          missing + ": cannot open (No such file or directory)");
    CHECK(input_error_of([&] { (void)io::read_alignment(dir.string()); }) == dir.string() + ": is a directory");
}

TEST_CASE("a forced format that does not fit the content is a clear error", "[io][errors]") {
    io::ReadOptions as_stockholm;
    as_stockholm.format = msa::Format::stockholm;
    CHECK(error_reading("aln.fasta", ">a\nACDE\n", as_stockholm) ==
          "PATH: line 1: missing '# STOCKHOLM 1.0' header (is this a Stockholm file?)");
    io::ReadOptions as_fasta;
    as_fasta.format = msa::Format::fasta;
    CHECK(error_reading("aln.sto", "# STOCKHOLM 1.0\ns1 ACDE\n//\n", as_fasta) ==
          "PATH: line 2: sequence data before the first '>' header");
}
