"""Whose enrolment: the invoking user (as nobody), root with --user (file
owned by the user, default path from the password database), --status and
--remove."""

import os
import pwd
import stat
import subprocess
import unittest
import uuid

from enrolltest import EnrollTestCase, gid_of, oathtool, parse_uri, uid_of


class InvokingUser(EnrollTestCase):

    def test_unprivileged_user_enrolls_themselves(self):
        home = self.make_dir("nobody-home", owner="nobody", mode=0o700)
        target = home / ".pam_totp"
        out, err, status, uri = self.enroll_scripted("--qr=none", file=target, as_nobody=True)
        self.assertEqual(status, 0, err)
        self.assertIn("@", parse_uri(uri)["label"])
        self.assertTrue(parse_uri(uri)["label"].split(":")[1].startswith("nobody@"))
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (uid_of("nobody"), gid_of("nogroup"), 0o600))
        p, fields = self.probe("--code", oathtool(parse_uri(uri)["secret"]), file=target)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(fields["user"], "nobody")
        # The user can check and remove their own enrolment.
        r = self.run_enroll("--status", "--keydir", str(self.keydir), "--file", str(target), as_nobody=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{target}: enrolled", r.stdout)
        r = self.run_enroll("--remove", "--file", str(target), as_nobody=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(target.exists())


class RootForAUser(EnrollTestCase):

    def test_central_directory_owned_by_root(self):
        """A root-only directory (like /var/lib/pam_totp/secrets): root writes
        and hands the file to the user."""
        central = self.make_dir("secrets", mode=0o755)
        target = central / "nobody"
        out, err, status, uri = self.enroll_scripted("--qr=none", "--user", "nobody", "--statedir", str(self.statedir),
                                                     file=target)
        self.assertEqual(status, 0, err)
        self.assertTrue(parse_uri(uri)["label"].split(":")[1].startswith("nobody@"))
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (uid_of("nobody"), gid_of("nogroup"), 0o600))
        p, fields = self.probe(file=target)
        self.assertEqual(fields["user"], "nobody")

    def test_directory_the_user_controls(self):
        """In the user's own directory root acts as the user: a directory
        root could write but the user cannot is refused."""
        home = self.make_dir("nobody-home", owner="nobody", mode=0o755)
        out, err, status, uri = self.enroll_scripted("--qr=none", "--user", "nobody", "--statedir", str(self.statedir),
                                                     file=home / ".pam_totp")
        self.assertEqual(status, 0, err)
        self.assertEqual(os.stat(home / ".pam_totp").st_uid, uid_of("nobody"))
        # Same tree, but a subdirectory only root may write: the user could
        # still swap it (its parent is theirs), so root acts as the user and
        # is refused.
        sub = home / "sub"
        sub.mkdir(mode=0o755)
        r = self.run_enroll("--user", "nobody", "--keydir", str(self.keydir), "--file", str(sub / ".pam_totp"),
                            input="123456\n")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(f"cannot create {sub}/.pam_totp: {sub}: Permission denied", r.stderr)

    def test_unknown_user(self):
        r = self.run_enroll("--user", "no-such-user-" + uuid.uuid4().hex[:8], "--keydir", str(self.keydir),
                            input="")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("does not exist in the password database", r.stderr)

    def test_default_path_of_another_user(self):
        """Without --file: <home from getpwnam>/.pam_totp, not $HOME."""
        name = "te" + uuid.uuid4().hex[:10]
        home = self.tmp / "users" / name
        (self.tmp / "users").mkdir()
        r = subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
                            "--user-group", name], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("cannot create a user: " + r.stderr.strip())
        self.addCleanup(subprocess.run, ["userdel", "--remove", name], capture_output=True)
        pw = pwd.getpwnam(name)
        env = dict(os.environ, HOME=str(self.home))
        state = ["--statedir", str(self.statedir)]
        out, err, status, uri = self.enroll_scripted("--qr=none", "--user", name, *state, env=env)
        self.assertEqual(status, 0, err)
        target = home / ".pam_totp"
        self.assertIn(f"Saved {target} for user {name}", out)
        self.assertFalse((self.home / ".pam_totp").exists())
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (pw.pw_uid, pw.pw_gid, 0o600))
        p, fields = self.probe("--code", oathtool(parse_uri(uri)["secret"]), file=target)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(fields["user"], name)

        r = self.run_enroll("--status", "--user", name, "--keydir", str(self.keydir), *state, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{target}: enrolled", r.stdout)
        self.assertIn(f"user       {name}", r.stdout)
        self.assertIn("the file matches the pin", r.stdout)
        r = self.run_enroll("--remove", "--user", name, *state, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"Removed {target}", r.stdout)
        self.assertFalse(target.exists())
        r = self.run_enroll("--status", "--user", name, *state, env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stdout.startswith(f"{target}: not enrolled\n"), r.stdout)
        self.assertIn(f"  pinned     nothing (removed by root: only root enrols {name} again)", r.stdout)


class Status(EnrollTestCase):

    def test_not_enrolled(self):
        # Exit status 1, as scripts expect of a query that answers "no"
        # (`if totp-enroll --status --user NAME >/dev/null; then ...`).
        r = self.run_enroll("--status", "--file", str(self.secret))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, f"{self.secret}: not enrolled\n", ""))

    def test_enrolled_needs_no_key(self):
        out, err, status, uri = self.enroll_scripted("--qr=none", "--digits", "8", "--algorithm", "SHA512",
                                                     "--period", "45", file=self.secret)
        self.assertEqual(status, 0, err)
        r = self.run_enroll("--status", "--keydir", str(self.tmp / "no-keys"), "--file", str(self.secret))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], f"{self.secret}: enrolled")
        self.assertIn("  type       totp", lines)
        self.assertIn("  algorithm  SHA512", lines)
        self.assertIn("  digits     8", lines)
        self.assertIn("  period     45 s", lines)
        self.assertRegex(r.stdout, r"  created    \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n")
        self.assertIn("cannot compare with this host's key", r.stdout)
        r = self.run_enroll("--status", "--keydir", str(self.keydir), "--file", str(self.secret))
        self.assertIn("(this host's key,", r.stdout)

    def test_hotp(self):
        out, err, status, uri = self.enroll_scripted("--qr=none", "--hotp", file=self.secret)
        self.assertEqual(status, 0, err)
        r = self.run_enroll("--status", "--file", str(self.secret))
        self.assertIn("  type       hotp", r.stdout)
        self.assertIn("  counter    1 (at enrolment)", r.stdout)

    def test_broken_file(self):
        self.secret.write_text("pam_totp 1\nuser root\n")
        os.chmod(self.secret, 0o600)
        r = self.run_enroll("--status", "--file", str(self.secret))
        self.assertEqual(r.returncode, 3)
        self.assertIn(f"{self.secret}: not a valid pam_totp secret file: ", r.stderr)


class Remove(EnrollTestCase):

    def test_not_enrolled(self):
        r = self.run_enroll("--remove", "--file", str(self.secret))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("not enrolled; nothing to remove", r.stdout)

    def test_only_secret_files_without_force(self):
        other = self.home / "notes.txt"
        other.write_text("my notes\n")
        os.chmod(other, 0o600)
        r = self.run_enroll("--remove", "--file", str(other))
        self.assertEqual(r.returncode, 3)
        self.assertIn(f"{other}: not a pam_totp secret file", r.stderr)
        self.assertIn("not removing it without --force", r.stderr)
        self.assertTrue(other.exists())
        r = self.run_enroll("--remove", "--force", "--file", str(other))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(other.exists())

    def test_symlink_is_removed_not_followed(self):
        victim = self.tmp / "victim"
        victim.write_text("keep\n")
        os.symlink(victim, self.secret)
        r = self.run_enroll("--remove", "--file", str(self.secret))
        self.assertEqual(r.returncode, 3)
        self.assertIn("is a symbolic link", r.stderr)
        r = self.run_enroll("--remove", "--force", "--file", str(self.secret))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.lexists(self.secret))
        self.assertEqual(victim.read_text(), "keep\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
