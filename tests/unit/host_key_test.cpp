// The host's X25519 key pair: PEM forms, key-id, and the key files on disk.
#include "core/host_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

#include "core/base64.h"
#include "core/host_key_files.h"
#include "core/seal.h"
#include "core/state_record.h"
#include "test_util.h"

using namespace pam_totp;
using test_util::TempDir;

namespace {

// RFC 7748 section 6.1: Alice's key pair.
constexpr char kAlicePrivate[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePublic[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
// First 16 hex digits of SHA-256 of Alice's raw public key.
constexpr char kAliceKeyId[] = "300c9c9603b92a4b";

std::vector<std::uint8_t> from_hex(std::string_view hex) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(
            static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

// PEM from a fixed DER prefix (PKCS#8 / SubjectPublicKeyInfo for X25519)
// followed by the raw key, written by hand rather than by OpenSSL.
std::string pem(std::string_view label, std::string_view der_prefix_hex, std::string_view raw_hex) {
    const auto der = from_hex(std::string(der_prefix_hex) + std::string(raw_hex));
    return "-----BEGIN " + std::string(label) + "-----\n" + base64_encode(der) + "\n-----END " +
           std::string(label) + "-----\n";
}

std::string alice_private_pem() {
    return pem("PRIVATE KEY", "302e020100300506032b656e04220420", kAlicePrivate);
}
std::string alice_public_pem() {
    return pem("PUBLIC KEY", "302a300506032b656e032100", kAlicePublic);
}

std::string ed25519_private_pem() {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    REQUIRE(key);
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(key);
    return out;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a private key from RFC 7748 yields the RFC's public key and a stable key-id",
          "[host_key]") {
    auto key = HostPrivateKey::from_pem(alice_private_pem());
    INFO(key.error().message);
    REQUIRE(key.ok());
    CHECK(to_hex(key->public_key().raw()) == kAlicePublic);
    CHECK(key->public_key().key_id() == kAliceKeyId);

    auto pub = HostPublicKey::from_pem(alice_public_pem());
    REQUIRE(pub.ok());
    CHECK(to_hex(pub->raw()) == kAlicePublic);
    CHECK(pub->key_id() == kAliceKeyId);
    CHECK(pub->to_pem() == alice_public_pem());
}

TEST_CASE("generated keys round-trip through PEM", "[host_key]") {
    const HostPrivateKey key = HostPrivateKey::generate();
    const HostPublicKey pub = key.public_key();
    CHECK(pub.key_id().size() == 16);
    CHECK(pub.key_id().find_first_not_of("0123456789abcdef") == std::string::npos);

    const SecretBytes private_pem = key.to_pem();
    CHECK(private_pem.view().rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
    auto back = HostPrivateKey::from_pem(private_pem.view());
    REQUIRE(back.ok());
    CHECK(back->public_key().raw() == pub.raw());

    auto pub_back = HostPublicKey::from_pem(pub.to_pem());
    REQUIRE(pub_back.ok());
    CHECK(pub_back->raw() == pub.raw());

    const HostPrivateKey other = HostPrivateKey::generate();
    CHECK(other.public_key().raw() != pub.raw());
    CHECK(other.public_key().key_id() != pub.key_id());
}

TEST_CASE("host.key carries the public half after the private block", "[host_key]") {
    const HostPrivateKey key = HostPrivateKey::generate();
    const SecretBytes written = key.to_pem();
    const std::string expected =
        std::string(written.view().substr(0, written.view().find("-----BEGIN PUBLIC KEY-----"))) +
        key.public_key().to_pem();
    CHECK(written.view() == expected);

    // OpenSSL's own reader (and so `openssl pkey -in host.key`) takes the
    // first block and derives the same public half.
    BIO* bio = BIO_new_mem_buf(written.data(), static_cast<int>(written.size()));
    EVP_PKEY* by_openssl = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(by_openssl);
    RawPublicKey derived{};
    std::size_t len = derived.size();
    REQUIRE(EVP_PKEY_get_raw_public_key(by_openssl, derived.data(), &len) == 1);
    EVP_PKEY_free(by_openssl);
    CHECK(derived == key.public_key().raw());

    auto back = HostPrivateKey::from_pem(written.view());
    REQUIRE(back.ok());
    CHECK(back->public_key().raw() == key.public_key().raw());
    auto sealed = seal(key.public_key(), test_util::bytes_of("0123456789"), "aad");
    REQUIRE(sealed.ok());
    CHECK(unseal(*back, *sealed, "aad").ok());
}

TEST_CASE("the public half stored in host.key is taken as given, and a wrong one opens nothing",
          "[host_key]") {
    // Alice's private block with Bob's public key (RFC 7748 section 6.1).
    constexpr char kBobPublic[] =
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    const std::string mismatched =
        alice_private_pem() + pem("PUBLIC KEY", "302a300506032b656e032100", kBobPublic);
    auto key = HostPrivateKey::from_pem(mismatched);
    REQUIRE(key.ok());
    CHECK(to_hex(key->public_key().raw()) == kBobPublic);  // not derived: no scalar multiplication

    // Sealed to Alice's real public key: the key-id and the HKDF salt differ.
    auto alice_pub = HostPublicKey::from_pem(alice_public_pem());
    REQUIRE(alice_pub.ok());
    auto to_alice = seal(*alice_pub, test_util::bytes_of("0123456789"), "aad");
    REQUIRE(to_alice.ok());
    CHECK_FALSE(unseal(*key, *to_alice, "aad").ok());
    // Sealed to the public key the file claims: the key agreement uses Alice's
    // private half, which does not belong to it, so the keys differ.
    auto to_bob = seal(key->public_key(), test_util::bytes_of("0123456789"), "aad");
    REQUIRE(to_bob.ok());
    CHECK_FALSE(unseal(*key, *to_bob, "aad").ok());

    // A damaged public block falls back to OpenSSL's reader, which ignores it
    // and derives the right public half.
    const std::string damaged =
        alice_private_pem() + "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    auto recovered = HostPrivateKey::from_pem(damaged);
    REQUIRE(recovered.ok());
    CHECK(to_hex(recovered->public_key().raw()) == kAlicePublic);
}

TEST_CASE("PEM parsing refuses other key types and garbage", "[host_key]") {
    auto ed = HostPrivateKey::from_pem(ed25519_private_pem());
    REQUIRE_FALSE(ed.ok());
    CHECK_THAT(ed.error().message, Catch::Contains("not an X25519"));

    CHECK_FALSE(HostPrivateKey::from_pem("").ok());
    CHECK_FALSE(HostPrivateKey::from_pem("hello").ok());
    CHECK_FALSE(HostPrivateKey::from_pem(alice_public_pem()).ok());
    CHECK_FALSE(HostPublicKey::from_pem("").ok());
    CHECK_FALSE(
        HostPublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            .ok());
}

TEST_CASE("to_hex writes lower-case hex", "[host_key]") {
    const std::uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    CHECK(to_hex(bytes) == "000fa5ff");
    CHECK(to_hex({}).empty());
}

TEST_CASE("the host key pair is written with the right modes and loads again",
          "[host_key][files]") {
    TempDir dir;
    auto pub = write_new_host_key_pair(dir.path(), false);
    INFO(pub.error().message);
    REQUIRE(pub.ok());
    const std::string key_path = dir.file(kPrivateKeyName);
    const std::string pub_path = dir.file(kPublicKeyName);
    CHECK(mode_of(key_path) == 0600);
    CHECK(mode_of(pub_path) == 0644);
    CHECK(dir.entries() == std::vector<std::string>{"host.key", "host.pub"});

    if (!test_util::is_root()) {
        WARN("not root: the key files are not owned by root, skipping the load checks");
        return;
    }
    auto loaded = load_host_private_key(key_path);
    REQUIRE(loaded.ok());
    CHECK(loaded->public_key().raw() == pub->raw());
    auto loaded_pub = load_host_public_key(pub_path);
    REQUIRE(loaded_pub.ok());
    CHECK(loaded_pub->raw() == pub->raw());

    // A file sealed to the written public key opens with the written private key.
    auto sealed = seal(*loaded_pub, test_util::bytes_of("0123456789"), "aad");
    REQUIRE(sealed.ok());
    CHECK(unseal(*loaded, *sealed, "aad").ok());
}

TEST_CASE("an existing host key pair is replaced only when asked", "[host_key][files]") {
    TempDir dir;
    auto first = write_new_host_key_pair(dir.path(), false);
    REQUIRE(first.ok());
    const std::string before = test_util::read_text(dir.file(kPrivateKeyName));

    auto again = write_new_host_key_pair(dir.path(), false);
    REQUIRE_FALSE(again.ok());
    CHECK_THAT(again.error().message, Catch::Contains("already exists"));
    CHECK(test_util::read_text(dir.file(kPrivateKeyName)) == before);

    auto replaced = write_new_host_key_pair(dir.path(), true);
    REQUIRE(replaced.ok());
    CHECK(replaced->raw() != first->raw());
    CHECK(test_util::read_text(dir.file(kPrivateKeyName)) != before);
    CHECK(dir.entries() == std::vector<std::string>{"host.key", "host.pub"});  // no temp files left
}

TEST_CASE("host key files that are missing, too open, foreign or not keys are refused",
          "[host_key][files]") {
    if (!test_util::is_root()) {
        WARN("not root: key files must be owned by root, skipping");
        return;
    }
    TempDir dir;
    const std::string key_path = dir.file("host.key");
    const std::string pub_path = dir.file("host.pub");

    auto missing = load_host_private_key(key_path);
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.error().message,
               Catch::Contains("does not exist") && Catch::Contains("--generate-host-key"));
    auto missing_pub = load_host_public_key(pub_path);
    REQUIRE_FALSE(missing_pub.ok());
    CHECK_THAT(missing_pub.error().message, Catch::Contains("--generate-host-key"));

    test_util::write_text(key_path, alice_private_pem(), 0600);
    test_util::write_text(pub_path, alice_public_pem(), 0644);
    REQUIRE(load_host_private_key(key_path).ok());
    REQUIRE(load_host_public_key(pub_path).ok());

    for (mode_t mode : {0640, 0604, 0610}) {
        ::chmod(key_path.c_str(), mode);
        auto open = load_host_private_key(key_path);
        INFO("mode " << std::oct << mode);
        REQUIRE_FALSE(open.ok());
        CHECK_THAT(open.error().message, Catch::Contains("too open"));
    }
    ::chmod(key_path.c_str(), 0600);
    for (mode_t mode : {0664, 0646}) {
        ::chmod(pub_path.c_str(), mode);
        auto open = load_host_public_key(pub_path);
        REQUIRE_FALSE(open.ok());
        CHECK_THAT(open.error().message, Catch::Contains("too open"));
    }
    ::chmod(pub_path.c_str(), 0644);

    REQUIRE(::chown(key_path.c_str(), 4321, 4321) == 0);
    auto foreign = load_host_private_key(key_path);
    REQUIRE_FALSE(foreign.ok());
    CHECK_THAT(foreign.error().message, Catch::Contains("owned by uid 4321"));
    REQUIRE(::chown(pub_path.c_str(), 4321, 4321) == 0);
    CHECK_FALSE(load_host_public_key(pub_path).ok());

    test_util::write_text(key_path, "not a key\n", 0600);
    REQUIRE(::chown(key_path.c_str(), 0, 0) == 0);
    auto garbage = load_host_private_key(key_path);
    REQUIRE_FALSE(garbage.ok());
    CHECK_THAT(garbage.error().message, Catch::Contains(key_path));

    REQUIRE(::symlink(dir.file("elsewhere").c_str(), dir.file("link.key").c_str()) == 0);
    test_util::write_text(dir.file("elsewhere"), alice_private_pem(), 0600);
    auto link = load_host_private_key(dir.file("link.key"));
    REQUIRE_FALSE(link.ok());
    CHECK_THAT(link.error().message, Catch::Contains("symbolic link"));
}
