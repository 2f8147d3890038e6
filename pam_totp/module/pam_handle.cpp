#include "module/pam_handle.h"

#include <security/pam_ext.h>
#include <syslog.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include <openssl/crypto.h>

namespace pam_totp {
namespace {

// A response from the conversation: wiped and freed, whatever happens.
struct WipeAndFree {
    void operator()(char* p) const {
        if (!p) return;
        OPENSSL_cleanse(p, std::strlen(p));
        std::free(p);
    }
};
using PamResponse = std::unique_ptr<char, WipeAndFree>;

// User names and remote hosts come from the client: keep them from forging
// syslog lines or sending terminal controls (C0, DEL and, as bytes >= 0x80
// may be C1 controls, anything outside ASCII) to whoever reads the log.
std::string printable(const std::string& text) {
    std::string out = text;
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return out;
}

}  // namespace

Result<std::string> PamHandle::user() const {
    const char* name = nullptr;
    const int status = pam_get_user(pamh_, &name, nullptr);
    if (status != PAM_SUCCESS) return Error{"cannot determine the user name", status};
    if (!name || !*name)
        return Error{"cannot determine the user name: it is empty", PAM_USER_UNKNOWN};
    return std::string(name);
}

std::optional<std::string> PamHandle::service() const {
    const void* item = nullptr;
    if (pam_get_item(pamh_, PAM_SERVICE, &item) != PAM_SUCCESS || !item) return std::nullopt;
    return std::string(static_cast<const char*>(item));
}

std::optional<std::string> PamHandle::rhost() const {
    const void* item = nullptr;
    if (pam_get_item(pamh_, PAM_RHOST, &item) != PAM_SUCCESS || !item) return std::nullopt;
    const char* host = static_cast<const char*>(item);
    if (!*host) return std::nullopt;
    return std::string(host);
}

std::optional<SecretBytes> PamHandle::authtok() const {
    const void* item = nullptr;
    if (pam_get_item(pamh_, PAM_AUTHTOK, &item) != PAM_SUCCESS || !item) return std::nullopt;
    return SecretBytes::from_string(static_cast<const char*>(item));
}

int PamHandle::set_authtok(const SecretBytes& token) const {
    // PAM copies the item; our temporary NUL-terminated copy is wiped.
    SecretBytes terminated(token.size() + 1);
    if (!token.empty()) std::memcpy(terminated.data(), token.data(), token.size());
    return pam_set_item(pamh_, PAM_AUTHTOK, terminated.data());
}

Result<SecretBytes> PamHandle::ask(const std::string& prompt, bool echo) const {
    char* raw = nullptr;
    const int status = pam_prompt(pamh_, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, &raw,
                                  "%s", prompt.c_str());
    PamResponse response(raw);
    if (status != PAM_SUCCESS) return Error{"conversation failed", status};
    if (!response) return Error{"no answer from the conversation", PAM_CONV_ERR};
    return SecretBytes::from_string(response.get());
}

std::optional<std::string> PamHandle::env(const char* name) const {
    const char* value = pam_getenv(pamh_, name);
    if (!value) return std::nullopt;
    return std::string(value);
}

int PamHandle::set_env(const std::string& name, const std::string& value) const {
    return pam_putenv(pamh_, (name + "=" + value).c_str());
}

void PamHandle::unset_env(const std::string& name) const {
    // Linux-PAM logs an error for deleting a variable that is not there.
    if (pam_getenv(pamh_, name.c_str()))
        (void)pam_putenv(pamh_, name.c_str());  // a name without '=' deletes it
}

void PamHandle::tell_error(const std::string& message) const {
    if (flags_ & PAM_SILENT) return;
    pam_prompt(pamh_, PAM_ERROR_MSG, nullptr, "%s", message.c_str());
}

void PamHandle::tell_info(const std::string& message) const {
    if (flags_ & PAM_SILENT) return;
    pam_prompt(pamh_, PAM_TEXT_INFO, nullptr, "%s", message.c_str());
}

void PamHandle::log(int priority, const std::string& message) const {
    if (auto host = rhost())
        pam_syslog(pamh_, priority, "%s rhost=%s", printable(message).c_str(),
                   printable(*host).c_str());
    else
        pam_syslog(pamh_, priority, "%s", printable(message).c_str());
}

}  // namespace pam_totp
