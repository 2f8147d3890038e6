"""Shared by the stress tests: the tests/pam sandbox plus a fake-clock driver.

Every authentication runs stress_driver (stress_driver.c), which answers with
the code of a chosen TOTP step and shows the module that step's time, so a
test can use thousands of fresh steps without waiting for the clock.
"""
import os
import re
import shutil
import subprocess
import time

import pam_wrapper_dirs
import pamtest

STRESS_DRIVER = os.environ.get("STRESS_DRIVER", "")
STRESS_CHECK = os.environ.get("STRESS_CHECK", "")
TOTP_ENROLL = os.environ.get("TOTP_ENROLL", "")
SANITIZE = pamtest.SANITIZE
PAM_SUCCESS, PAM_AUTH_ERR = pamtest.PAM_SUCCESS, pamtest.PAM_AUTH_ERR

# A fake clock far from the real one and from other tests' steps.
FIRST_STEP = 60_000_000


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (CI runs as root)"
    for name, path in (("STRESS_DRIVER", STRESS_DRIVER), ("STRESS_CHECK", STRESS_CHECK),
                       ("PAM_TOTP_MODULE", pamtest.MODULE)):
        if not path or not os.path.exists(path):
            return f"{name} not built"
    return None


# tests/run --long (CMake option PAM_TOTP_LONG_TESTS) sets STRESS_LONG=1.
LONG = os.environ.get("STRESS_LONG", "0") in ("1", "ON", "TRUE", "true")


def repetitions(default, long):
    """How many random repetitions a test makes: `long` with tests/run --long,
    else `default`. Only random repetitions scale; every scenario and every
    distinct kill point (distinct_kill_points) runs in both modes."""
    return long if LONG else default


# System calls that change a file (its data, its metadata or its name).
FILE_CHANGING = {"pwrite64", "write", "ftruncate", "fchown", "fchmod", "rename", "renameat2",
                 "link", "linkat", "unlink", "unlinkat"}


def changes_files(event):
    name, _, line = event
    if name == "openat":  # an open that created the file
        return "O_CREAT" in line and not re.search(r"= -1 E[A-Z]+", line)
    return name in FILE_CHANGING


def distinct_kill_points(events):
    """The kill points (strace events) that between them leave every state of
    the files that a SIGKILL can leave. A process killed on entry to a system
    call leaves exactly what its earlier calls did to the files (the kernel
    closes its descriptors and drops its locks; a kill is no power loss, so a
    write counts whether or not an fdatasync followed it). So every kill point
    between two calls that change a file leaves the same files as a kill on
    entry to the second, and these are all: on entry to the first call
    (nothing done), on entry to every call that changes a file (pwrite64, an
    open that creates the file, a rename, ...) and on entry to the last call
    (everything done, the outcome not yet reported)."""
    if not events:
        return []
    keep = [events[0]]
    keep += [e for e in events[1:-1] if changes_files(e)]
    if len(events) > 1:
        keep.append(events[-1])
    return keep


class StressBox(pamtest.Sandbox):
    def __init__(self):
        super().__init__()
        self.service("totp", self.totp_line())

    def cleanup(self):
        # Drivers killed with SIGKILL (crash consistency) or on a timeout
        # never ran pam_wrapper's destructor: remove their /tmp/pam.X too.
        pam_wrapper_dirs.remove_leftovers(self.root)
        super().cleanup()

    def env(self):
        env = super().env()
        # The driver's clock functions must win over libc's inside the module.
        env["PAM_WRAPPER_DISABLE_DEEPBIND"] = "1"
        return env

    def driver_cmd(self, user, key_hex, first_step, count=1, wrong_first=False, go_file=None):
        cmd = [STRESS_DRIVER]
        if go_file:
            cmd += ["--go-file", go_file]
        if wrong_first:
            cmd += ["--wrong-first"]
        return cmd + ["totp", user, key_hex, str(first_step), str(count)]

    def login(self, user, key_hex, step, timeout=60):
        """One login with the code of `step`; returns the PAM code."""
        p = subprocess.run(self.driver_cmd(user, key_hex, step), env=self.env(), capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        results = parse_results(p.stdout)
        if not results:
            raise AssertionError(f"no result from the driver: rc={p.returncode} {p.stderr[-2000:]}")
        return results[-1][2]

    def state(self, user, timeout=30):
        """The user's state as the module reads it: (has_last, last, failures, locks, locked_until).
        Raises if the file does not parse or its lock is not released."""
        p = subprocess.run([STRESS_CHECK, "state", self.statedir, user], capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0 or not p.stdout.startswith("ok "):
            raise AssertionError(f"state file of {user} refused: {p.stdout}{p.stderr}")
        has_last, last, failures, locks, locked_until = (int(x) for x in p.stdout.split()[1:])
        return bool(has_last), last, failures, locks, locked_until

    def check_secret(self, user):
        p = subprocess.run([STRESS_CHECK, "secret", self.secret_path(user), self.hostkey,
                            str(self.users[user]["uid"])], capture_output=True, text=True, timeout=30)
        if p.returncode != 0 or not p.stdout.startswith("ok "):
            raise AssertionError(f"secret file of {user} refused: {p.stdout}{p.stderr}")
        return p.stdout.split()[1]


def parse_results(stdout):
    """[(step, 'wrong'|'code', rc), ...] from the driver's output; a line cut
    short by a kill is ignored."""
    out = []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "step" and parts[3].lstrip("-").isdigit():
            out.append((int(parts[1]), parts[2], int(parts[3])))
    return out


def strace_available():
    return shutil.which("strace") is not None


def wait_all(procs, timeout):
    deadline = time.monotonic() + timeout
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
        outs.append((p.returncode, out))
    return outs


def strace_events(log):
    """(syscall, ordinal among calls of that name) for every call in a strace log."""
    seen = {}
    events = []
    for line in log.splitlines():
        m = re.match(r"(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\(", line)
        if not m:
            continue
        name = m.group(1)
        seen[name] = seen.get(name, 0) + 1
        events.append((name, seen[name], line))
    return events
