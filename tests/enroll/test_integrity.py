"""Root's tools for enrolment integrity (issue 12), run for real against the
real module: --pin before the first login, --pin --all, --remove (a restored
file stays refused), --unlock (used recovery codes stay used), root's tagged
and pinned enrolment for a user, --owner root, and what a user's --force
re-enrolment says."""

import os
import re
import subprocess
import time
import unittest

from pamenroll import EnrollPamTestCase  # exits 77 without tests/pam

from enrolltest import ENROLL, SOURCE_DIR, code_for_uri, next_step_code_for_uri, oathtool
from pamtest import MODULE, PAM_AUTH_ERR, PAM_SUCCESS, oathtool_code, require_root

NEW_PROMPT = "Code from your NEW authenticator (Enter to skip): "
SWITCH_NOTICE = ("Your old authenticator stays in use until you switch: at your next login give a code "
                 "from the OLD authenticator (or a recovery code), then a code from the NEW one when asked.")
ADMIN_MANAGED = "An administrator manages your enrolment on this host"


def later(seconds=30):
    """A time some TOTP steps ahead: a fresh code the window still accepts."""
    return time.time() + seconds


def write_v1_record(path, enrollment_id_hex, last_step, used_recovery):
    """A record as pam_totp wrote it before pins (one 128-byte slot)."""
    import hashlib
    import struct
    body = b"PTOTPS1\n" + struct.pack("<Q", 1) + bytes.fromhex(enrollment_id_hex)
    body += struct.pack("<IQIIqI", 1, last_step, 0, 0, 0, used_recovery)
    body = body.ljust(112, b"\0")
    with open(path, "wb") as f:
        f.write(body + hashlib.sha256(body).digest()[:16])
    os.chmod(path, 0o600)


def enrollment_id(text):
    return next(l.split()[1] for l in text.splitlines() if l.startswith("enrollment-id "))


class RootToolsCase(EnrollPamTestCase):

    def setUp(self):
        super().setUp()
        # A window of 10 steps, so each test has several fresh codes.
        self.svc = self.box.service("sshd", self.box.totp_line("window=10"))

    def login(self, user, *answers, svc=None):
        return self.box.auth(svc or self.svc, user, *answers, driver_args=["--setcred"])

    def file_text(self, user="alice"):
        with open(self.box.secret_path(user)) as f:
            return f.read()

    def record_bytes(self, user="alice"):
        with open(self.box.state_path(user), "rb") as f:
            return f.read()

    def assertTool(self, r, rc):
        self.assertEqual(r.returncode, rc, f"stdout: {r.stdout}\nstderr: {r.stderr}")


