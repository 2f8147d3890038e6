// Careful file access: checked reads and atomic writes.
#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;
using test_util::TempDir;

namespace {

const FileRules kRootOrMe{
    .owner = ::geteuid(), .allow_root = true, .forbidden_mode = 0022, .max_size = 4096};

std::string read_ok(const std::string& path, const FileRules& rules = kRootOrMe) {
    auto result = read_checked_file(path, rules);
    INFO(result.error().message);
    REQUIRE(result.ok());
    REQUIRE(result->has_value());
    return std::string((**result).view());
}

void check_read_refused(const std::string& path, const FileRules& rules,
                        const std::string& expected) {
    auto result = read_checked_file(path, rules);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains(path));
    CHECK_THAT(result.error().message, Catch::Contains(expected));
}

// Runs `read_checked_file` on a thread so that a blocking open fails the
// test instead of hanging it (the stuck thread is abandoned).
std::optional<std::string> read_error_within(const std::string& path, std::chrono::seconds limit) {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    std::thread([promise, path] {
        auto result = read_checked_file(path, kRootOrMe);
        promise->set_value(result.ok() ? std::string("(read)") : result.error().message);
    }).detach();
    if (future.wait_for(limit) != std::future_status::ready) return std::nullopt;
    return future.get();
}

Status write(const std::string& path, std::string_view content, WriteRules rules = {}) {
    return write_file_atomically(path, bytes_of(content), rules);
}

struct stat stat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

}  // namespace

TEST_CASE("read_checked_file reads a proper file and reports a missing one as absent",
          "[file_io]") {
    TempDir dir;
    test_util::write_text(dir.file("secret"), "contents\n", 0600);
    CHECK(read_ok(dir.file("secret")) == "contents\n");
    test_util::write_text(dir.file("empty"), "", 0644);
    CHECK(read_ok(dir.file("empty")).empty());

    auto missing = read_checked_file(dir.file("missing"), kRootOrMe);
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->has_value());
}

TEST_CASE("read_checked_file refuses symlinks, FIFOs and directories", "[file_io]") {
    TempDir dir;
    test_util::write_text(dir.file("target"), "contents", 0600);
    REQUIRE(::symlink(dir.file("target").c_str(), dir.file("link").c_str()) == 0);
    check_read_refused(dir.file("link"), kRootOrMe, "symbolic link");
    REQUIRE(::symlink(dir.file("nowhere").c_str(), dir.file("dangling").c_str()) == 0);
    check_read_refused(dir.file("dangling"), kRootOrMe, "symbolic link");

    REQUIRE(::mkdir(dir.file("directory").c_str(), 0700) == 0);
    check_read_refused(dir.file("directory"), kRootOrMe, "not a regular file");

    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    const auto error = read_error_within(dir.file("fifo"), std::chrono::seconds(5));
    REQUIRE(error);  // returned at all: opening the FIFO did not wait for a writer
    CHECK_THAT(*error, Catch::Contains("not a regular file"));
}

TEST_CASE("read_checked_file refuses files others may write, or too open for the rule",
          "[file_io]") {
    TempDir dir;
    const std::string path = dir.file("file");
    test_util::write_text(path, "x", 0600);
    for (mode_t mode : {0620, 0602, 0666, 0622}) {
        REQUIRE(::chmod(path.c_str(), mode) == 0);
        INFO("mode " << std::oct << mode);
        check_read_refused(path, kRootOrMe, "is too open");
    }
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    CHECK(read_ok(path) == "x");
    FileRules private_only = kRootOrMe;
    private_only.forbidden_mode = 0077;
    check_read_refused(path, private_only, "mode 0644 is too open");
    REQUIRE(::chmod(path.c_str(), 0400) == 0);
    CHECK(read_ok(path, private_only) == "x");
}

TEST_CASE("read_checked_file refuses a file of the wrong owner", "[file_io]") {
    if (!test_util::is_root()) {
        WARN("not root: cannot chown, skipping");
        return;
    }
    TempDir dir;
    const std::string path = dir.file("file");
    test_util::write_text(path, "x", 0600);
    REQUIRE(::chown(path.c_str(), 4321, 4321) == 0);
    check_read_refused(path, {.owner = 0}, "owned by uid 4321, expected uid 0");
    check_read_refused(path, {.owner = 1000}, "owned by uid 4321, expected uid 1000 or root");
    CHECK(read_ok(path, {.owner = 4321}) == "x");
    CHECK(read_ok(path, {.owner = std::nullopt}) == "x");

    REQUIRE(::chown(path.c_str(), 0, 0) == 0);
    CHECK(read_ok(path, {.owner = 4321, .allow_root = true}) == "x");
    check_read_refused(path, {.owner = 4321, .allow_root = false},
                       "owned by uid 0, expected uid 4321");
}

