"""totp-enroll --check, the setup doctor, against broken setups built under
--root (etc/pam.d, etc/ssh/sshd_config, etc/pam_totp, var/lib/pam_totp in a
temp tree; sshd -T -f reads the copied sshd_config), one good setup, the
machine's own sshd, and --code (the phone clock check: nothing written)."""
import os
import pathlib
import subprocess
import time
import unittest

from enrolltest import ENROLL, EnrollTestCase, oathtool, parse_uri

COMMON_AUTH = """\
auth	[success=1 default=ignore]	pam_unix.so nullok
auth	requisite			pam_deny.so
auth	required			pam_permit.so
"""
GOOD_SSHD_PAM = "@include common-auth\nauth required pam_totp.so\n"
GOOD_SSHD_CONFIG = """\
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
AuthenticationMethods publickey,keyboard-interactive
"""
SU_PAM = "auth sufficient pam_rootok.so\n@include common-auth\nauth required pam_totp.so\n"


@unittest.skipUnless(os.geteuid() == 0, "needs root (sshd -T, root-owned key and statedir)")
class Doctor(EnrollTestCase):

    def setUp(self):
        super().setUp()
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd -T wants it
        self.root = self.tmp / "root"
        self.write("etc/pam.d/common-auth", COMMON_AUTH)
        self.write("etc/pam.d/sshd", GOOD_SSHD_PAM)
        self.write("etc/pam.d/login", GOOD_SSHD_PAM)
        self.write("etc/pam.d/su", SU_PAM)
        self.write("etc/ssh/sshd_config", GOOD_SSHD_CONFIG)
        r = self.run_enroll("--generate-host-key", "--keydir", str(self.root / "etc/pam_totp"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.statedir = self.root / "var/lib/pam_totp"
        self.statedir.mkdir(parents=True, mode=0o700)
        os.chmod(self.statedir, 0o700)

    def write(self, relative, text):
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def check(self, *args, input=None):
        return subprocess.run([ENROLL, "--check", "--root", str(self.root), *args], input=input,
                              capture_output=True, text=True, timeout=60)

    def findings(self, r):
        """(level, line, fix) for each finding."""
        out, lines = [], r.stdout.splitlines()
        for i, line in enumerate(lines):
            if line[:4] in ("PASS", "WARN", "FAIL"):
                fix = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].startswith("      fix:") else ""
                out.append((line[:4], line, fix))
        return out

    def assertFinding(self, r, level, text, fix="", area=None):
        for got, line, got_fix in self.findings(r):
            if got == level and text in line and fix in got_fix and (area is None or f"  {area}: " in line):
                return
        self.fail(f"no {level} with {text!r} (fix {fix!r}) in:\n{r.stdout}{r.stderr}")

    def assertNoFail(self, r):
        self.assertEqual([f for f in self.findings(r) if f[0] == "FAIL"], [], r.stdout)

    # ------------------------------------------------------------------
    def test_good_setup_passes(self):
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNoFail(r)
        self.assertFinding(r, "PASS", "pam sshd: a login reaches pam_totp at sshd:2 (required; enforced")
        self.assertFinding(r, "PASS", "sshd: UsePAM yes, KbdInteractiveAuthentication yes")
        self.assertFinding(r, "PASS", "host key: ")
        self.assertFinding(r, "PASS", "statedir: ")
        # su's pam_rootok is sufficient by design (root running su), not a trap.
        self.assertFinding(r, "PASS", "pam su: a login reaches pam_totp")

    def broken(self, level, text, fix, area=None):
        r = self.check()
        self.assertFinding(r, level, text, fix, area)
        if level == "FAIL":
            self.assertEqual(r.returncode, 1, r.stdout)
        return r

    def test_sshd_traps(self):
        base = "UsePAM yes\nPasswordAuthentication no\n"
        cases = [
            ("UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication yes\n"
             "AuthenticationMethods keyboard-interactive\n",
             "FAIL", "PasswordAuthentication yes while pam_totp", "PasswordAuthentication no"),
            (base + "KbdInteractiveAuthentication no\n", "FAIL", "KbdInteractiveAuthentication no",
             "KbdInteractiveAuthentication yes"),
            ("UsePAM no\n" + GOOD_SSHD_CONFIG, "FAIL", "UsePAM no", "UsePAM yes"),
            ("AuthenticationMethods publickey\n" + GOOD_SSHD_CONFIG, "FAIL",
             "AuthenticationMethods publickey skips", "keyboard-interactive"),
            (base + "KbdInteractiveAuthentication yes\n", "WARN", "a public key alone logs in",
             "AuthenticationMethods publickey,keyboard-interactive"),
            ("NoSuchKeyword yes\n" + GOOD_SSHD_CONFIG, "FAIL", "sshd refuses its configuration",
             "sshd -t"),
        ]
        for config, level, text, fix in cases:
            with self.subTest(config=config):
                # sshd takes the first value of a keyword.
                self.write("etc/ssh/sshd_config", config)
                self.broken(level, text, fix, area="sshd")

    def test_match_block_with_user(self):
        self.write("etc/ssh/sshd_config", GOOD_SSHD_CONFIG + "Match User nobody\n  PasswordAuthentication yes\n")
        self.assertNoFail(self.check())
        r = self.check("--user", "nobody")
        self.assertFinding(r, "FAIL", "PasswordAuthentication yes while pam_totp", "PasswordAuthentication no")

    def test_stack_traps(self):
        cases = [
            ("sufficient before", "auth sufficient pam_unix.so\nauth required pam_totp.so\n",
             "FAIL", "pam_unix.so (sshd:1) is sufficient before pam_totp", "put pam_totp before"),
            ("success=done", "auth [success=done default=ignore] pam_unix.so\nauth required pam_totp.so\n",
             "FAIL", "success=done before pam_totp", "put pam_totp before"),
            ("jump over", "auth [success=2 default=ignore] pam_unix.so\nauth requisite pam_deny.so\n"
             "auth required pam_totp.so\nauth required pam_permit.so\n",
             "FAIL", "jumps over pam_totp on success (success=2)", "count the jump"),
            ("optional control", "@include common-auth\nauth optional pam_totp.so\n",
             "FAIL", "is optional: a wrong code does not fail the login", "auth required pam_totp.so"),
            ("nothing else succeeds", "auth required pam_env.so\nauth required pam_totp.so optional\n",
             "FAIL", "no other module here can succeed", "keep a password module"),
            ("unknown option", "@include common-auth\nauth required pam_totp.so secrett=/x\n",
             "FAIL", "the module refuses every login here", "pam_totp(8)"),
            ("not in the stack", "@include common-auth\n", "WARN",
             "pam_totp is not in the auth stack", "auth required pam_totp.so"),
        ]
        for name, stack, level, text, fix in cases:
            with self.subTest(name):
                self.write("etc/pam.d/sshd", stack)
                self.broken(level, text, fix, area="pam sshd")

    def test_asked_twice_through_the_profile(self):
        self.write("etc/pam.d/common-auth", COMMON_AUTH + "auth required pam_totp.so optional\n")
        r = self.broken("FAIL", "pam sshd: pam_totp is in the stack 2 times (common-auth:4, sshd:2)",
                        "pam-auth-update")
        # login includes common-auth and adds its own line too; su the same.
        self.assertFinding(r, "FAIL", "pam login: pam_totp is in the stack 2 times")

    def test_substack_done_stays_inside(self):
        self.write("etc/pam.d/inner", "auth [success=done default=ignore] pam_unix.so\n")
        self.write("etc/pam.d/sshd", "auth substack inner\nauth required pam_totp.so\n")
        r = self.check()
        self.assertNotIn("success=done before pam_totp", r.stdout)

    def test_host_key_traps(self):
        keydir = self.root / "etc/pam_totp"
        key, pub = keydir / "host.key", keydir / "host.pub"
        original = key.read_bytes()
        with self.subTest("world-readable"):
            os.chmod(key, 0o644)
            self.broken("FAIL", "host key: ", "mode 0600")
            os.chmod(key, 0o600)
        with self.subTest("encrypted"):
            subprocess.run(["openssl", "genpkey", "-algorithm", "X25519", "-aes256", "-pass", "pass:x",
                            "-out", str(key)], check=True, capture_output=True)
            os.chmod(key, 0o600)
            self.broken("FAIL", "host key: ", "unencrypted")
            key.write_bytes(original)
        with self.subTest("another pair's host.pub"):
            other = self.tmp / "other"
            self.run_enroll("--generate-host-key", "--keydir", str(other))
            saved = pub.read_bytes()
            pub.write_bytes((other / "host.pub").read_bytes())
            self.broken("FAIL", "are not one key pair", "restore the matching host.pub")
            pub.write_bytes(saved)
        with self.subTest("missing"):
            key.unlink()
            self.broken("FAIL", "host key: ", "--generate-host-key")

    def test_statedir_traps(self):
        os.chmod(self.statedir, 0o755)
        self.broken("FAIL", "statedir: ", "chmod 0700")
        os.rmdir(self.statedir)
        self.broken("FAIL", "statedir: ", "mkdir -m 0700")

    def test_user_file_checks(self):
        home = self.root / "nonexistent"  # nobody's home in the password database
        home.mkdir()
        r = self.check("--user", "nobody")
        self.assertFinding(r, "WARN", "user nobody: ", "totp-enroll")
        self.assertFinding(r, "FAIL", "user nobody: no record", "the user runs totp-enroll")
        os.chmod(home, 0o775)
        (home / ".pam_totp").write_text("x")
        r = self.check("--user", "nobody")
        self.assertFinding(r, "FAIL", "is in an unsafe place", "chmod go-w")

    # ------------------------------------------------------------------
    def enroll_nobody(self):
        home = self.root / "nonexistent"
        home.mkdir(exist_ok=True)
        out, err, status, uri = self.enroll_scripted(
            "--user", "nobody", "--statedir", str(self.statedir), file=home / ".pam_totp",
            keydir=self.root / "etc/pam_totp")
        self.assertEqual(status, 0, err)
        return uri, home / ".pam_totp"

    def test_user_pinned_and_phone_clock(self):
        uri, file = self.enroll_nobody()
        r = self.check("--user", "nobody")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertFinding(r, "PASS", "sealed to this host's key")
        self.assertFinding(r, "PASS", "the record pins enrollment-id")
        record = self.statedir / "nobody"
        before = (record.read_bytes(), file.read_bytes())
        secret = parse_uri(uri)["secret"]
        for offset, level, text in (
                (0, "PASS", "the code is valid now: the phone's clock is right"),
                (-90, "FAIL", "the phone's clock is about 90 s behind: its codes are refused"),
                (30, "WARN", "the phone's clock is about 30 s ahead (its codes are still accepted)")):
            with self.subTest(offset=offset):
                while time.time() % 30 > 27:  # not across a step boundary
                    time.sleep(0.2)
                code = oathtool(secret, now=int(time.time()) + offset)
                r = self.check("--user", "nobody", "--code", input=code + "\n")
                self.assertFinding(r, level, "user nobody: " + text)
        self.assertEqual((record.read_bytes(), file.read_bytes()), before, "--code wrote something")


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class RealMachine(unittest.TestCase):
    def test_this_machines_sshd(self):
        """Against / itself: sshd -T of the machine's own configuration."""
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        r = subprocess.run([ENROLL, "--check"], capture_output=True, text=True, timeout=60)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        self.assertRegex(r.stdout, r"(PASS|WARN|FAIL)  sshd: .*(usepam|UsePAM)")
        self.assertRegex(r.stdout, r"(PASS|WARN|FAIL)  pam sshd: ")


if __name__ == "__main__":
    unittest.main()
