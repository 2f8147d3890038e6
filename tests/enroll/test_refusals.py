"""Everything totp-enroll must refuse: each with a clear message naming the
file and the cause, the documented exit status, and nothing written."""

import os
import shutil
import stat
import subprocess
import unittest

from enrolltest import AS_NOBODY, ENROLL, EnrollTestCase, URI_RE, wrong_code_for_uri

USAGE, REFUSED, SYSTEM = 2, 1, 3


class WrongCodes(EnrollTestCase):

    def three_wrong(self, *extra):
        child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret), *extra)
        child.expect(URI_RE)
        uri = child.after.strip()
        for left in ("2 tries left", "1 try left", "no right code after 3 tries; nothing was saved"):
            child.expect("code the app shows: ")
            child.sendline(wrong_code_for_uri(uri))
            child.expect(left)
        rest, status = self.finish(child)
        return status

    def test_nothing_written(self):
        self.assertEqual(self.three_wrong(), REFUSED)
        self.assert_no_secret_written()  # no file, no temp file

    def test_existing_enrollment_untouched(self):
        out, err, status, _ = self.enroll_scripted("--qr=none", file=self.secret)
        self.assertEqual(status, 0, err)
        before = self.secret.read_bytes()
        st = os.stat(self.secret)
        self.assertEqual(self.three_wrong("--force"), REFUSED)
        self.assertEqual(self.secret.read_bytes(), before)
        self.assertEqual(os.stat(self.secret).st_ino, st.st_ino)
        self.assert_no_secret_written(expect=[".pam_totp"])
        r, _ = self.probe()
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_existing_enrollment_needs_force(self):
        out, err, status, _ = self.enroll_scripted("--qr=none", file=self.secret)
        self.assertEqual(status, 0, err)
        before = self.secret.read_bytes()
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(self.secret), input="")
        self.assertEqual(r.returncode, REFUSED)
        self.assertIn(f"{self.secret}: already exists (already enrolled); use --force", r.stderr)
        self.assertNotIn("otpauth://", r.stdout, "no secret may be shown before the checks")
        self.assertEqual(self.secret.read_bytes(), before)
        # With --force a new enrolment replaces it.
        out, err, status, _ = self.enroll_scripted("--qr=none", "--force", file=self.secret)
        self.assertEqual(status, 0, err)
        self.assertNotEqual(self.secret.read_bytes(), before)


class RootOnly(EnrollTestCase):

    def test_user_as_non_root(self):
        d = self.make_dir("nobody-home", owner="nobody")
        target = d / ".pam_totp"
        r = self.run_enroll("--user", "root", "--keydir", str(self.keydir), "--file", str(target), as_nobody=True,
                            input="123456\n")
        self.assertEqual(r.returncode, REFUSED, r.stderr)
        self.assertIn("--user root: only root may act on another user's enrolment", r.stderr)
        self.assertNotIn("otpauth://", r.stdout)
        self.assert_no_secret_written(d)
        for action in ("--status", "--remove"):
            r = self.run_enroll(action, "--user", "root", as_nobody=True)
            self.assertEqual(r.returncode, REFUSED, r.stderr)

    def test_generate_host_key_as_non_root(self):
        d = self.make_dir("nobody-keys", owner="nobody")
        r = self.run_enroll("--generate-host-key", "--keydir", str(d), as_nobody=True)
        self.assertEqual(r.returncode, REFUSED, r.stderr)
        self.assertIn(f"only root can create the host key (in {d})", r.stderr)
        self.assert_no_secret_written(d)

    def test_generate_host_key_refuses_to_overwrite(self):
        key = (self.keydir / "host.key").read_bytes()
        pub = (self.keydir / "host.pub").read_bytes()
        r = self.run_enroll("--generate-host-key", "--keydir", str(self.keydir))
        self.assertEqual(r.returncode, REFUSED, r.stderr)
        self.assertIn(f"{self.keydir}/host.key already exists", r.stderr)
        self.assertIn("unreadable", r.stderr)
        self.assertEqual((self.keydir / "host.key").read_bytes(), key)
        self.assertEqual((self.keydir / "host.pub").read_bytes(), pub)

    def test_generate_host_key_force_warns(self):
        out, err, status, _ = self.enroll_scripted("--qr=none", file=self.secret)
        self.assertEqual(status, 0, err)
        old_pub = (self.keydir / "host.pub").read_bytes()
        r = self.run_enroll("--generate-host-key", "--force", "--keydir", str(self.keydir))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: replacing the host key", r.stderr)
        self.assertIn("must enrol again", r.stderr)
        self.assertNotEqual((self.keydir / "host.pub").read_bytes(), old_pub)
        for name, mode in (("host.key", 0o600), ("host.pub", 0o644)):
            st = os.stat(self.keydir / name)
            self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (mode, 0), name)
        # The old enrolment no longer opens, and --status says why.
        r, _ = self.probe()
        self.assertEqual(r.returncode, 3)
        self.assertIn("sealed to another host key", r.stderr)
        r = self.run_enroll("--status", "--keydir", str(self.keydir), "--file", str(self.secret))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("NOT this host's key", r.stdout)

    def test_generate_host_key_creates_the_directory(self):
        d = self.tmp / "new"
        r = self.run_enroll("--generate-host-key", "--keydir", str(d))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(p.name for p in d.iterdir()), ["host.key", "host.pub"])
        self.assertIn("key-id", r.stdout)


