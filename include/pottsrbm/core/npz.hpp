// NumPy .npz archives (a zip of .npy arrays): write and read little-endian arrays of float32,
// float64, int32, int64, uint8 and unicode/bytes scalars, in C order. Built on libzip.
//
// Reading validates the zip, each .npy header (magic, version, dtype, fortran_order, shape) and
// the payload size; every error is an InputError naming the file and the array.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pottsrbm::npz {

enum class DType { float32, float64, int32, int64, uint8, text };

/// One array: dtype, shape (empty = scalar) and raw little-endian bytes in C order.
/// For DType::text the payload is the UTF-8 string itself (stored as a numpy '<U' scalar).
struct Array {
    DType dtype = DType::float64;
    std::vector<std::int64_t> shape;
    std::vector<unsigned char> data;

    [[nodiscard]] std::int64_t size() const;  ///< number of elements
};

using Archive = std::map<std::string, Array>;

/// Writes an archive to `path` (the caller handles atomic rename). RuntimeFailure on I/O errors.
void write(const std::string& path, const Archive& archive);
/// Reads every array of an archive. InputError "PATH: ..." for anything malformed.
[[nodiscard]] Archive read(const std::string& path);

}  // namespace pottsrbm::npz
