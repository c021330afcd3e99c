// Tests of model files: exact (bit for bit) round trips for every hidden type and shape, refusal
// to overwrite, one InputError test per kind of bad content (each naming the file and the
// field), no temporary file left after a failed save, and the numpy snippet of
// docs/model-format.md run on a saved model against F(v) computed here from the parameters
// (skipped with a WARN when /usr/bin/python3 has no numpy).
#include "support/test_support.hpp"

#include "pottsrbm/core/alphabet.hpp"
#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/npz.hpp"
#include "pottsrbm/core/rng.hpp"
#include "pottsrbm/model/model_file.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

using namespace pottsrbm;
using namespace pottsrbm::model;
namespace fs = std::filesystem;

namespace {

constexpr HiddenType hidden_types[] = {HiddenType::bernoulli, HiddenType::gaussian, HiddenType::relu, HiddenType::drelu};

/// A model with random parameters of the type (unused ones keep their defaults), columns with
/// gaps, non-ASCII provenance and extreme float values (-0, denormals, large magnitudes).
Rbm random_model(HiddenType type, int sites, int states, int units, std::uint64_t seed) {
    Rng rng(seed, 3);
    Rbm rbm = Rbm::make(sites, states, units, type);
    for (int i = 0; i < sites; ++i)
        for (int a = 0; a < states; ++a) rbm.fields(i, a) = static_cast<float>(rng.normal());
    for (Eigen::Index r = 0; r < rbm.weights.rows(); ++r)
        for (Eigen::Index mu = 0; mu < rbm.weights.cols(); ++mu)
            rbm.weights(r, mu) = static_cast<float>(0.3 * rng.normal());
    if (rbm.weights.size() >= 3) {
        rbm.weights.data()[0] = -0.0f;
        rbm.weights.data()[1] = std::numeric_limits<float>::denorm_min();
        rbm.weights.data()[2] = -3.0e38f;
    }
    for (int mu = 0; mu < units; ++mu) {
        rbm.hidden.theta_plus[mu] = static_cast<float>(rng.normal());
        if (type != HiddenType::bernoulli) rbm.hidden.gamma_plus[mu] = static_cast<float>(0.5 + rng.uniform());
        if (type == HiddenType::drelu) {
            rbm.hidden.gamma_minus[mu] = static_cast<float>(0.5 + rng.uniform());
            rbm.hidden.theta_minus[mu] = static_cast<float>(rng.normal());
        }
    }
    for (int i = 0; i < sites; ++i) rbm.columns[static_cast<std::size_t>(i)] = 3 * i + 1;
    rbm.provenance = {"0.1.0 (abc123)", "pottsrbm train --hidden \xce\xb3 aln.fasta", 18446744073709551615ULL,
                      "/data/PF00013 \xe2\x80\x94 KH.a2m", 1234.5678, "2026-11-27T09:00:00Z"};
    rbm.log_z = 123.456789;
    rbm.log_z_error = 0.0125;
    rbm.has_log_z = true;
    return rbm;
}

template <typename Matrix>
bool same_bits(const Matrix& a, const Matrix& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(typename Matrix::Scalar)) == 0;
}

void require_identical(const Rbm& a, const Rbm& b) {
    CHECK(a.sites == b.sites);
    CHECK(a.states == b.states);
    CHECK(same_bits(a.fields, b.fields));
    CHECK(same_bits(a.weights, b.weights));
    CHECK(a.hidden.type == b.hidden.type);
    CHECK(same_bits(a.hidden.gamma_plus, b.hidden.gamma_plus));
    CHECK(same_bits(a.hidden.theta_plus, b.hidden.theta_plus));
    CHECK(same_bits(a.hidden.gamma_minus, b.hidden.gamma_minus));
    CHECK(same_bits(a.hidden.theta_minus, b.hidden.theta_minus));
    CHECK(a.columns == b.columns);
    CHECK(a.provenance.version == b.provenance.version);
    CHECK(a.provenance.command_line == b.provenance.command_line);
    CHECK(a.provenance.seed == b.provenance.seed);
    CHECK(a.provenance.training_data == b.provenance.training_data);
    CHECK(a.provenance.effective_sequences == b.provenance.effective_sequences);
    CHECK(a.provenance.created == b.provenance.created);
    CHECK(a.log_z == b.log_z);
    CHECK(a.log_z_error == b.log_z_error);
    CHECK(a.has_log_z == b.has_log_z);
}

