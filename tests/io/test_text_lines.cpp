// Content lines of text files: numbering, CRLF, blank and comment lines, gzipped files.
#include "io/io_test_helpers.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/io/text_lines.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace pottsrbm;

namespace {

std::vector<std::string> texts(const std::vector<io::TextLine>& lines) {
    std::vector<std::string> out;
    for (const auto& line : lines) out.push_back(line.text);
    return out;
}

std::vector<long> numbers(const std::vector<io::TextLine>& lines) {
    std::vector<long> out;
    for (const auto& line : lines) out.push_back(line.number);
    return out;
}

}  // namespace

TEST_CASE("content_lines keeps numbered non-blank, non-comment lines") {
    const auto lines = io::content_lines("# header comment\nmutant,score\r\n\n  \t\r\nA12G, 0.5\n   # indented comment\n"
                                         "#\nlast line without newline  ");
    CHECK(texts(lines) == std::vector<std::string>{"mutant,score", "A12G, 0.5", "last line without newline  "});
    CHECK(numbers(lines) == std::vector<long>{2, 5, 8});

    CHECK(io::content_lines("").empty());
    CHECK(io::content_lines("\n\n# only comments\r\n").empty());
    // A '#' later in the line is content; the '\r' of a CRLF line is removed, one inside is kept.
    const auto inner = io::content_lines("a # not a comment\r\nb\rc\n");
    CHECK(texts(inner) == std::vector<std::string>{"a # not a comment", "b\rc"});
    CHECK(numbers(inner) == std::vector<long>{1, 2});
}

TEST_CASE("read_content_lines reads plain and gzipped files alike", "[io][gzip]") {
    const std::string content = "id\tclass\nseq1\tA\n\n# comment\nseq2\tB\n";
    const auto plain = io::read_content_lines(test::write_input("labels.tsv", content));
    const auto gzipped = io::read_content_lines(test::write_input("labels.tsv.gz", test::gzip(content)));
    CHECK(texts(plain) == std::vector<std::string>{"id\tclass", "seq1\tA", "seq2\tB"});
    CHECK(numbers(plain) == std::vector<long>{1, 2, 5});
    CHECK(texts(gzipped) == texts(plain));
    CHECK(numbers(gzipped) == numbers(plain));
    CHECK_THROWS_AS(io::read_content_lines((test::scratch_dir("io") / "absent.tsv").string()), InputError);
}
