"""Harness for running pam_totp.so through real libpam in a private sandbox.

pam_wrapper reads service files from a temp directory (never /etc/pam.d),
nss_wrapper supplies the test users, and a syslog shim captures what the
module logs. Everything lives under one temp directory removed at the end.
Needs root (to hand files to the test users); other callers are skipped.
"""
import atexit
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import pam_wrapper_dirs

LIBDIR = "/usr/lib/x86_64-linux-gnu"
MODULE = os.environ.get("PAM_TOTP_MODULE", "")
DRIVER = os.environ.get("PAM_DRIVER", "")
PASSWORD_MODULE = os.environ.get("TEST_PASSWORD_MODULE", "")
SYSLOG_CAPTURE = os.environ.get("SYSLOG_CAPTURE", "")
MAKE_SECRET_FILE = os.environ.get("MAKE_SECRET_FILE", "")
SANITIZE = os.environ.get("PAM_TOTP_SANITIZE", "0") in ("1", "ON", "TRUE", "true")

PAM_SUCCESS, PAM_PERM_DENIED, PAM_AUTH_ERR, PAM_IGNORE = 0, 6, 7, 25
PAM_SERVICE_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR = 3, 9, 19

REPLAY_MESSAGE = "This code was already used. If that was not you, change your password."


class SecretFileMaker:
    """make_secret_file for a sandbox's fixtures (host keys, sealed files):
    one `make_secret_file serve` per test process, asked over a pipe, rather
    than a process per file (about 400 a suite, 50 ms of CPU each under the
    sanitizers). It runs without LeakSanitizer, as the per-file runs did: the
    core code it runs (sealing, host keys) is leak-checked by the unit tests,
    and the tests that run it as their subject call it themselves."""

    def __init__(self):
        self.process = None
        self.lock = threading.Lock()

    def _start(self):
        env = dict(os.environ)
        if SANITIZE:
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        self.process = subprocess.Popen([MAKE_SECRET_FILE, "serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env)
        atexit.register(self.stop)

    def stop(self):
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=30)
            self.process = None

    def run(self, *args):
        """What `make_secret_file ARGS...` prints; RuntimeError if it fails."""
        if any("\t" in a or "\n" in a for a in args):
            raise ValueError(f"make_secret_file: a tab or newline in {args!r}")
        with self.lock:
            if self.process is None:
                self._start()
            self.process.stdin.write(("\t".join(args) + "\n").encode())
            self.process.stdin.flush()
            header = self.process.stdout.readline().decode().split()
            if len(header) != 2:
                raise RuntimeError(f"make_secret_file serve stopped (exit {self.process.poll()})")
            text = self.process.stdout.read(int(header[1])).decode()
        if header[0] != "ok":
            raise RuntimeError(f"make_secret_file {' '.join(args)}: {text}")
        return text


SECRET_FILE_MAKER = SecretFileMaker()


def private_test_root():
    """A root-owned 0755 directory with a root-owned chain above it: secret
    files must pass sshd-style StrictModes checks up to "/", which /tmp
    (world-writable) does not."""
    path = "/run/pam_totp-tests"
    os.makedirs(path, mode=0o755, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def require_root(test_case_class):
    if os.geteuid() != 0:
        return unittest.skip("needs root (CI runs as root)")(test_case_class)
    return test_case_class


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.rc = returncode
        self.out = stdout
        self.err = stderr
        self.lines = stdout.splitlines()

    @property
    def prompts(self):
        return [l.split(" ", 1)[1] for l in self.lines if l.startswith("PROMPT")]

    @property
    def setcred(self):
        found = [int(l.split()[1]) for l in self.lines if l.startswith("SETCRED ")]
        return found[0] if found else None

    @property
    def env(self):
        return [l[len("ENV "):] for l in self.lines if l.startswith("ENV ")]

    @property
    def errors(self):
        return [l[len("ERROR "):] for l in self.lines if l.startswith("ERROR ")]

    @property
    def infos(self):
        return [l[len("INFO "):] for l in self.lines if l.startswith("INFO ")]

    def __repr__(self):
        return f"Result(rc={self.rc}, out={self.out!r}, err={self.err[-2000:]!r})"


def random_secret_hex(size=20):
    return os.urandom(size).hex()


def oathtool_code(secret_hex, algorithm="SHA1", digits=6, period=30, at=None, hotp_counter=None):
    """The reference code from oathtool (Debian package oathtool)."""
    if hotp_counter is not None:
        cmd = ["oathtool", "--hotp", "-d", str(digits), "-c", str(hotp_counter), secret_hex]
    else:
        when = int(time.time() if at is None else at)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))
        cmd = ["oathtool", f"--totp={algorithm}", "-d", str(digits), "-s", f"{period}s",
               "--now", stamp, secret_hex]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