@require_root
class Pin(RootToolsCase):

    def test_pin_before_the_first_login(self):
        secret = self.box.enroll("alice")
        pinned_text = self.file_text()
        r = self.tool("--pin", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn(f"alice ({self.box.secret_path('alice')}): pinned, enrollment-id "
                      f"{enrollment_id(pinned_text)} in {self.box.state_path('alice')}", r.stdout)
        # The record holds the file's bytes: the pin is the file, not its name.
        self.assertIn(pinned_text.encode(), self.record_bytes())
        st = os.stat(self.box.state_path("alice"))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))

        # A file planted before the first login is only a proposal.
        planted = self.box.enroll("alice")
        r = self.login("alice", oathtool_code(planted))
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertNotIn(NEW_PROMPT, r.prompts)
        self.assertNotIn("pinned the enrolment", self.box.syslog())
        r = self.login("alice", oathtool_code(secret, at=later()), "")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn(NEW_PROMPT, r.prompts)  # the planted file waits for a switch, nothing more
        self.assertIn(pinned_text.encode(), self.record_bytes())

        r = self.tool("--status", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn(f"  pinned     enrollment-id {enrollment_id(pinned_text)} since ", r.stdout)
        self.assertIn(f"the file differs (enrollment-id {enrollment_id(self.file_text())}): "
                      "a switch waits for alice's next login", r.stdout)

    def test_pin_refuses_to_replace_without_force(self):
        first = self.box.enroll("alice")
        first_id = enrollment_id(self.file_text())
        self.assertTool(self.tool("--pin", "--user", "alice"), 0)
        r = self.tool("--pin", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn("already pinned, enrollment-id " + first_id, r.stdout)

        second = self.box.enroll("alice")
        second_id = enrollment_id(self.file_text())
        before = self.record_bytes()
        r = self.tool("--pin", "--user", "alice")
        self.assertTool(r, 1)
        self.assertIn(f"the record pins enrollment-id {first_id}, the file holds {second_id}; "
                      "--force replaces the pin", r.stderr)
        self.assertEqual(self.record_bytes(), before)

        r = self.tool("--pin", "--user", "alice", "--force")
        self.assertTool(r, 0)
        self.assertIn(f"pinned, enrollment-id {second_id} in {self.box.state_path('alice')}, "
                      f"replacing {first_id}", r.stdout)
        r = self.login("alice", oathtool_code(second, at=later()))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertNotIn(NEW_PROMPT, r.prompts)
        self.assertAuth(self.login("alice", oathtool_code(first, at=later(60))), PAM_AUTH_ERR)

    def test_pin_all_pins_only_unpinned_users(self):
        for name in ("bob", "carol", "dave", "erin"):
            self.box.add_user(name)
        alice = self.box.enroll("alice")                 # a file, no record yet
        bob = self.box.enroll("bob")                     # pinned at a login, then a new file
        self.assertAuth(self.login("bob", oathtool_code(bob)), PAM_SUCCESS)
        bob_pinned = enrollment_id(self.file_text("bob"))
        bob_planted = self.box.enroll("bob")
        self.box.write_user_file("dave", "garbage\n")   # carol: no file at all
        self.box.enroll("erin")
        self.assertTool(self.tool("--pin", "--user", "erin"), 0)

        r = self.tool("--pin", "--all")
        self.assertTool(r, 0)
        lines = dict(l.split(": ", 1) for l in r.stdout.splitlines())
        self.assertTrue(lines["alice"].startswith(f"pinned (enrollment-id {enrollment_id(self.file_text())}"),
                        r.stdout)
        self.assertEqual(lines["bob"], f"already pinned (the record pins enrollment-id {bob_pinned}, "
                                       f"the file holds {enrollment_id(self.file_text('bob'))}: "
                                       "a switch the user makes at a login)")
        self.assertNotIn("carol", lines)
        self.assertTrue(lines["dave"].startswith("skipped ("), r.stdout)
        self.assertIn("is not a valid enrolment on this host", lines["dave"])
        self.assertTrue(lines["erin"].startswith("already pinned (enrollment-id "), r.stdout)

        # Nothing was replaced: bob's pinned phone works, the new file does not.
        self.assertAuth(self.login("bob", oathtool_code(bob_planted, at=later())), PAM_AUTH_ERR)
        self.assertAuth(self.login("bob", oathtool_code(bob, at=later(60)), ""), PAM_SUCCESS)
        self.assertAuth(self.login("alice", oathtool_code(alice)), PAM_SUCCESS)
        self.assertNotIn("user alice: pinned the enrolment", self.box.syslog())

        # A second run changes nothing.
        r = self.tool("--pin", "--all")
        self.assertTool(r, 0)
        self.assertNotIn(": pinned (", r.stdout)

    def test_pin_migrates_a_record_from_before_pins(self):
        """Same enrolment: the replay position and used recovery codes stay.
        Another enrolment than the old record counted: --all leaves it to root."""
        self.box.add_user("bob")
        secret = self.box.enroll("alice", recovery=["ABCD-EFGH", "JKLM-NPQR"])
        step = int(time.time()) // 30
        write_v1_record(self.box.state_path("alice"), enrollment_id(self.file_text()), step + 2, 0b1)
        self.box.enroll("bob")
        write_v1_record(self.box.state_path("bob"), "ab" * 16, step, 0)

        r = self.tool("--pin", "--all")
        self.assertTool(r, 0)
        lines = dict(l.split(": ", 1) for l in r.stdout.splitlines())
        self.assertIn("keeping the replay position and used recovery codes of its record", lines["alice"])
        self.assertEqual(lines["bob"], f"skipped (the record counted enrollment-id {'ab' * 16} before pins "
                                       f"existed, the file holds {enrollment_id(self.file_text('bob'))}; "
                                       "check it, then --pin --user NAME)")
        self.assertAuth(self.login("alice", oathtool_code(secret)), PAM_AUTH_ERR)  # replayed step
        self.assertAuth(self.login("alice", "ABCD-EFGH"), PAM_AUTH_ERR)  # used before the upgrade
        self.assertAuth(self.login("alice", "JKLM-NPQR"), PAM_SUCCESS)
        self.assertAuth(self.login("alice", oathtool_code(secret, at=later(90))), PAM_SUCCESS)
        r = self.tool("--pin", "--user", "bob")
        self.assertTool(r, 0)
        self.assertIn("bob (", r.stdout)

    def test_package_postinst_pins_every_enrollment(self):
        """debian/libpam-totp.postinst configure, with the sandbox's key and
        record directories: pins, and one user's trouble (a damaged record)
        does not fail the installation."""
        self.box.add_user("bob")
        alice = self.box.enroll("alice")
        self.box.enroll("bob")
        with open(self.box.state_path("bob"), "wb") as f:
            f.write(b"damaged" * 10)
        os.chmod(self.box.state_path("bob"), 0o600)
        with open(os.path.join(SOURCE_DIR, "debian", "libpam-totp.postinst")) as f:
            script = f.read()
        for name, value in (("keydir", self.box.keydir), ("statedir", self.box.statedir)):
            script, count = re.subn(rf"^{name}=.*$", f"{name}={value}", script, flags=re.M)
            self.assertEqual(count, 1, f"no {name}= line in the postinst")
        bin_dir = os.path.join(self.box.root, "bin")
        os.mkdir(bin_dir)
        os.symlink(os.path.abspath(ENROLL), os.path.join(bin_dir, "totp-enroll"))
        with open(os.path.join(bin_dir, "pam-auth-update"), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(os.path.join(bin_dir, "pam-auth-update"), 0o755)
        postinst = os.path.join(self.box.root, "postinst")
        with open(postinst, "w") as f:
            f.write(script)
        env = dict(self.enroll_env(), PATH=bin_dir + ":" + os.environ["PATH"])
        r = subprocess.run(["sh", postinst, "configure"], capture_output=True, text=True, env=env, timeout=60)
        self.assertTool(r, 0)
        self.assertIn("alice: pinned (enrollment-id ", r.stdout)
        self.assertIn("bob: failed (", r.stdout)
        self.assertIn("libpam-totp: could not pin every enrolment", r.stderr)
        planted = self.box.enroll("alice")
        self.assertAuth(self.login("alice", oathtool_code(planted)), PAM_AUTH_ERR)
        self.assertAuth(self.login("alice", oathtool_code(alice, at=later()), ""), PAM_SUCCESS)

    def test_pin_is_roots(self):
        self.box.enroll("alice")
        for action in ("--pin", "--unlock"):
            with self.subTest(action=action):
                r = self.tool(action, as_user="alice")
                self.assertTool(r, 1)
                self.assertIn("only root can", r.stderr)
        r = self.tool("--pin", "--all", "--user", "alice")
        self.assertTool(r, 2)
        self.assertIn("--user cannot be used with --all", r.stderr)
        self.assertFalse(os.path.exists(self.box.state_path("alice")))

    def test_pin_needs_the_record_directory(self):
        self.box.enroll("alice")
        r = self.tool("--pin", "--user", "alice", statedir=os.path.join(self.box.root, "nowhere"))
        self.assertTool(r, 3)
        self.assertIn("--statedir must name the module's statedir=", r.stderr)


@require_root
class RemoveAndUnlock(RootToolsCase):

    def test_remove_then_a_restored_file_is_refused(self):
        old = self.box.enroll("alice")
        self.assertAuth(self.login("alice", oathtool_code(old)), PAM_SUCCESS)
        old_text = self.file_text()
        r = self.tool("--remove", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn(f"Removed {self.box.secret_path('alice')}.", r.stdout)
        self.assertIn(f"Retired in {self.box.state_path('alice')}: enrollment-id {enrollment_id(old_text)} "
                      "(pinned).", r.stdout)
        self.assertFalse(os.path.exists(self.box.secret_path("alice")))

        self.box.write_user_file("alice", old_text)  # from a backup, or by the user
        r = self.login("alice", oathtool_code(old, at=later()))
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.rc, 7)
        self.assertLogged("holds a retired enrolment")
        # Not pinned again: not by the login, not by --pin or --pin --all.
        self.assertNotIn(old_text.encode(), self.record_bytes()[:8192])
        r = self.tool("--pin", "--user", "alice")
        self.assertTool(r, 1)
        self.assertIn("the file holds a retired enrolment", r.stderr)
        r = self.tool("--pin", "--all")
        self.assertIn("alice: skipped (the file holds a retired enrolment", r.stdout)
        self.assertAuth(self.login("alice", oathtool_code(old, at=later(60))), PAM_AUTH_ERR)
        r = self.tool("--status", "--user", "alice")
        self.assertIn("  pinned     nothing (removed by root: only root enrols alice again)", r.stdout)
        self.assertIn("the file holds a retired enrolment", r.stdout)

    def test_after_remove_only_root_enrolls_again(self):
        old = self.box.enroll("alice")
        self.assertAuth(self.login("alice", oathtool_code(old)), PAM_SUCCESS)
        self.assertTool(self.tool("--remove", "--user", "alice"), 0)
        new = self.box.enroll("alice")  # the user's own new file: not trusted on its own word
        self.assertAuth(self.login("alice", oathtool_code(new)), PAM_AUTH_ERR)
        self.assertTool(self.tool("--pin", "--user", "alice"), 0)
        self.assertAuth(self.login("alice", oathtool_code(new, at=later())), PAM_SUCCESS)

    def test_remove_without_file_retires_the_pin(self):
        old = self.box.enroll("alice")
        self.assertAuth(self.login("alice", oathtool_code(old)), PAM_SUCCESS)
        old_text = self.file_text()
        os.unlink(self.box.secret_path("alice"))  # deleting by hand unenrols nobody
        r = self.tool("--status", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn("no file, but the module's record pins an enrolment", r.stdout)
        r = self.tool("--remove", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn(f"enrollment-id {enrollment_id(old_text)} (pinned)", r.stdout)
        self.box.write_user_file("alice", old_text)
        self.assertAuth(self.login("alice", oathtool_code(old, at=later())), PAM_AUTH_ERR)
        # Nobody to remove: says so and creates no record.
        self.box.add_user("bob")
        r = self.tool("--remove", "--user", "bob")
        self.assertTool(r, 0)
        self.assertIn("not enrolled; nothing to remove", r.stdout)
        self.assertFalse(os.path.exists(self.box.state_path("bob")))

    def test_unlock_keeps_used_recovery_codes_used(self):
        svc = self.box.service("lock", self.box.totp_line("window=10", "fail_limit=3", "fail_lock=900"))
        secret = self.box.enroll("alice", recovery=["ABCD-EFGH", "JKLM-NPQR"])
        self.assertAuth(self.login("alice", "ABCD-EFGH", svc=svc), PAM_SUCCESS)
        for _ in range(3):
            self.assertAuth(self.login("alice", "000000", svc=svc), PAM_AUTH_ERR)
        self.assertAuth(self.login("alice", oathtool_code(secret), svc=svc), PAM_AUTH_ERR)  # locked
        self.assertLogged("user alice locked for 900 s")

        r = self.tool("--unlock", "--user", "alice")
        self.assertTool(r, 0)
        self.assertIn(f"Unlocked alice ({self.box.state_path('alice')}): cleared ", r.stdout)
        self.assertIn("used recovery codes stay", r.stdout)
        self.assertAuth(self.login("alice", "ABCD-EFGH", svc=svc), PAM_AUTH_ERR)  # still used
        self.assertAuth(self.login("alice", oathtool_code(secret, at=later()), svc=svc), PAM_SUCCESS)
        self.assertAuth(self.login("alice", "JKLM-NPQR", svc=svc), PAM_SUCCESS)

    def test_unlock_without_a_record(self):
        r = self.tool("--unlock", "--user", "alice")
        self.assertTool(r, 1)
        self.assertIn("no record for alice", r.stderr)
        self.assertFalse(os.path.exists(self.box.state_path("alice")))


@require_root
class RootEnrolls(RootToolsCase):

    def test_roots_enrollment_is_tagged_and_pinned_at_once(self):
        old = self.box.enroll("alice")
        other_state = os.path.join(self.box.root, "other-host-state")
        os.mkdir(other_state, 0o700)
        other_host = self.box.service(
            "otherhost", f"auth required {MODULE} hostkey={self.box.hostkey} statedir={other_state} window=10")
        self.assertAuth(self.login("alice", oathtool_code(old)), PAM_SUCCESS)
        self.assertAuth(self.login("alice", oathtool_code(old), svc=other_host), PAM_SUCCESS)

        time.sleep(1.1)  # a tag adopts only files created after the pin, in whole seconds
        uri, out = self.enroll_scripted("--user", "alice", "--force")
        self.assertIn(f"Pinned in {self.box.state_path('alice')} (enrollment-id ", out)
        self.assertIn("codes from alice's earlier authenticator no longer work on this host", out)
        lines = self.file_text().splitlines()
        self.assertEqual(lines[0], "pam_totp 2")
        self.assertRegex(lines[-1], rf"^tag {self.alice['uid']} \d+ [0-9a-f]{{64}}$")
        expires = int(lines[-1].split()[2])
        self.assertAlmostEqual(expires - time.time(), 14 * 86400, delta=120)

        # The lost phone's codes stop at once, before any login adopts anything.
        self.assertAuth(self.login("alice", oathtool_code(old, at=later())), PAM_AUTH_ERR)
        r = self.login("alice", next_step_code_for_uri(uri))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertNotIn(NEW_PROMPT, r.prompts)
        r = self.tool("--status", "--user", "alice")
        self.assertIn("the file matches the pin", r.stdout)
        # Another host with the same key adopts the tagged file without the old code.
        self.assertAuth(self.login("alice", code_for_uri(uri, now=later(60)), svc=other_host), PAM_SUCCESS)
        self.assertAuth(self.login("alice", oathtool_code(old, at=later(90)), svc=other_host), PAM_AUTH_ERR)

    def test_import_by_root_is_pinned_too(self):
        old = self.box.enroll("alice")
        self.assertAuth(self.login("alice", oathtool_code(old)), PAM_SUCCESS)
        ga = os.path.join(self.alice["home"], ".google_authenticator")
        secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        with open(ga, "w") as f:
            f.write(f"{secret}\n\" TOTP_AUTH\n")
        os.chown(ga, self.alice["uid"], self.alice["uid"])
        os.chmod(ga, 0o600)
        r = self.tool("--import", ga, "--user", "alice", "--force")
        self.assertTool(r, 0)
        self.assertIn("Pinned in ", r.stdout)
        self.assertAuth(self.login("alice", oathtool(secret, now=later())), PAM_SUCCESS)
        self.assertAuth(self.login("alice", oathtool_code(old, at=later(60))), PAM_AUTH_ERR)

    def test_owner_root(self):
        secrets = os.path.join(self.box.keydir, "secrets")  # /etc/pam_totp/secrets
        os.mkdir(secrets, 0o755)
        path = os.path.join(secrets, "alice")
        uri, out = self.enroll_scripted("--user", "alice", "--owner", "root", "--file", path)
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (0, 0, 0o600))
        svc = self.box.service("adm", self.box.totp_line("window=10", "secret_owner=root", f"secret={secrets}/%u"))
        self.assertAuth(self.login("alice", next_step_code_for_uri(uri), svc=svc), PAM_SUCCESS)

        with open(path, "rb") as f:
            before = f.read()
        # The user's plain totp-enroll (their ~/.pam_totp), or naming the file.
        for args in (["--qr=none"], ["--file", path, "--force", "--qr=none"], ["--file", path, "--remove"]):
            with self.subTest(args=args):
                r = self.tool(*args, as_user="alice", input="123456\n")
                self.assertTool(r, 1)
                self.assertIn(ADMIN_MANAGED, r.stderr)
                self.assertNotIn("otpauth://", r.stdout)
                with open(path, "rb") as f:
                    self.assertEqual(f.read(), before)
        self.assertEqual(sorted(os.listdir(secrets)), ["alice"])
        self.assertFalse(os.path.exists(self.box.secret_path("alice")))

        r = self.tool("--user", "alice", "--owner", "root")
        self.assertTool(r, 2)
        self.assertIn("--owner root needs --user NAME and --file PATH", r.stderr)

    def test_owner_root_needs_a_directory_only_root_controls(self):
        path = os.path.join(self.alice["home"], "managed")
        r = self.tool("--user", "alice", "--owner", "root", "--file", path, input="123456\n")
        self.assertTool(r, 3)
        self.assertIn("--owner root needs a directory such as /etc/pam_totp/secrets", r.stderr)
        self.assertFalse(os.path.exists(path))


@require_root
class UsersReEnrollment(RootToolsCase):

    def test_force_says_how_to_switch_and_the_switch_works(self):
        first, out = self.enroll_scripted(as_alice=True)
        self.assertNotIn("stays in use", out)
        self.assertAuth(self.login("alice", next_step_code_for_uri(first)), PAM_SUCCESS)  # pinned

        second, out = self.enroll_scripted("--force", as_alice=True)
        self.assertTrue(" ".join(out.split()).endswith(SWITCH_NOTICE), out)
        self.assertTrue(all(len(l) <= 80 for l in out.splitlines()[-3:]), out)
        # The new authenticator alone does not log in.
        self.assertAuth(self.login("alice", code_for_uri(second, now=later(30))), PAM_AUTH_ERR)
        r = self.login("alice", code_for_uri(first, now=later(60)), code_for_uri(second, now=later(30)))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts[1], NEW_PROMPT)
        self.assertAuth(self.login("alice", code_for_uri(first, now=later(90))), PAM_AUTH_ERR)
        self.assertAuth(self.login("alice", code_for_uri(second, now=later(90))), PAM_SUCCESS)

    def test_users_remove_says_the_pin_stays(self):
        uri, out = self.enroll_scripted(as_alice=True)
        self.assertAuth(self.login("alice", next_step_code_for_uri(uri)), PAM_SUCCESS)
        r = self.tool("--remove", as_user="alice")
        self.assertTool(r, 0)
        self.assertIn("only\nan administrator ends an enrolment (totp-enroll --remove --user alice)", r.stdout)
        self.assertAuth(self.login("alice", code_for_uri(uri, now=later(60))), PAM_SUCCESS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
