"""pam_wrapper's per-process directories, /tmp/pam.X (X one of 0-9A-Za-z).

Every process started with the sandbox's environment (LD_PRELOAD of
libpam_wrapper.so, PAM_WRAPPER=1) creates one in pam_wrapper's constructor,
writes its pid into it, copies the service files there, and removes it in
its destructor. The destructor does not run when the process is killed (the
crash-consistency tests SIGKILL drivers, a hung driver is killed on timeout)
or replaces itself with exec, so those directories stay behind; pam_wrapper
itself removes a stale one only when a later process happens to probe that
letter. remove_leftovers() removes the ones a sandbox left: the process in
the pid file is gone and a service file names the sandbox's directory (every
pam_totp line does, in hostkey= and statedir=).

Run as a script, it removes the leftovers of every pam_totp test sandbox
that no longer exists.
"""
import glob
import os
import re
import shutil
import stat
import sys

PATTERN = "/tmp/pam.?"
SANDBOX_RE = re.compile(r"/[^\s=]*/pam_totp_test\.[A-Za-z0-9_]+")  # tempfile.mkdtemp names


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _service_texts(path):
    texts = []
    for name in os.listdir(path):
        if name == "pid":
            continue
        file = os.path.join(path, name)
        st = os.lstat(file)
        if stat.S_ISREG(st.st_mode) and st.st_size < 64 * 1024:
            with open(file, errors="replace") as f:
                texts.append(f.read())
    return texts


def _leftover(path, is_ours):
    """True when `path` is a pam_wrapper directory of a dead process whose
    service files `is_ours` accepts."""
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        return False
    try:
        with open(os.path.join(path, "pid")) as f:
            pid = int(f.read().strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0 or _pid_alive(pid):
        return False
    return any(is_ours(text) for text in _service_texts(path))


def remove_leftovers(sandbox_root=None):
    """Removes the /tmp/pam.X directories left by dead processes of the
    sandbox in `sandbox_root`, or, without it, of any pam_totp test sandbox
    that no longer exists. Returns the removed paths."""
    if sandbox_root is not None:
        root = sandbox_root.rstrip("/") + "/"

        def is_ours(text):
            return root in text
    else:
        def is_ours(text):
            sandboxes = set(SANDBOX_RE.findall(text))
            return bool(sandboxes) and not any(os.path.exists(s) for s in sandboxes)

    removed = []
    for path in sorted(glob.glob(PATTERN)):
        try:
            if _leftover(path, is_ours):
                shutil.rmtree(path)
                removed.append(path)
        except OSError:
            continue  # gone meanwhile, or taken over by a new process
    return removed


if __name__ == "__main__":
    for path in remove_leftovers():
        print(f"removed {path}")
    sys.exit(0)
