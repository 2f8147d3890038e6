// Writes the seed corpora under tests/fuzz/corpus/<target>/. Run by hand when
// a format changes (the output is committed):
//   cmake --build build-fuzz --target make_fuzz_seeds
//   build-fuzz/tests/fuzz/make_fuzz_seeds tests/fuzz/corpus
// Secret files are sealed to the fixed test key in fuzz_common.h so the
// secret-file target starts from files it can open.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret_file.h"
#include "core/state_record.h"
#include "fuzz_common.h"

using namespace pam_totp;
namespace fs = std::filesystem;

namespace {

fs::path out_dir;

void write(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path dir = out_dir / target;
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write(const std::string& target, const std::string& name,
           std::span<const std::uint8_t> bytes) {
    write(target, name,
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

SecretPayload payload(std::size_t key_size, int recovery_count) {
    SecretPayload p;
    p.key = SecretBytes::random(key_size);
    p.recovery = make_recovery_codes(generate_recovery_codes(recovery_count));
    return p;
}

SecretHeader header(const HostPublicKey& pub, OtpType type, Algorithm alg, int digits) {
    SecretHeader h;
    h.user = "alice";
    h.otp.type = type;
    h.otp.algorithm = alg;
    h.otp.digits = digits;
    h.otp.period = 30;
    h.counter = type == OtpType::hotp ? 42 : 0;
    h.created = 1795420000;
    h.key_id = pub.key_id();
    h.enrollment_id = new_enrollment_id();
    return h;
}

void secret_files() {
    const HostPublicKey pub = fuzz::test_host_key().public_key();
    struct Case {
        const char* name;
        OtpType type;
        Algorithm alg;
        int digits;
        std::size_t key_size;
        int recovery;
    };
    const Case cases[] = {
        {"totp-sha1-6", OtpType::totp, Algorithm::sha1, 6, 20, 10},
        {"totp-sha256-8", OtpType::totp, Algorithm::sha256, 8, 32, 0},
        {"totp-sha512-7", OtpType::totp, Algorithm::sha512, 7, 64, 32},
        {"totp-min-key", OtpType::totp, Algorithm::sha1, 6, 10, 1},
        {"hotp-sha1-6", OtpType::hotp, Algorithm::sha1, 6, 20, 10},
    };
    for (const Case& c : cases) {
        auto text = seal_secret_file(header(pub, c.type, c.alg, c.digits),
                                     payload(c.key_size, c.recovery), pub);
        if (!text) throw std::runtime_error(text.error().message);
        write("secret_file", c.name, *text);
        const SecretBytes plain = encode_payload(payload(c.key_size, c.recovery));
        write("secret_file", std::string("payload-") + c.name, plain.span());
    }
    // Sealed to another key: exercises the key-id refusal.
    const HostPublicKey other = HostPrivateKey::generate().public_key();
    auto foreign =
        seal_secret_file(header(other, OtpType::totp, Algorithm::sha1, 6), payload(20, 10), other);
    write("secret_file", "other-host-key", *foreign);
    // Header bytes edited after sealing: parses, fails to open.
    auto tampered =
        seal_secret_file(header(pub, OtpType::totp, Algorithm::sha1, 6), payload(20, 10), pub);
    std::string t = *tampered;
    t.replace(t.find("digits 6"), 8, "digits 8");
    write("secret_file", "tampered-header", t);
    write("secret_file", "magic-only", "pam_totp 1\n");
    // Version 2: root's tag after the sealed line.
    SecretHeader tagged_header = header(pub, OtpType::totp, Algorithm::sha1, 6);
    tagged_header.version = 2;
    auto body = seal_secret_file(tagged_header, payload(20, 10), pub);
    auto tagged = add_root_tag(*body, fuzz::test_host_key(), 1000, 1795500000);
    if (!tagged) throw std::runtime_error(tagged.error().message);
    write("secret_file", "tagged-v2", *tagged);
    write("secret_file", "crlf", "pam_totp 1\r\nuser alice\r\n");
}

void state_slots() {
    UserState s;
    for (std::size_t i = 0; i < s.enrollment_id.size(); ++i)
        s.enrollment_id[i] = static_cast<std::uint8_t>(i);
    const Slot fresh = encode_slot(s, 1);
    s.has_last = true;
    s.last_accepted = 59836666;
    s.failures = 3;
    s.locks = 2;
    s.locked_until = 1795420120;
    s.used_recovery = 0x205;
    const Slot used = encode_slot(s, 2);
    write("state_slot", "fresh", fresh);
    write("state_slot", "used", used);
    std::vector<std::uint8_t> both(fresh.begin(), fresh.end());
    both.insert(both.end(), used.begin(), used.end());
    write("state_slot", "two-slots", both);
    std::vector<std::uint8_t> torn = both;
    for (std::size_t i = kSlotSize + 40; i < torn.size(); ++i)
        torn[i] = 0;  // second write cut short
    write("state_slot", "torn-second", torn);
    write("state_slot", "zeros", std::vector<std::uint8_t>(2 * kSlotSize, 0));
    // Version 2 with a pin, a pending switch and retired enrolments.
    s.has_uid = true;
    s.uid = 1000;
    s.pin = PinRef{.present = true, .area = 1, .generation = 3, .length = 900, .pinned_at = 17};
    s.pending = PendingSwitch{.present = true, .length = 800, .step = 59836667, .generation = 3};
    retire(s, s.enrollment_id, s.pin.hash);
    write("state_slot", "pinned", encode_slot(s, 3));
}

void encodings() {
    const char* texts[] = {"JBSWY3DPEHPK3PXP",
                           "jbsw y3dp ehpk 3pxp",
                           "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                           "MZXW6===",
                           "MZXW6YQ=",
                           "MY======",
                           "MZXW6YTB",
                           "A",
                           "MZ=XW",
                           "AAAA-BBBB-CCCC-DDDD",
                           "Zm9vYmFy",
                           "Zm9vYg==",
                           "Zm9vYmE=",
                           "Zm9=",
                           "////++++"};
    int n = 0;
    for (const char* t : texts) write("base32", "text-" + std::to_string(n++), t);
}

void options() {
    using namespace std::string_literals;  // "..."s keeps the embedded NULs
    const std::string lines[] = {
        "secret=%h/.pam_totp\0hostkey=/etc/pam_totp/host.key\0statedir=/var/lib/pam_totp"s,
        "window=3\0hotp_window=20\0fail_limit=5\0fail_lock=30\0debug"s,
        "optional\0forward_pass\0prompt=Code: \0echo_code"s,
        "nullok\0use_first_pass\0try_first_pass"s,
        "secret=/var/lib/pam_totp/secrets/%u\0\0alice\0/home/alice"s,
        "secret=%h/.otp-%u-%%\0\0../x\0relative"s,
        "window=11\0fail_lock=0"s,
    };
    int n = 0;
    for (const std::string& l : lines) write("options", "line-" + std::to_string(n++), l);
}

// Parameter block for fuzz_code_input (25 bytes) followed by the typed text.
std::string code_input(std::uint8_t flags, std::uint8_t alg, std::uint8_t digits_sel,
                       std::uint8_t offset, std::uint64_t now, std::uint64_t last,
                       std::string_view typed) {
    std::string s;
    s.push_back(static_cast<char>(flags));
    s.push_back(static_cast<char>(alg));
    s.push_back(static_cast<char>(digits_sel));
    s.push_back(static_cast<char>(15));  // period 30
    s.push_back(1);                      // window 1
    s.push_back(10);                     // look-ahead 10
    s.push_back(static_cast<char>(offset));
    for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(now >> (8 * i)));
    for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(last >> (8 * i)));
    s.push_back(0);  // no shift of `last`
    s.push_back(0);  // no recovery code used
    s.append(typed);
    return s;
}

void code_inputs() {
    const std::uint64_t now = 1795420000, step = now / 30;
    int n = 0;
    auto put = [&](const std::string& s) {
        write("code_input", "input-" + std::to_string(n++), s);
    };
    put(code_input(4, 0, 0, 128, now, 0, "000000"));             // the current code
    put(code_input(4 | 8, 0, 0, 128, now, step, "000000"));      // replayed
    put(code_input(4 | 8, 1, 2, 129, now, step - 5, "000000"));  // next step, SHA256, 8 digits
    put(code_input(4, 2, 1, 126, now, 0, "000000"));             // outside the window
    put(code_input(4 | 2, 0, 0, 128, now, 0, "hunter2000000"));  // forward_pass
    put(code_input(4 | 1, 0, 0, 131, now, 41, "000000"));        // HOTP look-ahead
    put(code_input(0, 0, 0, 128, now, 0, "123 456"));
    put(code_input(0, 0, 0, 128, now, 0, "7kq2 m9xd"));  // recovery code
    put(code_input(0, 0, 0, 128, now, 0, "ZZZZ-ZZZ2"));
    put(code_input(0x80 | 0x30, 0, 0, 128, now, 0, "999999"));  // locked
    put(code_input(2, 0, 0, 128, now, 0, "hunter27KQ2-M9XD"));  // forward_pass, recovery code
}

// ~/.google_authenticator files for fuzz_ga_import: as google-authenticator(1)
// writes them, and the shapes the parser must refuse.
void ga_imports() {
    const std::string secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";  // 20 bytes
    const std::string scratch = "12345678\n87654321\n00000000\n99999999\n10203040\n";
    auto put = [](const std::string& name, const std::string& text) {
        write("ga_import", name, text);
    };
    // What `google-authenticator -t -d -f -r 3 -R 30 -w 17` writes (a 16-byte secret).
    put("totp-tool",
        "EXAMPLEKEYEXAMPLEKEYEXAMPI\n\" RATE_LIMIT 3 30 1795420000\n\" WINDOW_SIZE 17\n"
        "\" DISALLOW_REUSE 59847333\n\" TOTP_AUTH\n" +
            scratch);
    put("totp-step", secret + "\n\" STEP_SIZE 60\n\" TOTP_AUTH\n" + scratch);
    put("hotp", secret + "\n\" HOTP_COUNTER 42\n\" WINDOW_SIZE 3\n" + scratch);
    put("hotp-and-totp", secret + "\n\" TOTP_AUTH\n\" STEP_SIZE 30\n\" HOTP_COUNTER 7\n");
    put("crlf", secret + "\r\n\r\n\" TOTP_AUTH\r\n12345678\r\n87654321");
    put("spaced-secret", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n\" TOTP_AUTH\n");
    put("min-key", "AAAAAAAAAAAAAAAA\n\" TOTP_AUTH\n");
    put("max-key", std::string(102, 'A') + "Q\n\" TOTP_AUTH\n");
    std::string many = secret + "\n\" TOTP_AUTH\n";
    for (int i = 0; i < 33; ++i) many += std::to_string(10000000 + i) + "\n";
    put("33-scratch-codes", many);
    put("otp-disabled", secret + "\n\" TOTP_AUTH\n\" OTP_DISABLED\n");
    put("no-mode", secret + "\n\" WINDOW_SIZE 3\n" + scratch);
    put("bad-line", secret + "\n\" TOTP_AUTH\n1234567\n");
    put("bad-step", secret + "\n\" TOTP_AUTH\n\" STEP_SIZE 5\n");
    put("bad-counter", secret + "\n\" HOTP_COUNTER -1\n");
    put("bad-secret", "GEZDGNBVGY3TQOJ1\n\" TOTP_AUTH\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_fuzz_seeds CORPUS_DIR\n";
        return 2;
    }
    out_dir = argv[1];
    secret_files();
    state_slots();
    encodings();
    options();
    code_inputs();
    ga_imports();
    return 0;
}
