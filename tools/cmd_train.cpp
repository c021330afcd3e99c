// `pottsrbm train ALIGNMENT -o MODEL.npz`: reads, filters and weights the alignment, trains a
// Potts-RBM by PCD (checkpoints, Ctrl-C and --resume), estimates log Z by AIS and writes the model.
#include "cli.hpp"
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/interrupt.hpp"
#include "pottsrbm/core/log.hpp"
#include "pottsrbm/core/output_file.hpp"
#include "pottsrbm/core/progress.hpp"
#include "pottsrbm/core/threads.hpp"
#include "pottsrbm/io/preprocess.hpp"
#include "pottsrbm/model/model_file.hpp"
#include "pottsrbm/model/moments.hpp"
#include "pottsrbm/train/checkpoint.hpp"
#include "pottsrbm/train/evaluate.hpp"
#include "pottsrbm/train/trainer.hpp"
#include "pottsrbm/version.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pottsrbm::cli {
namespace {

std::string now_iso8601() {
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}", fmt::localtime(std::time(nullptr)));
}

std::string format_metric(double value, int digits = 4) {
    return std::isnan(value) ? "nan" : fmt::format("{:.{}f}", value, digits);
}

}  // namespace

int run_train(const std::vector<std::string>& args) {
    CommonOptions common;
    io::PreprocessParams data_params;
    train::TrainParams params;
    model::AisParams ais;
    std::string input;
    std::string output;
    std::string checkpoint;
    std::string resume;
    std::string metrics_path;
    std::string hidden_name = "drelu";
    std::string optimizer_name = "adam";
    long long checkpoint_every = 0;
    long long ais_temperatures = ais.temperatures;
    long long ais_chains = ais.chains;
    long long hidden_units = params.hidden_units;
    long long seed = static_cast<long long>(params.seed);
    bool free_hidden_scale = false;

    po::options_description model_options("model and training options");
    // clang-format off
    model_options.add_options()
        ("output,o", po::value(&output)->value_name("MODEL.npz"), "model file to write (required)")
        ("hidden-units,H", defaulted(&hidden_units), "number of hidden units")
        ("hidden", defaulted(&hidden_name), "hidden-unit type: drelu, relu, gaussian, bernoulli")
        ("epochs", defaulted(&params.epochs), "passes over the data (0 = auto: about 4 million sequences)")
        ("batch-size", defaulted(&params.batch_size), "sequences per minibatch")
        ("chains", defaulted(&params.chains), "persistent chains (0 = batch size)")
        ("gibbs-steps", defaulted(&params.gibbs_steps), "Gibbs sweeps of the chains per update")
        ("optimizer", defaulted(&optimizer_name), "adam or sgd (with momentum)")
        ("lr", defaulted(&params.learning_rate), "initial learning rate")
        ("lr-final", defaulted(&params.lr_final), "learning rate at the last epoch")
        ("decay-after", defaulted(&params.decay_after), "fraction of epochs before the geometric decay starts")
        ("adam-beta1", defaulted(&params.adam_beta1), "Adam first-moment decay (0 = RMSprop-like, as PGM)")
        ("adam-beta2", defaulted(&params.adam_beta2), "Adam second-moment decay")
        ("adam-epsilon", defaulted(&params.adam_epsilon), "Adam epsilon")
        ("momentum", defaulted(&params.momentum), "SGD momentum")
        ("clip", defaulted(&params.gradient_clip), "clip each gradient entry to [-clip, clip] (0 = off)")
        ("l2-fields", defaulted(&params.l2_fields), "L2 penalty on the fields")
        ("l1", defaulted(&params.l1), "L1 penalty on the weights")
        ("l2", defaulted(&params.l2), "L2 penalty on the weights")
        ("l1b", po::value<double>()->value_name("X")->notifier([&params](double v) { params.l1b = v; }),
         "L1^2 sparsity penalty lambda/(2qN) sum_mu (sum |W_mu|)^2 (default 0.25 for drelu, else 0)")
        ("gamma-min", defaulted(&params.gamma_min), "smallest curvature of the hidden potentials")
        ("free-hidden-scale", po::bool_switch(&free_hidden_scale), "do not fix the scale gauge of the hidden units (smaller curvature 1)")
        ("weight-init", defaulted(&params.weight_init), "std of the initial weights (< 0: sqrt(0.1/N))")
        ("validation", defaulted(&params.validation), "fraction of sequences held out (at random)")
        ("seed", defaulted(&seed), "random seed")
        ("metrics-every", defaulted(&params.metrics_every), "epochs between monitoring lines (0 = about 50 lines)")
        ("monitor-sequences", defaulted(&params.monitor_sequences), "sequences used for the per-epoch pseudo-likelihood")
        ("metrics", po::value(&metrics_path)->value_name("FILE"), "metrics TSV (default: the -o name + .metrics.tsv)")
        ("checkpoint", po::value(&checkpoint)->value_name("FILE"), "checkpoint file (default: the -o name + .ckpt.npz)")
        ("checkpoint-every", defaulted(&checkpoint_every), "epochs between checkpoints (0 = every 10% of training)")
        ("resume", po::value(&resume)->value_name("CKPT"), "continue an interrupted run from its checkpoint")
        ("ais-temperatures", defaulted(&ais_temperatures), "AIS inverse temperatures for log Z")
        ("ais-chains", defaulted(&ais_chains), "AIS chains (0 = skip the likelihood estimate)");
    // clang-format on
    po::options_description data_options("data options");
    add_preprocess_options(data_options, data_params);
    po::options_description general("general options");
    add_common_options(general, common);
    po::options_description all;
    all.add(model_options).add(data_options).add(general);
    po::variables_map values;
    if (!parse("train", "ALIGNMENT -o MODEL.npz [options]", args, all, {{"input", po::value(&input)}}, values)) return 0;
    apply_common(common);

    if (input.empty()) throw UsageError("train: missing ALIGNMENT (see 'pottsrbm train --help')");
    if (output.empty()) throw UsageError("train: missing --output MODEL.npz");
    params.hidden_units = static_cast<int>(require_range("--hidden-units", hidden_units, 1, 1'000'000));
    params.hidden_type = model::parse_hidden_type(hidden_name, "--hidden");
    if (optimizer_name == "adam")
        params.optimizer = train::OptimizerKind::adam;
    else if (optimizer_name == "sgd")
        params.optimizer = train::OptimizerKind::sgd;
    else
        throw UsageError(fmt::format("--optimizer: expected adam or sgd, got '{}'", optimizer_name));
    params.seed = static_cast<std::uint64_t>(require_range("--seed", seed, 0, std::numeric_limits<long long>::max()));
    require_range("--checkpoint-every", checkpoint_every, 0, std::numeric_limits<long long>::max());
    ais.chains = static_cast<int>(require_range("--ais-chains", ais_chains, 0, 10'000'000));
    ais.temperatures = static_cast<int>(require_range("--ais-temperatures", ais_temperatures, 2, 100'000'000));
    ais.seed = params.seed;
    params.fix_hidden_scale = !free_hidden_scale;
    params.validate();
    data_params.validate();
    if (ais.chains > 0) ais.validate();
    if (checkpoint.empty()) checkpoint = output + ".ckpt.npz";
    if (metrics_path.empty()) metrics_path = output + ".metrics.tsv";
    check_can_write(output, common.force);
    if (resume.empty()) check_can_write(metrics_path, common.force);

    // Data.
    const io::PreparedAlignment prepared = io::prepare_alignment(input, data_params);
    train::TrainingSet train_set;
    train::TrainingSet validation_set;
    train::split_validation(prepared.alignment.states, prepared.weights, params.validation, params.seed, train_set,
                            validation_set);
    if (validation_set.sequences.rows() > 0)
        log::info("validation: {} sequences held out (M_eff {:.1f}), {} for training (M_eff {:.1f})",
                  validation_set.sequences.rows(), validation_set.weights.sum(), train_set.sequences.rows(),
                  train_set.weights.sum());
    train::Trainer trainer(params, std::move(train_set), std::move(validation_set), 21);

    // State: fresh or resumed.
    train::TrainingState state;
    if (!resume.empty()) {
        state = train::load_checkpoint(resume, trainer);
        log::info("resumed from {} in epoch {} after minibatch {} ({} updates done)", resume, state.epoch + 1,
                  state.batch, state.updates);
    } else {
        state = trainer.initial_state();
    }
    const long long epochs = trainer.epochs();
    if (checkpoint_every == 0) checkpoint_every = std::max(1LL, epochs / 10);
    log::info("training: {} {} hidden units, {} epochs x {} minibatches of {}, {} chains, {} Gibbs sweep(s), "
              "lr {} -> {}, l1b {}, seed {}, {} threads",
              params.hidden_units, model::to_string(params.hidden_type), epochs, trainer.batches_per_epoch(),
              params.batch_size, params.effective_chains(), params.gibbs_steps, params.learning_rate, params.lr_final,
              params.effective_l1b(), params.seed, threads());

    std::ofstream metrics(metrics_path, resume.empty() ? std::ios::trunc : std::ios::app);
    if (!metrics) throw RuntimeFailure(fmt::format("cannot write metrics file '{}'", metrics_path));
    if (resume.empty()) {
        fmt::print(metrics, "# pottsrbm {} ({}) train, seed {}\n# {}\n", version_string, git_revision, params.seed,
                   command_line());
        fmt::print(metrics, "epoch\tseconds\tlr\tpll_train\tpll_validation\tsingle_pearson\tconnected_pearson\t"
                            "participation_ratio\tmax_abs_weight\tactive_units\n");
    }

    install_interrupt_handlers();
    Progress progress("training", epochs - state.epoch);
    const long long log_every = std::max(1LL, epochs / 20);
    long long next_log = state.epoch + 1;
    const auto on_epoch = [&](const train::EpochMetrics* m, const train::TrainingState& current) {
        progress.add(1);
        if (current.epoch % checkpoint_every == 0 && current.epoch < epochs) {
            train::save_checkpoint(checkpoint, current, trainer);
            log::debug("checkpoint written to {}", checkpoint);
        }
        if (m == nullptr) return;
        fmt::print(metrics, "{}\t{:.3f}\t{:.4g}\t{}\t{}\t{}\t{}\t{}\t{:.4f}\t{}\n", m->epoch, m->seconds,
                   m->learning_rate, format_metric(m->pll_train), format_metric(m->pll_validation),
                   format_metric(m->single_pearson), format_metric(m->connected_pearson),
                   format_metric(m->participation_ratio), m->max_abs_weight, m->active_units);
        metrics.flush();
        if (m->epoch >= next_log || m->epoch == epochs) {
            next_log = m->epoch + log_every;
            const std::string line = fmt::format(
                "epoch {}/{} {:.1f}s lr {:.2e} PLL/site {}{} chains-vs-data pearson f_i {} C_ij {} PR {}{}", m->epoch,
                epochs, m->seconds, m->learning_rate, format_metric(m->pll_train),
                std::isnan(m->pll_validation) ? "" : fmt::format(" (validation {})", format_metric(m->pll_validation)),
                format_metric(m->single_pearson, 3), format_metric(m->connected_pearson, 3),
                format_metric(m->participation_ratio, 3),
                m->active_units < params.hidden_units ? fmt::format(" ({} of {} units active)", m->active_units,
                                                                    params.hidden_units)
                                                      : "");
            log::info("{}", line);
        }
    };
    const bool finished = trainer.run(state, on_epoch, &interrupt_requested());
    progress.finish();
    if (!finished) {
        train::save_checkpoint(checkpoint, state, trainer);
        throw Interrupted(fmt::format("interrupted in epoch {} after minibatch {}; state saved to {}; continue with: "
                                      "pottsrbm train {} -o {} --resume {} (and the same options)",
                                      state.epoch + 1, state.batch, checkpoint, input, output, checkpoint));
    }

    model::Rbm& rbm = state.rbm;
    rbm.columns = prepared.alignment.columns;
    rbm.provenance.version = fmt::format("{} ({})", version_string, git_revision);
    rbm.provenance.command_line = command_line();
    rbm.provenance.seed = params.seed;
    rbm.provenance.training_data = input;
    rbm.provenance.effective_sequences = prepared.effective_sequences();
    rbm.provenance.created = now_iso8601();
    if (ais.chains > 0) {
        log::info("estimating log Z by AIS ({} chains x {} temperatures)", ais.chains, ais.temperatures);
        const auto report = train::evaluate_likelihood(rbm, trainer.training_set(), trainer.validation_set(), ais,
                                                       params.field_pseudocount);
        std::ostringstream text;
        train::write_likelihood_report(text, report, rbm.sites);
        std::istringstream lines(text.str());
        for (std::string line; std::getline(lines, line);) {
            log::info("{}", line);
            fmt::print(metrics, "# {}\n", line);
        }
    }
    model::save_model(rbm, output, common.force);
    log::info("model written to {}", output);
    if (params.gibbs_steps < 5 && ais.chains > 0)
        log::info("note: with {} Gibbs sweep(s) per update the persistent chains follow the data while the model's own "
                  "equilibrium may lie elsewhere, and AIS then overestimates the likelihood; check with 'pottsrbm eval "
                  "{} {} --tempering 8 --burn-in 4000' (docs/design.md, free energy)",
                  params.gibbs_steps, output, input);
    const int active = model::weight_sparsity(rbm).active_units;
    if (active < rbm.units()) {
        const double l1b = params.effective_l1b();
        std::string penalty = "the weight penalties (--l2)";
        if (l1b > 0 && params.l1 > 0)
            penalty = fmt::format("the L1^2 and L1 penalties (--l1b {}, --l1 {})", l1b, params.l1);
        else if (l1b > 0) penalty = fmt::format("the L1^2 penalty (--l1b {})", l1b);
        else if (params.l1 > 0) penalty = fmt::format("the L1 penalty (--l1 {})", params.l1);
        if (active == 0)
            log::warn("no hidden unit is active: {} took every weight to noise level (norm below {}), so the model is "
                      "the independent-site model; use a weaker penalty",
                      penalty, model::active_unit_threshold);
        else
            log::info("note: {} of {} hidden units are active; {} took the weights of the other {} to noise level "
                      "(norm below {} of the largest), so they add nothing but time: a weaker penalty keeps more "
                      "units, fewer units (-H) train faster (docs/algorithms.md, regularization)",
                      active, rbm.units(), penalty, rbm.units() - active, model::active_unit_threshold);
    }
    std::error_code ignored;
    std::filesystem::remove(checkpoint, ignored);
    return 0;
}

}  // namespace pottsrbm::cli
