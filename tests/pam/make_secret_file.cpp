// Test tool: writes host keys and sealed secret files with the core library,
// so PAM tests do not depend on totp-enroll.
//
//   make_secret_file host-key DIR
//   make_secret_file seal --pub FILE --user NAME --secret-hex HEX
//       [--algorithm SHA1|SHA256|SHA512] [--digits N] [--period S]
//       [--hotp --counter N] [--used-step N] [--recovery CODE]...      (file text on stdout)
//       [--created T] [--enrollment-id HEX]
//       [--tag-key HOSTKEY --tag-uid UID [--tag-expires T]]   (version 2, root's tag)
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "core/host_key_files.h"
#include "core/secret_file.h"

using namespace pam_totp;

namespace {

int fail(const std::string& message) {
    std::cerr << "make_secret_file: " << message << "\n";
    return 2;
}

SecretBytes from_hex(const std::string& hex) {
    SecretBytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out.data()[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

int seal_command(int argc, char** argv) {
    std::string pub_path, secret_hex;
    SecretHeader header;
    header.created = static_cast<std::int64_t>(std::time(nullptr));
    header.enrollment_id = new_enrollment_id();
    std::vector<SecretBytes> recovery;
    std::string tag_key;
    std::uint32_t tag_uid = 0;
    std::int64_t tag_expires = 0;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--hotp")
            header.otp.type = OtpType::hotp;
        else if (!has_value)
            return fail("missing value for " + arg);
        else if (arg == "--pub")
            pub_path = argv[++i];
        else if (arg == "--user")
            header.user = argv[++i];
        else if (arg == "--secret-hex")
            secret_hex = argv[++i];
        else if (arg == "--algorithm")
            header.otp.algorithm = parse_algorithm(argv[++i]).value();
        else if (arg == "--digits")
            header.otp.digits = std::stoi(argv[++i]);
        else if (arg == "--period")
            header.otp.period = std::stoi(argv[++i]);
        else if (arg == "--counter")
            header.counter = std::stoull(argv[++i]);
        else if (arg == "--used-step")
            header.used_step = std::stoull(argv[++i]);
        else if (arg == "--recovery")
            recovery.push_back(SecretBytes::from_string(argv[++i]));
        else if (arg == "--created")
            header.created = std::stoll(argv[++i]);
        else if (arg == "--enrollment-id")
            header.enrollment_id = argv[++i];
        else if (arg == "--tag-key")
            tag_key = argv[++i];
        else if (arg == "--tag-uid")
            tag_uid = static_cast<std::uint32_t>(std::stoul(argv[++i]));
        else if (arg == "--tag-expires")
            tag_expires = std::stoll(argv[++i]);
        else
            return fail("unknown argument " + arg);
    }
    auto pub = load_host_public_key(pub_path);
    if (!pub) return fail(pub.error().message);
    header.key_id = pub->key_id();
    SecretPayload payload;
    payload.key = from_hex(secret_hex);
    payload.recovery = make_recovery_codes(recovery);
    if (!tag_key.empty()) header.version = 2;
    auto text = seal_secret_file(header, payload, *pub);
    if (!text) return fail(text.error().message);
    if (!tag_key.empty()) {
        auto host = load_host_private_key(tag_key);
        if (!host) return fail(host.error().message);
        if (tag_expires == 0) tag_expires = header.created + kDefaultTagLifetime;
        text = add_root_tag(*text, *host, tag_uid, tag_expires);
        if (!text) return fail(text.error().message);
    }
    std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 3 && std::strcmp(argv[1], "host-key") == 0) {
            auto pub = write_new_host_key_pair(argv[2], false);
            if (!pub) return fail(pub.error().message);
            std::cout << pub->key_id() << "\n";
            return 0;
        }
        if (argc >= 2 && std::strcmp(argv[1], "seal") == 0) return seal_command(argc, argv);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return fail(
        "usage: make_secret_file host-key DIR | seal --pub FILE --user NAME --secret-hex HEX ...");
}