class Sandbox:
    """A temp directory with a host key, a state dir, users and services."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="pam_totp_test.", dir=private_test_root())
        try:
            self._populate()
        except BaseException:
            self.cleanup()  # a failed set-up leaves nothing behind either
            raise

    # The driver's clock (unix seconds; None: the real one). Tests that step
    # through time set it instead of sleeping across 30 s steps.
    now = None

    def _populate(self):
        os.chmod(self.root, 0o755)  # test users must traverse it to their homes
        self.keydir = self._mkdir("keys", 0o700)
        self.statedir = self._mkdir("state", 0o700)
        self.services = self._mkdir("services", 0o755)
        self.homes = self._mkdir("home", 0o755)
        self.passwd = os.path.join(self.root, "passwd")
        self.group = os.path.join(self.root, "group")
        self.passdb = os.path.join(self.root, "passdb")
        self.syslog_file = os.path.join(self.root, "syslog")
        self.hostkey = os.path.join(self.keydir, "host.key")
        self.hostpub = os.path.join(self.keydir, "host.pub")
        self.users = {}
        with open(self.passwd, "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(self.group, "w") as f:
            f.write("root:x:0:\n")
        open(self.passdb, "w").close()
        SECRET_FILE_MAKER.run("host-key", self.keydir)

    def _mkdir(self, name, mode):
        path = os.path.join(self.root, name)
        os.mkdir(path)
        os.chmod(path, mode)
        return path

    def cleanup(self):
        # Drivers killed on a timeout leave pam_wrapper's /tmp/pam.X behind.
        pam_wrapper_dirs.remove_leftovers(self.root)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- users and files -------------------------------------------------
    def add_user(self, name, uid=None, password="pw-" + "x" * 4, with_home=True):
        uid = uid or 20000 + len(self.users)
        home = os.path.join(self.homes, name)
        if with_home:
            os.mkdir(home)
            os.chown(home, uid, uid)
            os.chmod(home, 0o700)
        with open(self.passwd, "a") as f:
            f.write(f"{name}:x:{uid}:{uid}:test user:{home}:/bin/sh\n")
        with open(self.group, "a") as f:
            f.write(f"{name}:x:{uid}:\n")
        with open(self.passdb, "a") as f:
            f.write(f"{name}:{password}\n")
        self.users[name] = {"uid": uid, "home": home, "password": password}
        return self.users[name]

    def secret_path(self, user):
        return os.path.join(self.users[user]["home"], ".pam_totp")

    def seal(self, user, secret_hex, pub=None, algorithm="SHA1", digits=6, period=30,
             hotp=False, counter=0, recovery=(), as_user=None, used_step=None):
        cmd = ["seal", "--pub", pub or self.hostpub, "--user", as_user or user,
               "--secret-hex", secret_hex, "--algorithm", algorithm, "--digits", str(digits)]
        if hotp:
            cmd += ["--hotp", "--counter", str(counter)]
        else:
            cmd += ["--period", str(period)]
        if used_step is not None:
            cmd += ["--used-step", str(used_step)]
        for code in recovery:
            cmd += ["--recovery", code]
        return SECRET_FILE_MAKER.run(*cmd)

    def enroll(self, user, secret_hex=None, **kwargs):
        """Writes a sealed secret file owned by the user, mode 0600."""
        secret_hex = secret_hex or random_secret_hex()
        self.write_user_file(user, self.seal(user, secret_hex, **kwargs))
        return secret_hex

    def write_user_file(self, user, text, mode=0o600):
        path = self.secret_path(user)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.users[user]["uid"], self.users[user]["uid"])
        os.chmod(path, mode)
        return path

    def state_path(self, user):
        return os.path.join(self.statedir, user)

    # -- services ----------------------------------------------------------
    def totp_line(self, *options, control="required"):
        base = [f"hostkey={self.hostkey}", f"statedir={self.statedir}"]
        return f"auth {control} {MODULE} " + " ".join(base + list(options))

    def password_line(self, *options):
        return f"auth required {PASSWORD_MODULE} passdb={self.passdb} " + " ".join(options)

    def service(self, name, *auth_lines):
        with open(os.path.join(self.services, name), "w") as f:
            for line in auth_lines:
                f.write(line + "\n")
            f.write("account required pam_permit.so\n")
        return name

    # -- running -----------------------------------------------------------
    def env(self):
        preload = [f"{LIBDIR}/libpam_wrapper.so", f"{LIBDIR}/libnss_wrapper.so", SYSLOG_CAPTURE]
        env = dict(os.environ)
        env.update({
            "LD_PRELOAD": ":".join(preload),
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.services,
            "PAM_WRAPPER_USE_SYSLOG": "1",
            "NSS_WRAPPER_PASSWD": self.passwd,
            "NSS_WRAPPER_GROUP": self.group,
            "TEST_SYSLOG_FILE": self.syslog_file,
        })
        # Without RTLD_DEEPBIND the module binds to the driver's clock
        # (--now); sanitizers refuse RTLD_DEEPBIND anyway. Debian 12's
        # pam_wrapper 1.1.4 reads the UID_WRAPPER_ spelling of the switch.
        env["PAM_WRAPPER_DISABLE_DEEPBIND"] = "1"
        env["UID_WRAPPER_DISABLE_DEEPBIND"] = "1"
        # nss_wrapper dlopens libc with RTLD_DEEPBIND the first time a host
        # name is resolved (fleet mode's libldap does), which the sanitizers
        # refuse.
        env["NSS_WRAPPER_DISABLE_DEEPBIND"] = "1"
        if SANITIZE:
            env["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=0:abort_on_error=0"
        return env

    def start(self, service, user, *responses, rhost=None, driver_args=()):
        clock = ["--now", str(int(self.now))] if self.now is not None else []
        cmd = ([DRIVER] + clock + (["--rhost", rhost] if rhost else []) + list(driver_args) +
               [service, user] + list(responses))
        return subprocess.Popen(cmd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, stdin=subprocess.DEVNULL)

    def auth_in_parallel(self, count, service, user, *responses, timeout=120):
        """`count` drivers released at once into pam_authenticate. They are
        started one by one, each waiting after pam_start: pam_wrapper picks
        its per-process /tmp/pam.X directory with a check-then-create race,
        and concurrent starts would collide in the harness, not the module."""
        go = os.path.join(self.root, f"go.{time.monotonic_ns()}")
        procs = []
        for _ in range(count):
            clock = ["--now", str(int(self.now))] if self.now is not None else []
            cmd = [DRIVER] + clock + ["--go-file", go, service, user] + list(responses)
            p = subprocess.Popen(cmd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, stdin=subprocess.DEVNULL)
            ready = f"{go}.ready.{p.pid}"
            deadline = time.monotonic() + timeout
            while not os.path.exists(ready):
                if p.poll() is not None or time.monotonic() > deadline:
                    out, err = p.communicate()
                    raise AssertionError(f"driver did not get ready: {out} {err[-2000:]}")
                time.sleep(0.002)
            procs.append(p)
        open(go, "w").close()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results.append(Result(p.returncode, out, err))
        return results

    def auth(self, service, user, *responses, rhost=None, timeout=60, driver_args=()):
        proc = self.start(service, user, *responses, rhost=rhost, driver_args=driver_args)
        out, err = proc.communicate(timeout=timeout)
        return Result(proc.returncode, out, err)

    def syslog(self):
        try:
            with open(self.syslog_file) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def clear_syslog(self):
        open(self.syslog_file, "w").close()


class PamTestCase(unittest.TestCase):
    def setUp(self):
        self.box = Sandbox()
        self.addCleanup(self.box.cleanup)

    def assertAuth(self, result, rc):
        self.assertEqual(result.rc, rc, result)

    def assertLogged(self, fragment):
        log = self.box.syslog()
        self.assertIn(fragment, log, f"syslog was:\n{log}")

    def assertNoSecretsLogged(self, *secrets):
        log = self.box.syslog()
        for s in secrets:
            self.assertNotIn(s, log, "a code or secret reached syslog")


def main():
    unittest.main(verbosity=2)
