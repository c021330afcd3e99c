// Test helpers (see test_support.hpp).
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pottsrbm::test {
namespace {

struct ScratchRoot {
    std::filesystem::path path;
    ScratchRoot() {
        path = std::filesystem::temp_directory_path() / ("pottsrbm-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
    }
    ~ScratchRoot() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

CliResult run_cli(const std::vector<std::string>& args) {
    // stdout and stderr go to temporary files so that large outputs cannot deadlock a pipe.
    const auto dir = scratch_dir("cli-io");
    const auto out_path = dir / "stdout";
    const auto err_path = dir / "stderr";
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        std::vector<char*> argv;
        std::string binary = POTTSRBM_BINARY;
        argv.push_back(binary.data());
        std::vector<std::string> copies = args;
        for (auto& a : copies) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CliResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

std::filesystem::path source_path(const std::string& relative) {
    return std::filesystem::path(POTTSRBM_SOURCE_DIR) / relative;
}

std::optional<std::filesystem::path> shared_data(const std::string& name) {
    const auto path = std::filesystem::path(POTTSRBM_SHARED_DATA) / name;
    if (!std::filesystem::exists(path)) {
        WARN("skipped: shared data file " << path.string() << " is absent");
        return std::nullopt;
    }
    return path;
}

std::filesystem::path scratch_dir(const std::string& tag) {
    static ScratchRoot root;
    static int counter = 0;
    auto path = root.path / (tag + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
    return path;
}

std::filesystem::path write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream file(path, std::ios::binary);
    file << content;
    return path;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << file.rdbuf();
    return buffer.str();
}

}  // namespace pottsrbm::test
