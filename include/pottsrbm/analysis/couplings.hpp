// Effective pairwise couplings J_ij(a,b) of the marginal P(v) of a Potts-RBM, their Frobenius
// norms in the zero-sum gauge over the 20 residues (gap excluded) and the average product
// correction (APC). docs/motifs.md derives each approximation.
//
// Approximations (the hidden units' contribution -sum_mu Gamma_mu(I_mu(v)) to F(v) is not
// pairwise; these extract its pairwise part):
//   pgm:      J_ij(a,b) = sum_mu c_mu W_{i mu}(a) W_{j mu}(b),  c_mu = <Var(h_mu | I_mu)>_data
//             (second-order expansion of Gamma_mu, curvature averaged over the weighted data; PGM).
//   gaussian: J_ij(a,b) = sum_mu E_X[ Gamma_mu(X + W_{i mu}(a) + W_{j mu}(b)) ], X ~ N(m_mu^ij, s_mu^ij)
//             the input from the other sites as a Gaussian (central limit) field with the mean and
//             variance it has when the other sites are drawn independently from the weighted
//             data frequencies f_k(a); exact finite differences of Gamma (all orders in W_i, W_j),
//             Gauss-Hermite quadrature over X. For a quadratic Gamma it equals pgm with c = 1/gamma.
//   gaussian-uniform: the same with the other sites uniform over the q states (the measure of
//             the zero-sum gauge of the whole energy: Decelle, Furtlehner, Navas & Seoane 2024).
//   epistasis: J_ij(a,b) = sum_mu < Gamma_mu(I_mu(v) - W_{i mu}(v_i) - W_{j mu}(v_j)
//                                              + W_{i mu}(a) + W_{j mu}(b)) >_data,
//             the double-mutant epistasis of -F(v) (its residue block in the zero-sum gauge)
//             averaged over data sequences v: the field of the other sites is the one each
//             sequence really has, with its correlations (a weighted subsample of at most
//             CouplingOptions::epistasis_sequences sequences).
// Only the residue block (a, b = 1..20) in the zero-sum gauge enters the scores, so terms that
// depend on a or b alone (fields, gauge) do not matter.
//
// Shapes: blocks are q x q (row a of site i, column b of site j); norms are N x N, symmetric,
// zero diagonal.
#pragma once

#include "pottsrbm/analysis/units.hpp"
#include "pottsrbm/model/rbm.hpp"

#include <Eigen/Core>

#include <string_view>
#include <vector>

namespace pottsrbm::analysis {

enum class CouplingApproximation { pgm, gaussian, gaussian_uniform, epistasis };

/// "pgm", "gaussian", "gaussian-uniform", "epistasis".
[[nodiscard]] std::string_view to_string(CouplingApproximation approximation);
/// Parses a name; UsageError naming `option` and the value.
[[nodiscard]] CouplingApproximation parse_coupling_approximation(std::string_view name,
                                                                 std::string_view option = "--couplings");

struct CouplingOptions {
    int quadrature_points = 24;  ///< Gauss-Hermite nodes over the Gaussian field
    /// gaussian: unit mu's part of the residue block of pair (i, j) is taken to second order,
    /// E[Gamma''(X + mean W_i + mean W_j)] W~_i W~_j^T (means over residues), when the bound
    /// 20 max|Gamma'''| r_i r_j (r_i + r_j) on the Frobenius norm of what that neglects (r = range
    /// of the unit's residue weights at a site) is below this; 0 = always exact.
    double second_order_tolerance = 1e-6;
    /// epistasis: data sequences averaged over; more are replaced by a systematic subsample drawn
    /// with probability proportional to the weights (deterministic).
    int epistasis_sequences = 500;
    /// Evaluate Gamma directly instead of through the per-unit cubic Hermite table (tests).
    bool exact_cgf = false;
};

class EffectiveCouplings {
public:
    /// `data` supplies <Var(h|I)>_data (pgm), the site frequencies f_k(a) (gaussian) or the
    /// sequences averaged over (epistasis); it is not used by gaussian-uniform. UsageError for a
    /// non-protein model (q != 21) or bad data (epistasis: a negative or non-finite weight).
    EffectiveCouplings(const model::Rbm& rbm, CouplingApproximation approximation, const WeightedSequences& data,
                       const CouplingOptions& options = {});

