// Training checkpoints (see checkpoint.hpp).
#include "pottsrbm/train/checkpoint.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/npz.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/model/model_file.hpp"

#include <fmt/format.h>

#include <cstring>
#include <sstream>

namespace pottsrbm::train {
namespace {

constexpr const char* block_names[6] = {"fields", "weights", "gamma_plus", "theta_plus", "gamma_minus", "theta_minus"};

std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

std::uint64_t hash_set(std::uint64_t hash, const TrainingSet& set) {
    const std::int64_t shape[2] = {set.sequences.rows(), set.sequences.cols()};
    hash = fnv1a(hash, shape, sizeof shape);
    hash = fnv1a(hash, set.sequences.data(), static_cast<std::size_t>(set.sequences.size()));
    return fnv1a(hash, set.weights.data(), static_cast<std::size_t>(set.weights.size()) * sizeof(double));
}

}  // namespace

std::uint64_t data_fingerprint(const Trainer& trainer) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    hash = hash_set(hash, trainer.training_set());
    return hash_set(hash, trainer.validation_set());
}

std::string run_signature(const TrainParams& p, long long epochs) {
    // Everything that changes the trajectory; the thread count does not (results do not depend on it
    // beyond float rounding order of reductions, which is fixed per thread count).
    return fmt::format(
        "hidden_units={}\nhidden={}\nepochs={}\nbatch_size={}\nchains={}\ngibbs_steps={}\noptimizer={}\nlr={:.17g}\n"
        "lr_final={:.17g}\ndecay_after={:.17g}\nadam_beta1={:.17g}\nadam_beta2={:.17g}\nadam_epsilon={:.17g}\n"
        "momentum={:.17g}\nclip={:.17g}\nl2_fields={:.17g}\nl1={:.17g}\nl2={:.17g}\nl1b={:.17g}\ngamma_min={:.17g}\n"
        "weight_init={:.17g}\nfield_pseudocount={:.17g}\nvalidation={:.17g}\nseed={}\n",
        p.hidden_units, model::to_string(p.hidden_type), epochs, p.batch_size, p.effective_chains(), p.gibbs_steps,
        p.optimizer == OptimizerKind::adam ? "adam" : "sgd", p.learning_rate, p.lr_final, p.decay_after,
        p.adam_beta1, p.adam_beta2, p.adam_epsilon, p.momentum, p.gradient_clip, p.l2_fields, p.l1, p.l2,
        p.effective_l1b(), p.gamma_min, p.weight_init, p.field_pseudocount, p.validation, p.seed);
}

void save_checkpoint(const std::string& path, const TrainingState& state, const Trainer& trainer) {
    npz::Archive archive = model::model_to_archive(state.rbm);
    archive["checkpoint_format"] = npz::make_text("pottsrbm-checkpoint");
    archive["checkpoint_version"] = npz::make_scalar<std::int64_t>(checkpoint_format_version);
    archive["train_signature"] = npz::make_text(run_signature(trainer.params(), trainer.epochs()));
    archive["train_data_fingerprint"] = npz::make_scalar<std::uint64_t>(data_fingerprint(trainer));
    archive["train_epoch"] = npz::make_scalar<std::int64_t>(state.epoch);
    archive["train_batch"] = npz::make_scalar<std::int64_t>(state.batch);
    archive["train_updates"] = npz::make_scalar<std::int64_t>(state.updates);
    archive["train_optimizer_steps"] = npz::make_scalar<std::int64_t>(state.optimizer.steps);
    archive["train_centering"] = npz::make_vector(state.centering);
    for (std::size_t k = 0; k < state.optimizer.first.size(); ++k) {
        archive[fmt::format("optimizer_first_{}", block_names[k])] = npz::make_vector(state.optimizer.first[k]);
        archive[fmt::format("optimizer_second_{}", block_names[k])] = npz::make_vector(state.optimizer.second[k]);
    }
    const auto& chains = state.chains;
    archive["chains_visible"] = npz::make_matrix(chains.visible);
    archive["chains_hidden"] = npz::make_matrix(chains.hidden);
    std::vector<std::uint64_t> rng_states;
    rng_states.reserve(chains.rngs.size() * 4);
    for (const auto& rng : chains.rngs)
        for (auto word : rng.state()) rng_states.push_back(word);
    archive["chains_rng"] = npz::make_array(std::span<const std::uint64_t>(rng_states),
                                            {static_cast<std::int64_t>(chains.rngs.size()), 4});
    const std::string temporary = temporary_path_for(path);
    try {
        npz::write(temporary, archive, npz::Compression::store);
    } catch (...) {
        std::remove(temporary.c_str());
        throw;
    }
    rename_into_place(temporary, path);
}

