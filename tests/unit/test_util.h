// Small helpers shared by the unit tests: byte views, temporary directories,
// file helpers and running an external command.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/code_input.h"
#include "core/secret_bytes.h"

namespace test_util {

// What a forward_pass login judges first: the first candidate split.
inline std::optional<pam_totp::PasswordAndCode> first_split(std::string_view typed, int digits) {
    auto candidates = pam_totp::split_candidates(typed, digits);
    if (candidates.empty()) return std::nullopt;
    return std::move(candidates.front());
}

inline std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::vector<std::uint8_t> vector_of(std::string_view text) {
    const auto bytes = bytes_of(text);
    return {bytes.begin(), bytes.end()};
}

inline std::string string_of(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline std::string string_of(const pam_totp::SecretBytes& bytes) {
    return std::string(bytes.view());
}

inline bool is_root() {
    return ::geteuid() == 0;
}

// A fresh private (0700) directory under /tmp, removed with its contents.
class TempDir {
  public:
    TempDir() {
        char pattern[] = "/tmp/pam_totp_unit.XXXXXX";
        if (!::mkdtemp(pattern))
            throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
        path_ = pattern;
        ::chmod(path_.c_str(), 0700);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    const std::string& path() const { return path_; }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

    // Names of the directory's entries, sorted.
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(path_))
            names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

  private:
    std::string path_;
};

inline void write_text(const std::string& path, std::string_view content, mode_t mode = 0600) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!out) throw std::runtime_error("cannot write " + path);
    }
    if (::chmod(path.c_str(), mode) != 0) throw std::runtime_error("cannot chmod " + path);
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct CommandResult {
    int status = -1;     // exit status as returned by pclose
    std::string output;  // stdout, trailing newline removed
};

inline CommandResult run_command(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw std::runtime_error("popen failed: " + command);
    std::array<char, 256> buffer{};
    while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        result.output.append(buffer.data(), n);
    result.status = ::pclose(pipe);
    while (!result.output.empty() && (result.output.back() == '\n' || result.output.back() == '\r'))
        result.output.pop_back();
    return result;
}

}  // namespace test_util