TEST_CASE("read_checked_file refuses a file over the size cap", "[file_io]") {
    TempDir dir;
    FileRules small = kRootOrMe;
    small.max_size = 16;
    test_util::write_text(dir.file("exact"), std::string(16, 'a'), 0600);
    CHECK(read_ok(dir.file("exact"), small).size() == 16);
    test_util::write_text(dir.file("over"), std::string(17, 'a'), 0600);
    check_read_refused(dir.file("over"), small, "larger than 16 bytes");
    test_util::write_text(dir.file("huge"), std::string(5 * 1024 * 1024, 'a'), 0600);
    check_read_refused(dir.file("huge"), kRootOrMe, "larger than 4096 bytes");
}

TEST_CASE("check_opened_file checks the descriptor, not the path", "[file_io]") {
    TempDir dir;
    const std::string path = dir.file("file");
    test_util::write_text(path, "x", 0600);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    // Swap a world-writable file in at the path: the open file is still fine.
    REQUIRE(::rename(path.c_str(), dir.file("moved").c_str()) == 0);
    test_util::write_text(path, "y", 0666);
    CHECK(check_opened_file(fd, path, kRootOrMe).ok());
    ::close(fd);

    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(null_fd >= 0);
    auto status = check_opened_file(null_fd, "/dev/null", kRootOrMe);
    ::close(null_fd);
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(status.error().message, Catch::Contains("not a regular file"));
}

TEST_CASE("write_file_atomically creates a file with the given mode and no leftovers",
          "[file_io]") {
    TempDir dir;
    const std::string path = dir.file("out");
    REQUIRE(write(path, "first\n").ok());
    CHECK(test_util::read_text(path) == "first\n");
    CHECK((stat_of(path).st_mode & 07777) == 0600);

    REQUIRE(write(dir.file("public"), "pub", {.mode = 0644}).ok());
    CHECK((stat_of(dir.file("public")).st_mode & 07777) == 0644);
    REQUIRE(write(dir.file("empty"), "").ok());
    CHECK(test_util::read_text(dir.file("empty")).empty());
    CHECK(dir.entries() == std::vector<std::string>{"empty", "out", "public"});
}

TEST_CASE("a killed writer's old temp files are removed by the next write, nothing else",
          "[file_io]") {
    TempDir dir;
    const std::string path = dir.file("out");
    const auto age = [](const std::string& file, std::time_t seconds) {
        const timespec times[2] = {{::time(nullptr) - seconds, 0}, {::time(nullptr) - seconds, 0}};
        REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
    };
    const std::string stale = dir.file(".out.tmp-0123456789abcdef");
    const std::string fresh = dir.file(".out.tmp-fedcba9876543210");  // a writer at work
    const std::string other_name = dir.file(".other.tmp-0123456789abcdef");
    const std::string not_hex = dir.file(".out.tmp-0123456789abcdeX");
    const std::string stale_dir = dir.file(".out.tmp-aaaaaaaaaaaaaaaa");
    const std::string stale_link = dir.file(".out.tmp-bbbbbbbbbbbbbbbb");
    for (const std::string& f : {stale, fresh, other_name, not_hex})
        test_util::write_text(f, "sealed", 0600);
    REQUIRE(::mkdir(stale_dir.c_str(), 0700) == 0);
    REQUIRE(::symlink(stale.c_str(), stale_link.c_str()) == 0);
    for (const std::string& f : {stale, other_name, not_hex, stale_dir, stale_link}) age(f, 3600);

    CHECK(remove_stale_temp_files(path, ::geteuid() + 1, kStaleTempAge) == 0);  // not the owner
    REQUIRE(write(path, "new\n").ok());
    CHECK(test_util::read_text(path) == "new\n");
    CHECK(dir.entries() ==
          std::vector<std::string>{".other.tmp-0123456789abcdef", ".out.tmp-0123456789abcdeX",
                                   ".out.tmp-aaaaaaaaaaaaaaaa", ".out.tmp-bbbbbbbbbbbbbbbb",
                                   ".out.tmp-fedcba9876543210", "out"});
    CHECK(remove_stale_temp_files(path, ::geteuid(), kStaleTempAge) == 0);  // nothing left to do
    CHECK(remove_stale_temp_files(path, ::geteuid(), std::chrono::seconds(-60)) == 1);  // fresh
}

