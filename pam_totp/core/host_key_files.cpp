#include "core/host_key_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_io.h"

namespace pam_totp {
namespace {

constexpr std::size_t kMaxPemSize = 16 * 1024;

// The key is root's alone, so a caller without root (a screen locker, a
// mail server running as its own user) fails with EACCES on the file or its
// directory; say so instead of a bare "Permission denied". Checked with the
// effective IDs, as open() does, and only after a failure.
bool denied_for_lack_of_root(const std::string& path) {
    if (::geteuid() == 0) return false;
    return ::faccessat(AT_FDCWD, path.c_str(), R_OK, AT_EACCESS) != 0 && errno == EACCES;
}

}  // namespace

Result<HostPrivateKey> load_host_private_key(const std::string& path) {
    auto bytes = read_checked_file(
        path, {.owner = 0, .allow_root = true, .forbidden_mode = 0077, .max_size = kMaxPemSize});
    if (!bytes && denied_for_lack_of_root(path))
        return Error{"pam_totp called by uid " + std::to_string(::geteuid()) +
                     " without root; cannot read the host key " + path};
    if (!bytes) return Error{"host key " + bytes.error().message};
    if (!*bytes)
        return Error{"host key " + path + " does not exist (run: totp-enroll --generate-host-key)"};
    auto key = HostPrivateKey::from_pem((*bytes)->view());
    if (!key && key.error().message == kEncryptedHostKeyError)
        return Error{key.error().message + " (" + path + ")"};
    if (!key) return Error{"host key " + path + ": " + key.error().message};
    return key;
}

Result<HostPublicKey> load_host_public_key(const std::string& path) {
    auto bytes = read_checked_file(
        path, {.owner = 0, .allow_root = true, .forbidden_mode = 0022, .max_size = kMaxPemSize});
    if (!bytes) return Error{"host public key " + bytes.error().message};
    if (!*bytes)
        return Error{
            "host public key " + path +
            " does not exist; ask an administrator to run: totp-enroll --generate-host-key"};
    auto key = HostPublicKey::from_pem((*bytes)->view());
    if (!key) return Error{"host public key " + path + ": " + key.error().message};
    return key;
}

Result<HostPublicKey> write_new_host_key_pair(const std::string& dir, bool replace) {
    const HostPrivateKey key = HostPrivateKey::generate();
    const HostPublicKey pub = key.public_key();
    const SecretBytes private_pem = key.to_pem();
    const std::string public_pem = pub.to_pem();
    const std::string private_path = dir + "/" + kPrivateKeyName;
    const std::string public_path = dir + "/" + kPublicKeyName;
    // Private first: a crash in between leaves a key that can still open
    // files, and the public half can always be derived again.
    if (auto s = write_file_atomically(private_path, private_pem.span(),
                                       {.mode = 0600, .replace = replace});
        !s)
        return s.error();
    const std::span public_bytes(reinterpret_cast<const std::uint8_t*>(public_pem.data()),
                                 public_pem.size());
    if (auto s =
            write_file_atomically(public_path, public_bytes, {.mode = 0644, .replace = replace});
        !s)
        return s.error();
    return pub;
}

}  // namespace pam_totp