/// Saves `rbm`, lets `edit` change the archive's arrays, writes the result to a new file and
/// returns its path.
template <typename Edit>
std::string edited_model_file(const fs::path& dir, const Rbm& rbm, Edit&& edit) {
    static int counter = 0;
    npz::Archive archive = model_to_archive(rbm);
    edit(archive);
    const auto path = (dir / fmt::format("edited{}.npz", counter++)).string();
    npz::write(path, archive);
    return path;
}

/// Sets element `index` of a float32 array.
void set_float(npz::Array& array, std::size_t index, float value) {
    REQUIRE(array.dtype == npz::DType::float32);
    std::memcpy(array.data.data() + 4 * index, &value, 4);
}

bool python_numpy_available() {
    return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/// F(v) of one sequence from the parameters, for Gaussian and Bernoulli units (closed forms).
double reference_free_energy(const Rbm& rbm, const std::vector<std::uint8_t>& v) {
    double f = 0;
    for (int i = 0; i < rbm.sites; ++i) f -= rbm.fields(i, v[static_cast<std::size_t>(i)]);
    for (int mu = 0; mu < rbm.units(); ++mu) {
        double input = 0;
        for (int i = 0; i < rbm.sites; ++i) input += rbm.weights(i * rbm.states + v[static_cast<std::size_t>(i)], mu);
        const double theta = rbm.hidden.theta_plus[mu], gamma = rbm.hidden.gamma_plus[mu];
        if (rbm.hidden.type == HiddenType::gaussian)
            f -= (input - theta) * (input - theta) / (2 * gamma) + 0.5 * std::log(2 * std::numbers::pi / gamma);
        else
            f -= std::log1p(std::exp(input - theta));
    }
    return f;
}

}  // namespace

TEST_CASE("model files round-trip bit for bit for every hidden type", "[model_file]") {
    const auto dir = test::scratch_dir("model-roundtrip");
    for (auto type : hidden_types) {
        INFO("hidden type " << to_string(type));
        const Rbm rbm = random_model(type, 7, q_states, 5, 11);
        const auto path = (dir / fmt::format("{}.npz", to_string(type))).string();
        save_model(rbm, path, false);
        require_identical(rbm, load_model(path));
    }
}

TEST_CASE("model files with no hidden units, other q, no log Z and empty texts", "[model_file]") {
    const auto dir = test::scratch_dir("model-roundtrip-other");
    {
        for (int states : {2, 3, 21, 70, 256}) {
            INFO("q = " << states);
            Rbm rbm = random_model(HiddenType::drelu, 4, states, 0, 5);
            rbm.provenance = {};
            rbm.has_log_z = false;
            rbm.log_z = std::numeric_limits<double>::quiet_NaN();  // ignored without has_log_z
            const auto path = (dir / fmt::format("q{}.npz", states)).string();
            save_model(rbm, path, false);
            const Rbm loaded = load_model(path);
            CHECK(loaded.states == states);
            CHECK(loaded.units() == 0);
            CHECK(same_bits(loaded.fields, rbm.fields));
            CHECK(loaded.weights.rows() == 4 * states);
            CHECK(loaded.columns == rbm.columns);
            CHECK(std::isnan(loaded.log_z));
            CHECK_FALSE(loaded.has_log_z);
            CHECK(loaded.provenance.training_data.empty());
        }
    }
}