class HostPublicKey(EnrollTestCase):

    def test_unreadable(self):
        os.chmod(self.keydir / "host.pub", 0o600)
        d = self.make_dir("nobody-home", owner="nobody")
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(d / ".pam_totp"), as_nobody=True,
                            input="123456\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"host public key {self.keydir}/host.pub: Permission denied", r.stderr)
        self.assertNotIn("otpauth://", r.stdout)
        self.assert_no_secret_written(d)

    def test_missing(self):
        (self.keydir / "host.pub").unlink()
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(self.secret), input="123456\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"{self.keydir}/host.pub does not exist", r.stderr)
        self.assertIn("totp-enroll --generate-host-key", r.stderr)
        self.assert_no_secret_written()

    def test_writable_by_others(self):
        os.chmod(self.keydir / "host.pub", 0o666)
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(self.secret), input="123456\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"{self.keydir}/host.pub: mode 0666 is too open", r.stderr)
        self.assert_no_secret_written()

    def test_import_needs_it_too(self):
        (self.keydir / "host.pub").unlink()
        ga = self.tmp / "ga"
        ga.write_text("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n")
        os.chmod(ga, 0o600)
        r = self.run_enroll("--import", str(ga), "--keydir", str(self.keydir), "--file", str(self.secret))
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn("host.pub does not exist", r.stderr)
        self.assert_no_secret_written()


class TargetFile(EnrollTestCase):

    def test_read_only_home(self):
        d = self.make_dir("ro-home", owner="nobody", mode=0o555)
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(d / ".pam_totp"), as_nobody=True,
                            input="123456\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"cannot create {d}/.pam_totp: {d}: Permission denied", r.stderr)
        self.assertNotIn("otpauth://", r.stdout, "the check comes before any secret is shown")
        self.assert_no_secret_written(d)

    def test_default_path_is_the_password_database_home(self):
        # nobody's home (/nonexistent) does not exist: the error names the
        # path from getpwuid, whatever $HOME says.
        d = self.make_dir("nobody-home", owner="nobody")
        env = dict(os.environ, HOME=str(d))
        r = self.run_enroll("--keydir", str(self.keydir), as_nobody=True, input="123456\n", env=env)
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn("cannot create /nonexistent/.pam_totp: /nonexistent: No such file or directory", r.stderr)
        self.assert_no_secret_written(d)

    def test_read_only_file_system(self):
        d = self.make_dir("ro-mount")
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k,mode=0755", "tmpfs", str(d)],
                                 capture_output=True)
        if mounted.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: " + mounted.stderr.decode().strip())
        self.addCleanup(subprocess.run, ["umount", str(d)])
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(d / ".pam_totp"), input="123456\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"cannot create {d}/.pam_totp: {d}: Read-only file system", r.stderr)

    def check_symlink_refused(self, link, victim_dir, *extra):
        victim = victim_dir / "victim"
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(link), *extra, input="123456\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"{link}: is a symbolic link; refusing to write through it", r.stderr)
        self.assertNotIn("otpauth://", r.stdout)
        self.assertTrue(os.path.islink(link))
        if victim.exists():
            self.assertEqual(victim.read_text(), "do not touch\n")

    def test_symlink_target(self):
        victims = self.make_dir("victims")
        (victims / "victim").write_text("do not touch\n")
        os.symlink(victims / "victim", self.secret)
        self.check_symlink_refused(self.secret, victims)
        self.check_symlink_refused(self.secret, victims, "--force")
        self.assertEqual(sorted(p.name for p in victims.iterdir()), ["victim"])
        self.assert_no_secret_written(expect=[".pam_totp"])

    def test_dangling_symlink_target(self):
        victims = self.make_dir("victims")
        os.symlink(victims / "victim", self.secret)
        self.check_symlink_refused(self.secret, victims, "--force")
        self.assertEqual(list(victims.iterdir()), [])

    def test_symlink_target_for_another_user(self):
        """root --user into a directory the user controls: the user planted
        the link, root must not follow it."""
        d = self.make_dir("nobody-home", owner="nobody")
        victims = self.make_dir("victims")
        (victims / "victim").write_text("do not touch\n")
        os.symlink(victims / "victim", d / ".pam_totp")
        self.check_symlink_refused(d / ".pam_totp", victims, "--user", "nobody", "--force")

    def test_root_does_not_write_where_others_control(self):
        """root enrolling itself into a directory another user owns, or one
        anybody can write (like /tmp): refused, nothing written."""
        for name, owner, mode in (("theirs", "nobody", 0o755), ("shared", None, 0o1777)):
            with self.subTest(directory=name):
                d = self.make_dir(name, owner=owner, mode=mode)
                r = self.run_enroll("--keydir", str(self.keydir), "--file", str(d / ".pam_totp"), input="1\n")
                self.assertEqual(r.returncode, SYSTEM, r.stderr)
                self.assertIn(f"{d}: not controlled by root alone", r.stderr)
                self.assertIn("Use --user NAME", r.stderr)
                self.assertNotIn("otpauth://", r.stdout)
                self.assert_no_secret_written(d)

    def test_never_writes_where_the_module_would_not_read(self):
        """A file the module would refuse (its directory writable by the
        group: sshd's StrictModes) is refused before the QR code, for the
        user and for root writing for them."""
        d = self.make_dir("group-writable", owner="nobody", mode=0o775)
        for who in ("nobody", "root --user nobody"):
            with self.subTest(who=who):
                args = ["--keydir", str(self.keydir), "--file", str(d / ".pam_totp")]
                if who == "nobody":
                    r = self.run_enroll(*args, input="1\n", as_nobody=True)
                else:
                    r = self.run_enroll(*args, "--user", "nobody", "--statedir", str(self.statedir),
                                        input="1\n")
                self.assertEqual(r.returncode, SYSTEM, r.stderr)
                self.assertIn("would be in an unsafe place, which pam_totp refuses", r.stderr)
                self.assertIn(f"directory {d} is writable by group or others", r.stderr)
                self.assertNotIn("otpauth://", r.stdout)
                self.assert_no_secret_written(d)

    def test_directory_target(self):
        self.secret.mkdir()
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(self.secret), "--force", input="1\n")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn(f"{self.secret}: exists and is not a regular file", r.stderr)


