// The per-user state file: creation, commits, slot recovery and the checks
// on the directory and the file.
#include "core/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include "test_util.h"

using namespace pam_totp;
using test_util::TempDir;

namespace {

UserState state_with(std::uint32_t failures, std::uint64_t last) {
    UserState s;
    s.enrollment_id[0] = 0x42;
    s.has_last = true;
    s.last_accepted = last;
    s.failures = failures;
    return s;
}

void flip_byte(const std::string& path, off_t offset) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    std::uint8_t byte = 0;
    REQUIRE(::pread(fd, &byte, 1, offset) == 1);
    byte ^= 0x04;
    REQUIRE(::pwrite(fd, &byte, 1, offset) == 1);
    ::close(fd);
}

std::optional<DecodedSlot> slot_on_disk(const std::string& path, int index) {
    const std::string text = test_util::read_text(path);
    const std::size_t offset = static_cast<std::size_t>(index) * kSlotStride;
    if (text.size() < offset + kSlotSize) return std::nullopt;
    return decode_slot(test_util::bytes_of(text).subspan(offset, kSlotSize));
}

// A state file holding two commits after the empty slot of its creation:
// slot 1 = sequence 2 (first), slot 0 = sequence 3 (second).
void write_two_commits(const TempDir& dir, const UserState& first, const UserState& second) {
    auto file = LockedStateFile::open(dir.path(), "alice");
    INFO(file.error().message);
    REQUIRE(file.ok());
    REQUIRE(file->commit(first).ok());
    REQUIRE(file->commit(second).ok());
}

void check_open_refused(const TempDir& dir, const std::string& user, const std::string& expected) {
    auto file = LockedStateFile::open(dir.path(), user);
    REQUIRE_FALSE(file.ok());
    CHECK_THAT(file.error().message, Catch::Contains(expected));
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("state file names must be safe", "[state_store]") {
    for (const std::string name : {"alice", "a.b", "user@EXAMPLE.COM", "a-b_c", "x"})
        CHECK(is_safe_file_name(name));
    for (const std::string name :
         {"", ".hidden", ".", "..", "../x", "a/b", "/etc", "a b", "a\tb", "a\x7f", "caf\xc3\xa9"})
        CHECK_FALSE(is_safe_file_name(name));
    CHECK(is_safe_file_name(std::string(255, 'a')));  // NAME_MAX
    CHECK_FALSE(is_safe_file_name(std::string(256, 'a')));
    CHECK_FALSE(is_safe_file_name(std::string("a\0b", 3)));
}

TEST_CASE("unsafe user names are refused before touching the file system", "[state_store]") {
    TempDir dir;
    for (const std::string user : {"../x", ".hidden", "a/b", "", ".."}) {
        INFO("user \"" << user << "\"");
        check_open_refused(dir, user, "user name");
    }
    CHECK(dir.entries().empty());
}

TEST_CASE("the decoy state file is a name no user can have, written without a lock",
          "[state_store]") {
    TempDir dir;
    CHECK_FALSE(is_safe_file_name(kDecoyStateName));
    check_open_refused(dir, kDecoyStateName, "user name");

    // Another login holding an exclusive lock on it does not delay the write.
    const std::string path = dir.file(".decoy");
    REQUIRE(write_decoy_state(dir.path()).ok());
    const int holder = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(holder >= 0);
    REQUIRE(::flock(holder, LOCK_EX) == 0);
    const auto start = std::chrono::steady_clock::now();
    auto written = write_decoy_state(dir.path());
    const auto waited = std::chrono::steady_clock::now() - start;
    ::close(holder);
    INFO(written.error().message);
    CHECK(written.ok());
    CHECK(waited < std::chrono::seconds(1));
    CHECK(mode_of(path) == 0600);
    CHECK(dir.entries() == std::vector<std::string>{".decoy"});

    // It is held to the rules of a state file, and a symlink is not followed.
    REQUIRE(::unlink(path.c_str()) == 0);
    const std::string target = dir.file("target");
    test_util::write_text(target, "", 0600);
    REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);
    auto via_link = write_decoy_state(dir.path());
    REQUIRE_FALSE(via_link.ok());
    CHECK_THAT(via_link.error().message, Catch::Contains("symbolic link"));
    CHECK(test_util::read_text(target).empty());
    REQUIRE(::unlink(path.c_str()) == 0);
    test_util::write_text(path, "", 0644);
    CHECK_FALSE(write_decoy_state(dir.path()).ok());
}

