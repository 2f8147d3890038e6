"""--import of real google-authenticator files, made by Debian's
google-authenticator command: the sealed file's codes agree with oathtool and
the scratch codes work as recovery codes."""

import os
import pathlib
import stat
import subprocess
import unittest

from enrolltest import EnrollTestCase, gid_of, oathtool, uid_of

SYSTEM = 3


def google_authenticator(path, *flags):
    """Writes a google-authenticator file non-interactively; returns its
    secret, options and scratch codes."""
    subprocess.run(["google-authenticator", "--force", "--quiet", f"--secret={path}", *flags], check=True,
                   capture_output=True, timeout=60)
    lines = pathlib.Path(path).read_text().splitlines()
    options = [l[2:] for l in lines[1:] if l.startswith('" ')]
    scratch = [l for l in lines[1:] if len(l) == 8 and l.isdigit()]
    return lines[0], options, scratch


class Import(EnrollTestCase):

    def import_file(self, ga, *extra):
        return self.run_enroll("--import", str(ga), "--keydir", str(self.keydir), "--file", str(self.secret), *extra)

    def test_totp(self):
        ga = self.tmp / "google_authenticator"
        secret, options, scratch = google_authenticator(ga, "--time-based", "--disallow-reuse", "--rate-limit=3",
                                                        "--rate-time=30", "--window-size=3", "--emergency-codes=5")
        self.assertIn("TOTP_AUTH", options)
        self.assertEqual(len(scratch), 5)
        r = self.import_file(ga)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"Imported {ga} into {self.secret}", r.stdout)
        self.assertIn("TOTP, SHA1, 6 digits, every 30 s", r.stdout)
        self.assertIn("5 scratch codes are now recovery codes", r.stdout)
        self.assertIn(f"The secret is still in plain text in {ga}", r.stdout)
        self.assertIn(f"rm {ga}", r.stdout)
        for ignored in ("RATE_LIMIT", "WINDOW_SIZE", "DISALLOW_REUSE"):
            self.assertIn(ignored, r.stdout)
        self.assertNotIn(secret, r.stdout + r.stderr)
        self.assertNotIn("otpauth://", r.stdout, "no QR code or URI for an imported secret")
        for code in scratch:
            self.assertNotIn(code, r.stdout + r.stderr)

        st = os.stat(self.secret)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        args = ["--print-key", "--code", oathtool(secret)]
        for code in scratch:
            args += ["--recovery", code]
        p, fields = self.probe(*args)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(fields["key"], secret)
        self.assertEqual((fields["type"], fields["algorithm"], fields["digits"], fields["period"]),
                         ("totp", "SHA1", "6", "30"))
        self.assertEqual(fields["recovery-codes"], "5")
        # Codes at other times agree as well (oathtool vs the sealed key).
        for t in (1_000_000_000, 1_800_000_000, 2_000_000_030):
            p, _ = self.probe("--time", str(t), "--code", oathtool(secret, now=t))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p, _ = self.probe("--recovery", "12345678" if "12345678" not in scratch else "87654321")
        self.assertEqual(p.returncode, 1)

    def test_hotp(self):
        ga = self.tmp / "google_authenticator"
        secret, options, scratch = google_authenticator(ga, "--counter-based", "--window-size=3",
                                                        "--no-rate-limit", "--emergency-codes=3")
        self.assertIn("HOTP_COUNTER 1", options)
        r = self.import_file(ga)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("HOTP, SHA1, 6 digits, next counter 1", r.stdout)
        # HOTP_COUNTER 1: the token's next code is counter 1.
        args = ["--print-key", "--code", oathtool(secret, hotp=True, counter=1)]
        for code in scratch:
            args += ["--recovery", code]
        p, fields = self.probe(*args)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual((fields["type"], fields["counter"], fields["key"]), ("hotp", "1", secret))
        p, _ = self.probe("--code", oathtool(secret, hotp=True, counter=0))
        self.assertEqual(p.returncode, 1, "counter 0 was used before the import")

    def test_step_size_and_no_scratch_codes(self):
        ga = self.tmp / "google_authenticator"
        secret, options, scratch = google_authenticator(ga, "--time-based", "--allow-reuse", "--step-size=60",
                                                        "--no-rate-limit", "--minimal-window",
                                                        "--emergency-codes=0")
        self.assertIn("STEP_SIZE 60", options)
        self.assertEqual(scratch, [])
        r = self.import_file(ga)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("every 60 s", r.stdout)
        self.assertIn("no recovery codes", r.stdout)
        p, fields = self.probe("--code", oathtool(secret, period=60))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual((fields["period"], fields["recovery-codes"]), ("60", "0"))

    def test_root_imports_for_a_user(self):
        """root --user: the plaintext in the user's directory is read as the
        user, the sealed file is written as (and owned by) the user."""
        home = self.make_dir("nobody-home", owner="nobody", mode=0o700)
        ga = home / ".google_authenticator"
        secret, _, scratch = google_authenticator(ga, "--time-based", "--disallow-reuse", "--no-rate-limit",
                                                  "--window-size=3", "--emergency-codes=2")
        os.chown(ga, uid_of("nobody"), gid_of("nogroup"))
        target = home / ".pam_totp"
        r = self.run_enroll("--import", str(ga), "--user", "nobody", "--keydir", str(self.keydir), "--file",
                            str(target), "--statedir", str(self.statedir))
        self.assertEqual(r.returncode, 0, r.stderr)
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (uid_of("nobody"), gid_of("nogroup"), 0o600))
        p, fields = self.probe("--code", oathtool(secret), "--recovery", scratch[1], file=target)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(fields["user"], "nobody")

    def test_refuses_an_existing_enrollment(self):
        ga = self.tmp / "google_authenticator"
        google_authenticator(ga, "--time-based", "--disallow-reuse", "--no-rate-limit", "--window-size=3")
        self.assertEqual(self.import_file(ga).returncode, 0)
        before = self.secret.read_bytes()
        r = self.import_file(ga)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("already exists", r.stderr)
        self.assertEqual(self.secret.read_bytes(), before)
        r = self.import_file(ga, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_bad_files(self):
        cases = [
            ("", "the file is empty"),
            ("JBSWY3DPEHPK3PX!\n\" TOTP_AUTH\n", "line 1: the secret is not valid base32"),
            ("JBSWY3DP\n\" TOTP_AUTH\n", "line 1: the secret is 5 bytes long; pam_totp takes 10 to 64"),
            ("JBSWY3DPEHPK3PXP\n\" WINDOW_SIZE 3\n", "neither TOTP_AUTH nor HOTP_COUNTER"),
            ("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\nhello\n", "line 3: neither an option"),
            ("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n1234567\n", "line 3: neither an option"),
            ("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" STEP_SIZE 5\n", "line 3: STEP_SIZE must be 15 to 300"),
            ("JBSWY3DPEHPK3PXP\n\" HOTP_COUNTER x\n", "line 2: HOTP_COUNTER needs a counter value"),
            ("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" OTP_DISABLED\n", "line 3: OTP_DISABLED"),
        ]
        ga = self.tmp / "ga"
        for text, message in cases:
            with self.subTest(text=text):
                ga.write_text(text)
                os.chmod(ga, 0o600)
                r = self.import_file(ga)
                self.assertEqual(r.returncode, SYSTEM, r.stderr)
                self.assertIn(f"cannot import {ga}: ", r.stderr)
                self.assertIn(message, r.stderr)
                self.assert_no_secret_written()

    def test_unsafe_or_missing_files(self):
        ga = self.tmp / "ga"
        r = self.import_file(ga)
        self.assertEqual(r.returncode, SYSTEM)
        self.assertIn(f"cannot import {ga}: no such file", r.stderr)
        ga.write_text("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
        os.chmod(ga, 0o622)
        r = self.import_file(ga)
        self.assertEqual(r.returncode, SYSTEM)
        self.assertIn(f"{ga}: mode 0622 is too open", r.stderr)
        os.chmod(ga, 0o600)
        link = self.tmp / "ga-link"
        os.symlink(ga, link)
        r = self.import_file(link)
        self.assertEqual(r.returncode, SYSTEM)
        self.assertIn(f"{link}: is a symbolic link", r.stderr)
        self.assert_no_secret_written()


if __name__ == "__main__":
    unittest.main(verbosity=2)
