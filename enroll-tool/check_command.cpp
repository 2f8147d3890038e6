#include "check_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "clock_offset.h"
#include "command_output.h"
#include "core/code_input.h"
#include "core/default_paths.h"
#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/module_options.h"
#include "core/secret_file.h"
#include "core/secret_file_access.h"
#include "core/state_store.h"
#include "doctor.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

constexpr char kSshd[] = "/usr/sbin/sshd";
constexpr char kTimedatectl[] = "/usr/bin/timedatectl";
constexpr const char* kServices[] = {"sshd", "login", "su", "sudo"};

struct Report {
    std::vector<Finding> findings;
    void add(Level level, std::string area, std::string message, std::string fix = "") {
        findings.push_back(Finding{level, std::move(area), std::move(message), std::move(fix)});
    }
    void add(std::vector<Finding> more) {
        for (Finding& f : more) findings.push_back(std::move(f));
    }
};

bool is_root() {
    return ::geteuid() == 0;
}

// What the checks need from the stacks: whether sshd's reaches pam_totp, and
// the options of the first pam_totp line found (hostkey=, statedir=, secret=).
struct Stacks {
    bool sshd_has_totp = false;
    pam_totp::ModuleOptions module;
};

Stacks check_stacks(const std::string& root, Report& found) {
    Stacks stacks;
    bool options_found = false;
    const std::string pam_dir = root + "/etc/pam.d";
    for (const char* service : kServices) {
        const std::string area = std::string("pam ") + service;
        struct stat st {};
        if (::stat((pam_dir + "/" + service).c_str(), &st) != 0) {
            found.add(Level::pass, area, "no " + pam_dir + "/" + service + " (not installed)");
            continue;
        }
        auto lines = read_auth_stack(pam_dir, service);
        if (!lines) {
            found.add(Level::fail, area, lines.error().message, "fix the PAM files");
            continue;
        }
        found.add(check_auth_stack(service, *lines));
        const auto totp = totp_lines(*lines);
        if (std::string(service) == "sshd") stacks.sshd_has_totp = !totp.empty();
        if (totp.empty() || options_found) continue;
        std::vector<const char*> argv;
        for (const std::string& arg : totp.front()->args) argv.push_back(arg.c_str());
        if (auto parsed =
                pam_totp::parse_module_options(static_cast<int>(argv.size()), argv.data())) {
            stacks.module = *parsed;
            options_found = true;
        }
    }
    return stacks;
}

void check_sshd_config(const std::string& root, const Options& options, bool has_totp,
                       Report& found) {
    std::vector<std::string> argv{kSshd, "-T"};
    if (!root.empty()) argv.insert(argv.end(), {"-f", root + "/etc/ssh/sshd_config"});
    if (options.user)
        argv.insert(argv.end(), {"-C", "user=" + *options.user + ",host=localhost,addr=127.0.0.1"});
    auto text = command_output(argv);
    if (!text) {
        // As root, sshd -T fails where sshd itself would refuse to start.
        if (is_root())
            found.add(Level::fail, "sshd",
                      "sshd refuses its configuration: " + text.error().message,
                      "correct it until `sshd -t` is silent");
        else
            found.add(Level::warn, "sshd",
                      "cannot read the effective configuration: " + text.error().message,
                      "run totp-enroll --check as root");
        return;
    }
    const SshdSettings settings = parse_sshd_settings(*text);
    if (has_totp) {
        found.add(check_sshd(settings));
        return;
    }
    const auto value = [&](const char* key) {
        const auto it = settings.find(key);
        return std::string(key) + " " + (it == settings.end() ? "?" : it->second);
    };
    // Without pam_totp in sshd's stack these decide nothing yet: said as read.
    found.add(Level::pass, "sshd",
              "read with sshd -T: " + value("usepam") + ", " +
                  value("kbdinteractiveauthentication") + ", " + value("passwordauthentication") +
                  ", " + value("authenticationmethods") +
                  " (they matter once pam_totp is in sshd's stack)");
}

