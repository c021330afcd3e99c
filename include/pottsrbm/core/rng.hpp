// Reproducible random numbers: xoshiro256++ streams. Each Markov chain (or other independent
// unit of work) owns one stream derived from (seed, stream index) with splitmix64, so results do
// not depend on the thread count. The whole state is four 64-bit words (checkpointable).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace pottsrbm {

class Rng {
public:
    using result_type = std::uint64_t;
    using State = std::array<std::uint64_t, 4>;

    /// Stream `stream` of the generator family seeded by `seed`.
    explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0) {
        std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
        x = splitmix64(x) ^ stream;
        for (auto& word : state_) word = splitmix64(x);
    }

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }

    result_type operator()() {
        const std::uint64_t result = rotl(state_[0] + state_[3], 23) + state_[0];
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
    /// Uniform double in (0, 1): safe for log().
    double uniform_open() { return (static_cast<double>((*this)() >> 11) + 0.5) * 0x1.0p-53; }
    /// Uniform float in [0, 1) with 24 random bits.
    float uniform_float() { return static_cast<float>((*this)() >> 40) * 0x1.0p-24f; }
    /// Standard normal deviate (Box-Muller, one value per call; no hidden cached state).
    double normal() {
        const double u1 = uniform_open();
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    }
    /// Uniform integer in [0, n) (Lemire's nearly divisionless method), n > 0.
    std::uint64_t below(std::uint64_t n) {
        __uint128_t m = static_cast<__uint128_t>((*this)()) * n;
        auto low = static_cast<std::uint64_t>(m);
        if (low < n) {
            const std::uint64_t threshold = (0 - n) % n;
            while (low < threshold) {
                m = static_cast<__uint128_t>((*this)()) * n;
                low = static_cast<std::uint64_t>(m);
            }
        }
        return static_cast<std::uint64_t>(m >> 64);
    }

    [[nodiscard]] const State& state() const { return state_; }
    void set_state(const State& state) { state_ = state; }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix64(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    State state_{};
};

}  // namespace pottsrbm
