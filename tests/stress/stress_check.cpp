// Checks files after a writer was killed, with the same core code the module
// uses, so "parses" means "the module would accept it":
//   stress_check state DIR USER          -> "ok HAS_LAST LAST FAILURES LOCKS LOCKED_UNTIL"
//   stress_check secret PATH HOSTKEY UID -> "ok ENROLLMENT_ID"
// Prints "error MESSAGE" and exits 1 otherwise.
#include <sys/types.h>

#include <cstdio>
#include <exception>
#include <string>

#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/secret_file.h"
#include "core/state_store.h"

using namespace pam_totp;

namespace {

int error(const std::string& message) {
    std::printf("error %s\n", message.c_str());
    return 1;
}

int check_state(const std::string& dir, const std::string& user) {
    // Takes the lock like a login does: a dead writer must not have left it held.
    auto file = LockedStateFile::open(dir, user);
    if (!file) return error(file.error().message);
    const UserState& s = file->state();
    std::printf("ok %d %llu %u %u %lld\n", s.has_last ? 1 : 0,
                static_cast<unsigned long long>(s.last_accepted), s.failures, s.locks,
                static_cast<long long>(s.locked_until));
    return 0;
}

int check_secret(const std::string& path, const std::string& hostkey, uid_t uid) {
    auto host = load_host_private_key(hostkey);
    if (!host) return error(host.error().message);
    auto bytes = read_checked_file(path, {.owner = uid,
                                          .allow_root = false,
                                          .forbidden_mode = 0077,
                                          .max_size = kMaxSecretFileSize});
    if (!bytes) return error(bytes.error().message);
    if (!*bytes) return error(path + " does not exist");
    auto parsed = parse_secret_file((**bytes).view());
    if (!parsed) return error(parsed.error().message);
    auto payload = open_secret_file(*parsed, *host);
    if (!payload) return error(payload.error().message);
    std::printf("ok %s\n", parsed->header.enrollment_id.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string what = argc > 1 ? argv[1] : "";
        if (what == "state" && argc == 4) return check_state(argv[2], argv[3]);
        if (what == "secret" && argc == 5)
            return check_secret(argv[2], argv[3], static_cast<uid_t>(std::stoul(argv[4])));
    } catch (const std::exception& e) {
        return error(e.what());
    }
    std::fprintf(stderr, "usage: stress_check state DIR USER | secret PATH HOSTKEY UID\n");
    return 2;
}
