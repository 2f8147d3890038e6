#include "module/enrollment_source.h"

#include <syslog.h>
#include <unistd.h>

#include "core/host_key_files.h"
#include "core/state_store.h"

namespace pam_totp {
namespace {

LoginPlan refused(std::string note, int code = PAM_AUTH_ERR) {
    LoginPlan plan;
    plan.decision = PinDecision::refuse;
    plan.note = std::move(note);
    plan.failure_code = code;
    return plan;
}

struct ReadProposal {
    Proposal kind = Proposal::unavailable;
    std::string bytes;
    std::string why;
};

ReadProposal read_proposal(const PamHandle& pam, const ModuleOptions& options,
                           const Account& account, const std::string& path) {
    SecretFileRead read = options.secret_owner == SecretOwner::root
                              ? read_root_managed_file(path)
                              : read_secret_file_as(pam.get(), account, path);
    ReadProposal out;
    if (read.state == SecretFileState::missing) {
        out.kind = Proposal::missing;
        out.why = "no " + path;
    } else if (read.state == SecretFileState::refused) {
        out.why = "secret file refused: " + read.reason;
    } else {
        out.kind = Proposal::valid;  // until parsed and opened
        out.bytes = std::string(read.content.view());
    }
    return out;
}

// Root vouches for a file it tagged for this uid, unexpired and newer than
// the pin, or for any file in secret_owner=root mode.
bool root_vouches(const ModuleOptions& options, const OpenedFile& file, const Account& account,
                  const HostPrivateKey& host, const UserState& record, std::int64_t now) {
    if (options.secret_owner == SecretOwner::root) return true;
    const auto& tag = file.parsed.tag;
    const std::int64_t created = file.parsed.header.created;
    if (!tag || tag->expires < now || tag->expires - created > kMaxTagLifetime) return false;
    // Newer than the pin by root's clock: the tag covers `created`, and the
    // pin's time is the module's own, never a header the user wrote.
    if (record.pin.present && created <= record.pin.pinned_at) return false;
    return root_tag_is_valid(file.parsed, host, account.uid);
}

LegacyRecord legacy_record(const UserState& record, const std::optional<OpenedFile>& proposal) {
    if (record.pin.present || record.enrollment_id == EnrollmentId{}) return LegacyRecord::none;
    const auto id =
        proposal ? parse_enrollment_id(proposal->parsed.header.enrollment_id) : std::nullopt;
    return id && *id == record.enrollment_id ? LegacyRecord::same_enrollment
                                             : LegacyRecord::other_enrollment;
}

}  // namespace

Result<OpenedFile> open_file_for(std::string bytes, const std::string& user,
                                 const HostPrivateKey& host) {
    auto parsed = parse_secret_file(bytes);
    if (!parsed) return parsed.error();
    if (parsed->header.user != user)
        return Error{"belongs to user \"" + parsed->header.user + "\""};
    auto payload = open_secret_file(*parsed, host);
    if (!payload) return payload.error();
    OpenedFile file;
    file.hash = sha256_of(bytes);
    file.bytes = std::move(bytes);
    file.parsed = std::move(*parsed);
    file.payload = std::move(*payload);
    return file;
}

namespace {

// The pinned bytes in the record. During a rekey (totp-enroll --rekey keeps
// the previous key as host.key.old until --finish) a pin may still be
// sealed to the previous key: only then, and only for the record's own
// bytes, is host.key.old used, chosen by the pin's key-id. A user's file is
// only ever opened with host.key.
Result<OpenedFile> open_pin(std::string bytes, const std::string& user, const HostPrivateKey& host,
                            const ModuleOptions& options) {
    auto opened = open_file_for(bytes, user, host);
    if (opened) return opened;
    const auto parsed = parse_secret_file(bytes);
    if (!parsed) return opened;
    auto old = load_host_private_key(options.hostkey + kPreviousKeySuffix);
    if (!old || old->public_key().key_id() != parsed->header.key_id) return opened;
    return open_file_for(std::move(bytes), user, *old);
}

}  // namespace

Status check_sealed_to_current_key(const ModuleOptions& options, const OpenedFile& file) {
    auto key = load_host_private_key(options.hostkey);
    if (!key) return key.error();
    if (file.parsed.header.key_id != key->public_key().key_id())
        return Error{"the file is sealed to key-id " + file.parsed.header.key_id +
                     ", no longer the host key's (a rekey ran during the login)"};
    return {};
}

LoginPlan plan_login(const PamHandle& pam, const ModuleOptions& options, const std::string& user,
                     const Account& account, std::int64_t now) {
    auto path = expand_secret_path(options.secret, user, account.home);
    if (!path) return refused("secret path: " + path.error().message, PAM_AUTHINFO_UNAVAIL);
    if (::geteuid() != 0) {
        // A screen locker or a daemon running as the user: say the cause
        // (the host key; the record would fail the same way).
        if (auto key = load_host_private_key(options.hostkey); !key)
            return refused(key.error().message, PAM_AUTHINFO_UNAVAIL);
    }

    // The record, under a lock held only for the read: never while the
    // client is being asked.
    UserState record;
    std::string pinned_bytes;
    {
        auto store = LockedStateFile::open_existing(options.statedir, user);
        if (!store) return refused("record: " + store.error().message, PAM_AUTHINFO_UNAVAIL);
        if (*store) {
            record = (*store)->state();
            auto pinned = (*store)->pinned_file();
            if (!pinned) return refused(pinned.error().message, PAM_AUTHINFO_UNAVAIL);
            pinned_bytes = std::move(*pinned);
        }
    }
    if (record.has_uid && record.uid != account.uid)
        return refused("the record belongs to uid " + std::to_string(record.uid) + ", not " +
                       std::to_string(account.uid) +
                       " (a reused name?); an administrator must run totp-enroll --remove");

    ReadProposal read = read_proposal(pam, options, account, *path);
    LoginPlan plan;
    plan.snapshot = record;
    plan.path = *path;

    const bool need_key = record.pin.present || read.kind == Proposal::valid;
    std::optional<HostPrivateKey> host;
    if (need_key) {
        auto loaded = load_host_private_key(options.hostkey);
        if (!loaded) return refused(loaded.error().message, PAM_AUTHINFO_UNAVAIL);
        host = std::move(*loaded);
        plan.unsealed = true;
    }
    if (record.pin.present) {
        auto pin = open_pin(std::move(pinned_bytes), user, *host, options);
        if (!pin) return refused("pinned enrolment in the record: " + pin.error().message);
        plan.pin = std::move(*pin);
    }

    Proposal kind = read.kind;
    std::string why = std::move(read.why);
    if (kind == Proposal::valid && plan.pin && sha256_of(read.bytes) == plan.pin->hash) {
        kind = Proposal::same;
    } else if (kind == Proposal::valid) {
        auto opened = open_file_for(std::move(read.bytes), user, *host);
        if (!opened) {
            kind = Proposal::unavailable;
            why = "secret file " + *path + ": " + opened.error().message;
        } else {
            const auto id = parse_enrollment_id(opened->parsed.header.enrollment_id);
            if (id && plan.pin && *id == record.pin.enrollment_id) {
                // The pinned enrolment with other bytes (its tag line edited,
                // say): nothing new to switch to or adopt, whose adoption
                // would reset the record's used codes. The pin is used.
                kind = Proposal::same;
                why = "secret file " + *path +
                      " holds the pinned enrolment with other bytes; the pin is used";
            } else if (!id || is_retired(record, *id, opened->hash)) {
                kind = Proposal::retired;
                why = "secret file " + *path + " holds a retired enrolment (enrollment-id " +
                      opened->parsed.header.enrollment_id + ")";
            } else {
                plan.proposal = std::move(*opened);
            }
        }
    }

    PinInputs inputs{.has_pin = record.pin.present,
                     .legacy = legacy_record(record, plan.proposal),
                     .tofu_closed = record.tofu_closed,
                     .proposal = kind,
                     .tofu = options.tofu};
    if (plan.proposal)
        inputs.root_vouches = root_vouches(options, *plan.proposal, account, *host, record, now);
    plan.decision = decide_pin(inputs);
    plan.note = std::move(why);
    if (plan.decision == PinDecision::not_enrolled && kind == Proposal::valid)
        plan.note = "secret file " + *path + " is not trusted (tofu=off and no root tag)";
    if (plan.decision == PinDecision::refuse && kind == Proposal::valid)
        plan.note = "secret file " + *path +
                    " is not pinned and this user's enrolment may only be set by root "
                    "(removed by root, or enrolled before pins existed); check it and run "
                    "totp-enroll --pin --user " +
                    user;
    if (plan.decision == PinDecision::refuse && kind == Proposal::missing)
        plan.note = "no " + *path + ", but the record shows an earlier enrolment";
    if (options.debug) {
        pam.log(LOG_DEBUG, "user " + user + ": pin " + (record.pin.present ? "present" : "none") +
                               ", file " + std::string(proposal_name(kind)));
        if (const OpenedFile* file = plan.judged()) {
            const SecretHeader& h = file->parsed.header;
            pam.log(LOG_DEBUG,
                    "user " + user + ": checking " +
                        (plan.pin && file == &*plan.pin ? std::string("the pinned enrolment")
                                                        : "the enrolment in " + *path) +
                        " (" + std::string(otp_type_name(h.otp.type)) + ", " +
                        std::string(algorithm_name(h.otp.algorithm)) + ", " +
                        std::to_string(h.otp.digits) + " digits)");
        }
    }
    return plan;
}

}  // namespace pam_totp