class Usage(EnrollTestCase):

    def test_usage_errors(self):
        cases = [
            (["--bogus"], "unknown option '--bogus'"),
            (["extra"], "unexpected argument 'extra'"),
            (["--digits", "9"], "--digits must be a number from 6 to 8, not '9'"),
            (["--digits=5"], "--digits must be a number from 6 to 8"),
            (["--period", "10"], "--period must be a number of seconds from 15 to 300"),
            (["--algorithm", "MD5"], "--algorithm must be SHA1, SHA256 or SHA512, not 'MD5'"),
            (["--qr=sixel"], "--qr must be utf8, ansi or none, not 'sixel'"),
            (["--hotp", "--period", "60"], "--period cannot be used with --hotp"),
            (["--status", "--remove"], "--status and --remove cannot be combined"),
            (["--status", "--digits", "8"], "--digits cannot be used with --status"),
            (["--import", "x", "--hotp"], "--hotp cannot be used with --import"),
            (["--generate-host-key", "--user", "root"], "--user cannot be used with --generate-host-key"),
            (["--issuer", "a:b"], "--issuer must not contain ':'"),
            (["--label", ""], "--label needs a non-empty value"),
            (["--file"], "--file needs a value"),
            (["--force=yes"], "--force takes no value"),
            (["--force", "--force"], "--force given twice"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = self.run_enroll(*args, input="")
                self.assertEqual(r.returncode, USAGE, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertIn("Try 'totp-enroll --help'", r.stderr)
                self.assertEqual(r.stdout, "")

    def test_help_and_version(self):
        r = self.run_enroll("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--import", "--status", "--remove", "--generate-host-key", "--force", "--user", "--file",
                     "--keydir", "--issuer", "--label", "--digits", "--period", "--algorithm", "--hotp", "--qr=",
                     "--version"):
            self.assertIn(flag, r.stdout)
        self.assertTrue(all(len(line) <= 80 for line in r.stdout.splitlines()))
        r = self.run_enroll("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^totp-enroll \(pam_totp\) \d+\.\d+\.\d+\n$")

    def test_refuses_to_run_setuid(self):
        copy = self.tmp / "bin"
        copy.mkdir()
        os.chmod(copy, 0o755)
        exe = copy / "totp-enroll"
        shutil.copy(ENROLL, exe)
        os.chmod(exe, 0o4755)
        r = subprocess.run(AS_NOBODY + [str(exe), "--status", "--file", str(self.tmp / "none")],
                           capture_output=True, text=True)
        if r.returncode == 1 and "not enrolled" in r.stdout:
            self.skipTest("setuid bits are ignored here (nosuid mount)")
        self.assertEqual(r.returncode, SYSTEM, r.stderr)
        self.assertIn("totp-enroll is running setuid or setgid; it must never be installed that way", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