TEST_CASE("a new state file is created private with one empty slot, and keeps what is committed",
          "[state_store]") {
    TempDir dir;
    const std::string path = dir.file("alice");
    {
        auto file = LockedStateFile::open(dir.path(), "alice");
        INFO(file.error().message);
        REQUIRE(file.ok());
        CHECK(file->path() == path);
        CHECK(file->state() == UserState{});
        CHECK(mode_of(path) == 0600);
        // A valid empty slot from the start: a record without one is damage.
        CHECK(test_util::read_text(path).size() == kSlotSize);
        CHECK(slot_on_disk(path, 0)->sequence == 1);

        REQUIRE(file->commit(state_with(1, 100)).ok());
        CHECK(file->state() == state_with(1, 100));
    }
    {
        auto file = LockedStateFile::open(dir.path(), "alice");
        REQUIRE(file.ok());
        CHECK(file->state() == state_with(1, 100));
        REQUIRE(file->commit(state_with(2, 101)).ok());
        REQUIRE(file->commit(state_with(3, 102)).ok());
    }
    auto file = LockedStateFile::open(dir.path(), "alice");
    REQUIRE(file.ok());
    CHECK(file->state() == state_with(3, 102));
    CHECK(dir.entries() == std::vector<std::string>{"alice"});  // no temp files
}

TEST_CASE("commits alternate between the two slots with increasing sequence", "[state_store]") {
    TempDir dir;
    const std::string path = dir.file("alice");
    auto file = LockedStateFile::open(dir.path(), "alice");
    REQUIRE(file.ok());
    // Creation wrote sequence 1 into slot 0; commit n goes to slot n % 2.
    for (std::uint64_t n = 1; n <= 4; ++n) {
        REQUIRE(file->commit(state_with(static_cast<std::uint32_t>(n), n)).ok());
        const auto written = slot_on_disk(path, static_cast<int>(n % 2));
        INFO("commit " << n);
        REQUIRE(written);
        CHECK(written->sequence == n + 1);
        CHECK(written->state == state_with(static_cast<std::uint32_t>(n), n));
        const auto other = slot_on_disk(path, static_cast<int>((n + 1) % 2));
        REQUIRE(other);
        CHECK(other->sequence == n);  // the previous state is still there
    }
    CHECK(test_util::read_text(path).size() <= kStateFileSize);
}

TEST_CASE("a corrupt slot is ignored and the other one is used", "[state_store]") {
    TempDir dir;
    const std::string path = dir.file("alice");
    const UserState older = state_with(1, 500);
    const UserState newer = state_with(2, 501);
    write_two_commits(dir, older, newer);

    SECTION("the newer slot is corrupt: the older state stands, and is overwritten next") {
        flip_byte(path, 30);
        {
            auto file = LockedStateFile::open(dir.path(), "alice");
            INFO(file.error().message);
            REQUIRE(file.ok());
            CHECK(file->state() == older);
            REQUIRE(file->commit(state_with(9, 900)).ok());
        }
        const auto repaired = slot_on_disk(path, 0);
        REQUIRE(repaired);
        CHECK(repaired->state == state_with(9, 900));
        CHECK(repaired->sequence == 3);
        auto file = LockedStateFile::open(dir.path(), "alice");
        REQUIRE(file.ok());
        CHECK(file->state() == state_with(9, 900));
    }
    SECTION("the older slot is corrupt: the newer state stands") {
        flip_byte(path, static_cast<off_t>(kSlotStride) + 100);
        auto file = LockedStateFile::open(dir.path(), "alice");
        REQUIRE(file.ok());
        CHECK(file->state() == newer);
    }
    SECTION("both slots corrupt: refused, naming the file and the way out") {
        flip_byte(path, 20);
        flip_byte(path, static_cast<off_t>(kSlotStride) + 20);
        auto file = LockedStateFile::open(dir.path(), "alice");
        REQUIRE_FALSE(file.ok());
        CHECK_THAT(file.error().message, Catch::Contains(path) && Catch::Contains("damaged"));
    }
}

TEST_CASE("a state file of zeros or junk is refused, an empty one is fresh", "[state_store]") {
    TempDir dir;
    test_util::write_text(dir.file("empty"), "", 0600);
    auto empty = LockedStateFile::open(dir.path(), "empty");
    REQUIRE(empty.ok());
    CHECK(empty->state() == UserState{});

    test_util::write_text(dir.file("zeros"), std::string(kStateFileSize, '\0'), 0600);
    check_open_refused(dir, "zeros", "damaged");
    test_util::write_text(dir.file("junk"), "hello\n", 0600);
    check_open_refused(dir, "junk", "damaged");
    test_util::write_text(dir.file("big"), std::string(kStateFileSize + 1, '\0'), 0600);
    check_open_refused(dir, "big", "larger than");
}

TEST_CASE("a symlink in place of the state file is refused and not followed", "[state_store]") {
    TempDir dir;
    const std::string target = dir.file("target");
    test_util::write_text(target, "precious", 0600);
    REQUIRE(::symlink(target.c_str(), dir.file("alice").c_str()) == 0);
    check_open_refused(dir, "alice", "symbolic link");
    CHECK(test_util::read_text(target) == "precious");

    // A dangling link: nothing is created at its target.
    REQUIRE(::symlink(dir.file("nowhere").c_str(), dir.file("bob").c_str()) == 0);
    check_open_refused(dir, "bob", "symbolic link");
    CHECK(::access(dir.file("nowhere").c_str(), F_OK) != 0);
}

