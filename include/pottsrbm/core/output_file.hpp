// Atomic output files: content is written to "<path>.tmp-<pid>-<n>" in the same directory and
// renamed over <path> by commit(). Without commit() (an exception, Ctrl-C) the temporary file is
// removed and any previous <path> is untouched. "-" means standard output (no atomicity needed).
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

namespace pottsrbm {

/// Throws UsageError when `path` exists and `force` is false (names the path and --force).
void check_can_write(const std::string& path, bool force);

class OutputFile {
public:
    /// Opens a temporary file beside `path` (or stdout for "-"). Checks check_can_write first.
    OutputFile(std::string path, bool force, std::ios::openmode mode = std::ios::out);
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    [[nodiscard]] std::ostream& stream();
    [[nodiscard]] const std::string& path() const { return path_; }
    /// Path of the temporary file (for writers that need a file name, e.g. libzip).
    [[nodiscard]] const std::string& temporary_path() const { return temporary_path_; }
    /// Flushes, checks for write errors (RuntimeFailure naming the file) and renames into place.
    void commit();

private:
    std::string path_;
    std::string temporary_path_;
    std::ofstream file_;
    bool committed_ = false;
};

/// A temporary path beside `path` for writers that open files themselves; remove or rename it.
[[nodiscard]] std::string temporary_path_for(const std::string& path);
/// Renames `from` over `to` atomically (RuntimeFailure naming both on failure).
void rename_into_place(const std::string& from, const std::string& to);

}  // namespace pottsrbm
