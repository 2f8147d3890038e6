// SecretBytes as a growable buffer: append keeps the contents, and take()
// wipes the std::string it copied from.
#include <catch2/catch.hpp>

#include <string>

#include "core/secret_bytes.h"

using namespace pam_totp;

TEST_CASE("append grows and keeps what was there") {
    SecretBytes buffer = SecretBytes::with_capacity(2);
    CHECK(buffer.empty());
    std::string expected;
    for (int i = 0; i < 300; ++i) {
        buffer.append(static_cast<char>('a' + i % 26));
        expected.push_back(static_cast<char>('a' + i % 26));
    }
    buffer.append(std::string_view("-end"));
    expected += "-end";
    CHECK(buffer.view() == expected);
}

TEST_CASE("take copies and wipes the source string") {
    std::string source = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const std::size_t capacity = source.capacity();
    const char* storage = source.data();
    SecretBytes taken = SecretBytes::take(source);
    CHECK(taken.view() == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    CHECK(source.empty());
    CHECK(source.data() == storage);  // clear() keeps the storage it wiped
    for (std::size_t i = 0; i < capacity; ++i) CHECK(storage[i] == '\0');
}
