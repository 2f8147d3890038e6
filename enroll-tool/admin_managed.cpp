#include "admin_managed.h"

#include <sys/stat.h>
#include <unistd.h>

namespace totp_enroll {
namespace {

bool owned_by_root(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && st.st_uid == 0;
}

}  // namespace

std::string managed_file_path(const Context& context) {
    return context.options.keydir + "/secrets/" + context.user.name;
}

Status refuse_if_admin_managed(const Context& context) {
    if (::getuid() == 0) return {};
    std::string managed;
    if (owned_by_root(context.store.path()))
        managed = context.store.path();
    else if (!context.options.file && owned_by_root(managed_file_path(context)))
        managed = managed_file_path(context);
    if (managed.empty()) return {};
    return failure(ExitCode::refused,
                   "An administrator manages your enrolment on this host (" + managed +
                       " belongs to root); ask them to change it. Nothing was written.");
}

}  // namespace totp_enroll
