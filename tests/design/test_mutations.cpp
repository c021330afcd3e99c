// Tests of mutational effects (design/mutations.hpp): mutant parsing and its errors, column maps and
// offsets, Delta F against direct free energies, statuses of mutations outside the model or
// unaligned, wild-type checks, mutant tables, and rank correlations against hand-computed values.
#include "model/model_test_utils.hpp"
#include "support/test_support.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/design/evaluation.hpp"
#include "pottsrbm/design/mutations.hpp"
#include "pottsrbm/model/moments.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::design;
using pottsrbm::test::require_input_error;
using pottsrbm::test::scratch_dir;
using pottsrbm::test::write_file;

namespace {

std::vector<std::uint8_t> states_of(const std::string& letters) {
    std::vector<std::uint8_t> states;
    for (char c : letters) states.push_back(state_of(c));
    return states;
}

// A q = 21 model over original columns {0, 1, 3, 4, 5} (column 3, 1-based, was filtered out).
model::Rbm five_site_model() {
    model::Rbm rbm = model::testing::random_model(model::HiddenType::drelu, 5, 21, 4, 601, {.weight_scale = 0.7});
    rbm.columns = {0, 1, 3, 4, 5};
    return rbm;
}

}  // namespace

TEST_CASE("mutants: H24A, lowercase and multiple mutants parse", "[design][mutations]") {
    const Mutant single = parse_mutant("H24A", "test");
    REQUIRE(single.substitutions.size() == 1);
    CHECK(single.substitutions[0].wild_type == 'H');
    CHECK(single.substitutions[0].position == 24);
    CHECK(single.substitutions[0].mutant == 'A');
    CHECK_FALSE(single.synonymous());
    const Mutant multiple = parse_mutant(" h24a:K30R ", "test");
    CHECK(multiple.name == "h24a:K30R");
    REQUIRE(multiple.substitutions.size() == 2);
    CHECK(multiple.substitutions[0].wild_type == 'H');
    CHECK(multiple.substitutions[1].position == 30);
    CHECK(multiple.substitutions[1].mutant == 'R');
    CHECK(parse_mutant("P311P", "test").synonymous());
}

TEST_CASE("mutants: parsing errors are one line naming the context and the problem", "[design][mutations]") {
    require_input_error([] { (void)parse_mutant("H24", "dms.csv: line 3"); },
                        {"dms.csv: line 3: mutant 'H24': 'H24' is not a substitution like H24A"});
    require_input_error([] { (void)parse_mutant("B24A", "dms.csv: line 4"); },
                        {"dms.csv: line 4: mutant 'B24A': 'B' is not one of the 20 amino acids"});
    require_input_error([] { (void)parse_mutant("H24X", "f: line 5"); }, {"'X' is not one of the 20 amino acids"});
    require_input_error([] { (void)parse_mutant("H0A", "f: line 6"); }, {"mutant 'H0A': position 0 is out of range"});
    require_input_error([] { (void)parse_mutant("H24A:H24C", "f: line 7"); }, {"position 24 is mutated twice"});
    require_input_error([] { (void)parse_mutant("H24A:", "f: line 8"); }, {"'' is not a substitution"});
    require_input_error([] { (void)parse_mutant("", "f: line 9"); }, {"f: line 9: empty mutant"});
}

TEST_CASE("mutants: Delta F equals F(mutant) - F(wild type) through an offset", "[design][mutations]") {
    const model::Rbm rbm = five_site_model();
    const auto wt = states_of("ACDEF");  // over model sites = columns 1, 2, 4, 5, 6 (1-based)
    // Residue numbering starting at 101 on column 1: column = position - 100.
    const PositionMap map = PositionMap::from_offset(100, 6);
    const std::vector<Mutant> mutants = {parse_mutant("C102W", "x"), parse_mutant("A101G:F106Y", "x"),
                                         parse_mutant("C102C", "x"), parse_mutant("K103A", "x")};
    const auto scores = score_mutants(rbm, wt, map, mutants, {"l1", "l2", "l3", "l4"});
    REQUIRE(scores.size() == 4);
    const double f_wt = model::free_energy(rbm, wt.data());
    auto mutant = wt;
    mutant[1] = state_of('W');
    CHECK(scores[0].status == MutantStatus::scored);
    CHECK(scores[0].columns == std::vector<int>{1});
    CHECK(scores[0].delta_f == Approx(model::free_energy(rbm, mutant.data()) - f_wt).epsilon(1e-12));
    mutant = wt;
    mutant[0] = state_of('G');
    mutant[4] = state_of('Y');
    CHECK(scores[1].delta_f == Approx(model::free_energy(rbm, mutant.data()) - f_wt).epsilon(1e-12));
    CHECK(scores[2].delta_f == 0.0);
    // Position 103 is column 3, which the model does not have: reported, not dropped.
    CHECK(scores[3].status == MutantStatus::outside_model);
    CHECK(scores[3].columns == std::vector<int>{2});
    CHECK(std::isnan(scores[3].delta_f));
}