void check_host_key(const std::string& root, const Stacks& stacks, Report& found) {
    const std::string key_path = root + stacks.module.hostkey;
    const std::string pub_path =
        pam_totp::parent_directory(key_path) + "/" + pam_totp::kPublicKeyName;
    auto pub = pam_totp::load_host_public_key(pub_path);
    if (!pub)
        found.add(Level::fail, "host key", pub.error().message,
                  "totp-enroll --generate-host-key (as root)");
    if (!is_root()) {
        found.add(Level::warn, "host key", key_path + ": only root can check it",
                  "run totp-enroll --check as root");
        return;
    }
    auto key = pam_totp::load_host_private_key(key_path);
    if (!key) {
        found.add(
            Level::fail, "host key", key.error().message,
            "root-owned, mode 0600, unencrypted: totp-enroll --generate-host-key if it is lost "
            "(README: The host key is lost)");
        return;
    }
    if (pub && key->public_key().key_id() != pub->key_id()) {
        found.add(Level::fail, "host key", key_path + " and " + pub_path + " are not one key pair",
                  "restore the matching host.pub from host.key (files sealed to the wrong one "
                  "cannot be opened)");
        return;
    }
    found.add(Level::pass, "host key",
              key_path + ": root 0600, key-id " + key->public_key().key_id());
}

void check_statedir(const std::string& root, const Stacks& stacks, Report& found) {
    const std::string dir = root + stacks.module.statedir;
    struct stat st {};
    const std::string fix = "mkdir -m 0700 " + dir + " && chown root:root " + dir;
    if (::lstat(dir.c_str(), &st) != 0) {
        found.add(Level::fail, "statedir", pam_totp::errno_message(dir, errno), fix);
    } else if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0077) != 0) {
        found.add(Level::fail, "statedir",
                  dir + " must be a directory of root's with mode 0700 (the records are root's)",
                  "chown root:root " + dir + " && chmod 0700 " + dir);
    } else {
        found.add(Level::pass, "statedir", dir + ": root 0700");
    }
}

void check_clock(Report& found) {
    auto synced = command_output({kTimedatectl, "show", "-p", "NTPSynchronized", "--value"});
    const std::string fix = "install and enable a time service (systemd-timesyncd or chrony)";
    if (!synced)
        found.add(Level::warn, "clock",
                  "cannot tell whether the clock is synchronised (" + synced.error().message + ")",
                  fix);
    else if (synced->starts_with("yes"))
        found.add(Level::pass, "clock", "synchronised (NTP)");
    else
        found.add(Level::warn, "clock", "not synchronised: codes drift off as the clock does", fix);
}

