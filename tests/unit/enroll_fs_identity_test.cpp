// The walk behind totp-enroll --user --file (enroll-tool/fs_identity.cpp,
// root_controls_directory): root acts as itself only where root alone
// controls every directory and every symbolic link on the way, one hop at a
// time, so a user's link behind a root-owned one is seen and refused.
#include "fs_identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <climits>
#include <stdexcept>
#include <string>

#include "test_util.h"

using test_util::TempDir;
using totp_enroll::root_controls_directory;

namespace {

constexpr uid_t kNobody = 65534;

void make_dir(const std::string& path, mode_t mode, uid_t owner = 0) {
    if (::mkdir(path.c_str(), 0700) != 0 || ::chown(path.c_str(), owner, owner) != 0 ||
        ::chmod(path.c_str(), mode) != 0)
        throw std::runtime_error("cannot make " + path);
}

void make_link(const std::string& target, const std::string& path, uid_t owner = 0) {
    if (::symlink(target.c_str(), path.c_str()) != 0 || ::lchown(path.c_str(), owner, owner) != 0)
        throw std::runtime_error("cannot link " + path);
}

// Runs with the working directory set to `dir`, then goes back.
class InDirectory {
  public:
    explicit InDirectory(const std::string& dir) {
        if (!::getcwd(saved_, sizeof saved_) || ::chdir(dir.c_str()) != 0)
            throw std::runtime_error("cannot chdir to " + dir);
    }
    InDirectory(const InDirectory&) = delete;
    InDirectory& operator=(const InDirectory&) = delete;
    ~InDirectory() {
        if (::chdir(saved_) != 0) std::abort();
    }

  private:
    char saved_[PATH_MAX];
};

bool skip_unless_root() {
    if (test_util::is_root()) return false;
    WARN("not root: cannot make root-owned and user-owned trees, skipping");
    return true;
}

}  // namespace

TEST_CASE("root_controls_directory: root's own directories, from / down", "[enroll][fs_identity]") {
    if (skip_unless_root()) return;
    TempDir tmp;  // /tmp/... root 0700; /tmp (sticky, 1777) is fine on the way
    make_dir(tmp.file("a"), 0755);
    make_dir(tmp.file("a/b"), 0700);
    CHECK(root_controls_directory("/"));
    CHECK(root_controls_directory(tmp.path()));
    CHECK(root_controls_directory(tmp.file("a/b")));
    CHECK(root_controls_directory(tmp.file("a//b/")));
    CHECK(root_controls_directory(tmp.file("a/./b")));
    // A sticky world-writable directory is fine on the way, not as the
    // directory the file goes in.
    CHECK_FALSE(root_controls_directory("/tmp"));
    CHECK_FALSE(root_controls_directory("/tmp/"));
    make_dir(tmp.file("sticky"), 01777);
    make_dir(tmp.file("sticky/root"), 0755);
    CHECK_FALSE(root_controls_directory(tmp.file("sticky")));
    CHECK(root_controls_directory(tmp.file("sticky/root")));
}

TEST_CASE("root_controls_directory: another owner, group or world write, or nothing there",
          "[enroll][fs_identity]") {
    if (skip_unless_root()) return;
    TempDir tmp;
    make_dir(tmp.file("user"), 0700, kNobody);
    make_dir(tmp.file("user/root"), 0755);
    make_dir(tmp.file("group"), 0775);
    make_dir(tmp.file("group/root"), 0755);
    make_dir(tmp.file("world"), 0777);  // not sticky: others may rename root's names
    make_dir(tmp.file("world/root"), 0755);
    CHECK_FALSE(root_controls_directory(tmp.file("user")));
    CHECK_FALSE(root_controls_directory(tmp.file("user/root")));
    CHECK_FALSE(root_controls_directory(tmp.file("group")));
    CHECK_FALSE(root_controls_directory(tmp.file("group/root")));
    CHECK_FALSE(root_controls_directory(tmp.file("world")));
    CHECK_FALSE(root_controls_directory(tmp.file("world/root")));
    CHECK_FALSE(root_controls_directory(tmp.file("missing")));
    CHECK_FALSE(root_controls_directory(tmp.file("missing/below")));
    test_util::write_text(tmp.file("file"), "x", 0600);
    CHECK_FALSE(root_controls_directory(tmp.file("file")));
}

