// bench/run's helper, linked with pam_totp_core:
//   bench_tool host-key DIR                      host.key + host.pub in DIR
//   bench_tool seal PUB USER KEY_HEX             a secret file on stdout
//   bench_tool parts HOSTKEY SECRET STATEDIR N   cost of the parts of a login
// `parts` times what pam_sm_authenticate does on the success path, one piece
// at a time, with the same core calls the module makes, so the floor under
// the per-login figure is visible. Prints "name median_us" lines.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/otp.h"
#include "core/recovery_codes.h"
#include "core/secret_file.h"
#include "core/state_store.h"
#include "core/verifier.h"

using namespace pam_totp;

namespace {

int fail(const std::string& message) {
    std::cerr << "bench_tool: " << message << "\n";
    return 1;
}

int fail(const Error& error) {
    return fail(error.message);
}

SecretBytes from_hex(const std::string& hex) {
    SecretBytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out.data()[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

int seal_command(const std::string& pub_path, const std::string& user, const std::string& hex) {
    auto pub = load_host_public_key(pub_path);
    if (!pub) return fail(pub.error());
    SecretHeader header;
    header.user = user;
    header.created = static_cast<std::int64_t>(::time(nullptr));
    header.key_id = pub->key_id();
    header.enrollment_id = new_enrollment_id();
    SecretPayload payload;
    payload.key = from_hex(hex);
    // Ten recovery codes, as totp-enroll makes: the module checks them on every login.
    payload.recovery = make_recovery_codes(generate_recovery_codes(kRecoveryCodeCount));
    auto text = seal_secret_file(header, payload, *pub);
    if (!text) return fail(text.error());
    std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
}

// Median wall time of `n` runs of `body`, in microseconds.
double median_us(int n, const std::function<void()>& body) {
    std::vector<double> t;
    t.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto a = std::chrono::steady_clock::now();
        body();
        const auto b = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

// host.key read as the module reads it, but parsed from its private block
// alone, as `openssl genpkey -algorithm X25519` writes it: OpenSSL then
// derives the public half (one X25519 scalar multiplication) on every load.
bool load_private_block_only(const std::string& path) {
    auto bytes = read_checked_file(
        path, {.owner = 0, .allow_root = true, .forbidden_mode = 0077, .max_size = 16 * 1024});
    if (!bytes || !*bytes) return false;
    const std::string_view pem = (**bytes).view();
    constexpr std::string_view end = "-----END PRIVATE KEY-----\n";
    const std::size_t cut = pem.find(end);
    return cut != std::string_view::npos &&
           HostPrivateKey::from_pem(pem.substr(0, cut + end.size())).ok();
}

[[noreturn]] void die(const std::string& message) {
    std::cerr << "bench_tool: " << message << "\n";
    std::exit(1);
}

int parts_command(const std::string& hostkey, const std::string& secret,
                  const std::string& statedir, int n) {
    const FileRules secret_rules{.owner = ::geteuid(),
                                 .allow_root = true,
                                 .forbidden_mode = 0077,
                                 .max_size = kMaxSecretFileSize};
    auto host = load_host_private_key(hostkey);
    if (!host) return fail(host.error());
    auto bytes = read_checked_file(secret, secret_rules);
    if (!bytes || !*bytes) return fail("cannot read " + secret);
    auto parsed = parse_secret_file((**bytes).view());
    if (!parsed) return fail(parsed.error());
    auto payload = open_secret_file(*parsed, *host);
    if (!payload) return fail(payload.error());
    const OtpParams params = parsed->header.otp;
    const std::int64_t now = ::time(nullptr);
    const std::string code(
        hotp(payload->key.span(), params.algorithm, totp_step(now, params.period), params.digits)
            .view());

    std::printf("host_key_load_us %.1f\n", median_us(n, [&] {
                    if (!load_host_private_key(hostkey)) die("host key");
                }));
    // For comparison, the same file cut to its private block.
    std::printf("host_key_load_private_only_us %.1f\n", median_us(n, [&] {
                    if (!load_private_block_only(hostkey)) die("private block");
                }));
    std::printf("secret_read_parse_us %.1f\n", median_us(n, [&] {
                    auto b = read_checked_file(secret, secret_rules);
                    if (!b || !*b || !parse_secret_file((**b).view())) die("secret file");
                }));
    std::printf("secret_unseal_us %.1f\n", median_us(n, [&] {
                    if (!open_secret_file(*parsed, *host)) die("unseal");
                }));
    std::printf("one_hmac_us %.2f\n", median_us(n, [&] {
                    (void)hotp(payload->key.span(), params.algorithm, 1, params.digits);
                }));
    std::printf(
        "verify_window1_us %.2f\n", median_us(n, [&] {
            if (verify_totp(payload->key.span(), params, now, 1, std::nullopt, code).verdict !=
                Verdict::accepted)
                die("verify");
        }));
    std::printf("recovery_check_us %.2f\n",
                median_us(n, [&] { (void)match_recovery_code(payload->recovery, code, 0); }));
    // The state update with its one fdatasync: open + flock + read both slots,
    // then write the other slot and fdatasync (the file exists already).
    std::uint64_t step = 1;
    {
        // Created once here (with its fsyncs); released before timing, since
        // flock on a second descriptor in this process would wait for it.
        auto created = LockedStateFile::open(statedir, "parts");
        if (!created) return fail(created.error());
    }
    std::printf("state_open_lock_read_us %.1f\n", median_us(n, [&] {
                    if (!LockedStateFile::open(statedir, "parts")) die("state open");
                }));
    std::printf("state_open_commit_fdatasync_us %.1f\n", median_us(n, [&] {
                    auto f = LockedStateFile::open(statedir, "parts");
                    if (!f) die("state open");
                    UserState s = f->state();
                    s.has_last = true;
                    s.last_accepted = ++step;
                    if (!f->commit(s)) die("state commit");
                }));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> a(argv + 1, argv + argc);
        if (a.size() == 2 && a[0] == "host-key") {
            auto pub = write_new_host_key_pair(a[1], false);
            return pub ? 0 : fail(pub.error());
        }
        if (a.size() == 4 && a[0] == "seal") return seal_command(a[1], a[2], a[3]);
        if (a.size() == 5 && a[0] == "parts")
            return parts_command(a[1], a[2], a[3], std::stoi(a[4]));
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return fail(
        "usage: bench_tool host-key DIR | seal PUB USER KEY_HEX | parts HOSTKEY SECRET STATEDIR N");
}