// The pinned record's view of the user's file (root only: the records are
// root's). Read under the record's lock, never written.
void check_record(const std::string& statedir, const pam_totp::Account& account,
                  const std::optional<std::string>& file, Report& found) {
    const std::string area = "user " + account.name;
    auto opened = pam_totp::LockedStateFile::open_existing(statedir, account.name);
    if (!opened) {
        found.add(Level::fail, area, "record: " + opened.error().message,
                  "check " + statedir + " (root 0700)");
        return;
    }
    if (!*opened) {
        found.add(file ? Level::warn : Level::fail, area,
                  "no record in " + statedir +
                      (file ? ": the first login pins the file (trust on first use)"
                            : " and no file: the user is not enrolled"),
                  file ? "totp-enroll --pin --user " + account.name + " pins it now"
                       : "the user runs totp-enroll");
        return;
    }
    const pam_totp::UserState& state = (*opened)->state();
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    if (state.locked_until > now)
        found.add(Level::warn, area,
                  "locked for " + std::to_string(state.locked_until - now) + " s after " +
                      std::to_string(state.failures) + " wrong codes",
                  "totp-enroll --unlock --user " + account.name);
    if (!state.pin.present) {
        found.add(state.tofu_closed ? Level::fail : Level::warn, area,
                  state.tofu_closed ? "root removed the enrolment: only root's --pin enrols again"
                                    : "nothing pinned: the first login pins the file",
                  "totp-enroll --pin --user " + account.name);
        return;
    }
    const std::string pinned =
        "the record pins enrollment-id " + pam_totp::to_hex(state.pin.enrollment_id);
    if (!file) {
        found.add(Level::pass, area, pinned + " (the file is not needed to log in)");
        return;
    }
    const pam_totp::Sha256 hash = pam_totp::sha256_of(*file);
    if (hash == state.pin.hash) {
        found.add(Level::pass, area, pinned + ", the file's");
        return;
    }
    const auto parsed = pam_totp::parse_secret_file(*file);
    const auto id =
        parsed ? pam_totp::parse_enrollment_id(parsed->header.enrollment_id) : std::nullopt;
    const bool retired = id && pam_totp::is_retired(state, *id, hash);
    if (retired)
        found.add(Level::fail, area,
                  pinned + "; the file holds a retired enrolment, never used again",
                  "the user runs totp-enroll --force, then switches at a login");
    else
        found.add(Level::warn, area,
                  pinned +
                      "; the file holds another: a switch waits for the user's next login "
                      "(a code from the old authenticator, then one from the new)",
                  "nothing, if the user made it; totp-enroll --pin --user " + account.name +
                      " --force to pin it now");
}

// --code: one code from the user's phone, checked against the clock with
// the search of the enrolment prompt (+-10 minutes). Nothing is written: the
// code stays usable and the record untouched.
void check_phone_clock(const pam_totp::ParsedSecretFile& parsed, const std::string& key_path,
                       const pam_totp::ModuleOptions& module, const std::string& area,
                       Report& found) {
    const pam_totp::OtpParams& otp = parsed.header.otp;
    if (otp.type != pam_totp::OtpType::totp) {
        found.add(Level::pass, area, "HOTP: its codes have no clock to check");
        return;
    }
    auto key = pam_totp::load_host_private_key(key_path);
    if (!key) {
        found.add(Level::fail, area, key.error().message, "run as root");
        return;
    }
    auto payload = pam_totp::open_secret_file(parsed, *key);
    if (!payload) {
        found.add(Level::fail, area, "cannot open the file: " + payload.error().message, "");
        return;
    }
    const auto shown = static_cast<std::int64_t>(std::time(nullptr));
    auto typed = read_line("Code from the authenticator: ", pam_totp::kMaxTypedLength);
    const auto answered = static_cast<std::int64_t>(std::time(nullptr));
    if (!typed) {
        found.add(Level::fail, area, "no code: " + typed.error().message, "");
        return;
    }
    const pam_totp::SecretBytes code = pam_totp::normalize_typed_code(typed->view());
    const auto offset = phone_clock_offset(payload->key.span(), otp, shown, answered, code.view());
    if (!offset) {
        found.add(Level::fail, area,
                  "that code is not one of this enrolment's within 10 minutes of now",
                  "check it is the right account in the app, and that the phone's clock is set "
                  "automatically");
    } else if (*offset == 0) {
        found.add(Level::pass, area, "the code is valid now: the phone's clock is right");
    } else {
        const bool accepted = (*offset < 0 ? -*offset : *offset) <=
                              static_cast<std::int64_t>(module.window) * otp.period;
        found.add(accepted ? Level::warn : Level::fail, area,
                  "the phone's clock is " + describe_clock_offset(*offset) +
                      (accepted ? " (its codes are still accepted)" : ": its codes are refused"),
                  "set the phone to automatic time");
    }
}

