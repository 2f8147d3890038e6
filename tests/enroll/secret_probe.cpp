// Test helper: opens a sealed secret file with the host's private key the way
// the module does, prints its header and contents summary, and checks codes.
//
//   secret_probe --keydir DIR --file PATH [--print-key] [--time UNIX]
//                [--code CODE]... [--recovery CODE]...
//
// Prints "key value" lines; exit 0 when every --code / --recovery given was
// accepted, 1 when one was not, 3 when the file cannot be opened.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "core/base32.h"
#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "core/verifier.h"

namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "secret_probe: %s\n", message.c_str());
    return 3;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace pam_totp;
    std::string keydir, file;
    bool print_key = false;
    std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    std::vector<std::string> codes, recovery;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--keydir" && has_value)
            keydir = argv[++i];
        else if (arg == "--file" && has_value)
            file = argv[++i];
        else if (arg == "--time" && has_value)
            now = std::stoll(argv[++i]);
        else if (arg == "--code" && has_value)
            codes.emplace_back(argv[++i]);
        else if (arg == "--recovery" && has_value)
            recovery.emplace_back(argv[++i]);
        else if (arg == "--print-key")
            print_key = true;
        else
            return fail("bad argument " + arg);
    }
    if (keydir.empty() || file.empty()) return fail("--keydir and --file are required");

    auto host = load_host_private_key(keydir + "/" + kPrivateKeyName);
    if (!host) return fail(host.error().message);
    auto text = read_checked_file(
        file, {.owner = std::nullopt, .forbidden_mode = 0022, .max_size = kMaxSecretFileSize});
    if (!text) return fail(text.error().message);
    if (!*text) return fail(file + ": does not exist");
    auto parsed = parse_secret_file((*text)->view());
    if (!parsed) return fail(file + ": " + parsed.error().message);
    auto payload = open_secret_file(*parsed, *host);
    if (!payload) return fail(file + ": " + payload.error().message);

    const SecretHeader& h = parsed->header;
    std::printf("user %s\ntype %s\nalgorithm %s\ndigits %d\n", h.user.c_str(),
                std::string(otp_type_name(h.otp.type)).c_str(),
                std::string(algorithm_name(h.otp.algorithm)).c_str(), h.otp.digits);
    if (h.otp.type == OtpType::totp)
        std::printf("period %d\n", h.otp.period);
    else
        std::printf("counter %llu\n", static_cast<unsigned long long>(h.counter));
    std::printf("created %lld\nkey-id %s\nenrollment-id %s\nkey-bytes %zu\nrecovery-codes %zu\n",
                static_cast<long long>(h.created), h.key_id.c_str(), h.enrollment_id.c_str(),
                payload->key.size(), payload->recovery.hashes.size());
    if (print_key) std::printf("key %s\n", base32_encode(payload->key.span()).c_str());

    int status = 0;
    for (const std::string& code : codes) {
        const Verification v =
            h.otp.type == OtpType::totp
                ? verify_totp(payload->key.span(), h.otp, now, 1, std::nullopt, code)
                : verify_hotp(payload->key.span(), h.otp, h.counter, 10, code);
        const bool ok = v.verdict == Verdict::accepted;
        std::printf("code %s %s %llu\n", code.c_str(), ok ? "accepted" : "wrong",
                    static_cast<unsigned long long>(v.counter));
        if (!ok) status = 1;
    }
    for (const std::string& code : recovery) {
        const auto index = match_recovery_code(payload->recovery, code, 0);
        std::printf("recovery %s %s %d\n", code.c_str(), index ? "accepted" : "wrong",
                    index ? *index : -1);
        if (!index) status = 1;
    }
    return status;
}