TEST_CASE("mutants: wrong wild-type letters and positions out of range are errors", "[design][mutations]") {
    const model::Rbm rbm = five_site_model();
    const auto wt = states_of("ACDEF");
    const PositionMap map = PositionMap::from_offset(100, 6);
    CHECK(map.position(0) == 101);
    // A negative offset that puts a column below residue 1 gives it no position.
    const PositionMap shifted = PositionMap::from_offset(-2, 6);  // position = column - 2 (1-based column)
    CHECK_FALSE(shifted.position(0).has_value());
    CHECK_FALSE(shifted.position(1).has_value());
    CHECK(shifted.position(2) == 1);
    require_input_error([&] { (void)score_mutants(rbm, wt, map, {parse_mutant("H102A", "x")}, {"dms.csv: line 7"}); },
                        {"dms.csv: line 7: mutant 'H102A': the wild type has C at position 102 (alignment column 2), not H"});
    require_input_error([&] { (void)score_mutants(rbm, wt, map, {parse_mutant("A107G", "x")}, {"dms.csv: line 8"}); },
                        {"dms.csv: line 8: position 107 is out of range", "alignment column 7, outside 1..6"});
    require_input_error([&] { (void)score_mutants(rbm, wt, map, {parse_mutant("A50G", "x")}, {"dms.csv: line 9"}); },
                        {"position 50 is out of range"});
    const auto gapped = states_of("A-DEF");
    require_input_error([&] { (void)score_mutants(rbm, gapped, map, {parse_mutant("C102A", "x")}, {"l"}); },
                        {"the wild type has a gap at position 102"});
}

TEST_CASE("mutants: column maps, unaligned positions and wild types from wt_aa", "[design][mutations]") {
    const auto dir = scratch_dir("mutations-map");
    const auto path = write_file(dir / "map.tsv", "msa_col\tdms_pos\twt_aa\n1\t24\tA\n2\t25\tC\n4\t27\tE\n6\t29\tF\n3\t26\tK\n").string();
    const PositionMap map = PositionMap::read(path);
    CHECK(map.is_table());
    CHECK(map.column(24, "x") == 0);
    CHECK(map.column(29, "x") == 5);
    CHECK_FALSE(map.column(28, "x").has_value());
    CHECK(map.position(3) == 27);
    CHECK(map.wild_type(25) == 'C');

    const model::Rbm rbm = five_site_model();
    int residues = 0;
    const auto wt = wild_type_from_map(map, rbm.columns, &residues);
    CHECK(residues == 4);
    CHECK(wt == states_of("ACE-F"));  // column 5 (1-based) has no position: a gap
    const auto scores = score_mutants(rbm, wt, map,
                                      {parse_mutant("C25W", "x"), parse_mutant("D28A", "x"), parse_mutant("K26A", "x"),
                                       parse_mutant("C25W:D28A", "x")},
                                      {"l1", "l2", "l3", "l4"});
    CHECK(scores[0].status == MutantStatus::scored);
    CHECK(scores[1].status == MutantStatus::unaligned);
    CHECK(scores[1].columns == std::vector<int>{-1});
    CHECK(scores[2].status == MutantStatus::outside_model);  // column 3 is not a model column
    CHECK(scores[3].status == MutantStatus::unaligned);
    require_input_error([&] { (void)score_mutants(rbm, wt, map, {parse_mutant("A26W", "x")}, {"dms: line 2"}); },
                        {"dms: line 2: mutant 'A26W': the wild type has K at position 26 (column map", "not A"});
    require_input_error([&] { check_wild_type_against_map(states_of("GCE-F"), map, rbm.columns, "WT1"); },
                        {"wt_aa of position 24 (column 1) is A, but the wild type WT1 has G there"});

    int skipped = 0;
    const auto singles = score_all_single_mutants(rbm, wt, map, &skipped);
    CHECK(skipped == 0);
    CHECK(singles.size() == 4 * 19);
    CHECK(singles.front().mutant.name == "A24C");
    for (const auto& s : singles) CHECK(s.status == MutantStatus::scored);

    require_input_error([&] { (void)PositionMap::read(write_file(dir / "bad1.tsv", "column\tpos\n1\t2\n").string()); },
                        {"bad1.tsv: line 1: a column map needs a header with the fields msa_col", "found: column, pos"});
    require_input_error([&] { (void)PositionMap::read(write_file(dir / "bad2.tsv", "msa_col\tdms_pos\n1\t2\nx\t3\n").string()); },
                        {"bad2.tsv: line 3: msa_col 'x' is not a 1-based column number"});
    require_input_error([&] { (void)PositionMap::read(write_file(dir / "bad3.tsv", "msa_col\tdms_pos\n1\t2\n2\t2\n").string()); },
                        {"bad3.tsv: line 3: position 2 is mapped twice"});
}