TEST_CASE("model file arrays, dtypes and shapes are those of docs/model-format.md", "[model_file]") {
    const Rbm rbm = random_model(HiddenType::drelu, 6, q_states, 4, 2);
    const npz::Archive archive = model_to_archive(rbm);
    const auto expect = [&](const std::string& name, npz::DType dtype, std::vector<std::int64_t> shape) {
        INFO("array " << name);
        REQUIRE(archive.count(name) == 1);
        CHECK(archive.at(name).dtype == dtype);
        CHECK(archive.at(name).shape == shape);
    };
    expect("format", npz::DType::text, {});
    expect("format_version", npz::DType::int64, {});
    expect("fields", npz::DType::float32, {6, 21});
    expect("weights", npz::DType::float32, {6, 21, 4});
    expect("hidden_type", npz::DType::text, {});
    for (const char* name : {"gamma_plus", "theta_plus", "gamma_minus", "theta_minus"})
        expect(name, npz::DType::float32, {4});
    expect("alphabet", npz::DType::text, {});
    expect("columns", npz::DType::int32, {6});
    for (const char* name : {"version", "command_line", "training_data", "created"}) expect(name, npz::DType::text, {});
    expect("seed", npz::DType::uint64, {});
    for (const char* name : {"effective_sequences", "log_z", "log_z_error"}) expect(name, npz::DType::float64, {});
    expect("has_log_z", npz::DType::boolean, {});
    CHECK(archive.size() == 20);
    // weights[i, a, mu] = W_{i mu}(a) = rbm.weights(i*q + a, mu)
    float stored = 0;
    std::memcpy(&stored, archive.at("weights").data.data() + 4 * ((2 * 21 + 5) * 4 + 3), 4);
    CHECK(stored == rbm.weights(2 * 21 + 5, 3));
    const npz::Reader reader(archive, "x");
    CHECK(reader.text("alphabet") == "-ACDEFGHIKLMNPQRSTVWY");
    // Only the parameters of the type are stored.
    const auto gaussian = model_to_archive(random_model(HiddenType::gaussian, 2, 21, 3, 1));
    CHECK(gaussian.count("gamma_plus") == 1);
    CHECK(gaussian.count("gamma_minus") == 0);
    const auto bernoulli = model_to_archive(random_model(HiddenType::bernoulli, 2, 21, 3, 1));
    CHECK(bernoulli.count("theta_plus") == 1);
    CHECK(bernoulli.count("gamma_plus") == 0);
    CHECK(model_alphabet(3) == "012");
    CHECK(model_alphabet(64) == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\xc4\x80\xc4\x81");
    CHECK_THROWS_AS(model_alphabet(257), UsageError);
}

TEST_CASE("save_model refuses to overwrite without force", "[model_file]") {
    const auto dir = test::scratch_dir("model-force");
    const auto path = (dir / "m.npz").string();
    const Rbm first = random_model(HiddenType::gaussian, 3, q_states, 2, 1);
    const Rbm second = random_model(HiddenType::gaussian, 3, q_states, 2, 2);
    save_model(first, path, false);
    CHECK_THROWS_AS(save_model(second, path, false), UsageError);
    require_identical(first, load_model(path));
    save_model(second, path, true);
    require_identical(second, load_model(path));
    CHECK_THROWS_AS(save_model(first, (dir / "absent" / "m.npz").string(), false), UsageError);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
    CHECK(files == 1);
}

TEST_CASE("a failed save leaves no temporary file behind", "[model_file]") {
    const auto dir = test::scratch_dir("model-failed-save");
    Rbm rbm = random_model(HiddenType::drelu, 3, q_states, 2, 1);
    rbm.weights(4, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(save_model(rbm, (dir / "nan.npz").string(), false), RuntimeFailure);
    CHECK(fs::is_empty(dir));
    // The rename fails after the archive was written: the target is a directory.
    const auto target = dir / "target";
    fs::create_directory(target);
    fs::create_directory(target / "keep");
    CHECK_THROWS_AS(save_model(random_model(HiddenType::relu, 3, q_states, 2, 1), target.string(), true), RuntimeFailure);
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    CHECK(names == std::vector<std::string>{"target"});
}

TEST_CASE("load_model rejects bad content naming the file and the field", "[model_file]") {
    const auto dir = test::scratch_dir("model-bad");
    const Rbm rbm = random_model(HiddenType::drelu, 5, q_states, 3, 9);

    SECTION("every required array, when missing, is named") {
        for (const auto& [name, array] : model_to_archive(rbm)) {
            const auto path = edited_model_file(dir, rbm, [&](npz::Archive& a) { a.erase(name); });
            test::require_input_error([&] { (void)load_model(path); }, {path + ": missing required array '" + name + "'"});
        }
        const Rbm gaussian = random_model(HiddenType::gaussian, 5, q_states, 3, 9);
        const auto path = edited_model_file(dir, gaussian, [](npz::Archive& a) { a.erase("gamma_plus"); });
        test::require_input_error([&] { (void)load_model(path); }, {path + ": missing required array 'gamma_plus'"});
    }
    SECTION("unknown extra arrays are ignored") {
        const auto path = edited_model_file(dir, rbm, [](npz::Archive& a) {
            a["future_feature"] = npz::make_text("ignored");
            a["checkpoint_epoch"] = npz::make_scalar<std::int64_t>(3);
        });
        require_identical(rbm, load_model(path));
    }
    SECTION("format and version") {
        auto path = edited_model_file(dir, rbm, [](npz::Archive& a) { a["format"] = npz::make_text("something-else"); });
        test::require_input_error([&] { (void)load_model(path); }, {path + ": array 'format': 'something-else'"});
        path = edited_model_file(dir, rbm, [](npz::Archive& a) { a["format_version"] = npz::make_scalar<std::int64_t>(2); });
        test::require_input_error([&] { (void)load_model(path); }, {path + ": array 'format_version': version 2 is newer"});
        path = edited_model_file(dir, rbm, [](npz::Archive& a) { a["format_version"] = npz::make_scalar<std::int64_t>(0); });
        test::require_input_error([&] { (void)load_model(path); }, {path + ": array 'format_version': version 0"});
        path = edited_model_file(dir, rbm, [](npz::Archive& a) { a["format_version"] = npz::make_scalar(1.0); });
        test::require_input_error([&] { (void)load_model(path); }, {path + ": array 'format_version': dtype is <f8"});
        // numpy saves a Python int as int64 and a 32-bit int as int32: both are accepted.
        path = edited_model_file(dir, rbm, [](npz::Archive& a) { a["format_version"] = npz::make_scalar<std::int32_t>(1); });
        CHECK_NOTHROW(load_model(path));
    }
    SECTION("wrong shapes") {
        const auto check = [&](const std::string& name, npz::Array replacement, const std::string& needle) {
            const auto path = edited_model_file(dir, rbm, [&](npz::Archive& a) { a[name] = replacement; });
            test::require_input_error([&] { (void)load_model(path); }, {path + ": array '", needle});
        };
        check("fields", npz::make_array(std::vector<float>(5 * 21)), "'fields': shape is (105,), expected 2 dimensions");
        check("fields", npz::make_array(std::span<const float>(std::vector<float>(5)), {5, 1}),
              "'fields': q = 1 states");
        check("weights", npz::make_array(std::span<const float>(std::vector<float>(5 * 20 * 3)), {5, 20, 3}),
              "'weights': shape is (5, 20, 3), expected (N, q, H) with N = 5, q = 21");
        check("gamma_plus", npz::make_array(std::vector<float>(4, 1.0f)), "'gamma_plus': shape is (4,), expected (3,)");
        check("theta_minus", npz::make_scalar(1.0f), "'theta_minus': shape is (), expected (3,)");
        check("columns", npz::make_array(std::vector<std::int32_t>{0, 1, 2, 3}), "'columns': shape is (4,), expected (5,)");
        check("seed", npz::make_array(std::vector<std::uint64_t>{1, 2}), "'seed': shape is (2,), expected a scalar");
    }
    SECTION("wrong dtypes") {
        const auto check = [&](const std::string& name, npz::Array replacement, const std::string& needle) {
            const auto path = edited_model_file(dir, rbm, [&](npz::Archive& a) { a[name] = replacement; });
            test::require_input_error([&] { (void)load_model(path); }, {path + ": array '" + name + "': ", needle});
        };
        check("weights", npz::make_array(std::span<const double>(std::vector<double>(5 * 21 * 3)), {5, 21, 3}),
              "dtype is <f8, expected <f4");
        check("fields", npz::make_array(std::span<const std::int32_t>(std::vector<std::int32_t>(5 * 21)), {5, 21}),
              "dtype is <i4, expected <f4");
        check("columns", npz::make_array(std::vector<std::int64_t>{0, 1, 2, 3, 4}), "dtype is <i8, expected <i4");
        check("hidden_type", npz::make_scalar<std::int64_t>(1), "expected text");
        check("log_z", npz::make_text("12"), "expected <f8");
        check("has_log_z", npz::make_scalar(0.5), "expected |b1");
    }
    SECTION("non-finite and out-of-domain values") {
        const auto check = [&](const std::string& name, std::size_t index, float value, const std::string& needle) {
            const auto path = edited_model_file(dir, rbm, [&](npz::Archive& a) { set_float(a.at(name), index, value); });
            test::require_input_error([&] { (void)load_model(path); }, {path + ": array '" + name + "': ", needle});
        };
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        check("weights", (2 * 21 + 7) * 3 + 1, nan, "non-finite value nan at [2, 7, 1]");
        check("fields", 21 + 4, -inf, "non-finite value -inf at [1, 4]");
        check("theta_plus", 2, nan, "non-finite value nan at [2]");
        check("gamma_plus", 1, 0.0f, "gamma_plus[1] = 0 must be > 0");
        check("gamma_minus", 2, -0.5f, "gamma_minus[2] = -0.5 must be > 0");
    }
    SECTION("other semantic checks") {
        const auto check = [&](const std::string& name, npz::Array replacement, const std::string& needle) {
            const auto path = edited_model_file(dir, rbm, [&](npz::Archive& a) { a[name] = replacement; });
            test::require_input_error([&] { (void)load_model(path); }, {path + ": array '" + name + "': ", needle});
        };
        check("hidden_type", npz::make_text("softplus"), "unknown hidden-unit type 'softplus'");
        check("alphabet", npz::make_text("ACDEFGHIKLMNPQRSTVWY-"), "is not the protein alphabet");
        check("columns", npz::make_array(std::vector<std::int32_t>{0, 1, 1, 2, 3}), "columns[2] = 1");
        check("columns", npz::make_array(std::vector<std::int32_t>{-1, 1, 2, 3, 4}), "columns[0] = -1");
        check("seed", npz::make_scalar<std::int64_t>(-5), "negative");
        check("effective_sequences", npz::make_scalar(-1.0), "-1 is not a finite number >= 0");
        check("log_z", npz::make_scalar(std::numeric_limits<double>::infinity()), "inf is not finite");
        check("log_z_error", npz::make_scalar(-0.1), "-0.1 is not a finite number >= 0");
        const Rbm binary = random_model(HiddenType::relu, 3, 3, 2, 4);
        const auto path = edited_model_file(dir, binary, [](npz::Archive& a) { a["alphabet"] = npz::make_text("0A0"); });
        test::require_input_error([&] { (void)load_model(path); }, {path + ": array 'alphabet': '0A0' does not have q = 3"});
    }
    SECTION("files that are not models") {
        const auto path = (dir / "other.npz").string();
        npz::write(path, {{"x", npz::make_scalar(1.0)}});
        test::require_input_error([&] { (void)load_model(path); }, {path + ": missing required array 'format'"});
        const auto text = test::write_file(dir / "model.txt", "fields 1 2 3\n");
        test::require_input_error([&] { (void)load_model(text.string()); }, {text.string() + ": not a valid NumPy .npz"});
    }
}

TEST_CASE("the numpy snippet of docs/model-format.md computes F(v) of a saved model", "[model_file][python]") {
    if (!python_numpy_available()) {
        WARN("skipped: /usr/bin/python3 with numpy is not available (apt-get install python3-numpy)");
        return;
    }
    const std::string doc = test::read_file(test::source_path("docs/model-format.md"));
    const auto begin = doc.find("```python\n");
    REQUIRE(begin != std::string::npos);
    const auto end = doc.find("```", begin + 10);
    REQUIRE(end != std::string::npos);
    const auto dir = test::scratch_dir("model-python");
    const auto snippet = test::write_file(dir / "free_energy.py", doc.substr(begin + 10, end - begin - 10));
    const auto shapes = test::write_file(dir / "shapes.py", R"PY(
import sys, numpy as np
m = np.load(sys.argv[1])
N, q, H = (int(x) for x in sys.argv[2:5])
assert m["fields"].shape == (N, q) and m["fields"].dtype == np.float32
assert m["weights"].shape == (N, q, H) and m["weights"].dtype == np.float32
assert m["theta_plus"].shape == (H,) and m["columns"].shape == (N,) and m["columns"].dtype == np.int32
assert str(m["format"]) == "pottsrbm-rbm" and int(m["format_version"]) == 1 and str(m["alphabet"]) == "-ACDEFGHIKLMNPQRSTVWY"
assert int(m["seed"]) == 2**64 - 1 and bool(m["has_log_z"]) and float(m["log_z"]) == 123.456789
print("OK")
)PY");
    for (auto type : {HiddenType::gaussian, HiddenType::bernoulli}) {
        INFO("hidden type " << to_string(type));
        const int sites = 9, units = 6;
        const Rbm rbm = random_model(type, sites, q_states, units, 42);
        const auto path = (dir / fmt::format("{}.npz", to_string(type))).string();
        save_model(rbm, path, false);

        // A sequence over the original alignment's match columns (model column i = original
        // column 3 i + 1), with lowercase inserts and an X that the snippet maps to the gap.
        Rng rng(7, static_cast<std::uint64_t>(type));
        std::vector<std::uint8_t> v(sites);
        std::string aligned;
        for (int i = 0; i < sites; ++i) {
            auto& state = v[static_cast<std::size_t>(i)];
            state = static_cast<std::uint8_t>(rng.below(q_states));
            aligned += 'Y';                              // original column 3 i: not in the model
            aligned += i == 2 ? 'X' : letter_of(state);  // original column 3 i + 1 = model column i
            aligned += i == 4 ? "Gkw." : "G";            // original column 3 i + 2, then inserts
        }
        v[2] = gap_state;
        const double expected = reference_free_energy(rbm, v);

        const auto out = dir / "out.txt";
        const auto run = [&](const std::string& command) {
            const int status = std::system(fmt::format("{} > '{}' 2>&1", command, out.string()).c_str());
            INFO("command: " << command << "\noutput: " << test::read_file(out));
            REQUIRE(status == 0);
            return test::read_file(out);
        };
        CHECK(run(fmt::format("/usr/bin/python3 '{}' '{}' {} {} {}", shapes.string(), path, sites, q_states, units)) ==
              "OK\n");
        const std::string printed =
            run(fmt::format("/usr/bin/python3 '{}' '{}' '{}'", snippet.string(), path, aligned));
        const double computed = std::stod(printed);
        INFO("python printed " << printed);
        CHECK(computed == Approx(expected).epsilon(1e-12));
    }
}
