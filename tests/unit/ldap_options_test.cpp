// pam_totp_ldap.so's options: fail closed, TLS required, filters escaped;
// /etc/pam_totp/ldap.conf, its text and the rules its file must meet.
#include "core/ldap_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "test_util.h"

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

// --- /etc/pam_totp/ldap.conf: the text -------------------------------------

namespace {

constexpr std::string_view kConfig =
    "# fleet mode, for every host\n"
    "\n"
    "uri=ldaps://a.example,ldaps://b.example\n"
    "  base=ou=people, dc=example  \n"
    "\tca=/etc/ssl/ca.pem\r\n"
    "binddn=cn=pam,dc=example\n"
    "bindpw_file=/etc/pam_totp/ldap.secret\n"
    "timeout=7\n"
    "starttls";  // no newline at the end

std::string config_error(std::string_view text, std::vector<std::string_view> args = {}) {
    auto o = parse_ldap_config(text, args);
    REQUIRE_FALSE(o.ok());
    return o.error().message;
}

}  // namespace

TEST_CASE("ldap.conf: one option a line, comments, blanks", "[ldap_options]") {
    auto o = parse_ldap_config(kConfig);
    REQUIRE(o.ok());
    CHECK(o->uris == std::vector<std::string>{"ldaps://a.example", "ldaps://b.example"});
    CHECK(o->base == "ou=people, dc=example");  // a value keeps its inner blanks
    CHECK(o->ca == "/etc/ssl/ca.pem");
    CHECK(o->binddn == "cn=pam,dc=example");
    CHECK(o->bindpw_file == "/etc/pam_totp/ldap.secret");
    CHECK(o->timeout_seconds == 7);
    CHECK(o->starttls);
    CHECK_FALSE(o->optional);
}

TEST_CASE("ldap.conf: the PAM line overrides the file", "[ldap_options]") {
    auto o = parse_ldap_config(kConfig, {{"uri=ldaps://c.example", "timeout=2", "optional",
                                          "use_first_pass", "config=/etc/pam_totp/other.conf"}});
    REQUIRE(o.ok());
    CHECK(o->uris == std::vector<std::string>{"ldaps://c.example"});
    CHECK(o->timeout_seconds == 2);
    CHECK(o->optional);
    CHECK(o->password_mode == LdapPasswordMode::use_first_pass);
    CHECK(o->base == "ou=people, dc=example");

    // The file's password mode is replaced, not in conflict.
    std::string text(kConfig);
    text += "\nforward_pass\n";
    auto mode = parse_ldap_config(text, {{"use_first_pass"}});
    REQUIRE(mode.ok());
    CHECK(mode->password_mode == LdapPasswordMode::use_first_pass);
    CHECK(parse_ldap_config(text)->password_mode == LdapPasswordMode::forward_pass);
    // What the options must say together is checked on the result.
    CHECK(parse_ldap_config(kConfig, {{"uri=ldap://c.example"}}).ok());  // the file's starttls
    CHECK(
        config_error("uri=ldaps://a\nbase=dc=example\nca=/ca.pem\nbinddn=cn=pam\nbindpw_file=/pw\n",
                     {{"uri=ldap://c.example"}})
            .find("in clear") != std::string::npos);
}

TEST_CASE("ldap.conf: what the file may not say", "[ldap_options]") {
    const std::string base(kConfig);
    CHECK(config_error(base + "\nfoo\n") == "line 10: unknown option foo");
    CHECK(config_error(base + "\nstarttls debug\n") ==
          "line 10: one option a line, with no blank before '='");
    CHECK(config_error(base + "\nfilter = (uid=%u)\n") ==
          "line 10: one option a line, with no blank before '='");
    CHECK(config_error(base + "\ntimeout=3 # seconds\n") ==
          "line 10: a comment goes on a line of its own");
    CHECK(config_error(base + "\nbase=dc=other\n") == "line 10: option base= is given twice");
    CHECK(config_error(base + "\nconfig=/etc/x.conf\n") ==
          "line 10: config= belongs on the PAM line only");
    CHECK(config_error(base + "\ntimeout=99\n").starts_with("line 10: "));
    CHECK(config_error(base + std::string("\nca=/a\0b\n", 9)) == "line 10: a NUL byte");
    CHECK(config_error(base + "\nca=/a\x1b[0m\n") == "line 10: a control character");
    CHECK(config_error("uri=ldaps://a\n").find("base= is required") != std::string::npos);
    CHECK(config_error("") == "option uri= is required");
    // Flags may repeat, as on the PAM line.
    CHECK(parse_ldap_config(base + "\nstarttls\noptional\noptional\n").ok());
}

