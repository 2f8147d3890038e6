// bench/run's helper, linked with pam_totp_core:
//   bench_tool host-key DIR                      host.key + host.pub in DIR
//   bench_tool seal PUB USER KEY_HEX             a secret file on stdout
//   bench_tool parts HOSTKEY SECRET STATEDIR N   cost of the parts of a login
// `parts` times what pam_sm_authenticate does on the success path, one piece
// at a time, with the same core calls the module makes, so the floor under
// the per-login figure is visible. Prints "name median_us" lines.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/file_io.h"
#include "core/host_key_files.h"
#include "core/openssl_ptr.h"
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

// An X25519 PKCS#8 private key is always these 16 DER bytes and the 32-byte
// key (RFC 8410), so its PEM can be read with a prefix check instead of
// OpenSSL 3's decoder search (PEM_read_bio_PrivateKey), which dominates a login.
constexpr std::uint8_t kX25519Pkcs8Prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                                 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20};

// SubjectPublicKeyInfo of an X25519 key: these 12 bytes and the 32-byte key.
constexpr std::uint8_t kX25519SpkiPrefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00};

// With `pub_path`, the public half is read from host.pub and given to
// OpenSSL along with the private half, so it does not derive it (one X25519
// scalar multiplication less); a mismatched pair only makes unsealing fail.
PKeyPtr load_x25519_raw(const std::string& path, const std::string& pub_path = "") {
    auto bytes = read_checked_file(
        path, {.owner = 0, .allow_root = true, .forbidden_mode = 0077, .max_size = 16 * 1024});
    if (!bytes || !*bytes) return nullptr;
    const std::string_view pem = (**bytes).view();
    constexpr std::string_view begin = "-----BEGIN PRIVATE KEY-----\n";
    constexpr std::string_view end = "\n-----END PRIVATE KEY-----\n";
    if (!pem.starts_with(begin) || !pem.ends_with(end)) return nullptr;
    auto der = base64_decode(pem.substr(begin.size(), pem.size() - begin.size() - end.size()));
    if (!der || der->size() != sizeof kX25519Pkcs8Prefix + 32 ||
        !std::equal(std::begin(kX25519Pkcs8Prefix), std::end(kX25519Pkcs8Prefix), der->begin()))
        return nullptr;
    PKeyPtr key;
    if (pub_path.empty()) {
        key.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, der->data() + 16, 32));
    } else {
        // host.pub read the same direct way (PEM_read_bio_PUBKEY would bring
        // back OpenSSL's slow generic decoder).
        auto pub_bytes = read_checked_file(
            pub_path,
            {.owner = 0, .allow_root = true, .forbidden_mode = 0022, .max_size = 16 * 1024});
        if (!pub_bytes || !*pub_bytes) return nullptr;
        const std::string_view pub_pem = (**pub_bytes).view();
        constexpr std::string_view pub_begin = "-----BEGIN PUBLIC KEY-----\n";
        constexpr std::string_view pub_end = "\n-----END PUBLIC KEY-----\n";
        if (!pub_pem.starts_with(pub_begin) || !pub_pem.ends_with(pub_end)) return nullptr;
        auto spki = base64_decode(
            pub_pem.substr(pub_begin.size(), pub_pem.size() - pub_begin.size() - pub_end.size()));
        if (!spki || spki->size() != sizeof kX25519SpkiPrefix + 32 ||
            !std::equal(std::begin(kX25519SpkiPrefix), std::end(kX25519SpkiPrefix), spki->begin()))
            return nullptr;
        RawPublicKey raw{};
        std::copy_n(spki->begin() + sizeof kX25519SpkiPrefix, raw.size(), raw.begin());
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, der->data() + 16, 32),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, raw.data(), raw.size()),
            OSSL_PARAM_construct_end()};
        PKeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr));
        EVP_PKEY* made = nullptr;
        if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
            EVP_PKEY_fromdata(ctx.get(), &made, EVP_PKEY_KEYPAIR,
                              const_cast<OSSL_PARAM*>(params)) == 1)
            key.reset(made);
    }
    OPENSSL_cleanse(der->data(), der->size());
    return key;
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
    // The same key read without OpenSSL's generic decoder: a prototype of the
    // proposed fix (see RESULTS.md), timed so the saving is measured, not guessed.
    std::printf("host_key_load_raw_us %.1f\n", median_us(n, [&] {
                    if (!load_x25519_raw(hostkey)) die("raw host key");
                }));
    const std::string hostpub = parent_directory(hostkey) + "/" + kPublicKeyName;
    std::printf("host_key_load_both_halves_us %.1f\n", median_us(n, [&] {
                    if (!load_x25519_raw(hostkey, hostpub)) die("host key pair");
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