TEST_CASE("root_controls_directory follows root's links one hop at a time",
          "[enroll][fs_identity]") {
    if (skip_unless_root()) return;
    TempDir tmp;
    make_dir(tmp.file("real"), 0755);
    make_dir(tmp.file("real/sub"), 0755);
    make_dir(tmp.file("other"), 0755);
    make_link(tmp.file("real"), tmp.file("absolute"));
    make_link("real", tmp.file("relative"));
    make_link("../real", tmp.file("other/up"));
    make_link("relative", tmp.file("chain"));  // root's link to root's link
    make_link("real/sub", tmp.file("deep"));
    CHECK(root_controls_directory(tmp.file("absolute")));
    CHECK(root_controls_directory(tmp.file("relative")));
    CHECK(root_controls_directory(tmp.file("other/up")));
    CHECK(root_controls_directory(tmp.file("chain")));
    CHECK(root_controls_directory(tmp.file("deep")));
    // A link in the middle of the path: the rest is walked from its target.
    CHECK(root_controls_directory(tmp.file("absolute/sub")));
    CHECK(root_controls_directory(tmp.file("other/up/sub")));
    CHECK_FALSE(root_controls_directory(tmp.file("relative/missing")));
    // A root link to a file or to nothing.
    test_util::write_text(tmp.file("real/file"), "x", 0600);
    make_link("real/file", tmp.file("to-file"));
    make_link("nowhere", tmp.file("dangling"));
    CHECK_FALSE(root_controls_directory(tmp.file("to-file")));
    CHECK_FALSE(root_controls_directory(tmp.file("dangling")));
}

TEST_CASE("root_controls_directory refuses a user's link anywhere on the way",
          "[enroll][fs_identity]") {
    if (skip_unless_root()) return;
    TempDir tmp;
    make_dir(tmp.file("real"), 0755);
    make_dir(tmp.file("users"), 0755, kNobody);
    // The user's own link to root's directory.
    make_link(tmp.file("real"), tmp.file("user-link"), kNobody);
    CHECK_FALSE(root_controls_directory(tmp.file("user-link")));
    // Root's link to the user's link: seen and refused, not resolved past.
    make_link("user-link", tmp.file("root-to-user-link"));
    CHECK_FALSE(root_controls_directory(tmp.file("root-to-user-link")));
    make_link("root-to-user-link", tmp.file("root-to-root-to-user-link"));
    CHECK_FALSE(root_controls_directory(tmp.file("root-to-root-to-user-link")));
    // Root's link into the user's directory.
    make_link("users", tmp.file("root-to-user-dir"));
    CHECK_FALSE(root_controls_directory(tmp.file("root-to-user-dir")));
    // Root's link inside the user's directory.
    make_link(tmp.file("real"), tmp.file("users/root-link"));
    CHECK_FALSE(root_controls_directory(tmp.file("users/root-link")));
    // The user's link as the middle of the path.
    make_dir(tmp.file("real/sub"), 0755);
    CHECK_FALSE(root_controls_directory(tmp.file("user-link/sub")));
    CHECK_FALSE(root_controls_directory(tmp.file("root-to-user-link/sub")));
}

TEST_CASE("root_controls_directory ends link loops and long chains", "[enroll][fs_identity]") {
    if (skip_unless_root()) return;
    TempDir tmp;
    make_link("self", tmp.file("self"));
    make_link("pong", tmp.file("ping"));
    make_link("ping", tmp.file("pong"));
    make_link(tmp.file("loop/x"), tmp.file("loop"));
    CHECK_FALSE(root_controls_directory(tmp.file("self")));
    CHECK_FALSE(root_controls_directory(tmp.file("ping")));
    CHECK_FALSE(root_controls_directory(tmp.file("ping/sub")));
    CHECK_FALSE(root_controls_directory(tmp.file("loop")));
    // A chain of root's links to root's directory: short ones are followed,
    // long ones are refused rather than followed without end.
    make_dir(tmp.file("real"), 0755);
    make_link("real", tmp.file("hop0"));
    for (int i = 1; i < 40; ++i)
        make_link("hop" + std::to_string(i - 1), tmp.file("hop" + std::to_string(i)));
    CHECK(root_controls_directory(tmp.file("hop0")));
    CHECK(root_controls_directory(tmp.file("hop8")));
    CHECK_FALSE(root_controls_directory(tmp.file("hop39")));
}

TEST_CASE("root_controls_directory takes relative paths from the working directory",
          "[enroll][fs_identity]") {
    if (skip_unless_root()) return;
    TempDir tmp;
    make_dir(tmp.file("real"), 0755);
    make_dir(tmp.file("users"), 0755, kNobody);
    make_link("real", tmp.file("relative"));
    make_link("real", tmp.file("user-link"), kNobody);
    const InDirectory cwd(tmp.path());
    CHECK(root_controls_directory("real"));
    CHECK(root_controls_directory("./real"));
    CHECK(root_controls_directory("relative"));
    CHECK(root_controls_directory("."));
    CHECK_FALSE(root_controls_directory("users"));
    CHECK_FALSE(root_controls_directory("user-link"));
    CHECK_FALSE(root_controls_directory("missing"));
}