TEST_CASE("ldap.conf: totp-enroll-ldap needs no service account", "[ldap_options]") {
    constexpr std::string_view text = "uri=ldaps://a\nbase=dc=example\nca=/ca.pem\n";
    CHECK_FALSE(parse_ldap_config(text).ok());
    CHECK(parse_ldap_config(text, {}, LdapOptionsFor::enrolment).ok());
    CHECK_FALSE(
        parse_ldap_config("uri=ldaps://a\nca=/ca.pem\n", {}, LdapOptionsFor::enrolment).ok());
}

TEST_CASE("fleet options: config= on the PAM line", "[ldap_options]") {
    auto o = parse({"uri=ldaps://a", "base=dc=example", "ca=/ca.pem", "binddn=cn=pam",
                    "bindpw_file=/pw", "config=/etc/pam_totp/ldap-sshd.conf"});
    REQUIRE(o.ok());
    CHECK(o->config == "/etc/pam_totp/ldap-sshd.conf");
    CHECK_FALSE(parse({"uri=ldaps://a", "base=dc=example", "ca=/ca.pem", "binddn=cn=pam",
                       "bindpw_file=/pw", "config=ldap.conf"})
                    .ok());
}

// --- /etc/pam_totp/ldap.conf: the file ----------------------------------------

