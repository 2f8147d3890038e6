// Test tool: writes host keys and sealed secret files with the core library,
// so PAM tests do not depend on totp-enroll.
//
//   make_secret_file host-key DIR
//   make_secret_file seal --pub FILE --user NAME --secret-hex HEX
//       [--algorithm SHA1|SHA256|SHA512] [--digits N] [--period S]
//       [--hotp --counter N] [--used-step N] [--recovery CODE]...      (file text on stdout)
//       [--created T] [--enrollment-id HEX]
//       [--tag-key HOSTKEY --tag-uid UID [--tag-expires T]]   (version 2, root's tag)
//   make_secret_file serve
//       the same commands, one per line on stdin, arguments separated by tabs;
//       each answered on stdout by "ok LENGTH" or "error LENGTH", a newline
//       and that many bytes (the output or the message). The PAM tests keep
//       one running instead of starting one per file (pamtest.py): about 400
//       starts per suite, each 50 ms of CPU under the sanitizers.
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

// What a command printed, or why it failed.
struct Outcome {
    bool ok = true;
    std::string text;
};

Outcome failed(const std::string& message) {
    return {false, message};
}

SecretBytes from_hex(const std::string& hex) {
    SecretBytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out.data()[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

Outcome seal_command(const std::vector<std::string>& argv) {
    const std::size_t argc = argv.size();
    std::string pub_path, secret_hex;
    SecretHeader header;
    header.created = static_cast<std::int64_t>(std::time(nullptr));
    header.enrollment_id = new_enrollment_id();
    std::vector<SecretBytes> recovery;
    std::string tag_key;
    std::uint32_t tag_uid = 0;
    std::int64_t tag_expires = 0;
    for (std::size_t i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--hotp")
            header.otp.type = OtpType::hotp;
        else if (!has_value)
            return failed("missing value for " + arg);
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
            return failed("unknown argument " + arg);
    }
    auto pub = load_host_public_key(pub_path);
    if (!pub) return failed(pub.error().message);
    header.key_id = pub->key_id();
    SecretPayload payload;
    payload.key = from_hex(secret_hex);
    payload.recovery = make_recovery_codes(recovery);
    if (!tag_key.empty()) header.version = 2;
    auto text = seal_secret_file(header, payload, *pub);
    if (!text) return failed(text.error().message);
    if (!tag_key.empty()) {
        auto host = load_host_private_key(tag_key);
        if (!host) return failed(host.error().message);
        if (tag_expires == 0) tag_expires = header.created + kDefaultTagLifetime;
        text = add_root_tag(*text, *host, tag_uid, tag_expires);
        if (!text) return failed(text.error().message);
    }
    return {true, *text};
}

Outcome run_command(const std::vector<std::string>& args) {
    try {
        if (args.size() == 2 && args[0] == "host-key") {
            auto pub = write_new_host_key_pair(args[1], false);
            if (!pub) return failed(pub.error().message);
            return {true, pub->key_id() + "\n"};
        }
        if (!args.empty() && args[0] == "seal") return seal_command(args);
    } catch (const std::exception& e) {
        return failed(e.what());
    }
    return failed(
        "usage: make_secret_file host-key DIR | seal --pub FILE --user NAME --secret-hex HEX ... | "
        "serve");
}

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
        fields.push_back(line.substr(start, tab - start));
    fields.push_back(line.substr(start));
    return fields;
}

int serve() {
    for (std::string line; std::getline(std::cin, line);) {
        const Outcome outcome = run_command(split_tabs(line));
        std::cout << (outcome.ok ? "ok " : "error ") << outcome.text.size() << "\n" << outcome.text;
        std::cout.flush();
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "serve") == 0) return serve();
    const Outcome outcome = run_command(std::vector<std::string>(argv + 1, argv + argc));
    if (!outcome.ok) {
        std::cerr << "make_secret_file: " << outcome.text << "\n";
        return 2;
    }
    std::fwrite(outcome.text.data(), 1, outcome.text.size(), stdout);
    return 0;
}
