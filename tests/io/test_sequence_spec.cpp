// Sequences named on the command line: ids, per-site literals, full alignment rows, errors.
#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/io/alignment_reader.hpp"
#include "pottsrbm/io/sequence_spec.hpp"

#include <catch2/catch.hpp>

using namespace pottsrbm;

TEST_CASE("sequence specs resolve ids and literals onto model columns") {
    const msa::Alignment alignment = io::parse_alignment(">s1\nAC-DE\n>s2\nWWYYV\n", "mem.fasta");
    const std::vector<int> columns = {0, 2, 4};  // the model kept columns 1, 3 and 5

    const auto by_id = io::resolve_sequence("--from", "s2", columns, &alignment);
    CHECK(by_id.name == "s2");
    CHECK(by_id.states == std::vector<std::uint8_t>{state_of('W'), state_of('Y'), state_of('V')});

    const auto per_site = io::resolve_sequence("--from", "K-r", columns, nullptr);
    CHECK(per_site.name == "literal");
    CHECK(per_site.states == std::vector<std::uint8_t>{state_of('K'), 0, state_of('R')});

    const auto full_row = io::resolve_sequence("--to", "MWNWP", columns, &alignment);
    CHECK(full_row.states == std::vector<std::uint8_t>{state_of('M'), state_of('N'), state_of('P')});
}

TEST_CASE("sequence spec errors name the option, the position and the problem") {
    const msa::Alignment alignment = io::parse_alignment(">s1\nAC-DE\n", "mem.fasta");
    const std::vector<int> columns = {0, 2, 4};
    auto message = [&](const std::string& spec, const msa::Alignment* source) {
        try {
            (void)io::resolve_sequence("--to", spec, columns, source);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(message("s9_unknown", &alignment), Catch::Contains("--to 's9_unknown': no sequence with this id in mem.fasta"));
    CHECK_THAT(message("ACDE", nullptr), Catch::Contains("is 4 characters long; a literal sequence needs 3"));
    CHECK_THAT(message("A1C", nullptr), Catch::Contains("position 2 holds '1'"));
    CHECK_THAT(message("AxC", nullptr), Catch::Contains("position 2 holds 'x'"));
    CHECK_THAT(message("nosuchid", &alignment), Catch::Contains("'nosuchid': no sequence with this id in mem.fasta"));
    CHECK_THAT(message("", nullptr), Catch::Contains("--to: empty sequence"));
}
