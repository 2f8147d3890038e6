// The direct RFC 8410 path of HostPrivateKey::from_pem must agree with
// OpenSSL's generic decoder, and anything it does not recognise must still
// go through that decoder rather than fail or be misread.
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "core/host_key.h"

using namespace pam_totp;

namespace {

std::string run(const char* command) {
    std::string out;
    FILE* pipe = popen(command, "r");
    REQUIRE(pipe != nullptr);
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    REQUIRE(pclose(pipe) == 0);
    return out;
}

RawPublicKey public_via_openssl_decoder(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(key != nullptr);
    RawPublicKey raw{};
    std::size_t len = raw.size();
    REQUIRE(EVP_PKEY_get_raw_public_key(key, raw.data(), &len) == 1);
    EVP_PKEY_free(key);
    return raw;
}

}  // namespace

TEST_CASE("a key from `openssl genpkey -algorithm X25519` loads and matches OpenSSL's decoder") {
    const std::string pem = run("openssl genpkey -algorithm X25519");
    auto key = HostPrivateKey::from_pem(pem);
    REQUIRE(key.ok());
    CHECK(key->public_key().raw() == public_via_openssl_decoder(pem));
}

TEST_CASE("our own PEM round-trips through the direct path") {
    const HostPrivateKey key = HostPrivateKey::generate();
    const SecretBytes pem = key.to_pem();
    auto again = HostPrivateKey::from_pem(pem.view());
    REQUIRE(again.ok());
    CHECK(again->public_key().raw() == key.public_key().raw());
}

TEST_CASE("PEM the direct path does not recognise still goes through the decoder") {
    const std::string pem = run("openssl genpkey -algorithm X25519");
    // CRLF line ends: not our exact form, still a valid PEM key.
    std::string crlf;
    for (char c : pem) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    auto key = HostPrivateKey::from_pem(crlf);
    REQUIRE(key.ok());
    CHECK(key->public_key().raw() == public_via_openssl_decoder(pem));
}

TEST_CASE("keys of other types and garbage are refused") {
    CHECK_FALSE(HostPrivateKey::from_pem(run("openssl genpkey -algorithm ED25519")).ok());
    CHECK_FALSE(
        HostPrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .ok());
    CHECK_FALSE(HostPrivateKey::from_pem("").ok());
}
