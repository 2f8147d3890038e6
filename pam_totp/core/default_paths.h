// Where pam_totp keeps things unless an option says otherwise: one place
// for the module's option defaults and totp-enroll's, so both name the same
// files.
#pragma once

namespace pam_totp {

// The host key pair: host.key (root 0600) and host.pub.
inline constexpr char kDefaultKeyDir[] = "/etc/pam_totp";
inline constexpr char kPrivateKeyName[] = "host.key";
inline constexpr char kPublicKeyName[] = "host.pub";
inline constexpr char kDefaultHostKey[] = "/etc/pam_totp/host.key";
// During a rekey: the previous private key, next to the key (host.key.old),
// which opens only pins still sealed to it (totp-enroll --rekey).
inline constexpr char kPreviousKeySuffix[] = ".old";
// The module's records (statedir=).
inline constexpr char kDefaultStateDir[] = "/var/lib/pam_totp";
// The user's secret file (secret=): %h is the home from the password database.
inline constexpr char kDefaultSecretPattern[] = "%h/.pam_totp";
// Fleet mode's options (pam_totp_ldap.so, totp-enroll-ldap): the same words
// as on the PAM line, one a line; config= on the PAM line names another.
inline constexpr char kDefaultLdapConfig[] = "/etc/pam_totp/ldap.conf";

}  // namespace pam_totp