TEST_CASE("write_file_atomically replaces only when asked", "[file_io]") {
    TempDir dir;
    const std::string path = dir.file("out");
    REQUIRE(write(path, "first").ok());
    const ino_t first_inode = stat_of(path).st_ino;

    auto refused = write(path, "second");
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("already exists"));
    CHECK(test_util::read_text(path) == "first");
    CHECK(dir.entries() == std::vector<std::string>{"out"});

    REQUIRE(write(path, "second", {.replace = true}).ok());
    CHECK(test_util::read_text(path) == "second");
    CHECK(stat_of(path).st_ino != first_inode);  // a new file renamed over, not rewritten in place
    CHECK(dir.entries() == std::vector<std::string>{"out"});
}

TEST_CASE("write_file_atomically never writes through a symlink or over a non-file", "[file_io]") {
    TempDir dir;
    const std::string victim = dir.file("victim");
    test_util::write_text(victim, "precious", 0600);
    REQUIRE(::symlink(victim.c_str(), dir.file("link").c_str()) == 0);
    for (bool replace : {false, true}) {
        auto status = write(dir.file("link"), "evil", {.replace = replace});
        REQUIRE_FALSE(status.ok());
        CHECK_THAT(status.error().message, Catch::Contains("symbolic link"));
    }
    CHECK(test_util::read_text(victim) == "precious");
    CHECK(S_ISLNK(stat_of(dir.file("link")).st_mode));

    REQUIRE(::mkdir(dir.file("directory").c_str(), 0700) == 0);
    auto status = write(dir.file("directory"), "x", {.replace = true});
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(status.error().message, Catch::Contains("not a regular file"));
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    CHECK_FALSE(write(dir.file("fifo"), "x", {.replace = true}).ok());

    // Symlinks planted at the usual temp names are not followed either.
    for (const char* name : {"out.new", "out.tmp", ".out.tmp", "out~", ".out.swp"})
        REQUIRE(::symlink(victim.c_str(), dir.file(name).c_str()) == 0);
    REQUIRE(write(dir.file("out"), "data").ok());
    CHECK(test_util::read_text(victim) == "precious");
    CHECK(test_util::read_text(dir.file("out")) == "data");
    CHECK(dir.entries().size() == 10);  // victim, link, directory, fifo, out and 5 planted links
}

TEST_CASE("write_file_atomically sets the owner before the file appears", "[file_io]") {
    if (!test_util::is_root()) {
        WARN("not root: cannot chown, skipping");
        return;
    }
    TempDir dir;
    REQUIRE(write(dir.file("owned"), "x", {.uid = 4321, .gid = 4322}).ok());
    const struct stat st = stat_of(dir.file("owned"));
    CHECK(st.st_uid == 4321);
    CHECK(st.st_gid == 4322);
}

TEST_CASE("write_file_atomically fails cleanly when the directory is missing", "[file_io]") {
    TempDir dir;
    auto status = write(dir.file("missing/out"), "x");
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(status.error().message, Catch::Contains("No such file or directory"));
    CHECK(dir.entries().empty());
}

TEST_CASE("remove_file removes files and links but not what a link points to", "[file_io]") {
    TempDir dir;
    test_util::write_text(dir.file("target"), "keep", 0600);
    test_util::write_text(dir.file("file"), "x", 0600);
    REQUIRE(::symlink(dir.file("target").c_str(), dir.file("link").c_str()) == 0);
    REQUIRE(::mkdir(dir.file("directory").c_str(), 0700) == 0);

    CHECK(remove_file(dir.file("file")).ok());
    CHECK(remove_file(dir.file("link")).ok());
    CHECK(test_util::read_text(dir.file("target")) == "keep");
    auto refused = remove_file(dir.file("directory"));
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("is a directory"));
    CHECK_FALSE(remove_file(dir.file("missing")).ok());
    CHECK(dir.entries() == std::vector<std::string>{"directory", "target"});
}

TEST_CASE("path helpers", "[file_io]") {
    CHECK(parent_directory("/etc/pam_totp/host.key") == "/etc/pam_totp");
    CHECK(parent_directory("/host.key") == "/");
    CHECK(parent_directory("host.key") == ".");
    CHECK(parent_directory("dir/host.key") == "dir");
    CHECK(errno_message("/some/path", ENOENT) == "/some/path: No such file or directory");
    CHECK(fsync_directory("/tmp").ok());
    CHECK_FALSE(fsync_directory("/nonexistent-pam-totp-dir").ok());
}