namespace {

// A directory whose every parent is root's and not writable by others (as
// /etc/pam_totp is): /tmp, world-writable, would be refused.
class RootDir {
  public:
    RootDir() {
        char pattern[] = "/run/pam_totp_unit.XXXXXX";
        if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp under /run failed");
        path_ = pattern;
        ::chmod(path_.c_str(), 0755);
    }
    RootDir(const RootDir&) = delete;
    RootDir& operator=(const RootDir&) = delete;
    ~RootDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

constexpr std::string_view kFile =
    "uri=ldaps://a.example\nbase=dc=example\nca=/ca.pem\nbinddn=cn=pam\nbindpw_file=/pw\n";

Result<LdapOptions> load(const std::string& default_path, std::vector<std::string_view> args = {}) {
    return load_ldap_options(args, LdapOptionsFor::module, default_path);
}

void check_refused(const Result<LdapOptions>& o, std::string_view fragment) {
    REQUIRE_FALSE(o.ok());
    INFO(o.error().message);
    CHECK(o.error().message.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("ldap.conf: read from the default path or config=", "[ldap_options]") {
    if (!test_util::is_root()) {
        WARN("not root: the file must be root's, skipping");
        return;
    }
    RootDir dir;
    const std::string path = dir.file("ldap.conf");
    test_util::write_text(path, kFile, 0644);  // world-readable is fine
    auto o = load(path, {"timeout=3"});
    REQUIRE(o.ok());
    CHECK(o->config == path);
    CHECK(o->uris == std::vector<std::string>{"ldaps://a.example"});
    CHECK(o->timeout_seconds == 3);

    // config= names another file instead of the default.
    const std::string other = dir.file("other.conf");
    test_util::write_text(other, "uri=ldaps://other.example\nbase=dc=other\nca=/ca.pem\n", 0600);
    const std::string named = "config=" + other;
    auto n = load(path, {named, "binddn=cn=x", "bindpw_file=/pw"});
    REQUIRE(n.ok());
    CHECK(n->config == other);
    CHECK(n->base == "dc=other");

    // A missing default file: the PAM line alone; a missing config= file: an error.
    const std::string missing = dir.file("missing.conf");
    auto alone = load(missing, {"uri=ldaps://a", "base=dc=example", "ca=/ca.pem", "binddn=cn=pam",
                                "bindpw_file=/pw"});
    REQUIRE(alone.ok());
    CHECK(alone->config.empty());
    check_refused(load(missing), "option uri= is required");
    const std::string named_missing = "config=" + missing;
    auto gone = load(path, {named_missing});
    check_refused(gone, missing + ": no such file");
    CHECK(gone.error().code == ENOENT);
    check_refused(load(path, {named, named}), "config= is given twice");
}

TEST_CASE("ldap.conf: refused unless root's, private to write, small, regular", "[ldap_options]") {
    if (!test_util::is_root()) {
        WARN("not root: cannot chown, skipping");
        return;
    }
    RootDir dir;
    const std::string path = dir.file("ldap.conf");
    test_util::write_text(path, kFile, 0644);
    REQUIRE(load(path).ok());

    REQUIRE(::chown(path.c_str(), 4321, 0) == 0);
    check_refused(load(path), path + ": owned by uid 4321, expected uid 0");
    REQUIRE(::chown(path.c_str(), 0, 4321) == 0);  // another group: fine, if it cannot write
    REQUIRE(load(path).ok());
    REQUIRE(::chmod(path.c_str(), 0664) == 0);
    check_refused(load(path), path + ": mode 0664 is too open");
    REQUIRE(::chmod(path.c_str(), 0646) == 0);
    check_refused(load(path), path + ": mode 0646 is too open");
    REQUIRE(::chmod(path.c_str(), 0644) == 0);

    // A symbolic link, even to a good file.
    const std::string link = dir.file("link.conf");
    REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
    check_refused(load(link), link + ": is a symbolic link");

    // Not a regular file (a FIFO is never opened for a blocking read).
    const std::string fifo = dir.file("fifo.conf");
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    check_refused(load(fifo), fifo + ": not a regular file");
    check_refused(load(dir.path()), "not a regular file");

    // Too large.
    const std::string big = dir.file("big.conf");
    test_util::write_text(big, std::string(kFile) + std::string(kMaxLdapConfigSize, '#'), 0644);
    check_refused(load(big), "larger than 16384 bytes");

    // Malformed: the error names the file and the line.
    const std::string bad = dir.file("bad.conf");
    test_util::write_text(bad, std::string(kFile) + "tls_reqcert=never\n", 0644);
    check_refused(load(bad), bad + ": line 6: unknown option tls_reqcert=");

    // In a directory others may write to.
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    check_refused(load(path), "is writable by group or others");
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    REQUIRE(load(path).ok());
}

TEST_CASE("ldap.conf: no symbolic link on the way, each directory checked as opened",
          "[ldap_options]") {
    if (!test_util::is_root()) {
        WARN("not root: cannot chown, skipping");
        return;
    }
    RootDir dir;
    const std::string real = dir.file("real");
    REQUIRE(::mkdir(real.c_str(), 0755) == 0);
    const std::string path = real + "/ldap.conf";
    test_util::write_text(path, kFile, 0644);
    REQUIRE(load(path).ok());

    // A symbolic link to a directory, even to a good one, even root's: the
    // directory checked could otherwise differ from the one read from.
    const std::string linked = dir.file("linked");
    REQUIRE(::symlink(real.c_str(), linked.c_str()) == 0);
    const std::string through_link = linked + "/ldap.conf";
    check_refused(load(through_link),
                  through_link + ": directory " + linked + " is a symbolic link");
    const std::string named = "config=" + through_link;
    check_refused(load(path, {named}), "directory " + linked + " is a symbolic link");
    // Relative to a link: a link higher up, and one to a directory elsewhere.
    const std::string to_run = dir.file("run");
    REQUIRE(::symlink("/run", to_run.c_str()) == 0);
    const std::string via_run =
        to_run + "/" + std::filesystem::path(dir.path()).filename().string() + "/real/ldap.conf";
    check_refused(load(via_run), "directory " + to_run + " is a symbolic link");
    // "..", which would leave a directory already checked.
    check_refused(load(real + "/../real/ldap.conf"), "a path with .. is refused");
    // Doubled slashes and "." are only spelling.
    auto spelled = load(dir.path() + "//./real/ldap.conf");
    REQUIRE(spelled.ok());

    // A directory on the way that is not root's, or that others may write to.
    REQUIRE(::chown(real.c_str(), 4321, 0) == 0);
    check_refused(load(path), "directory " + real + " is owned by uid 4321, not by root");
    REQUIRE(::chown(real.c_str(), 0, 0) == 0);
    REQUIRE(::chmod(real.c_str(), 0775) == 0);
    check_refused(load(path), "directory " + real + " is writable by group or others");
    REQUIRE(::chmod(real.c_str(), 0755) == 0);
    REQUIRE(load(path).ok());

    // A directory on the way that does not exist: no file (the PAM line alone).
    auto alone = load(dir.file("none/ldap.conf"), {"uri=ldaps://a", "base=dc=example", "ca=/ca.pem",
                                                   "binddn=cn=pam", "bindpw_file=/pw"});
    REQUIRE(alone.ok());
    CHECK(alone->config.empty());
    // A file where a directory should be.
    check_refused(load(path + "/ldap.conf"), "Not a directory");
}
