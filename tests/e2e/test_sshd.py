"""End to end through a real OpenSSH server and client.

A private sshd listens on 127.0.0.1 on an unused high port with its own host
key and sshd_config. OpenSSH uses its program name as the PAM service name,
so sshd runs through a symlink with a unique name, and a test-only
/etc/pam.d/<that name> stacks pam_unix (the password) and the freshly built
pam_totp.so (the code) with a host key and state directory in a temp dir.
A test user is created with useradd and enrolled (with totp-enroll when it
is built, else with the PAM tests' make_secret_file helper); the real ssh
client is driven with pexpect:

  1. right password + wrong code: refused;
  2. right password + right code (from oathtool): logged in, command runs;
  3. the same code again: refused, and the client shows the replay warning;
  4. then the README's other recipe (AuthenticationMethods
     publickey,keyboard-interactive, pam_totp alone in the stack): key +
     wrong code refused, key + right code (of a later time step) logs in
     without any password prompt;
  5. switching authenticators through sshd.

Every successful login spends a 30 s time step, and the module accepts the
steps next to the current one (window=1). Each login takes the first unspent
step the window accepts, the next step's code included (the code a phone
whose clock is a little ahead shows); the enrolment confirms with the
previous step's code (a phone a little behind). So the old authenticator's
four logins fit in the window around two consecutive steps, and the test
waits for at most one step boundary instead of sleeping across two.

Everything is removed afterwards, also on failure: the user, the pam.d file,
every process the test started, the temp directory. Leftovers of a run that
was killed (named after its dead pid) are removed at the start. Skipped (exit
77) only when not run as root.
"""
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

MODULE = os.environ.get("PAM_TOTP_MODULE", "")
TOTP_ENROLL = os.environ.get("TOTP_ENROLL", "")
MAKE_SECRET_FILE = os.environ.get("MAKE_SECRET_FILE", "")
SANITIZE = os.environ.get("PAM_TOTP_SANITIZE", "0") in ("1", "ON", "TRUE", "true")
SSHD = "/usr/sbin/sshd"
PAM_DIR = "/etc/pam.d"
PREFIX = "pte2e"  # user pte2e<pid>, service sshd-pte2e-<pid>
REPLAY_MESSAGE = "This code was already used. If that was not you, change your password."
SKIP = 77


def log(message):
    print(f"e2e: {message}", flush=True)


def run(cmd, **kwargs):
    kwargs.setdefault("check", True)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    return subprocess.run(cmd, **kwargs)


def run_account_tool(cmd, **kwargs):
    """useradd, userdel, chpasswd: they give up at once ("cannot lock
    /etc/passwd; try again later") while another process holds the lock,
    such as another test suite running on the same machine; retried."""
    check = kwargs.pop("check", True)
    for attempt in range(40):
        result = run(cmd, check=False, **kwargs)
        if result.returncode == 0 or "lock" not in result.stderr:
            break
        time.sleep(0.25)
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, cmd, result.stdout, result.stderr)
    return result


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def user_exists(name):
    return run(["getent", "passwd", name], check=False).returncode == 0


def remove_stale_leftovers():
    """Artifacts of earlier runs that were killed before they could clean up.

    Every artifact carries the pid of the run that made it (user pte2e<pid>,
    /etc/pam.d/sshd-pte2e-<pid>, /tmp/pam_totp_e2e.<pid>.*, processes running
    as sshd-pte2e-<pid>); those whose pid is no longer alive are removed."""
    tmp = tempfile.gettempdir()
    with open("/etc/passwd") as f:
        users = [line.split(":", 1)[0] for line in f]
    pids = set()
    for names, pattern in ((os.listdir(PAM_DIR), rf"sshd-{PREFIX}-(\d+)"),
                           (users, rf"{PREFIX}(\d+)"),
                           (os.listdir(tmp), r"pam_totp_e2e\.(\d+)\..*")):
        for name in names:
            m = re.fullmatch(pattern, name)
            if m and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
                pids.add(int(m.group(1)))
    for pid in sorted(pids):
        log(f"removing leftovers of an earlier run (pid {pid})")
        name = f"sshd-{PREFIX}-{pid}"
        for victim in processes_matching(name, None):
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if os.path.lexists(os.path.join(PAM_DIR, name)):
            os.unlink(os.path.join(PAM_DIR, name))
        if user_exists(f"{PREFIX}{pid}"):
            run_account_tool(["userdel", "-f", f"{PREFIX}{pid}"], check=False)
        for entry in os.listdir(tmp):
            if entry.startswith(f"pam_totp_e2e.{pid}."):
                shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)