TEST_CASE("mutant tables: CSV with quotes, TSV, plain lists, scores and their errors", "[design][mutations]") {
    const auto dir = scratch_dir("mutations-table");
    const auto csv = write_file(dir / "dms.csv", "# comment\nmutant,fitness,\"other, quoted\"\nH24A,-0.5,1\n\"K30R\",,2\nH24A:K30R,1e-2,3\n").string();
    const auto table = read_mutant_table(csv, "mutant", "fitness");
    REQUIRE(table.mutants == std::vector<std::string>{"H24A", "K30R", "H24A:K30R"});
    CHECK(table.contexts[0] == csv + ": line 3");
    REQUIRE(table.scores.size() == 3);
    CHECK(table.scores[0] == -0.5);
    CHECK(std::isnan(table.scores[1]));
    CHECK(table.scores[2] == 0.01);
    const auto tsv = write_file(dir / "dms.tsv", "id\tvariant\nx\tA1C\n").string();
    CHECK(read_mutant_table(tsv, "variant", "").mutants == std::vector<std::string>{"A1C"});
    const auto list = write_file(dir / "list.txt", "A1C\n\nD3E:F4G\n").string();
    const auto plain = read_mutant_table(list, "mutant", "");
    CHECK(plain.mutants == std::vector<std::string>{"A1C", "D3E:F4G"});
    CHECK(plain.contexts[1] == list + ": line 3");
    require_input_error([&] { (void)read_mutant_table(csv, "mutant", "2500"); },
                        {"dms.csv: line 2: no column named '2500' in the header (fields: mutant, fitness, other, quoted)"});
    require_input_error([&] { (void)read_mutant_table(tsv, "mutant", ""); }, {"no column named 'mutant'"});
    const auto bad = write_file(dir / "bad.csv", "mutant,s\nA1C,abc\n").string();
    require_input_error([&] { (void)read_mutant_table(bad, "mutant", "s"); }, {"bad.csv: line 2: s 'abc' is not a number"});
    const auto open_quote = write_file(dir / "quote.csv", "mutant,s\nA1C,1\n\"D3E,2\n").string();
    require_input_error([&] { (void)read_mutant_table(open_quote, "mutant", "s"); },
                        {"quote.csv: line 3: a double quote is not closed on this line"});
    const auto short_row = write_file(dir / "short.csv", "x,mutant,s\n1,A1C\n").string();
    require_input_error([&] { (void)read_mutant_table(short_row, "mutant", "s"); }, {"short.csv: line 2: 2 fields, the header has 3"});
}

TEST_CASE("rank correlations: Spearman with ties and Pearson against hand values", "[design][mutations]") {
    CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
    CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
    // Ranks x: 1, 2.5, 2.5, 4; y: 1, 2, 3, 4 -> Pearson of ranks = 4.5 / sqrt(4.5 * 5) = 0.948683.
    CHECK(spearman({1, 2, 2, 3}, {1, 2, 3, 4}) == Approx(0.9486832981).epsilon(1e-9));
    // Monotone but non-linear: Spearman 1, Pearson < 1.
    CHECK(spearman({1, 2, 3, 4, 5}, {1, 4, 9, 16, 100}) == Approx(1.0));
    CHECK(model::correlate({1, 2, 3}, {2, 4, 7}).pearson == Approx(0.9933992678).epsilon(1e-9));
    CHECK(std::isnan(spearman({1, 2}, {1, 2})));
    CHECK(std::isnan(model::correlate({1, 1, 1}, {1, 2, 3}).pearson));
    // Slope of y on x: sxy = 5, sxx = 2.
    const model::Correlation c = model::correlate({1, 2, 3}, {2, 4, 7});
    CHECK(c.slope == Approx(2.5).epsilon(1e-12));
    CHECK(c.pearson == Approx(0.9933992678).epsilon(1e-9));
    CHECK(c.count == 3);
    // Lists of different lengths are a caller's error, never silently truncated.
    CHECK_THROWS_AS(spearman({1, 2, 3, 4}, {1, 2, 3}), UsageError);
    CHECK_THROWS_AS(model::correlate({1, 2, 3}, {1, 2}), UsageError);
}
