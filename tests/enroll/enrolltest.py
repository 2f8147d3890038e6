"""Shared helpers for the totp-enroll tests: the binaries under test, temp
key directories and secret files, oathtool, and running as another user."""

import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import pexpect

ENROLL = os.environ.get("TOTP_ENROLL", "totp-enroll")
PROBE = os.environ.get("SECRET_PROBE", "secret_probe")
BUILD_DIR = os.environ.get("BUILD_DIR", "")
SOURCE_DIR = os.environ.get("SOURCE_DIR", "")

AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
URI_RE = re.compile(r"otpauth://[^\s]+")
RECOVERY_RE = re.compile(r"^\s+([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})(?:\s+([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}))?\s*$", re.M)


def uid_of(name):
    import pwd
    return pwd.getpwnam(name).pw_uid


def gid_of(name):
    import grp
    return grp.getgrnam(name).gr_gid


def parse_uri(uri):
    """The otpauth URI's parts: type, label, and the query as a dict."""
    parsed = urllib.parse.urlsplit(uri)
    assert parsed.scheme == "otpauth", uri
    query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True, strict_parsing=True))
    return {"type": parsed.netloc, "label": urllib.parse.unquote(parsed.path[1:]),
            "raw_label": parsed.path[1:], **query}


def oathtool(secret, *, hotp=False, counter=0, digits=6, period=30, algorithm="SHA1", now=None):
    """The code oathtool computes (the independent implementation)."""
    alg = algorithm.lower()
    if hotp and alg != "sha1":
        # oathtool's HOTP is SHA1 only; TOTP at time counter*30 is HOTP(counter).
        hotp, now, period = False, counter * 30, 30
    if hotp:
        args = ["--hotp", "-c", str(counter)]
    else:
        args = [f"--totp={alg}", "-s", f"{period}s"]
        if now is not None:
            args += ["-N", f"@{int(now)}"]
    args += ["-d", str(digits), "-b", secret]
    return subprocess.run(["oathtool", *args], check=True, capture_output=True, text=True).stdout.strip()


def code_for_uri(uri, counter=None, now=None):
    f = parse_uri(uri)
    return oathtool(f["secret"], hotp=f["type"] == "hotp",
                    counter=int(f.get("counter", 0)) if counter is None else counter,
                    digits=int(f["digits"]), period=int(f.get("period", 30)), algorithm=f["algorithm"],
                    now=now)


def next_step_code_for_uri(uri):
    """A TOTP code of the step after now: the enrolment spent the current one."""
    import time
    return code_for_uri(uri, now=time.time() + int(parse_uri(uri).get("period", 30)))


def wrong_code_for_uri(uri):
    """A code of the right shape that matches no step of the window."""
    import time
    f = parse_uri(uri)
    digits = int(f["digits"])
    if f["type"] == "hotp":
        right = {oathtool(f["secret"], hotp=True, counter=c, digits=digits, algorithm=f["algorithm"])
                 for c in range(0, 12)}
    else:
        period = int(f["period"])
        now = time.time()
        right = {oathtool(f["secret"], digits=digits, period=period, algorithm=f["algorithm"], now=now + d * period)
                 for d in range(-2, 3)}
    for candidate in range(10 ** digits - 1, 0, -7919):
        code = str(candidate).zfill(digits)
        if code not in right:
            return code
    raise AssertionError("no wrong code found")


def recovery_codes_in(output):
    codes = []
    for m in RECOVERY_RE.finditer(output):
        codes += [c for c in m.groups() if c]
    return codes


def spawn_in_pty(test, cmd, *, timeout, dimensions, env=None):
    """`cmd` in a pty (pexpect), killed when `test` ends if it still runs."""
    child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", timeout=timeout, env=env,
                          dimensions=dimensions)
    test.addCleanup(lambda: child.close(force=True) if child.isalive() else None)
    return child


def finish_child(child):
    """Rest of the output and the exit status."""
    rest = child.read()
    child.close()
    return rest, child.exitstatus


def private_test_root():
    """Where the temp directories go: totp-enroll refuses to write a secret
    file where the module would refuse to read it (directories writable by
    others up to "/", as /tmp is), so as root a root-owned 0755 directory
    under /run; otherwise the default temp directory."""
    if os.geteuid() != 0:
        return None
    path = "/run/pam_totp-tests"
    os.makedirs(path, mode=0o755, exist_ok=True)
    os.chmod(path, 0o755)
    return path


class EnrollTestCase(unittest.TestCase):
    """A temp directory (traversable by nobody) with a fresh host key pair."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="enroll-test-", dir=private_test_root()))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        os.chmod(self.tmp, 0o755)
        self.keydir = self.tmp / "keys"
        r = self.run_enroll("--generate-host-key", "--keydir", str(self.keydir))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.home = self.make_dir("home")
        self.secret = self.home / ".pam_totp"
        # The module's records (statedir=): root's enrolment for a user pins there.
        self.statedir = self.make_dir("state", mode=0o700)

    # Running the tool ------------------------------------------------------

    def run_enroll(self, *args, input=None, as_nobody=False, env=None):
        cmd = (AS_NOBODY if as_nobody else []) + [ENROLL, *args]
        return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=60, env=env)

    def spawn(self, *args, as_nobody=False, env=None):
        cmd = (AS_NOBODY if as_nobody else []) + [ENROLL, *args]
        return spawn_in_pty(self, cmd, timeout=30, env=env, dimensions=(24, 80))

    finish = staticmethod(finish_child)

    def enroll_scripted(self, *args, file=None, as_nobody=False, env=None, keydir=None):
        """Enrols through pipes (stdin not a terminal): read the URI, answer
        with oathtool's code. Returns (stdout, stderr, status, uri)."""
        cmd = (AS_NOBODY if as_nobody else []) + [ENROLL, "--keydir", str(keydir or self.keydir)]
        if file is not None:
            cmd += ["--file", str(file)]
        proc = subprocess.Popen(cmd + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        seen = []
        uri = None
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("otpauth://"):
                uri = line.strip()
                break
        if uri is None:
            out, err = proc.communicate(timeout=60)
            return "".join(seen) + out, err, proc.returncode, None
        out, err = proc.communicate(code_for_uri(uri) + "\n", timeout=60)
        return "".join(seen) + out, err, proc.returncode, uri

    # Looking at the result -----------------------------------------------

    def probe(self, *args, file=None, keydir=None):
        r = subprocess.run([PROBE, "--keydir", str(keydir or self.keydir), "--file", str(file or self.secret), *args],
                           capture_output=True, text=True, timeout=60)
        fields = {}
        for line in r.stdout.splitlines():
            key, _, value = line.partition(" ")
            fields.setdefault(key, value)
        return r, fields

    def assert_no_secret_written(self, directory=None, expect=()):
        """Only the expected names in the directory: no file, no temp file."""
        directory = pathlib.Path(directory or self.secret.parent)
        names = sorted(p.name for p in directory.iterdir())
        self.assertEqual(names, sorted(expect), f"unexpected files in {directory}")

    def make_dir(self, name, owner=None, mode=0o755):
        d = self.tmp / name
        d.mkdir()
        if owner:
            os.chown(d, uid_of(owner), gid_of("nogroup"))
        os.chmod(d, mode)
        return d