TEST_CASE("special files and loose modes in place of the state file are refused", "[state_store]") {
    TempDir dir;
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    check_open_refused(dir, "fifo", "not a regular file");  // and does not hang
    REQUIRE(::mkdir(dir.file("dir").c_str(), 0700) == 0);
    check_open_refused(dir, "dir", "Is a directory");
    test_util::write_text(dir.file("loose"), "", 0640);
    check_open_refused(dir, "loose", "too open");
    test_util::write_text(dir.file("public"), "", 0604);
    check_open_refused(dir, "public", "too open");
}

TEST_CASE("a state file owned by someone else is refused", "[state_store]") {
    if (!test_util::is_root()) {
        WARN("not root: cannot chown, skipping");
        return;
    }
    TempDir dir;
    test_util::write_text(dir.file("alice"), "", 0600);
    REQUIRE(::chown(dir.file("alice").c_str(), 4321, 4321) == 0);
    check_open_refused(dir, "alice", "owned by uid 4321");
}

TEST_CASE("a state directory that others can write or own is refused", "[state_store]") {
    TempDir dir;
    for (mode_t mode : {0770, 0707, 0777, 01777}) {
        REQUIRE(::chmod(dir.path().c_str(), mode) == 0);
        INFO("mode " << std::oct << mode);
        CHECK_FALSE(check_state_directory(dir.path()).ok());
        check_open_refused(dir, "alice", "writable by group or others");
    }
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    CHECK(check_state_directory(dir.path()).ok());
    CHECK(dir.entries().empty());

    check_open_refused(dir, "../missing", "user name");
    auto missing = LockedStateFile::open(dir.file("missing"), "alice");
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.error().message, Catch::Contains("state directory"));

    if (!test_util::is_root()) {
        WARN("not root: cannot chown, skipping the foreign-owner check");
        return;
    }
    REQUIRE(::chown(dir.path().c_str(), 4321, 4321) == 0);
    check_open_refused(dir, "alice", "owned by uid 4321");
}

TEST_CASE("the lock is held from open until the file object is gone", "[state_store]") {
    TempDir dir;
    std::optional<Result<LockedStateFile>> first(LockedStateFile::open(dir.path(), "alice"));
    REQUIRE(first->ok());
    REQUIRE((*first)->commit(state_with(1, 1)).ok());

    auto second = std::async(std::launch::async, [&] {
        auto file = LockedStateFile::open(dir.path(), "alice");
        return file.ok() ? file->state() : UserState{};
    });
    CHECK(second.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
    REQUIRE((*first)->commit(state_with(2, 2)).ok());
    first.reset();  // unlocks
    REQUIRE(second.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(second.get() == state_with(2, 2));
}

TEST_CASE("a pin is staged in the free area and read back only as the slot names it",
          "[state_store]") {
    TempDir dir;
    const std::string path = dir.file("alice");
    const std::string first = "first pinned file\n";
    const std::string second(4096, 'x');
    {
        auto file = LockedStateFile::open(dir.path(), "alice");
        REQUIRE(file.ok());
        CHECK(file->pinned_file().ok());
        CHECK(file->pinned_file()->empty());
        CHECK(file->free_area() == 0);
        REQUIRE(file->stage_pin(first).ok());
        UserState s;
        s.pin = PinRef{.present = true,
                       .area = 0,
                       .generation = 1,
                       .hash = sha256_of(first),
                       .length = static_cast<std::uint32_t>(first.size())};
        REQUIRE(file->commit(s).ok());
        CHECK(file->free_area() == 1);
        REQUIRE(file->stage_pin(second).ok());  // the free area: the pin stands
        CHECK(file->pinned_file().value() == first);
        CHECK_FALSE(file->stage_pin(second + "y").ok());  // over 4096 bytes
    }
    {
        auto file = LockedStateFile::open(dir.path(), "alice");
        REQUIRE(file.ok());
        CHECK(file->pinned_file().value() == first);
        CHECK(test_util::read_text(path).size() <= kStateFileSize);
    }
    // A damaged pin area is an error, never another file.
    flip_byte(path, static_cast<off_t>(kPinAreaOffset) + 10);
    auto damaged = LockedStateFile::open(dir.path(), "alice");
    REQUIRE(damaged.ok());
    auto pinned = damaged->pinned_file();
    REQUIRE_FALSE(pinned.ok());
    CHECK_THAT(pinned.error().message, Catch::Contains("does not hold the file its record names"));
}

TEST_CASE("open_existing never creates a record", "[state_store]") {
    TempDir dir;
    auto none = LockedStateFile::open_existing(dir.path(), "alice");
    REQUIRE(none.ok());
    CHECK_FALSE(*none);
    CHECK(dir.entries().empty());
    REQUIRE(LockedStateFile::open(dir.path(), "alice").ok());
    auto some = LockedStateFile::open_existing(dir.path(), "alice");
    REQUIRE(some.ok());
    CHECK(*some);
}
