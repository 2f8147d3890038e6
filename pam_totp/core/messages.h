// What the modules tell users, shared by pam_totp.so and pam_totp_ldap.so so
// that both say the same thing for the same event.
#pragma once

namespace pam_totp {

inline constexpr char kReplayMessage[] =
    "This code was already used. If that was not you, change your password.";
// Said for every refused code alike, enrolled or not, so it reveals nothing.
inline constexpr char kWrongCodeMessage[] = "Wrong code.";
inline constexpr char kCodePrompt[] = "Verification code: ";
inline constexpr char kPasswordPrompt[] = "Password: ";
inline constexpr char kForwardPassPrompt[] = "Password & verification code: ";

}  // namespace pam_totp