def free_port():
    """A high port nobody listens on (the kernel's choice from its ephemeral range)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_matching(name, uid):
    """Pids whose command line contains our unique service name or that run as our test user."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            owner = os.stat(f"/proc/{entry}").st_uid
        except OSError:
            continue
        if name in cmdline or (uid is not None and owner == uid):
            found.append(int(entry))
    return found


def oathtool_code(base32_secret, algorithm="SHA1", digits=6, period=30, at=None):
    when = [] if at is None else [
        "--now", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(at)))]
    out = run(["oathtool", f"--totp={algorithm}", "-d", str(digits), "-s", f"{period}s", "-b",
               *when, base32_secret])
    return out.stdout.strip()


def sshd_environment():
    """sshd's environment; with a sanitizer build of the module, sshd (which
    re-executes itself per connection and keeps its environment) must load
    the sanitizer runtimes first, or dlopen of pam_totp.so fails."""
    env = dict(os.environ)
    if SANITIZE:
        env["LD_PRELOAD"] = ":".join(sanitizer_runtimes(MODULE))
        env["ASAN_OPTIONS"] = "detect_leaks=0:verify_asan_link_order=0"
    return env


def sanitizer_runtimes(library):
    """The shared sanitizer runtimes `library` was linked against, as ldd
    resolves them: GCC's libasan and libubsan, or clang's
    libclang_rt.asan (-shared-libasan, which carries UBSan too)."""
    found = []
    for line in run(["ldd", library]).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m and re.match(r"lib(asan|ubsan|clang_rt\.(asan|ubsan)[^ ]*)\.so", m.group(1)):
            found.append(os.path.realpath(m.group(2)))
    if not found:
        raise AssertionError(f"no sanitizer runtime in ldd {library}")
    return found


PERIOD = 30


def current_step():
    return int(time.time()) // PERIOD


def usable_step(last_used):
    """The first step after `last_used` (spent steps are replays) that the
    module's window of one step either side accepts now, and still accepts
    if the clock passes a step boundary during the login: the current step
    or the next one. Waits only when the next one is spent too."""
    step = max(last_used + 1, current_step())
    if step > current_step() + 1:
        wait = (step - 1) * PERIOD - time.time() + 0.2
        log(f"waiting {wait:.0f} s for the next time step")
        while step > current_step() + 1:
            time.sleep(max(0.1, (step - 1) * PERIOD - time.time() + 0.2))
    return step


def step_code(base32_secret, step):
    return oathtool_code(base32_secret, at=step * PERIOD)


