#include "rekey_command.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "core/default_paths.h"
#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/record_admin.h"
#include "core/secret_file.h"
#include "core/secret_file_access.h"
#include "core/state_store.h"
#include "core/unique_fd.h"
#include "fs_identity.h"
#include "record_access.h"
#include "secret_store.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

using pam_totp::HostPrivateKey;
using pam_totp::HostPublicKey;

struct Paths {
    std::string key, pub, old, fresh;
};

Paths paths_in(const std::string& keydir) {
    const std::string key = keydir + "/" + pam_totp::kPrivateKeyName;
    return {key, keydir + "/" + pam_totp::kPublicKeyName, key + pam_totp::kPreviousKeySuffix,
            key + ".new"};
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

Status write_key_file(const std::string& path, std::span<const std::uint8_t> bytes, mode_t mode) {
    return pam_totp::write_file_atomically(path, bytes, {.mode = mode, .replace = true});
}

Status write_public(const std::string& path, const HostPublicKey& pub) {
    const std::string pem = pub.to_pem();
    return write_key_file(path, {reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()},
                          0644);
}

// One rekey at a time: LOCK_EX on <keydir>/.rekey.lock for the whole run.
Result<pam_totp::UniqueFd> lock_keydir(const std::string& keydir) {
    const std::string path = keydir + "/.rekey.lock";
    pam_totp::UniqueFd fd(
        ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (!fd) return Error{pam_totp::errno_message(path, errno)};
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return failure(ExitCode::refused, "another totp-enroll --rekey is running (" + path + ")");
    return fd;
}

struct Keys {
    HostPrivateKey old_key;
    HostPrivateKey new_key;
};

// The rotation, decided by key-ids so that a run killed anywhere resumes:
//   no host.key.old           link host.key to host.key.old, then install a new key;
//   host.key.old == host.key  killed before the new key was in place: install it;
//   host.key.old != host.key  rotated: host.pub is made to match host.key.
// host.key is replaced by rename only, so it is always a whole key that the
// module can load; host.pub follows it.
Result<Keys> rotate(const std::string& keydir) {
    const Paths p = paths_in(keydir);
    auto current = pam_totp::load_host_private_key(p.key);
    if (!current) return current.error();
    if (!exists(p.old)) {
        if (::link(p.key.c_str(), p.old.c_str()) != 0)
            return Error{"cannot keep the key as " + pam_totp::errno_message(p.old, errno)};
        if (auto status = pam_totp::fsync_directory(keydir); !status) return status.error();
    }
    auto old = pam_totp::load_host_private_key(p.old);
    if (!old) return Error{old.error().message + " (the previous key; check it by hand)"};
    if (old->public_key().key_id() == current->public_key().key_id()) {
        // A fresh key from a run killed after writing it, or a new one.
        auto fresh = pam_totp::load_host_private_key(p.fresh);
        if (!fresh || fresh->public_key().key_id() == current->public_key().key_id()) {
            const HostPrivateKey generated = HostPrivateKey::generate();
            if (auto status = write_key_file(p.fresh, generated.to_pem().span(), 0600); !status)
                return status.error();
            fresh = pam_totp::load_host_private_key(p.fresh);
            if (!fresh) return fresh.error();
        }
        if (::rename(p.fresh.c_str(), p.key.c_str()) != 0)
            return Error{"cannot install the new key: " + pam_totp::errno_message(p.key, errno)};
        if (auto status = pam_totp::fsync_directory(keydir); !status) return status.error();
        current = std::move(fresh);
    }
    (void)::unlink(p.fresh.c_str());
    auto pub = pam_totp::load_host_public_key(p.pub);
    if (!pub || pub->key_id() != current->public_key().key_id())
        if (auto status = write_public(p.pub, current->public_key()); !status)
            return status.error();
    return Keys{std::move(*old), std::move(*current)};
}

struct Tally {
    int resealed = 0, already = 0, skipped = 0, failed = 0;
    std::string lines;
    void add(const char* word, const std::string& what, const std::string& why = "") {
        lines += std::string(word) + "  " + what + (why.empty() ? "" : ": " + why) + "\n";
    }
};

std::optional<std::string> key_id_of(const std::string& bytes) {
    auto parsed = pam_totp::parse_secret_file(bytes);
    if (!parsed) return std::nullopt;
    return parsed->header.key_id;
}

// The pin of one record, under the record's lock (no user file is touched
// meanwhile).
void reseal_record(const Options& options, const std::string& name, const Keys& keys,
                   Tally& tally) {
    const std::string what = "record " + name;
    auto opened = pam_totp::LockedStateFile::open_existing(options.statedir, name);
    if (!opened) {
        ++tally.failed;
        return tally.add("failed  ", what, opened.error().message);
    }
    if (!*opened || !(*opened)->state().pin.present) return;
    pam_totp::LockedStateFile& record = **opened;
    auto bytes = record.pinned_file();
    if (!bytes) {
        ++tally.failed;
        return tally.add("failed  ", what, bytes.error().message);
    }
    const auto id = key_id_of(*bytes);
    const std::string new_id = keys.new_key.public_key().key_id();
    if (id == new_id) {
        ++tally.already;
        return tally.add("already ", what);
    }
    if (id != keys.old_key.public_key().key_id()) {
        ++tally.failed;
        return tally.add("failed  ", what,
                         "the pin is sealed to key-id " + id.value_or("?") + ", neither key");
    }
    auto resealed = pam_totp::reseal_secret_file(*bytes, keys.old_key, keys.new_key.public_key());
    auto file = resealed ? pam_totp::check_file_to_pin(*resealed, name, keys.new_key)
                         : Result<pam_totp::PinnedFile>(resealed.error());
    if (!file) {
        ++tally.failed;
        return tally.add("failed  ", what, file.error().message);
    }
    if (auto status = pam_totp::reseal_pin(record, *resealed, *file); !status) {
        ++tally.failed;
        return tally.add("failed  ", what, status.error().message);
    }
    ++tally.resealed;
    tally.add("re-sealed", what);
}

// The record's pin bytes when they hold `enrollment_id`, sealed to the new
// key: what the user's file should be byte for byte.
std::optional<std::string> new_pin_bytes(const Options& options, const TargetUser& user,
                                         const std::string& enrollment_id,
                                         const std::string& new_id) {
    auto opened = pam_totp::LockedStateFile::open_existing(options.statedir, user.name);
    if (!opened || !*opened || !(*opened)->state().pin.present) return std::nullopt;
    if (pam_totp::to_hex((*opened)->state().pin.enrollment_id) != enrollment_id)
        return std::nullopt;
    // A reused name: the record is another uid's, never written into this home.
    if (!pam_totp::check_record_uid((*opened)->state(), user.uid)) return std::nullopt;
    auto bytes = (*opened)->pinned_file();
    if (!bytes || key_id_of(*bytes) != new_id) return std::nullopt;
    return std::move(*bytes);
}

// One user's file, read and written with the owner's file-system identity
// (as --user does), or as root for root's own files in root's directories.
void reseal_file(const Options& options, const TargetUser& user, const std::string& path,
                 SecretOwner owner, const Keys& keys, Tally& tally) {
    const std::string what = "file " + path;
    const SecretStore store(path, user, owner);
    auto text = store.read();
    if (!text) {
        ++tally.failed;
        return tally.add("failed  ", what, text.error().message);
    }
    if (!*text) return;
    auto parsed = pam_totp::parse_secret_file(**text);
    if (!parsed || parsed->header.user != user.name) {
        ++tally.skipped;
        return tally.add("skipped ", what, "not a secret file of " + user.name);
    }
    const std::string new_id = keys.new_key.public_key().key_id();
    if (parsed->header.key_id == new_id) {
        ++tally.already;
        return tally.add("already ", what);
    }
    if (parsed->header.key_id != keys.old_key.public_key().key_id()) {
        ++tally.skipped;
        return tally.add("skipped ", what, "sealed to key-id " + parsed->header.key_id);
    }
    // The pinned enrolment gets the pin's exact bytes, so file and pin agree.
    auto bytes = new_pin_bytes(options, user, parsed->header.enrollment_id, new_id);
    if (!bytes) {
        auto resealed =
            pam_totp::reseal_secret_file(**text, keys.old_key, keys.new_key.public_key());
        if (!resealed) {
            ++tally.failed;
            return tally.add("failed  ", what, resealed.error().message);
        }
        bytes = std::move(*resealed);
    }
    if (auto status = store.save(*bytes, true); !status) {
        ++tally.failed;
        return tally.add("failed  ", what, status.error().message);
    }
    ++tally.resealed;
    tally.add("re-sealed", what);
}

void reseal_files(const Options& options, const TargetUser& user, const Keys& keys, Tally& tally) {
    if (auto home = pam_totp::default_secret_path(user); home && exists(*home))
        reseal_file(options, user, *home, SecretOwner::user, keys, tally);
    const std::string managed = options.keydir + "/secrets/" + user.name;
    if (exists(managed)) reseal_file(options, user, managed, SecretOwner::root, keys, tally);
}

// Users' files still sealed to `old_id` (default path and root's
// secrets/NAME): after --finish nothing opens them.
std::string old_sealed_files(const Options& options, const std::string& old_id) {
    std::string found;
    for (const TargetUser& user : pam_totp::every_account()) {
        std::vector<std::pair<std::string, SecretOwner>> paths{
            {options.keydir + "/secrets/" + user.name, SecretOwner::root}};
        if (auto home = pam_totp::default_secret_path(user))
            paths.emplace_back(*home, SecretOwner::user);
        for (const auto& [path, owner] : paths) {
            if (!exists(path)) continue;
            auto text = SecretStore(path, user, owner).read();
            if (text && *text && key_id_of(**text) == old_id) found += " " + path;
        }
    }
    return found;
}

// --finish: host.key.old goes once no record in statedir needs it. A record
// that cannot be read counts as needing it: the deletion cannot be undone.
ExitCode finish(const Options& options) {
    const Paths p = paths_in(options.keydir);
    auto old = pam_totp::load_host_private_key(p.old);
    if (!old)
        return report(
            failure(ExitCode::refused, "no rekey to finish (" + old.error().message + ")"));
    auto names = record_names(options.statedir);
    if (!names) return report(names.error());
    if (names->empty() && !options.force)
        return report(
            failure(ExitCode::refused, "no record in " + options.statedir +
                                           ": is it the module's statedir=? (--force if it is)"));
    const std::string old_id = old->public_key().key_id();
    std::string still, unreadable;
    for (const std::string& name : *names) {
        auto opened = pam_totp::LockedStateFile::open_existing(options.statedir, name);
        if (!opened || !*opened) {
            unreadable += " " + name;
            continue;
        }
        for (auto bytes : {(*opened)->pinned_file(), (*opened)->pending_file()}) {
            if (!bytes) {
                unreadable += " " + name;
                break;
            }
            if (!bytes->empty() && key_id_of(*bytes) == old_id) {
                still += " " + name;
                break;
            }
        }
    }
    if (!still.empty() || !unreadable.empty())
        return report(failure(
            ExitCode::refused,
            (still.empty() ? "" : "these records still need " + p.old + ":" + still + "; ") +
                (unreadable.empty() ? "" : "these records cannot be read:" + unreadable + "; ") +
                "run totp-enroll --rekey again (without --user) once they can"));
    if (const std::string files = old_sealed_files(options, old_id);
        !files.empty() && !options.force)
        return report(failure(ExitCode::refused,
                              "these files are still sealed to the previous key:" + files +
                                  "; run totp-enroll --rekey again, or --force to remove the key "
                                  "anyway (their users enrol again)"));
    if (::unlink(p.old.c_str()) != 0) return report(Error{pam_totp::errno_message(p.old, errno)});
    if (auto status = write_stdout("Removed " + p.old + ": every record in " + options.statedir +
                                   " is sealed to the new key.\n");
        !status)
        return report(status.error());
    return ExitCode::ok;
}

}  // namespace

ExitCode run_rekey(const Options& options) {
    if (::getuid() != 0)
        return report(failure(ExitCode::refused, "only root can rekey (the host key is root's)"));
    if (!root_controls_directory(options.keydir))
        return report(
            failure(ExitCode::system,
                    options.keydir + ": not controlled by root alone; refusing to rekey"));
    auto lock = lock_keydir(options.keydir);
    if (!lock) return report(lock.error());
    if (options.finish) return finish(options);

    const bool resuming = exists(paths_in(options.keydir).old);
    // A rotation is for every user: --user only re-seals one user's
    // enrolment during a rekey that is already under way.
    if (options.user && !resuming)
        return report(failure(ExitCode::refused,
                              "--user re-seals one user during a rekey already under way; start "
                              "the rekey without it (it re-seals everyone)"));
    auto keys = rotate(options.keydir);
    if (!keys) return report(keys.error());
    Tally tally;
    // Records first: they are what logins trust, and need no user's files.
    std::vector<std::string> names;
    if (options.user) {
        names.push_back(*options.user);
    } else {
        auto listed = record_names(options.statedir);
        if (!listed) return report(listed.error());
        names = std::move(*listed);
    }
    for (const std::string& name : names) reseal_record(options, name, *keys, tally);
    if (options.user) {
        auto user = pam_totp::find_account(*options.user);
        if (!user) return report(user.error());
        reseal_files(options, *user, *keys, tally);
    } else {
        for (const TargetUser& user : pam_totp::every_account())
            reseal_files(options, user, *keys, tally);
    }
    const std::string summary =
        std::string(resuming ? "Resumed the rekey to host key " : "New host key ") +
        keys->new_key.public_key().key_id() + " (previous " + keys->old_key.public_key().key_id() +
        ", kept as " + paths_in(options.keydir).old + "): " + std::to_string(tally.resealed) +
        " re-sealed, " + std::to_string(tally.already) + " already new, " +
        std::to_string(tally.skipped) + " skipped, " + std::to_string(tally.failed) + " failed.\n" +
        (tally.failed ? "Run totp-enroll --rekey again once the failures are fixed.\n"
                      : "When every host sharing this statedir is done: totp-enroll --rekey "
                        "--finish removes the previous key.\n");
    if (auto status = write_stdout(tally.lines + summary); !status) return report(status.error());
    return tally.failed ? ExitCode::system : ExitCode::ok;
}

}  // namespace totp_enroll
