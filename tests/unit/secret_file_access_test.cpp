// The one set of rules for where a secret file may be and what it must look
// like, shared by the module (reading) and totp-enroll (writing).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "core/default_paths.h"
#include "core/secret_file.h"
#include "core/secret_file_access.h"

using namespace pam_totp;

TEST_CASE("a user's secret file may be the user's or root's, not writable by others",
          "[secret_file_access]") {
    const FileRules user = secret_file_rules(SecretOwner::user, 1000);
    CHECK(user.owner == 1000u);
    CHECK(user.allow_root);
    CHECK(user.forbidden_mode == 0022);
    CHECK(user.max_size == kMaxSecretFileSize);
    const FileRules root = secret_file_rules(SecretOwner::root, 1000);
    CHECK(root.owner == 0u);
    CHECK(root.forbidden_mode == 0077);
    CHECK(root.max_size == kMaxSecretFileSize);
}

TEST_CASE("the default secret path is the module's %h/.pam_totp", "[secret_file_access]") {
    CHECK(std::string(kDefaultSecretPattern) == "%h/.pam_totp");
    CHECK(default_secret_path(Account{"alice", 1000, 1000, "/home/alice"}).value() ==
          "/home/alice/.pam_totp");
    CHECK_FALSE(default_secret_path(Account{"alice", 1000, 1000, ""}).ok());
    CHECK_FALSE(default_secret_path(Account{"alice", 1000, 1000, "relative"}).ok());
}

TEST_CASE("the place check follows the owner: from the home for a user, from / for root",
          "[secret_file_access]") {
    if (::geteuid() != 0) {
        WARN("skipped: needs root to own the test directories");
        return;
    }
    namespace fs = std::filesystem;
    const fs::path base = "/run/pam_totp-unit-access";
    fs::remove_all(base);
    fs::create_directories(base / "home");
    ::chmod(base.c_str(), 0755);
    ::chmod((base / "home").c_str(), 0755);
    const Account user{"someone", 4242, 4242, (base / "home").string()};
    const std::string file = (base / "home" / ".pam_totp").string();

    CHECK(check_secret_file_place(file, SecretOwner::user, user).ok());
    CHECK(check_secret_file_place(file, SecretOwner::root, user).ok());

    ::chown((base / "home").c_str(), 4242, 4242);
    CHECK(check_secret_file_place(file, SecretOwner::user, user).ok());
    CHECK_FALSE(check_secret_file_place(file, SecretOwner::root, user).ok());

    ::chmod((base / "home").c_str(), 0775);
    const Status refused = check_secret_file_place(file, SecretOwner::user, user);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("writable by group or others"));
    fs::remove_all(base);
}
