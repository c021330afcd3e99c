// Sequence weights on the real alignments of ../shared/data (skipped when absent): fast against
// reference neighbour counts, and M_eff at theta = 0.8. The msa module cannot use the io
// readers, so this test reads the one-line-per-record gzipped FASTA files itself with zlib.
#include "msa_test_helpers.hpp"

#include "support/test_support.hpp"

#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/msa/weights.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <zlib.h>

#include <memory>
#include <numeric>

using namespace pottsrbm;

namespace {

/// Aligned FASTA (gzipped or not): ids are the first word of the header ('>' or '>>'), the
/// sequence lines of a record are concatenated; only uppercase residues and '-' are accepted.
msa::Alignment read_fasta_gz(const std::filesystem::path& path) {
    const std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    REQUIRE(file);
    std::vector<std::string> ids;
    std::vector<std::string> rows;
    std::string line;
    char buffer[1 << 16];
    while (gzgets(file.get(), buffer, sizeof buffer) != nullptr) {
        line += buffer;
        if (line.back() != '\n' && !gzeof(file.get())) continue;  // long line: read on
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        if (!line.empty() && line[0] == '>') {
            const auto start = line.find_first_not_of('>');
            ids.push_back(line.substr(start, line.find_first_of(" \t", start) - start));
            rows.emplace_back();
        } else if (!line.empty()) {
            REQUIRE(!rows.empty());
            rows.back() += line;
        }
        line.clear();
    }
    REQUIRE(!rows.empty());
    const std::size_t n = rows.front().size();
    msa::Alignment alignment;
    alignment.source = path.string();
    alignment.states.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(n));
    std::int64_t unexpected = 0;
    for (std::size_t m = 0; m < rows.size(); ++m) {
        if (rows[m].size() != n)
            FAIL(path.string() << ": record " << m + 1 << " has length " << rows[m].size() << ", not " << n);
        for (std::size_t j = 0; j < n; ++j) {
            const char c = rows[m][j];
            unexpected += classify_symbol(c) == SymbolClass::residue || c == '-' ? 0 : 1;
            alignment.states(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(j)) = state_of(c);
        }
    }
    REQUIRE(unexpected == 0);
    alignment.ids = std::move(ids);
    alignment.columns.resize(n);
    std::iota(alignment.columns.begin(), alignment.columns.end(), 0);
    alignment.original_length = static_cast<int>(n);
    return alignment;
}

}  // namespace

TEST_CASE("PF00014_mgap6: fast neighbour counts equal the reference; M_eff at 0.8", "[weights][data]") {
    const auto path = test::shared_data("PF00014_mgap6.fasta.gz");
    if (!path) return;
    const auto alignment = read_fasta_gz(*path);
    REQUIRE(alignment.sequences() == 13600);
    REQUIRE(alignment.length() == 53);
    const Eigen::VectorXi reference = msa::neighbour_counts_reference(alignment, 0.8);
    CHECK(msa::neighbour_counts(alignment, 0.8) == reference);
    set_threads(1);
    CHECK(msa::neighbour_counts(alignment, 0.8) == reference);
    set_threads(0);
    const double effective = reference.cast<double>().cwiseInverse().sum();
    // Recorded from this reference implementation (identity >= 0.8 over 53 columns, i.e. >= 43
    // identical columns, gap = state, the sequence itself included).
    CHECK(effective == Approx(4363.8614559569).epsilon(1e-12));
    WARN("PF00014_mgap6 M_eff(0.8) = " << fmt::format("{:.6f}", effective));
}

TEST_CASE("reference M_eff at theta = 0.8 of the shared alignments (slow, run by name)", "[.reference]") {
    for (const char* name : {"PF00014_mgap6.fasta.gz", "PF00397_WW.fasta.gz", "PF00595_mgap6.fasta.gz"}) {
        const auto path = test::shared_data(name);
        if (!path) continue;
        const auto alignment = read_fasta_gz(*path);
        const double reference = msa::compute_weights_reference(alignment, 0.8).sum();
        const double fast = msa::compute_weights(alignment, 0.8).sum();
        CHECK(fast == reference);
        WARN(name << ": M " << alignment.sequences() << " N " << alignment.length() << " M_eff(0.8) reference "
                  << fmt::format("{:.6f}", reference) << " fast " << fmt::format("{:.6f}", fast));
    }
}