void check_user(const std::string& root, const Options& options,
                const pam_totp::ModuleOptions& module, Report& found) {
    if (!options.user && is_root()) return;
    auto account =
        options.user ? pam_totp::find_account(*options.user) : pam_totp::find_account(::getuid());
    if (!account) {
        found.add(Level::fail, "user", account.error().message, "");
        return;
    }
    const std::string area = "user " + account->name;
    pam_totp::Account placed = *account;
    placed.home = root + account->home;
    std::string path;
    if (options.file) {
        path = *options.file;
    } else {
        auto expanded = pam_totp::expand_secret_path(module.secret, account->name, placed.home);
        if (!expanded) {
            found.add(Level::fail, area,
                      "secret= " + module.secret + ": " + expanded.error().message, "");
            return;
        }
        path = *expanded;
    }
    std::optional<std::string> text;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        found.add(Level::warn, area, pam_totp::errno_message(path, errno),
                  is_root() ? "the user runs totp-enroll (unless the record pins an enrolment, "
                              "below)"
                            : "run totp-enroll to enrol");
    } else if (auto placed_ok =
                   pam_totp::check_secret_file_place(path, module.secret_owner, placed);
               !placed_ok) {
        found.add(Level::fail, area, path + " is in an unsafe place: " + placed_ok.error().message,
                  "chmod go-w on each directory, owned by the user or root (sshd's StrictModes)");
    } else if (auto bytes = pam_totp::read_checked_file(
                   path, pam_totp::secret_file_rules(module.secret_owner, account->uid));
               !bytes || !*bytes) {
        found.add(Level::fail, area, bytes ? path + ": gone" : bytes.error().message,
                  "chown " + account->name + " " + path + " && chmod 0600 " + path);
    } else {
        text = std::string((**bytes).view());
    }
    const std::string key_dir = pam_totp::parent_directory(root + module.hostkey);
    if (text) {
        auto parsed = pam_totp::parse_secret_file(*text);
        auto pub = pam_totp::load_host_public_key(key_dir + "/" + pam_totp::kPublicKeyName);
        if (!parsed) {
            found.add(Level::fail, area, path + ": " + parsed.error().message,
                      "the user runs totp-enroll --force");
            text.reset();
        } else if (pub && parsed->header.key_id != pub->key_id()) {
            found.add(Level::fail, area,
                      path + " is sealed to key-id " + parsed->header.key_id + ", this host's is " +
                          pub->key_id(),
                      "the user runs totp-enroll --force on this host");
        } else {
            found.add(Level::pass, area,
                      path +
                          ": owner, mode and directories as the module wants, sealed to this "
                          "host's key");
            if (options.code && is_root())
                check_phone_clock(*parsed, root + module.hostkey, module, area, found);
        }
    }
    if (is_root()) check_record(root + module.statedir, *account, text, found);
}

std::string print(const Finding& f) {
    static constexpr const char* kWords[] = {"PASS", "WARN", "FAIL"};
    std::string line =
        std::string(kWords[static_cast<int>(f.level)]) + "  " + f.area + ": " + f.message + "\n";
    if (!f.fix.empty()) line += "      fix: " + f.fix + "\n";
    return line;
}

}  // namespace

ExitCode run_check(const Options& options) {
    const std::string root = options.root_dir.value_or("");
    Report found;
    const Stacks stacks = check_stacks(root, found);
    check_sshd_config(root, options, stacks.sshd_has_totp, found);
    check_host_key(root, stacks, found);
    check_statedir(root, stacks, found);
    check_clock(found);
    check_user(root, options, stacks.module, found);

    std::string out;
    bool failed = false;
    for (const Finding& f : found.findings) {
        out += print(f);
        failed |= f.level == Level::fail;
    }
    if (!is_root())
        out += "(as " + std::to_string(::getuid()) +
               ": run as root for sshd's settings, the host key and records)\n";
    if (auto status = write_stdout(out); !status) return report(status.error());
    return failed ? ExitCode::refused : ExitCode::ok;
}

}  // namespace totp_enroll
