// The self-wiping secret buffer and constant-time comparison.
#include "core/secret_bytes.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "test_util.h"

using namespace pam_totp;
using test_util::bytes_of;
using test_util::string_of;

// To see whether a buffer is wiped before it is freed, this test binary
// replaces the global allocation functions (a replacement the standard
// allows) with malloc/free plus a hook: when the block being freed is the one
// a test watches, its bytes are copied out first, while it is still allocated.
namespace {

constexpr std::size_t kMaxWatched = 64;
std::atomic<const void*> g_watched{nullptr};
std::size_t g_watched_size = 0;
std::array<std::uint8_t, kMaxWatched> g_last_bytes{};
std::atomic<bool> g_released{false};

void before_free(void* p) noexcept {
    if (!p || p != g_watched.load()) return;
    std::memcpy(g_last_bytes.data(), p, g_watched_size);
    g_watched = nullptr;
    g_released = true;
}

void* allocate(std::size_t n) {
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}

// Watches the block at `p` (its first `size` bytes) until it is freed.
void watch(const void* p, std::size_t size) {
    REQUIRE(size <= kMaxWatched);
    g_last_bytes.fill(0xee);
    g_watched_size = size;
    g_released = false;
    g_watched = p;
}

// The bytes the watched block held when it was freed.
std::string bytes_at_release() {
    REQUIRE(g_released);
    return std::string(reinterpret_cast<const char*>(g_last_bytes.data()), g_watched_size);
}

}  // namespace

void* operator new(std::size_t n) {
    return allocate(n);
}
void* operator new[](std::size_t n) {
    return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept {
    before_free(p);
    std::free(p);
}
void operator delete[](void* p) noexcept {
    before_free(p);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    before_free(p);
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    before_free(p);
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    before_free(p);
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    before_free(p);
    std::free(p);
}

static_assert(!std::is_copy_constructible_v<SecretBytes>,
              "a secret must never be copied by accident");
static_assert(!std::is_copy_assignable_v<SecretBytes>, "a secret must never be copied by accident");
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);

TEST_CASE("SecretBytes holds what it was given", "[secret_bytes]") {
    const SecretBytes s = SecretBytes::from_string("secret");
    CHECK(s.size() == 6);
    CHECK_FALSE(s.empty());
    CHECK(s.view() == "secret");
    CHECK(string_of(s.span()) == "secret");

    const SecretBytes zeros(5);
    CHECK(std::all_of(zeros.data(), zeros.data() + zeros.size(),
                      [](std::uint8_t b) { return b == 0; }));

    const SecretBytes empty;
    CHECK(empty.empty());
    CHECK(empty.data() == nullptr);
    CHECK(SecretBytes::from_string("").empty());
}

TEST_CASE("SecretBytes::random gives fresh bytes of the requested size", "[secret_bytes]") {
    const SecretBytes a = SecretBytes::random(32);
    const SecretBytes b = SecretBytes::random(32);
    CHECK(a.size() == 32);
    CHECK(a.view() != b.view());
    CHECK(SecretBytes::random(0).empty());
}

TEST_CASE("wipe zeroes the buffer before freeing it and leaves it empty", "[secret_bytes]") {
    SecretBytes s = SecretBytes::from_string("secret");
    watch(s.data(), s.size());
    s.wipe();
    CHECK(bytes_at_release() == std::string(6, '\0'));
    CHECK(s.empty());
    CHECK(s.size() == 0);
    CHECK(s.data() == nullptr);
    s.wipe();  // twice is harmless
    CHECK(s.empty());
}

TEST_CASE("truncate zeroes the bytes it hides", "[secret_bytes]") {
    SecretBytes s = SecretBytes::from_string("secret-tail");
    const std::uint8_t* storage = s.data();
    s.truncate(6);
    CHECK(s.view() == "secret");
    CHECK(s.data() == storage);  // same allocation, so its tail may be inspected
    CHECK(std::all_of(storage + 6, storage + 11, [](std::uint8_t b) { return b == 0; }));
    s.truncate(20);  // growing is not possible
    CHECK(s.size() == 6);
}

TEST_CASE("the destructor zeroes the whole buffer, including a truncated tail", "[secret_bytes]") {
    {
        SecretBytes s = SecretBytes::from_string("secret");
        watch(s.data(), s.size());
    }
    CHECK(bytes_at_release() == std::string(6, '\0'));
    {
        SecretBytes s = SecretBytes::from_string("secret-tail");
        watch(s.data(), s.size());
        s.truncate(3);
    }
    CHECK(bytes_at_release() == std::string(11, '\0'));
}

TEST_CASE("move assignment zeroes the buffer it replaces", "[secret_bytes]") {
    SecretBytes target = SecretBytes::from_string("old secret");
    watch(target.data(), target.size());
    target = SecretBytes::from_string("new");
    CHECK(bytes_at_release() == std::string(10, '\0'));
    CHECK(target.view() == "new");
}

TEST_CASE("the watch hook sees unwiped memory as it is (self-test)", "[secret_bytes]") {
    auto* raw = new std::uint8_t[4]{'a', 'b', 'c', 'd'};
    watch(raw, 4);
    delete[] raw;
    CHECK(bytes_at_release() == "abcd");
}

TEST_CASE("moving hands the buffer over and leaves the source empty", "[secret_bytes]") {
    SecretBytes source = SecretBytes::from_string("secret");
    const std::uint8_t* storage = source.data();

    SecretBytes moved(std::move(source));
    CHECK(moved.view() == "secret");
    CHECK(moved.data() == storage);  // no copy was made
    CHECK(source.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHECK(source.data() == nullptr);

    SecretBytes target = SecretBytes::from_string("old contents");
    target = std::move(moved);
    CHECK(target.view() == "secret");
    CHECK(target.data() == storage);
    CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(moved.data() == nullptr);

    SecretBytes& alias = target;
    target = std::move(alias);  // self-move keeps the contents
    CHECK(target.view() == "secret");
}

TEST_CASE("equal_constant_time compares whole ranges", "[secret_bytes]") {
    CHECK(equal_constant_time(std::string_view("123456"), std::string_view("123456")));
    CHECK_FALSE(equal_constant_time(std::string_view("123456"), std::string_view("123457")));
    CHECK_FALSE(equal_constant_time(std::string_view("123456"), std::string_view("12345")));
    CHECK_FALSE(equal_constant_time(std::string_view(""), std::string_view("1")));
    CHECK(equal_constant_time(std::string_view(""), std::string_view("")));
    CHECK(equal_constant_time(bytes_of("abc"), bytes_of("abc")));
    CHECK_FALSE(equal_constant_time(bytes_of("abc"), bytes_of("abd")));
}
