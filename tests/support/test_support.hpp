// Helpers shared by the tests: running the CLI binary, locating bundled and shared data,
// scratch directories.
#pragma once

#include "pottsrbm/core/error.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pottsrbm::test {

struct CliResult {
    int exit_code = -1;
    std::string out;  ///< stdout
    std::string err;  ///< stderr
};

/// Runs the pottsrbm binary with `args` (no shell interpretation), stdin from /dev/null.
CliResult run_cli(const std::vector<std::string>& args);

/// Path of a file in the repository (e.g. "data/example.fasta").
std::filesystem::path source_path(const std::string& relative);

/// Path of a file in ../shared/data, or nullopt (with a WARN naming it) when it is absent.
std::optional<std::filesystem::path> shared_data(const std::string& name);

/// A fresh, empty scratch directory unique to this test process and `tag`; removed at exit.
std::filesystem::path scratch_dir(const std::string& tag);

/// Writes `content` to `path` (binary) and returns the path.
std::filesystem::path write_file(const std::filesystem::path& path, const std::string& content);

/// Reads a whole file.
std::string read_file(const std::filesystem::path& path);

/// Runs `body` expecting an InputError whose message contains every string of `needles`.
template <typename Body>
void require_input_error(Body&& body, const std::vector<std::string>& needles) {
    try {
        body();
        FAIL("no InputError was thrown");
    } catch (const InputError& e) {
        const std::string message = e.what();
        INFO("message: " << message);
        for (const auto& needle : needles) CHECK(message.find(needle) != std::string::npos);
    }
}

}  // namespace pottsrbm::test
