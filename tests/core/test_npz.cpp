// Tests of NumPy .npz archives: round trips of every dtype and shape, the exact .npy bytes numpy
// writes, checked access (Reader), a rejection test per kind of corruption (each error names the
// file and the array), truncation at every cut point and random byte flips (InputError or a
// consistent archive, never a crash), and interoperability with numpy itself when
// /usr/bin/python3 has numpy (skipped with a WARN otherwise).
#include "support/test_support.hpp"

#include "pottsrbm/core/error.hpp"
#include "pottsrbm/core/npz.hpp"
#include "pottsrbm/core/rng.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <zip.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace pottsrbm;
namespace fs = std::filesystem;

namespace {

/// Writes a zip whose members hold exactly `members` (name, bytes), stored, via libzip.
void write_raw_zip(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& members) {
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    REQUIRE(archive != nullptr);
    for (const auto& [name, bytes] : members) {
        zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
        REQUIRE(source != nullptr);
        const auto index = zip_file_add(archive, name.c_str(), source, 0);
        REQUIRE(index >= 0);
        REQUIRE(zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) == 0);
    }
    REQUIRE(zip_close(archive) == 0);
}

/// The raw bytes of member `name` of a zip file.
std::string read_member(const fs::path& path, const std::string& name) {
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
    REQUIRE(archive != nullptr);
    zip_stat_t stat;
    REQUIRE(zip_stat(archive, name.c_str(), 0, &stat) == 0);
    std::string bytes(stat.size, '\0');
    zip_file_t* file = zip_fopen(archive, name.c_str(), 0);
    REQUIRE(file != nullptr);
    REQUIRE(zip_fread(file, bytes.data(), bytes.size()) == static_cast<zip_int64_t>(bytes.size()));
    zip_fclose(file);
    zip_discard(archive);
    return bytes;
}