TrainingState load_checkpoint(const std::string& path, const Trainer& trainer) {
    const npz::Archive archive = npz::read(path);
    const npz::Reader reader(archive, path);
    if (!reader.contains("checkpoint_format") || reader.text("checkpoint_format") != "pottsrbm-checkpoint")
        throw InputError(fmt::format("{}: not a pottsrbm training checkpoint (no checkpoint_format array)", path));
    const auto version = reader.integer("checkpoint_version");
    if (version != checkpoint_format_version)
        reader.fail("checkpoint_version",
                    fmt::format("version {} is not supported (this build reads version {})", version,
                                checkpoint_format_version));
    const std::string expected = run_signature(trainer.params(), trainer.epochs());
    const std::string found = reader.text("train_signature");
    if (found != expected) {
        std::istringstream a(found), b(expected);
        std::string line_found, line_expected, differences;
        while (std::getline(a, line_found) && std::getline(b, line_expected))
            if (line_found != line_expected)
                differences += fmt::format("{}{} (checkpoint) vs {} (now)", differences.empty() ? "" : "; ",
                                           line_found, line_expected);
        throw UsageError(fmt::format("--resume {}: the checkpoint was written with other training options: {}", path,
                                     differences.empty() ? "different option set" : differences));
    }
    if (reader.unsigned_integer("train_data_fingerprint") != data_fingerprint(trainer))
        throw UsageError(fmt::format("--resume {}: the checkpoint was written for other training data "
                                     "(alignment, filters or weights differ)",
                                     path));

    TrainingState state;
    state.rbm = model::model_from_archive(archive, path);
    const auto& params = trainer.params();
    const int n = static_cast<int>(trainer.training_set().sequences.cols());
    if (state.rbm.sites != n || state.rbm.units() != params.hidden_units || state.rbm.hidden.type != params.hidden_type)
        reader.fail("weights", fmt::format("model shape N={} H={} does not match the training run (N={}, H={})",
                                           state.rbm.sites, state.rbm.units(), n, params.hidden_units));
    state.epoch = reader.integer("train_epoch");
    state.batch = reader.integer("train_batch");
    state.updates = reader.integer("train_updates");
    if (state.epoch < 0 || state.epoch > trainer.epochs())
        reader.fail("train_epoch", fmt::format("{} is outside [0, {}]", state.epoch, trainer.epochs()));
    if (state.batch < 0 || state.batch > trainer.batches_per_epoch())
        reader.fail("train_batch", fmt::format("{} is outside [0, {}]", state.batch, trainer.batches_per_epoch()));
    state.optimizer.steps = reader.integer("train_optimizer_steps");
    const auto h = static_cast<std::int64_t>(params.hidden_units);
    const auto centering = reader.vector<float>("train_centering", h);
    state.centering = Eigen::Map<const Eigen::VectorXf>(centering.data(), h);
    const std::int64_t sizes[6] = {state.rbm.fields.size(), state.rbm.weights.size(), h, h, h, h};
    for (std::size_t k = 0; k < 6; ++k) {
        for (auto* moments : {&state.optimizer.first, &state.optimizer.second}) {
            const std::string name = fmt::format("optimizer_{}_{}", moments == &state.optimizer.first ? "first" : "second",
                                                 block_names[k]);
            const bool adam_second = moments == &state.optimizer.second && params.optimizer == OptimizerKind::adam;
            const std::int64_t size = (moments == &state.optimizer.first || adam_second) ? sizes[k] : 0;
            const auto values = reader.vector<float>(name, size);
            moments->emplace_back(Eigen::Map<const Eigen::VectorXf>(values.data(), size));
        }
    }
    const auto b = static_cast<std::int64_t>(params.effective_chains());
    auto& chains = state.chains;
    chains = model::ChainBatch::make(state.rbm, static_cast<int>(b), params.seed, 0);
    reader.copy_to("chains_visible", {b, n}, chains.visible.data());
    reader.copy_to("chains_hidden", {b, h}, chains.hidden.data());
    if ((chains.visible.array() >= state.rbm.states).any())
        reader.fail("chains_visible", fmt::format("a state is >= q = {}", state.rbm.states));
    std::vector<std::uint64_t> rng_states(static_cast<std::size_t>(b) * 4);
    reader.copy_to("chains_rng", {b, 4}, rng_states.data());
    for (std::int64_t c = 0; c < b; ++c) {
        Rng::State words;
        for (std::size_t w = 0; w < 4; ++w) words[w] = rng_states[static_cast<std::size_t>(c) * 4 + w];
        chains.rngs[static_cast<std::size_t>(c)].set_state(words);
    }
    model::hidden_inputs(state.rbm, chains.visible, chains.inputs);
    return state;
}

}  // namespace pottsrbm::train
