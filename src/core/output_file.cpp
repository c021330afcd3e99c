// Atomic output files (see output_file.hpp).
#include "pottsrbm/core/output_file.hpp"

#include "pottsrbm/core/error.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <unistd.h>

namespace pottsrbm {

void check_can_write(const std::string& path, bool force) {
    if (path == "-" || force) return;
    std::error_code ec;
    if (std::filesystem::exists(path, ec))
        throw UsageError(fmt::format("output file '{}' already exists (use --force to overwrite)", path));
}

std::string temporary_path_for(const std::string& path) {
    static std::atomic<int> counter{0};
    return fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter.fetch_add(1));
}

void rename_into_place(const std::string& from, const std::string& to) {
    if (std::rename(from.c_str(), to.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        std::remove(from.c_str());
        throw RuntimeFailure(fmt::format("cannot rename '{}' to '{}': {}", from, to, reason));
    }
}

OutputFile::OutputFile(std::string path, bool force, std::ios::openmode mode) : path_(std::move(path)) {
    check_can_write(path_, force);
    if (path_ == "-") return;
    const auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent))
        throw UsageError(fmt::format("cannot write '{}': directory '{}' does not exist", path_, parent.string()));
    temporary_path_ = temporary_path_for(path_);
    file_.open(temporary_path_, mode | std::ios::out | std::ios::trunc);
    if (!file_) throw RuntimeFailure(fmt::format("cannot create '{}': {}", temporary_path_, std::strerror(errno)));
}

OutputFile::~OutputFile() {
    if (!committed_ && !temporary_path_.empty()) {
        file_.close();
        std::remove(temporary_path_.c_str());
    }
}

std::ostream& OutputFile::stream() { return path_ == "-" ? std::cout : static_cast<std::ostream&>(file_); }

void OutputFile::commit() {
    if (committed_) return;
    if (path_ == "-") {
        std::cout.flush();
        committed_ = true;
        return;
    }
    file_.flush();
    const bool ok = static_cast<bool>(file_);
    file_.close();
    if (!ok || file_.fail()) {
        std::remove(temporary_path_.c_str());
        throw RuntimeFailure(fmt::format("error while writing '{}'", path_));
    }
    rename_into_place(temporary_path_, path_);
    committed_ = true;
}

}  // namespace pottsrbm
