// The Potts alphabet: q = 21 states in the order "-ACDEFGHIKLMNPQRSTVWY" (state 0 is the gap).
// Byte classification for alignment readers: standard residues, gaps ('-' and '.'), the
// non-standard residue codes B Z J X U O and '*' (mapped to the gap by default), and lowercase
// insert states of A2M/A3M.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace pottsrbm {

inline constexpr int q_states = 21;
inline constexpr std::string_view potts_alphabet = "-ACDEFGHIKLMNPQRSTVWY";
inline constexpr std::uint8_t gap_state = 0;
/// Letters accepted in a match column but not one of the 20 amino acids.
inline constexpr std::string_view nonstandard_residues = "BZJXUO*";

enum class SymbolClass : std::uint8_t { invalid, residue, gap, nonstandard, insert_residue, insert_gap };

namespace detail {
constexpr std::array<SymbolClass, 256> make_symbol_classes() {
    std::array<SymbolClass, 256> classes{};
    for (auto& c : classes) c = SymbolClass::invalid;
    for (char c : potts_alphabet.substr(1)) {
        classes[static_cast<unsigned char>(c)] = SymbolClass::residue;
        classes[static_cast<unsigned char>(c - 'A' + 'a')] = SymbolClass::insert_residue;
    }
    for (char c : nonstandard_residues) {
        classes[static_cast<unsigned char>(c)] = SymbolClass::nonstandard;
        if (c >= 'A' && c <= 'Z') classes[static_cast<unsigned char>(c - 'A' + 'a')] = SymbolClass::insert_residue;
    }
    classes[static_cast<unsigned char>('-')] = SymbolClass::gap;
    classes[static_cast<unsigned char>('.')] = SymbolClass::insert_gap;
    return classes;
}
constexpr std::array<std::uint8_t, 256> make_state_codes() {
    std::array<std::uint8_t, 256> codes{};
    for (std::size_t a = 0; a < potts_alphabet.size(); ++a) {
        codes[static_cast<unsigned char>(potts_alphabet[a])] = static_cast<std::uint8_t>(a);
        if (a > 0) codes[static_cast<unsigned char>(potts_alphabet[a] - 'A' + 'a')] = static_cast<std::uint8_t>(a);
    }
    return codes;
}
inline constexpr std::array<SymbolClass, 256> symbol_classes = make_symbol_classes();
inline constexpr std::array<std::uint8_t, 256> state_codes = make_state_codes();
}  // namespace detail

/// How an alignment byte is to be read.
[[nodiscard]] constexpr SymbolClass classify_symbol(char c) {
    return detail::symbol_classes[static_cast<unsigned char>(c)];
}
/// Potts state of a residue or gap letter (either case); 0 (gap) for anything else.
[[nodiscard]] constexpr std::uint8_t state_of(char c) { return detail::state_codes[static_cast<unsigned char>(c)]; }
/// Letter of a Potts state 0..20.
[[nodiscard]] constexpr char letter_of(int state) { return potts_alphabet[static_cast<std::size_t>(state)]; }

}  // namespace pottsrbm
