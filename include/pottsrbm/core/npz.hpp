// NumPy .npz archives (a zip of .npy arrays): write and read little-endian arrays of float32,
// float64, int32, int64, uint8, uint64, bool and unicode/bytes scalars, in C order. Built on libzip.
//
// Writing produces one member "NAME.npy" per array, byte for byte what numpy.save writes: a .npy
// v1.0 file (magic "\x93NUMPY", header dict padded so the header ends on a 64-byte boundary),
// deflated (as numpy.savez_compressed) or stored (as numpy.savez). Text is a numpy '<U{n}' scalar
// (UTF-32LE code points, shape ()).
//
// Reading validates the zip, each .npy header (magic, version, dict keys, dtype, fortran_order,
// shape) and the payload size before allocating, and never trusts a size it has not checked;
// every error is an InputError "PATH: array 'NAME': what is wrong" (or "PATH: what is wrong" for
// the archive itself). It accepts .npy versions 1.0, 2.0 and 3.0, stored or deflated members.
//
// Reader adds typed, checked access for format loaders (model files, checkpoints): each accessor
// checks dtype and shape and names the file and the array in its error.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pottsrbm::npz {

/// Element types. numpy descr: float32 "<f4", float64 "<f8", int32 "<i4", int64 "<i8",
/// uint8 "|u1", uint64 "<u8", boolean "|b1", text "<U{n}" (read also: "|S{n}" bytes, as UTF-8).
enum class DType { float32, float64, int32, int64, uint8, text, uint64, boolean };

/// The numpy descr written for a dtype ("<U" for text, without the length).
[[nodiscard]] std::string_view descr(DType dtype);
/// Bytes per element (0 for text, whose payload is the UTF-8 string).
[[nodiscard]] std::size_t item_size(DType dtype);
/// Python-style shape for messages: "()", "(3,)", "(3, 4)".
[[nodiscard]] std::string shape_string(const std::vector<std::int64_t>& shape);

/// One array: dtype, shape (empty = scalar) and raw little-endian bytes in C order.
/// For DType::text the payload is the UTF-8 string itself (stored as a numpy '<U' scalar) and
/// the shape is always () (a scalar).
struct Array {
    DType dtype = DType::float64;
    std::vector<std::int64_t> shape;
    std::vector<unsigned char> data;

    [[nodiscard]] std::int64_t size() const;  ///< number of elements (1 for a scalar or a text)
};

/// Arrays by name (the member name without ".npy", as numpy.load reports it).
using Archive = std::map<std::string, Array>;

enum class Compression {
    store,    ///< uncompressed members (fastest)
    deflate,  ///< zip deflate (what numpy.savez_compressed writes; numpy reads both)
};

/// Writes an archive to `path`, replacing it (the caller handles atomic rename). RuntimeFailure
/// on I/O errors; std::invalid_argument for a malformed Array (a programming error).
/// Invalid UTF-8 in a text array is written as U+FFFD.
void write(const std::string& path, const Archive& archive, Compression compression = Compression::deflate);
/// Reads every array of an archive. InputError "PATH: ..." for anything malformed.
[[nodiscard]] Archive read(const std::string& path);
/// As read(), from an archive held in memory; `label` stands for the path in error messages.
[[nodiscard]] Archive read_memory(std::string_view bytes, const std::string& label);

// ---- building arrays -------------------------------------------------------------------------

/// The dtype of a C++ element type (float, double, int32, int64, uint8, uint64, bool).
template <typename T>
constexpr DType dtype_of() {
    if constexpr (std::is_same_v<T, float>) return DType::float32;
    else if constexpr (std::is_same_v<T, double>) return DType::float64;
    else if constexpr (std::is_same_v<T, std::int32_t>) return DType::int32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return DType::int64;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return DType::uint8;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return DType::uint64;
    else if constexpr (std::is_same_v<T, bool>) return DType::boolean;
    else static_assert(sizeof(T) == 0, "npz: unsupported element type");
}