/// A .npy file with the given header text (padded to 64 bytes as numpy does) and payload.
std::string npy(const std::string& dict, const std::string& payload, int major = 1, int minor = 0) {
    std::string header = dict;
    const std::size_t prefix = major == 1 ? 10 : 12;
    header.append(64 - (prefix + header.size() + 1) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += static_cast<char>(major);
    bytes += static_cast<char>(minor);
    bytes += static_cast<char>(header.size() & 0xFF);
    bytes += static_cast<char>((header.size() >> 8) & 0xFF);
    if (major != 1) bytes += std::string(2, '\0');
    return bytes + header + payload;
}

std::string floats(std::initializer_list<float> values) {
    std::string bytes(values.size() * 4, '\0');
    std::memcpy(bytes.data(), values.begin(), bytes.size());
    return bytes;
}

/// A sample archive with every dtype, empty arrays, scalars and non-ASCII text.
npz::Archive sample_archive() {
    npz::Archive archive;
    const std::vector<float> f32 = {1.5f, -2.25f, 0.0f, -0.0f, 3.4e38f, 1.4e-45f, 7, 8, 9, 10, 11, 12};
    archive["f32"] = npz::make_array(std::span<const float>(f32), {3, 4});
    std::vector<double> f64(12);
    for (std::size_t k = 0; k < f64.size(); ++k) f64[k] = 1.0 / static_cast<double>(k + 3) - 0.1;
    archive["f64"] = npz::make_array(std::span<const double>(f64), {2, 3, 2});
    archive["i32"] = npz::make_array(std::vector<std::int32_t>{-2147483647 - 1, -1, 0, 1, 2147483647});
    archive["i64"] = npz::make_scalar<std::int64_t>(-9223372036854775807LL - 1);
    archive["u8"] = npz::make_array(std::vector<std::uint8_t>{0, 1, 127, 128, 255});
    archive["u64"] = npz::make_array(std::vector<std::uint64_t>{0, 18446744073709551615ULL});
    archive["flag"] = npz::make_scalar(true);
    const bool flags[3] = {true, false, true};
    archive["flags"] = npz::make_array(std::span<const bool>(flags), {3});
    archive["empty_f32"] = npz::make_array(std::span<const float>(), {3, 0});
    archive["empty_u8"] = npz::make_array(std::span<const std::uint8_t>(), {0});
    archive["scalar_f64"] = npz::make_scalar(2.5);
    archive["text"] = npz::make_text("pottsrbm-rbm");
    archive["text_empty"] = npz::make_text("");
    archive["text_unicode"] = npz::make_text("\xce\x94G \xc3\xa9t\xc3\xa9 \xe8\x9b\x8b\xe7\x99\xbd \xf0\x9f\xa7\xac");
    return archive;
}

void require_equal(const npz::Archive& a, const npz::Archive& b) {
    REQUIRE(a.size() == b.size());
    for (const auto& [name, array] : a) {
        INFO("array " << name);
        REQUIRE(b.count(name) == 1);
        const auto& other = b.at(name);
        CHECK(array.dtype == other.dtype);
        CHECK(array.shape == other.shape);
        CHECK(array.data == other.data);
    }
}

bool python_numpy_available() {
    return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("npz round trip of every dtype and shape, stored and deflated", "[npz]") {
    const auto dir = test::scratch_dir("npz-roundtrip");
    const auto archive = sample_archive();
    for (auto compression : {npz::Compression::store, npz::Compression::deflate}) {
        const auto path = (dir / (compression == npz::Compression::store ? "store.npz" : "deflate.npz")).string();
        npz::write(path, archive, compression);
        require_equal(archive, npz::read(path));
        require_equal(archive, npz::read_memory(test::read_file(path), "memory"));
    }
    // Rewriting replaces the previous content.
    const auto path = (dir / "store.npz").string();
    npz::write(path, {{"only", npz::make_scalar(1.0f)}});
    CHECK(npz::read(path).size() == 1);
}

TEST_CASE("npz members are .npy v1.0 files with numpy's header layout", "[npz]") {
    const auto dir = test::scratch_dir("npz-layout");
    const auto path = dir / "a.npz";
    npz::write(path.string(), sample_archive());
    const auto expect_header = [&](const std::string& member, const std::string& dict) {
        const std::string bytes = read_member(path, member);
        REQUIRE(bytes.size() >= 10);
        CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
        const std::size_t length = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
        CHECK((10 + length) % 64 == 0);
        const std::string header = bytes.substr(10, length);
        CHECK(header.back() == '\n');
        CHECK(header.substr(0, dict.size()) == dict);
        CHECK(header.find_first_not_of(' ', dict.size()) == length - 1);
    };
    expect_header("f32.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
    expect_header("i32.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }");
    expect_header("i64.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (), }");
    expect_header("u8.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }");
    expect_header("u64.npy", "{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }");
    expect_header("flag.npy", "{'descr': '|b1', 'fortran_order': False, 'shape': (), }");
    expect_header("text.npy", "{'descr': '<U12', 'fortran_order': False, 'shape': (), }");
    expect_header("text_empty.npy", "{'descr': '<U1', 'fortran_order': False, 'shape': (), }");
    // 11 code points: Delta G space e-acute t e-acute space 2 CJK space DNA (outside the BMP).
    expect_header("text_unicode.npy", "{'descr': '<U11', 'fortran_order': False, 'shape': (), }");
    const std::string unicode = read_member(path, "text_unicode.npy");
    CHECK(unicode.size() % 64 == 44);  // 11 UTF-32 code units after a 64-byte aligned header
    CHECK(unicode.substr(unicode.size() - 4) == std::string("\xec\xf9\x01\x00", 4));  // U+1F9EC, little-endian
}

TEST_CASE("npz helpers build C-order arrays from Eigen and check access", "[npz]") {
    Eigen::MatrixXf column_major(2, 3);
    column_major << 1, 2, 3, 4, 5, 6;
    const auto matrix = npz::make_matrix(column_major);
    CHECK(matrix.shape == std::vector<std::int64_t>{2, 3});
    std::vector<float> values(6);
    std::memcpy(values.data(), matrix.data.data(), 24);
    CHECK(values == std::vector<float>{1, 2, 3, 4, 5, 6});
    Eigen::VectorXd vector(3);
    vector << 0.5, 1.5, 2.5;
    npz::Archive archive;
    archive["m"] = matrix;
    archive["v"] = npz::make_vector(vector);
    archive["n"] = npz::make_scalar<std::int32_t>(-7);
    archive["big"] = npz::make_scalar<std::uint64_t>(18446744073709551615ULL);
    archive["t"] = npz::make_text("abc");
    archive["b"] = npz::make_scalar(false);
    archive["one"] = npz::make_scalar<std::int64_t>(1);
    const npz::Reader reader(archive, "model.npz");
    CHECK(reader.vector<double>("v") == std::vector<double>{0.5, 1.5, 2.5});
    CHECK(reader.vector<double>("v", 3).size() == 3);
    Eigen::Matrix<float, 2, 3, Eigen::RowMajor> out;
    reader.copy_to("m", {2, 3}, out.data());
    CHECK(out(1, 0) == 4.0f);
    CHECK(reader.integer("n") == -7);
    CHECK(reader.unsigned_integer("big") == 18446744073709551615ULL);
    CHECK(reader.text("t") == "abc");
    CHECK_FALSE(reader.boolean("b"));
    CHECK(reader.boolean("one"));
    CHECK(reader.contains("m"));
    CHECK_FALSE(reader.contains("x"));

    test::require_input_error([&] { (void)reader.at("x"); }, {"model.npz: missing required array 'x'"});
    test::require_input_error([&] { reader.copy_to("m", {3, 2}, out.data()); },
                        {"model.npz: array 'm': shape is (2, 3), expected (3, 2)"});
    test::require_input_error([&] { (void)reader.vector<float>("v"); },
                        {"model.npz: array 'v': dtype is <f8, expected <f4"});
    test::require_input_error([&] { (void)reader.vector<double>("v", 4); }, {"array 'v'", "expected (4,)"});
    test::require_input_error([&] { (void)reader.text("n"); }, {"array 'n'", "expected text"});
    test::require_input_error([&] { (void)reader.integer("v"); }, {"array 'v'", "expected a scalar"});
    test::require_input_error([&] { (void)reader.integer("t"); }, {"array 't'", "expected an integer"});
    test::require_input_error([&] { (void)reader.integer("big"); }, {"array 'big'", "too large"});
    test::require_input_error([&] { (void)reader.unsigned_integer("n"); }, {"array 'n'", "negative"});
    test::require_input_error([&] { (void)reader.real("n"); }, {"array 'n'", "expected <f8"});
    test::require_input_error([&] { (void)reader.boolean("n"); }, {"array 'n'", "not a boolean"});
    test::require_input_error([&] { reader.fail("m", "custom"); }, {"model.npz: array 'm': custom"});
}

TEST_CASE("npz write rejects malformed arrays before creating the file", "[npz]") {
    const auto dir = test::scratch_dir("npz-write-errors");
    const auto path = (dir / "bad.npz").string();
    npz::Array wrong_size = npz::make_array(std::vector<float>{1, 2, 3});
    wrong_size.shape = {2, 2};
    CHECK_THROWS_AS(npz::write(path, {{"w", wrong_size}}), std::invalid_argument);
    npz::Array text = npz::make_text("abc");
    text.shape = {1};
    CHECK_THROWS_AS(npz::write(path, {{"t", text}}), std::invalid_argument);
    CHECK_THROWS_AS(npz::write(path, {{"", npz::make_scalar(1.0)}}), std::invalid_argument);
    CHECK_FALSE(fs::exists(path));
    CHECK_THROWS_AS(npz::write((dir / "missing" / "a.npz").string(), {{"a", npz::make_scalar(1.0)}}),
                    RuntimeFailure);
    CHECK(fs::is_empty(dir));
}

TEST_CASE("npz text: invalid UTF-8 is written as U+FFFD", "[npz]") {
    const auto dir = test::scratch_dir("npz-utf8");
    const auto path = (dir / "t.npz").string();
    npz::write(path, {{"t", npz::make_text(std::string("a\xff\xc3" "b\xed\xa0\x80", 7))}});
    const auto archive = npz::read(path);
    const auto& data = archive.at("t").data;
    CHECK(std::string(data.begin(), data.end()) == "a\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("npz reading rejects each kind of corruption with the file and array named", "[npz]") {
    const auto dir = test::scratch_dir("npz-corrupt");
    const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    const std::string good_payload = floats({1.0f, 2.0f});
    int counter = 0;
    const auto check_member = [&](const std::string& member_bytes, const std::vector<std::string>& needles) {
        const auto path = dir / fmt::format("case{}.npz", counter++);
        write_raw_zip(path, {{"ok.npy", npy(good_dict, good_payload)}, {"x.npy", member_bytes}});
        std::vector<std::string> all = {path.string() + ": array 'x': "};
        all.insert(all.end(), needles.begin(), needles.end());
        test::require_input_error([&] { (void)npz::read(path.string()); }, all);
    };

    SECTION("the good case loads") {
        const auto path = dir / "good.npz";
        write_raw_zip(path, {{"x.npy", npy(good_dict, good_payload)}});
        const auto archive = npz::read(path.string());
        CHECK(archive.at("x").data == std::vector<unsigned char>(good_payload.begin(), good_payload.end()));
        // Versions 2.0 and 3.0 (uint32 header length) load too.
        write_raw_zip(path, {{"x.npy", npy(good_dict, good_payload, 2)}, {"y.npy", npy(good_dict, good_payload, 3)}});
        CHECK(npz::read(path.string()).size() == 2);
    }
    SECTION("not a zip") {
        const auto path = test::write_file(dir / "text.npz", "this is not a zip archive\n");
        test::require_input_error([&] { (void)npz::read(path.string()); }, {path.string() + ": not a valid NumPy .npz"});
        const auto empty = test::write_file(dir / "empty.npz", "");
        test::require_input_error([&] { (void)npz::read(empty.string()); }, {empty.string() + ": "});
        test::require_input_error([&] { (void)npz::read((dir / "absent.npz").string()); }, {"absent.npz: cannot open"});
        test::require_input_error([&] { (void)npz::read(dir.string()); }, {"is a directory"});
    }
    SECTION("zip without members") {
        const auto path = test::write_file(dir / "none.npz", std::string("PK\x05\x06", 4) + std::string(18, '\0'));
        test::require_input_error([&] { (void)npz::read(path.string()); }, {path.string() + ": ", "contains no arrays"});
    }
    SECTION("member name not ending in .npy") {
        const auto path = dir / "names.npz";
        write_raw_zip(path, {{"x.npy", npy(good_dict, good_payload)}, {"notes.txt", "hello"}});
        test::require_input_error([&] { (void)npz::read(path.string()); },
                            {path.string() + ": member 'notes.txt' is not an array"});
        write_raw_zip(path, {{".npy", npy(good_dict, good_payload)}});
        test::require_input_error([&] { (void)npz::read(path.string()); }, {"member '.npy' is not an array"});
    }
    SECTION("duplicate member names") {
        const auto path = dir / "dup.npz";
        write_raw_zip(path, {{"x.npy", npy(good_dict, good_payload)}, {"y.npy", npy(good_dict, good_payload)}});
        std::string bytes = test::read_file(path);
        for (auto at = bytes.find("y.npy"); at != std::string::npos; at = bytes.find("y.npy", at)) bytes[at] = 'x';
        test::write_file(path, bytes);
        test::require_input_error([&] { (void)npz::read(path.string()); },
                            {path.string() + ": array 'x': the archive holds two members named 'x.npy'"});
    }
    SECTION("bad magic, version, header length") {
        std::string bad_magic = npy(good_dict, good_payload);
        bad_magic[1] = 'M';
        check_member(bad_magic, {"bad magic"});
        check_member(npy(good_dict, good_payload, 4, 0), {"unsupported .npy format version 4.0"});
        check_member(npy(good_dict, good_payload, 1, 1), {"unsupported .npy format version 1.1"});
        check_member(std::string("\x93NUMPY\x01\x00\xff\x7f{}", 12), {"header length 32767 exceeds"});
        check_member(std::string("\x93NUM", 5), {"too short"});
        check_member("", {"too short"});
    }
    SECTION("header not a dict or with wrong keys") {
        check_member(npy("[1, 2]", ""), {"not a Python dict"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, }", good_payload), {"lacks the key 'shape'"});
        check_member(npy("{'fortran_order': False, 'shape': (2,), }", good_payload), {"lacks the key 'descr'"});
        check_member(npy("{'descr': '<f4', 'shape': (2,), }", good_payload), {"lacks the key 'fortran_order'"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", good_payload),
                     {"unexpected key 'extra'"});
        check_member(npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", good_payload),
                     {"repeats key 'descr'"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", good_payload),
                     {"trailing characters"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", good_payload), {"expected"});
        check_member(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", good_payload),
                     {"'fortran_order' is not True or False"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", good_payload),
                     {"'shape' is not a tuple"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", good_payload),
                     {"'shape' is not a tuple"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", good_payload),
                     {"not a tuple of integers"});
        check_member(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", good_payload),
                     {"structured dtypes are not supported"});
        check_member(npy(std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\xe9"), good_payload),
                     {"not ASCII"});
    }
    SECTION("fortran_order True") {
        check_member(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", good_payload),
                     {"fortran_order is True"});
    }
    SECTION("unknown and big-endian dtypes") {
        check_member(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", good_payload),
                     {"unsupported dtype '<c8'"});
        check_member(npy("{'descr': 'f4', 'fortran_order': False, 'shape': (2,), }", good_payload),
                     {"unsupported dtype 'f4'"});
        check_member(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", good_payload),
                     {"big-endian dtype '>f4' is not supported"});
        check_member(npy("{'descr': '>U2', 'fortran_order': False, 'shape': (), }", std::string(8, 'a')),
                     {"big-endian dtype '>U2'"});
        check_member(npy("{'descr': '<U', 'fortran_order': False, 'shape': (), }", ""), {"unsupported dtype '<U'"});
    }
    SECTION("negative, overflowing and absurd shapes") {
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", good_payload),
                     {"negative dimension"});
        check_member(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", good_payload),
                     {"overflows 64 bits"});
        check_member(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", good_payload),
                     {"absurdly large"});
        check_member(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 2), }", good_payload),
                     {"absurdly large"});
        check_member(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9223372036854775807), }", ""),
                     {"absurdly large"});
        std::string many = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
        for (int k = 0; k < 40; ++k) many += "1, ";
        check_member(npy(many + "), }", good_payload), {"more than 32 dimensions"});
        check_member(npy("{'descr': '<U99999999999999999', 'fortran_order': False, 'shape': (), }", "abcd"),
                     {"absurdly large"});
        check_member(npy("{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }", std::string(32, 'a')),
                     {"text arrays must be scalars"});
    }
    SECTION("payload shorter or longer than the shape says") {
        check_member(npy(good_dict, floats({1.0f})), {"payload has 4 bytes", "needs 8", "truncated"});
        check_member(npy(good_dict, floats({1.0f, 2.0f, 3.0f})), {"payload has 12 bytes", "needs 8", "extra bytes"});
        check_member(npy(good_dict, floats({1.0f, 2.0f}) + "x"), {"payload has 9 bytes"});
    }
    SECTION("invalid values of bool and text arrays") {
        check_member(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", std::string("\x01\x02", 2)),
                     {"bool value 2"});
        check_member(npy("{'descr': '<U1', 'fortran_order': False, 'shape': (), }", std::string("\x00\xd8\x00\x00", 4)),
                     {"invalid code point U+D800"});
        check_member(npy("{'descr': '<U1', 'fortran_order': False, 'shape': (), }", std::string("\x00\x00\x11\x00", 4)),
                     {"invalid code point U+110000"});
        check_member(npy("{'descr': '|S2', 'fortran_order': False, 'shape': (), }", std::string("\xff\x00", 2)),
                     {"not valid UTF-8"});
    }
}

TEST_CASE("npz reads numpy's text forms: trailing NULs stripped, bytes scalars as UTF-8", "[npz]") {
    const auto dir = test::scratch_dir("npz-text");
    const auto path = dir / "t.npz";
    write_raw_zip(path, {{"u.npy", npy("{'descr': '<U4', 'fortran_order': False, 'shape': (), }",
                                       std::string("a\0\0\0\xe9\0\0\0\0\0\0\0\0\0\0\0", 16))},
                         {"s.npy", npy("{'descr': '|S5', 'fortran_order': False, 'shape': (), }",
                                       std::string("ok\xc3\xa9\0", 5))},
                         {"b.npy", npy("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", "A")}});
    const auto archive = npz::read(path.string());
    const npz::Reader reader(archive, path.string());
    CHECK(reader.text("u") == "a\xc3\xa9");
    CHECK(reader.text("s") == "ok\xc3\xa9");
    CHECK(reader.vector<std::uint8_t>("b") == std::vector<std::uint8_t>{'A'});
}

TEST_CASE("npz truncated at every cut point throws InputError", "[npz][robustness]") {
    const auto dir = test::scratch_dir("npz-truncate");
    for (auto compression : {npz::Compression::store, npz::Compression::deflate}) {
        const auto path = (dir / "full.npz").string();
        npz::write(path, sample_archive(), compression);
        const std::string bytes = test::read_file(path);
        REQUIRE(bytes.size() > 1000);
        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            INFO("cut at " << cut << " of " << bytes.size());
            CHECK_THROWS_AS(npz::read_memory(std::string_view(bytes).substr(0, cut), "cut.npz"), InputError);
        }
        // The same through files, at a few cut points.
        for (std::size_t cut = 0; cut < bytes.size(); cut += bytes.size() / 7 + 1) {
            const auto cut_path = test::write_file(dir / "cut.npz", bytes.substr(0, cut));
            CHECK_THROWS_AS(npz::read(cut_path.string()), InputError);
        }
    }
}

TEST_CASE("npz with random byte flips loads consistently or throws InputError", "[npz][robustness]") {
    const auto dir = test::scratch_dir("npz-flip");
    for (auto compression : {npz::Compression::store, npz::Compression::deflate}) {
        const auto path = (dir / "full.npz").string();
        npz::write(path, sample_archive(), compression);
        const std::string original = test::read_file(path);
        Rng rng(20240611, compression == npz::Compression::store ? 0 : 1);
        int loaded = 0, rejected = 0;
        for (int trial = 0; trial < 3000; ++trial) {
            std::string bytes = original;
            const int flips = 1 + static_cast<int>(rng.below(3));
            for (int k = 0; k < flips; ++k)
                bytes[rng.below(bytes.size())] ^= static_cast<char>(1 + rng.below(255));
            try {
                const auto archive = npz::read_memory(bytes, "flipped.npz");
                ++loaded;
                for (const auto& [name, array] : archive)
                    if (array.dtype != npz::DType::text)
                        CHECK(array.data.size() == static_cast<std::size_t>(array.size()) * npz::item_size(array.dtype));
            } catch (const InputError& e) {
                ++rejected;
                CHECK(std::string(e.what()).rfind("flipped.npz: ", 0) == 0);
            }
        }
        INFO("loaded " << loaded << ", rejected " << rejected);
        CHECK(rejected > 1000);
        CHECK(loaded > 0);  // e.g. flips in timestamps or unused header fields
    }
}

TEST_CASE("npz interoperates with numpy byte for byte", "[npz][python]") {
    if (!python_numpy_available()) {
        WARN("skipped: /usr/bin/python3 with numpy is not available (apt-get install python3-numpy)");
        return;
    }
    const auto dir = test::scratch_dir("npz-numpy");
    const auto ours = dir / "ours.npz";
    npz::write(ours.string(), sample_archive());
    // numpy reads our archive, checks every value, saves each array alone (np.save), and writes
    // an archive of its own with np.savez_compressed.
    const auto script = test::write_file(dir / "check.py", R"PY(
import sys, numpy as np
d = sys.argv[1]
a = np.load(d + '/ours.npz')
f32 = np.array([1.5, -2.25, 0.0, -0.0, 3.4e38, 1.4e-45, 7, 8, 9, 10, 11, 12], np.float32).reshape(3, 4)
assert a['f32'].dtype == np.float32 and np.array_equal(a['f32'], f32)
assert a['f64'].dtype == np.float64 and a['f64'].shape == (2, 3, 2)
assert np.array_equal(a['f64'].ravel(), 1.0 / np.arange(3, 15) - 0.1)
assert a['i32'].dtype == np.int32 and list(a['i32']) == [-2**31, -1, 0, 1, 2**31 - 1]
assert a['i64'].dtype == np.int64 and a['i64'].shape == () and int(a['i64']) == -2**63
assert a['u8'].dtype == np.uint8 and list(a['u8']) == [0, 1, 127, 128, 255]
assert a['u64'].dtype == np.uint64 and int(a['u64'][1]) == 2**64 - 1
assert a['flag'].dtype == np.bool_ and bool(a['flag']) and list(a['flags']) == [True, False, True]
assert a['empty_f32'].shape == (3, 0) and a['empty_u8'].shape == (0,)
assert a['scalar_f64'].shape == () and float(a['scalar_f64']) == 2.5
assert str(a['text']) == 'pottsrbm-rbm' and str(a['text_empty']) == ''
assert str(a['text_unicode']) == 'ΔG été 蛋白 🧬', repr(a['text_unicode'])
for name in a.files:
    np.save(d + '/' + name + '.npy', a[name])
np.savez_compressed(d + '/numpy.npz', **{name: a[name] for name in a.files})
np.savez(d + '/numpy_stored.npz', **{name: a[name] for name in a.files})
print('OK')
)PY");
    const auto log = dir / "python.log";
    const int status = std::system(fmt::format("/usr/bin/python3 '{}' '{}' > '{}' 2>&1", script.string(),
                                               dir.string(), log.string()).c_str());
    INFO("python output: " << test::read_file(log));
    REQUIRE(status == 0);
    REQUIRE(test::read_file(log) == "OK\n");
    // Every member is byte for byte what np.save writes for the same array.
    for (const auto& [name, array] : sample_archive()) {
        INFO("array " << name);
        CHECK(read_member(ours, name + ".npy") == test::read_file(dir / (name + ".npy")));
    }
    // numpy's own archives (deflated and stored) read back to the same arrays.
    require_equal(sample_archive(), npz::read((dir / "numpy.npz").string()));
    require_equal(sample_archive(), npz::read((dir / "numpy_stored.npz").string()));
}