    [[nodiscard]] CouplingApproximation approximation() const { return approximation_; }
    /// The raw (ungauged) q x q coupling block of sites i != j.
    [[nodiscard]] Eigen::MatrixXd block(int i, int j) const;
    /// Frobenius norms of the zero-sum-gauged residue blocks, N x N.
    [[nodiscard]] Eigen::MatrixXd frobenius_norms() const;
    /// pgm: the curvatures c_mu = <Var(h_mu | I_mu)>_data (H entries); empty otherwise.
    [[nodiscard]] const Eigen::VectorXd& curvature() const { return curvature_; }

private:
    struct CgfTable {
        double start = 0;
        double step = 1;
        double inverse_step = 1;
        /// Gamma and step * Gamma' at start + k step, interleaved (entries 2k and 2k + 1), so that
        /// a cell's four Hermite values are one contiguous load.
        std::vector<double> hermite;
        [[nodiscard]] std::size_t points() const { return hermite.size() / 2; }
        std::vector<double> variance;      ///< Gamma'' there
        double max_third = 0;              ///< max |Gamma'''| on the grid (differences of variance)
    };
    [[nodiscard]] double cgf(int mu, double input) const;
    [[nodiscard]] double conditional_variance(int mu, double input) const;
    /// epistasis: fills field_states_ and field_weights_ from the data.
    void select_field_sequences(const WeightedSequences& data);
    /// The field X of the other sites than i and j for unit mu as points and weights (sum 1):
    /// Gauss-Hermite nodes of the Gaussian field, or the data sequences (epistasis).
    void field_points(int mu, int i, int j, std::vector<double>& points, const double*& weights) const;
    /// Adds unit mu's part of the block of pair (i, j) for states >= first_state to `out` (q x q).
    void add_field_block(int mu, int i, int j, int first_state, Eigen::MatrixXd& out) const;
    /// The zero-sum-gauged residue block of pair (i, j) (20 x 20), with the second-order shortcut.
    [[nodiscard]] Eigen::MatrixXd field_residue_block(int i, int j) const;

    const model::Rbm& rbm_;
    CouplingApproximation approximation_;
    CouplingOptions options_;
    Eigen::VectorXd curvature_;
    // gaussian: per-site mean and variance of W_{k mu}(v_k) under the site measure (N x H), their
    // sums over sites (H), the tables, quadrature nodes and weights (sum of weights = 1).
    Eigen::MatrixXd site_mean_;
    Eigen::MatrixXd site_variance_;
    Eigen::VectorXd field_mean_;
    Eigen::VectorXd field_variance_;
    std::vector<CgfTable> tables_;
    Eigen::MatrixXd residue_range_;  ///< N x H: max_a - min_a of W_{i mu}(a) over residues
    std::vector<double> nodes_;
    std::vector<double> node_weights_;
    // epistasis: the sequences averaged over (S x N), their inputs I_mu(v) (S x H) and weights (sum 1).
    model::StateMatrix field_states_;
    Eigen::MatrixXd field_inputs_;
    std::vector<double> field_weights_;
};

/// The zero-sum gauge of the residue block of a q x q block (q = 21, state 0 = gap dropped):
/// out(a,b) = J(a,b) - mean_a' J(a',b) - mean_b' J(a,b') + mean_a'b' J(a',b') over residues. 20 x 20.
[[nodiscard]] Eigen::MatrixXd zero_sum_residue_block(const Eigen::Ref<const Eigen::MatrixXd>& block);

/// Average product correction of a symmetric N x N score matrix F (diagonal ignored):
/// APC_ij = F_ij - F_i. F_.j / F_.., with F_i. the mean of row i over j != i and F_.. the mean over
/// all i != j. Zero diagonal. N >= 3 (UsageError otherwise).
[[nodiscard]] Eigen::MatrixXd average_product_correction(const Eigen::Ref<const Eigen::MatrixXd>& scores);

/// Gauss-Hermite nodes x_k and weights w_k for E[f(Z)], Z ~ N(0,1): sum_k w_k f(x_k) (sum w_k = 1).
void gauss_hermite_normal(int points, std::vector<double>& nodes, std::vector<double>& weights);

}  // namespace pottsrbm::analysis