/// An array of `values` (C order) with `shape`; the product of `shape` must equal values.size().
template <typename T>
[[nodiscard]] Array make_array(std::span<const T> values, std::vector<std::int64_t> shape) {
    Array array;
    array.dtype = dtype_of<T>();
    array.shape = std::move(shape);
    array.data.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(array.data.data(), values.data(), array.data.size());
    return array;
}
/// A 1-D array (shape (n,)).
template <typename T>
[[nodiscard]] Array make_array(const std::vector<T>& values) {
    return make_array(std::span<const T>(values), {static_cast<std::int64_t>(values.size())});
}
/// A scalar (shape ()).
template <typename T>
[[nodiscard]] Array make_scalar(T value) {
    return make_array(std::span<const T>(&value, 1), {});
}
/// A text scalar ('<U{n}' in the file) holding a UTF-8 string.
[[nodiscard]] Array make_text(std::string_view utf8);
/// A 2-D array (rows, cols) in C order from any Eigen matrix expression (either storage order).
template <typename Derived>
[[nodiscard]] Array make_matrix(const Eigen::DenseBase<Derived>& matrix) {
    using Scalar = typename Derived::Scalar;
    const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = matrix;
    return make_array(std::span<const Scalar>(row_major.data(), static_cast<std::size_t>(row_major.size())),
                      {static_cast<std::int64_t>(row_major.rows()), static_cast<std::int64_t>(row_major.cols())});
}
/// A 1-D array (n,) from an Eigen vector expression.
template <typename Derived>
[[nodiscard]] Array make_vector(const Eigen::DenseBase<Derived>& vector) {
    using Scalar = typename Derived::Scalar;
    const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> column = vector;
    return make_array(std::span<const Scalar>(column.data(), static_cast<std::size_t>(column.size())),
                      {static_cast<std::int64_t>(column.size())});
}

// ---- checked access --------------------------------------------------------------------------

/// Read-only, checked access to the arrays of an archive read from `path`. Every error is an
/// InputError "PATH: array 'NAME': ..." (or "PATH: missing required array 'NAME'").
class Reader {
public:
    Reader(const Archive& archive, std::string path) : archive_(archive), path_(std::move(path)) {}

    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] bool contains(const std::string& name) const { return archive_.count(name) != 0; }
    /// The array `name`; an error when it is missing.
    [[nodiscard]] const Array& at(const std::string& name) const;
    /// The array `name`, checking its dtype and its exact shape.
    [[nodiscard]] const Array& at(const std::string& name, DType dtype, const std::vector<std::int64_t>& shape) const;
    /// The array `name`, checking its dtype and its number of dimensions; returns its shape.
    [[nodiscard]] const std::vector<std::int64_t>& shape(const std::string& name, DType dtype, std::size_t rank) const;

    /// Copies array `name` (dtype of T, exactly `shape`) into `out`, which has room for the
    /// product of `shape` elements in C order (e.g. a row-major Eigen matrix).
    template <typename T>
    void copy_to(const std::string& name, const std::vector<std::int64_t>& shape, T* out) const {
        const Array& array = at(name, dtype_of<T>(), shape);
        if (!array.data.empty()) std::memcpy(static_cast<void*>(out), array.data.data(), array.data.size());
    }
    /// The values of a 1-D array of dtype T and length `length` (-1: any length).
    template <typename T>
    [[nodiscard]] std::vector<T> vector(const std::string& name, std::int64_t length = -1) const {
        const auto& found = length < 0 ? shape(name, dtype_of<T>(), 1) : at(name, dtype_of<T>(), {length}).shape;
        std::vector<T> values(static_cast<std::size_t>(found[0]));
        copy_to(name, found, values.data());
        return values;
    }

    /// A text scalar (UTF-8).
    [[nodiscard]] std::string text(const std::string& name) const;
    /// An integer scalar of any integer dtype (int32, int64, uint8, uint64 up to 2^63 - 1).
    [[nodiscard]] std::int64_t integer(const std::string& name) const;
    /// A non-negative integer scalar of any integer dtype (uint64 in full).
    [[nodiscard]] std::uint64_t unsigned_integer(const std::string& name) const;
    /// A float64 or float32 scalar.
    [[nodiscard]] double real(const std::string& name) const;
    /// A bool scalar (an integer scalar 0 or 1 is accepted too).
    [[nodiscard]] bool boolean(const std::string& name) const;

    /// Throws InputError "PATH: array 'NAME': what".
    [[noreturn]] void fail(const std::string& name, std::string_view what) const;

private:
    const Array& scalar(const std::string& name) const;

    const Archive& archive_;
    std::string path_;
};

}  // namespace pottsrbm::npz