class Fixture:
    def __init__(self):
        self.used_step = 0  # the last time step the test user's authenticator spent
        self.pid = os.getpid()
        self.name = f"sshd-{PREFIX}-{self.pid}"
        self.user = f"{PREFIX}{self.pid}"
        self.password = "E2e-" + secrets.token_urlsafe(12)
        self.tmp = None
        self.pam_file = os.path.join(PAM_DIR, self.name)
        self.sshd = None
        self.uid = None
        self.created_run_sshd = False
        self.secret_base32 = None

    # -- setup -------------------------------------------------------------
    def setup(self):
        self.tmp = tempfile.mkdtemp(prefix=f"pam_totp_e2e.{self.pid}.")
        os.chmod(self.tmp, 0o711)  # the user must reach the home directory inside
        self.keydir = self._mkdir("keys", 0o700)
        self.statedir = self._mkdir("state", 0o700)
        self.home = os.path.join(self.tmp, "home")
        self._make_user()
        self._make_host_keys()
        self._enroll()
        self._write_pam_service()
        self._start_sshd()

    def _mkdir(self, name, mode):
        path = os.path.join(self.tmp, name)
        os.mkdir(path)
        os.chmod(path, mode)
        return path

    def _make_user(self):
        run_account_tool(["useradd", "--no-create-home", "--home-dir", self.home, "--shell", "/bin/sh",
             "--user-group", "--comment", "pam_totp e2e test user", self.user])
        self.uid = int(run(["id", "-u", self.user]).stdout)
        os.mkdir(self.home, 0o700)
        os.chown(self.home, self.uid, self.uid)
        run_account_tool(["chpasswd"], input=f"{self.user}:{self.password}\n")
        log(f"user {self.user} (uid {self.uid}), home {self.home}")

    def _make_host_keys(self):
        if TOTP_ENROLL:
            run([TOTP_ENROLL, "--generate-host-key", "--keydir", self.keydir])
        else:
            run([MAKE_SECRET_FILE, "host-key", self.keydir])
        self.hostkey = os.path.join(self.keydir, "host.key")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
             os.path.join(self.tmp, "ssh_host_ed25519_key")])

    def _enroll(self):
        if TOTP_ENROLL:
            self._enroll_with_totp_enroll()
        else:
            self._enroll_with_helper()

    def _enroll_with_totp_enroll(self):
        """The real tool, in a pseudo-terminal: read the URI it prints, type the code."""
        import pexpect
        child = pexpect.spawn(TOTP_ENROLL, ["--user", self.user, "--keydir", self.keydir, "--qr=none",
                                            "--statedir", self.statedir],
                              encoding="utf-8", timeout=30)
        try:
            child.expect(r"otpauth://totp/\S+")
            uri = child.after.strip()
            query = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
            self.secret_base32 = query["secret"][0]
            child.expect("code the app shows")
            # The previous step's code (accepted, with a note on the phone's
            # clock), typed at least 3 s before the step ends so that it is
            # still in the window when totp-enroll checks it. Its step is spent.
            if PERIOD - time.time() % PERIOD < 3:
                time.sleep(PERIOD - time.time() % PERIOD + 0.2)
            self.used_step = current_step() - 1
            child.sendline(step_code(self.secret_base32, self.used_step))
            child.expect(pexpect.EOF)
        finally:
            child.close()
        if child.exitstatus != 0:
            raise AssertionError(f"totp-enroll exited {child.exitstatus}: {child.before}")
        path = os.path.join(self.home, ".pam_totp")
        st = os.stat(path)
        assert st.st_uid == self.uid and (st.st_mode & 0o777) == 0o600, "enrolled file owner/mode"
        log("enrolled with totp-enroll")

    def plant_new_enrollment(self):
        """The user's own re-enrolment: a new file in the home, as the user."""
        import base64
        secret = secrets.token_bytes(20)
        text = run([MAKE_SECRET_FILE, "seal", "--pub", os.path.join(self.keydir, "host.pub"),
                    "--user", self.user, "--secret-hex", secret.hex(), "--period", "30"]).stdout
        path = os.path.join(self.home, ".pam_totp")
        with open(path + ".new", "w") as f:
            f.write(text)
        os.chown(path + ".new", self.uid, self.uid)
        os.chmod(path + ".new", 0o600)
        os.rename(path + ".new", path)
        return base64.b32encode(secret).decode()

    def _enroll_with_helper(self):
        import base64
        secret = secrets.token_bytes(20)
        self.secret_base32 = base64.b32encode(secret).decode()
        text = run([MAKE_SECRET_FILE, "seal", "--pub", os.path.join(self.keydir, "host.pub"),
                    "--user", self.user, "--secret-hex", secret.hex(), "--period", "30"]).stdout
        path = os.path.join(self.home, ".pam_totp")
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.uid, self.uid)
        os.chmod(path, 0o600)
        log("enrolled with make_secret_file (totp-enroll not built)")

    def _write_pam_service(self, with_password=True):
        """The README's recipes: password and code (pam_unix, then pam_totp),
        or, behind a public key, the code alone."""
        lines = ["# pam_totp end-to-end test; removed when the test ends"]
        if with_password:
            lines.append("auth required pam_unix.so")
        lines += [
            f"auth required {MODULE} secret=%h/.pam_totp hostkey={self.hostkey} statedir={self.statedir}",
            "account required pam_unix.so",
            "session required pam_permit.so",
            "password required pam_deny.so",
        ]
        if os.path.lexists(self.pam_file):
            os.unlink(self.pam_file)
        fd = os.open(self.pam_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        log(f"PAM service {self.pam_file}" + ("" if with_password else " (code only)"))

    def switch_to_publickey_and_code(self):
        """Restarts sshd with AuthenticationMethods publickey,keyboard-interactive
        and a PAM stack of pam_totp alone, and gives the client a key."""
        self._stop_sshd()
        self.client_key = os.path.join(self.tmp, "client_key")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.client_key])
        ssh_dir = os.path.join(self.home, ".ssh")
        os.mkdir(ssh_dir, 0o700)
        shutil.copy(self.client_key + ".pub", os.path.join(ssh_dir, "authorized_keys"))
        for path in (ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
            os.chown(path, self.uid, self.uid)
        self._write_pam_service(with_password=False)
        self._start_sshd([
            "PasswordAuthentication no",
            "PubkeyAuthentication yes",
            "AuthenticationMethods publickey,keyboard-interactive",
            "AuthorizedKeysFile .ssh/authorized_keys",
            "StrictModes no",  # the home is under /tmp (world-writable)
        ])

    def _start_sshd(self, auth_config=None):
        auth_config = auth_config or [
            "PasswordAuthentication no",
            "PubkeyAuthentication no",
            "AuthenticationMethods keyboard-interactive",
            "AuthorizedKeysFile none",
        ]
        if not os.path.isdir("/run/sshd"):
            os.mkdir("/run/sshd", 0o755)  # sshd's privilege separation directory
            self.created_run_sshd = True
        self.link = os.path.join(self.tmp, self.name)
        if not os.path.lexists(self.link):
            os.symlink(SSHD, self.link)
        self.sshd_log = os.path.join(self.tmp, "sshd.log")
        config = os.path.join(self.tmp, "sshd_config")
        for attempt in range(5):
            self.port = free_port()
            with open(config, "w") as f:
                f.write("\n".join([
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.tmp}/ssh_host_ed25519_key",
                    f"PidFile {self.tmp}/sshd.pid",
                    "UsePAM yes",
                    "KbdInteractiveAuthentication yes",
                    *auth_config,
                    "PermitRootLogin no",
                    f"AllowUsers {self.user}",
                    "MaxAuthTries 3",
                    "UseDNS no",
                    "PrintMotd no",
                    "LogLevel VERBOSE",
                    "",
                ]))
            run([self.link, "-t", "-f", config])
            self.sshd = subprocess.Popen([self.link, "-D", "-f", config, "-E", self.sshd_log],
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         env=sshd_environment())
            if self._wait_listening():
                log(f"sshd as {self.name} on 127.0.0.1:{self.port}")
                return
            self._stop_sshd()
            log(f"sshd did not come up on port {self.port}, retrying")
        raise AssertionError("sshd did not start:\n" + self.read_sshd_log())

    def _wait_listening(self):
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.sshd.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def read_sshd_log(self):
        try:
            with open(self.sshd_log, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return "(no sshd log)"

    # -- the client ----------------------------------------------------------
    def ssh(self, code, command="echo e2e-ok-$((6*7))", key=None, new_code=None):
        """Logs in with the password (or the private key `key`) and `code`,
        then, with `new_code`, answers the new-authenticator prompt; returns
        (exit status, transcript)."""
        import pexpect
        if key:
            methods = ["-o", "PreferredAuthentications=publickey,keyboard-interactive",
                       "-o", "PubkeyAuthentication=yes", "-o", "IdentitiesOnly=yes", "-i", key]
        else:
            methods = ["-o", "PreferredAuthentications=keyboard-interactive",
                       "-o", "PubkeyAuthentication=no"]
        args = ["-F", "/dev/null", "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null",
                # INFO, not ERROR: ssh shows the server's PAM messages with logit()
                "-o", "LogLevel=INFO",
                *methods, "-o", "GSSAPIAuthentication=no",
                "-o", "IdentityAgent=none", "-o", "NumberOfPasswordPrompts=1",
                "-o", "ConnectTimeout=10", "-o", "BatchMode=no",
                f"{self.user}@127.0.0.1", command]
        child = pexpect.spawn("ssh", args, encoding="utf-8", timeout=30,
                              env=dict(os.environ, LC_ALL="C"))
        transcript = ""
        try:
            if not key:
                child.expect(r"[Pp]assword: ")
                transcript += child.before + child.after
                child.sendline(self.password)
            index = child.expect([r"Verification code: ", r"[Pp]assword: ", pexpect.EOF])
            transcript += child.before + (child.after if isinstance(child.after, str) else "")
            if index != 0:
                raise AssertionError(f"no code prompt:\n{transcript}")
            child.sendline(code)
            if new_code is not None:
                child.expect(r"NEW authenticator \(Enter to skip\): ")
                transcript += child.before + child.after
                child.sendline(new_code)
            child.expect(pexpect.EOF)
            transcript += child.before
        finally:
            child.close()
        return child.exitstatus, transcript

    # -- teardown ------------------------------------------------------------
    def _stop_sshd(self):
        if self.sshd and self.sshd.poll() is None:
            self.sshd.terminate()
            try:
                self.sshd.wait(10)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait(10)
        self.sshd = None

    def cleanup(self):
        problems = []
        for step in (self._stop_sshd, self._kill_leftover_processes, self._remove_pam_file,
                     self._remove_user, self._remove_tmp):
            try:
                step()
            except Exception as e:  # keep cleaning up
                problems.append(f"{step.__name__}: {e}")
        if self.created_run_sshd:
            try:
                os.rmdir("/run/sshd")
            except OSError:
                pass  # not empty or in use by a real sshd started meanwhile: leave it
        for p in problems:
            log(f"cleanup problem: {p}")
        return problems

    def _kill_leftover_processes(self):
        # Per-connection sshd processes (setsid, so not in our process group)
        # carry the unique name; shells run as the unique test user.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = processes_matching(self.name, self.uid)
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(1)
        if processes_matching(self.name, self.uid):
            raise RuntimeError("processes survived SIGKILL")

    def _remove_pam_file(self):
        if os.path.lexists(self.pam_file):
            os.unlink(self.pam_file)

    def _remove_user(self):
        if user_exists(self.user):
            run_account_tool(["userdel", "-f", self.user])
        if user_exists(self.user):
            raise RuntimeError(f"user {self.user} still exists")

    def _remove_tmp(self):
        if self.tmp:
            shutil.rmtree(self.tmp)


def check(condition, message, fixture, transcript=""):
    if not condition:
        raise AssertionError(f"{message}\n--- client transcript ---\n{transcript}\n"
                             f"--- sshd log ---\n{fixture.read_sshd_log()}")
    log(f"ok: {message}")


def wrong_code(right):
    return "".join(str((int(c) + 5) % 10) for c in right)


def main():
    if os.geteuid() != 0:
        print("SKIP: the sshd end-to-end test needs root (it adds a user, a file in /etc/pam.d "
              "and runs sshd); run tests/run as root", flush=True)
        return SKIP
    missing = [what for what, ok in [
        ("PAM_TOTP_MODULE (run through ctest)", MODULE and os.path.exists(MODULE)),
        ("TOTP_ENROLL or MAKE_SECRET_FILE", TOTP_ENROLL or MAKE_SECRET_FILE),
        (SSHD + " (openssh-server)", os.path.exists(SSHD)),
        ("ssh (openssh-client)", shutil.which("ssh")),
        ("oathtool", shutil.which("oathtool")),
    ] if not ok]
    try:
        import pexpect  # noqa: F401
    except ImportError:
        missing.append("python3-pexpect")
    if missing:
        print("FAIL: missing " + ", ".join(missing), flush=True)
        return 1

    # A SIGTERM or SIGHUP (a timeout, a closed terminal) still runs the cleanup below.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, frame: sys.exit(f"e2e: stopped by signal {number}"))
    remove_stale_leftovers()
    fixture = Fixture()
    status = 0
    try:
        fixture.setup()

        right = oathtool_code(fixture.secret_base32)
        rc, out = fixture.ssh(wrong_code(right))
        check(rc != 0 and "e2e-ok-42" not in out, "right password + wrong code is refused", fixture, out)

        # The enrolment spent its confirmation step: the first login needs a later one.
        step = usable_step(fixture.used_step)
        right = step_code(fixture.secret_base32, step)
        rc, out = fixture.ssh(right)
        check(rc == 0 and "e2e-ok-42" in out, "right password + right code logs in and runs a command",
              fixture, out)

        state = os.stat(os.path.join(fixture.statedir, fixture.user))
        check(state.st_uid == 0 and (state.st_mode & 0o777) == 0o600 and state.st_size <= 24576,
              "the record is root's, 0600, at most two slots and two pin areas", fixture)
        check(sorted(os.listdir(fixture.home)) == [".pam_totp"],
              "nothing but the secret file in the user's home", fixture, str(os.listdir(fixture.home)))

        rc, out = fixture.ssh(right)
        check(rc != 0 and "e2e-ok-42" not in out, "the same code a second time is refused", fixture, out)
        check(REPLAY_MESSAGE in out, "the client shows the replay warning", fixture, out)

        # The README's other sshd recipe: public key, then the code alone.
        fixture.switch_to_publickey_and_code()
        rc, out = fixture.ssh(wrong_code(right), key=fixture.client_key)
        check(rc != 0 and "e2e-ok-42" not in out, "public key + wrong code is refused", fixture, out)
        step = usable_step(step)
        right = step_code(fixture.secret_base32, step)
        rc, out = fixture.ssh(right, key=fixture.client_key)
        check(rc == 0 and "e2e-ok-42" in out and "assword" not in out,
              "public key + right code logs in without a password", fixture, out)

        # Switching authenticators through sshd: authentication runs in sshd's
        # forked PAM child, pam_setcred in its parent; the ticket crosses in
        # the PAM environment.
        new_secret = fixture.plant_new_enrollment()
        step = usable_step(step)  # the one wait for a step boundary, if any
        new_step = current_step()
        rc, out = fixture.ssh(step_code(fixture.secret_base32, step),
                              key=fixture.client_key, new_code=step_code(new_secret, new_step))
        check(rc == 0 and "e2e-ok-42" in out, "old code, then the new authenticator's code", fixture, out)
        check("New authenticator confirmed" in out, "the client is told the new code was confirmed",
              fixture, out)
        rc, out = fixture.ssh(oathtool_code(fixture.secret_base32, at=time.time() + 30),
                              key=fixture.client_key)
        check(rc != 0 and "e2e-ok-42" not in out, "the old authenticator is refused after the switch",
              fixture, out)
        rc, out = fixture.ssh(step_code(new_secret, usable_step(new_step)), key=fixture.client_key)
        check(rc == 0 and "e2e-ok-42" in out, "the new authenticator logs in", fixture, out)
    except Exception:
        traceback.print_exc()
        status = 1
    finally:
        if fixture.cleanup():
            status = 1
        else:
            log("cleaned up: user, pam.d file, processes, temp directory")
    return status


if __name__ == "__main__":
    sys.exit(main())
