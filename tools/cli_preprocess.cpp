// Options of the read -> filter -> weight pipeline, shared by the verbs that read training data.
#include "cli.hpp"

#include "pottsrbm/io/preprocess.hpp"

namespace pottsrbm::cli {

void add_preprocess_options(po::options_description& options, io::PreprocessParams& params) {
    // clang-format off
    options.add_options()
        ("format", po::value<std::string>()->value_name("NAME")->notifier([&params](const std::string& name) {
             params.read.format = io::parse_format(name, "--format"); }),
         "input format: fasta, a2m, a3m, stockholm (default: detected from the content)")
        ("drop-nonstandard", po::bool_switch()->notifier([&params](bool drop) {
             if (drop) params.read.nonstandard = io::NonstandardPolicy::drop_sequence; }),
         "drop sequences containing B Z J X U O * (default: map them to the gap)")
        ("max-seq-gap", defaulted(&params.filters.max_sequence_gap),
         "drop sequences with a larger gap fraction")
        ("max-col-gap", defaulted(&params.filters.max_column_gap),
         "drop columns with a larger gap fraction")
        ("drop-duplicates", po::bool_switch(&params.filters.drop_duplicates), "drop exact duplicate sequences")
        ("focus", po::value(&params.filters.focus)->value_name("ID"),
         "keep only the columns where sequence ID has a residue")
        ("identity", defaulted(&params.identity),
         "identity threshold theta of the sequence weights")
        ("no-weights", po::bool_switch(&params.no_weights), "give every sequence weight 1")
        ("weights", po::value(&params.weights_file)->value_name("FILE"),
         "read sequence weights from FILE (one per filtered sequence)");
    // clang-format on
}

}  // namespace pottsrbm::cli
