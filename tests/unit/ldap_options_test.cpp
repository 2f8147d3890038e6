// pam_totp_ldap.so's options: fail closed, TLS required, filters escaped.
#include "core/ldap_options.h"

#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

using namespace pam_totp;

namespace {

Result<LdapOptions> parse(std::vector<std::string_view> args) {
    return parse_ldap_options(args);
}

}  // namespace

TEST_CASE("fleet options: the minimal setup and its defaults", "[ldap_options]") {
    auto o = parse({"uri=ldaps://a.example,ldaps://b.example", "base=ou=people,dc=example",
                    "ca=/etc/ssl/ca.pem", "binddn=cn=pam,dc=example", "bindpw_file=/etc/pw"});
    REQUIRE(o.ok());
    CHECK(o->uris == std::vector<std::string>{"ldaps://a.example", "ldaps://b.example"});
    CHECK(o->filter == "(&(objectClass=posixAccount)(uid=%u))");
    CHECK(o->timeout_seconds == 5);
    CHECK_FALSE(o->optional);
    CHECK(o->password_mode == LdapPasswordMode::two_prompts);
}

TEST_CASE("fleet options: what is refused", "[ldap_options]") {
    const std::string_view base = "base=dc=example";
    const std::string_view ca = "ca=/ca.pem";
    const std::string_view dn = "binddn=cn=pam";
    const std::string_view pw = "bindpw_file=/pw";
    CHECK_FALSE(parse({base, ca, dn, pw}).ok());                  // no uri=
    CHECK_FALSE(parse({"uri=ldaps://a", ca, dn, pw}).ok());       // no base=
    CHECK_FALSE(parse({"uri=ldaps://a", base, dn, pw}).ok());     // TLS without ca=
    CHECK_FALSE(parse({"uri=ldap://a", base, ca, dn, pw}).ok());  // clear text
    CHECK(parse({"uri=ldap://a", "starttls", base, ca, dn, pw}).ok());
    CHECK(parse({"uri=ldapi:///", base, dn, pw}).ok());  // local socket
    CHECK_FALSE(parse({"uri=http://a", base, ca, dn, pw}).ok());
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, "timeout=0", dn, pw}).ok());
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, "timeout=61", dn, pw}).ok());
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, "binddn=cn=x"}).ok());  // no bindpw_file=
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca}).ok());                 // no service account
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, dn, "bindpw_file=rel"}).ok());
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, "filter=(uid=bob)", dn, pw}).ok());  // no %u
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, "forward_pass", "use_first_pass", dn, pw}).ok());
    CHECK_FALSE(parse({"uri=ldaps://a", base, ca, "tls_reqcert=never", dn, pw}).ok());  // unknown
}

TEST_CASE("fleet options: the user name is escaped in the filter", "[ldap_options]") {
    CHECK(escape_filter_value("a*b(c)d\\e") == "a\\2ab\\28c\\29d\\5ce");
    CHECK(escape_filter_value(std::string_view("x\0y", 3)) == "x\\00y");
    CHECK(expand_ldap_filter("(&(objectClass=posixAccount)(uid=%u))", "*)(uid=*").value() ==
          "(&(objectClass=posixAccount)(uid=\\2a\\29\\28uid=\\2a))");
    CHECK(expand_ldap_filter("(uid=%u)(x=100%%)", "bob").value() == "(uid=bob)(x=100%)");
    CHECK_FALSE(expand_ldap_filter("(uid=%u)", "").ok());
    CHECK_FALSE(expand_ldap_filter("(uid=%x)", "bob").ok());
}
