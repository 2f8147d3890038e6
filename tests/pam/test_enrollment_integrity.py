"""Enrolment integrity (issue 12): whoever has the user's password and shell
but not the phone can neither swap nor drop the second factor.

The module pins the first enrolment it sees in its root-only record; the
user's file is only a proposal from then on. These tests drive real libpam
(pam_wrapper) with the module and write the user's file as the attacker
would: as the user, sealed to the public host key.
"""
import os
import re
import time

from pamtest import *

NEW_PROMPT = "Code from your NEW authenticator (Enter to skip): "
WAITING = ("A new authenticator is waiting to replace your current one. If you did not set it up, "
           "change your password now.")


def later(seconds=30):
    """A time one TOTP step ahead: a fresh code the window still accepts."""
    return time.time() + seconds


@require_root
class EnrollmentIntegrity(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.pinned = self.box.enroll("alice")
        self.svc = self.box.service("sshd", self.line())
        # The first login pins the enrolment (trust on first use).
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(self.pinned)), PAM_SUCCESS)
        self.assertLogged("pinned the enrolment")

    def line(self, *options):
        """A window of 10 steps, so each test has several fresh codes."""
        return self.box.totp_line("window=10", *options)

    def login(self, *answers, svc=None, setcred=True, **kwargs):
        args = ["--setcred"] if setcred else []
        return self.box.auth(svc or self.svc, "alice", *answers, driver_args=args, **kwargs)

    def plant(self, **kwargs):
        """The attacker's `totp-enroll --force`: a new file for alice."""
        return self.box.enroll("alice", **kwargs)

    def recovery_file(self, codes):
        return self.box.enroll("alice", recovery=codes)

    # -- the three attacks of the issue ------------------------------------
    def test_reenrollment_does_not_log_in(self):
        planted = self.plant()
        r = self.login(oathtool_code(planted, at=later()))
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertNotIn(NEW_PROMPT, r.prompts)
        # The pinned phone still works.
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later()), ""), PAM_SUCCESS)

    def test_optional_deleted_file_still_asks_for_the_pinned_code(self):
        svc = self.box.service("opt", self.line("optional"))
        os.unlink(self.box.secret_path("alice"))
        r = self.login("000000", svc=svc)
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, ["Verification code: "])
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later()), svc=svc), PAM_SUCCESS)
        self.assertLogged("checking the pinned enrolment")

    def test_optional_garbage_file_still_asks_for_the_pinned_code(self):
        svc = self.box.service("opt", self.line("optional"))
        self.box.write_user_file("alice", "garbage\n")
        self.assertAuth(self.login("000000", svc=svc), PAM_AUTH_ERR)
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later()), svc=svc), PAM_SUCCESS)

    def test_file_in_group_writable_home_is_ignored_for_the_pin(self):
        svc = self.box.service("opt", self.line("optional"))
        home = self.box.users["alice"]["home"]
        planted = self.plant()
        os.chmod(home, 0o770)  # a group member could have put it there
        self.assertAuth(self.login(oathtool_code(planted, at=later()), svc=svc), PAM_AUTH_ERR)
        self.assertLogged("is writable by group or others")
        r = self.login(oathtool_code(self.pinned, at=later()), svc=svc)
        self.assertAuth(r, PAM_SUCCESS)
        self.assertNotIn(NEW_PROMPT, r.prompts)  # a badly placed file is no proposal

    def test_deleting_the_record_by_hand_is_not_a_reset_of_used_recovery_codes(self):
        """The record now holds the pin: the documented reset is
        totp-enroll --unlock, which keeps used codes used (tests/enroll)."""
        self.box.add_user("bob")
        self.box.enroll("bob", recovery=["ABCD-EFGH"])
        svc = self.box.service("plain", self.line())
        self.assertAuth(self.box.auth(svc, "bob", "ABCD-EFGH"), PAM_SUCCESS)
        self.assertAuth(self.box.auth(svc, "bob", "ABCD-EFGH"), PAM_AUTH_ERR)

    # -- the user's own switch ---------------------------------------------
    def test_switch_old_code_then_new_code_adopts(self):
        new = self.plant()
        r = self.login(oathtool_code(self.pinned, at=later()), oathtool_code(new))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Verification code: ", NEW_PROMPT])
        self.assertEqual(r.setcred, PAM_SUCCESS)
        self.assertIn("Your new authenticator is now in use; codes from the old one no longer work.",
                      r.infos)
        self.assertFalse([e for e in r.env if e.startswith("PAM_TOTP_SWITCH")], r.env)
        self.assertLogged("switched to a new authenticator")
        # The old phone is refused, the new one works (one step on).
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later(60))), PAM_AUTH_ERR)
        self.assertAuth(self.login(oathtool_code(new, at=later(30))), PAM_SUCCESS)

    def test_switch_replay_position_is_the_second_code(self):
        new = self.plant()
        code = oathtool_code(new)
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later()), code), PAM_SUCCESS)
        r = self.login(code)
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.errors, [REPLAY_MESSAGE])

    def test_switch_skipped_logs_in_without_adopting(self):
        new = self.plant()
        r = self.login(oathtool_code(self.pinned, at=later()), "")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn(WAITING, r.infos)
        self.assertLogged("a new authenticator is waiting and was not adopted")
        self.assertAuth(self.login(oathtool_code(new, at=later(60))), PAM_AUTH_ERR)

    def test_switch_without_setcred_is_not_adopted(self):
        """pam_setcred runs only when the whole stack succeeded."""
        new = self.plant()
        r = self.login(oathtool_code(self.pinned, at=later()), oathtool_code(new), setcred=False)
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("New authenticator confirmed. It replaces the old one when this login completes.",
                      r.infos)
        self.assertAuth(self.login(oathtool_code(new, at=later(60)), ""), PAM_AUTH_ERR)
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later(60)), ""), PAM_SUCCESS)

    def test_wrong_password_never_moves_the_pin(self):
        svc = self.box.service("stack", self.box.password_line(), self.line())
        new = self.plant()
        r = self.box.auth(svc, "alice", "not-the-password", oathtool_code(self.pinned, at=later()),
                          oathtool_code(new), driver_args=["--setcred"])
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertIsNone(r.setcred)
        self.assertAuth(self.login(oathtool_code(self.pinned, at=later(60)), ""), PAM_SUCCESS)

    def test_planted_file_is_not_adopted_by_the_old_code_typed_twice(self):
        new = self.plant()
        old_code = oathtool_code(self.pinned, at=later())
        r = self.login(old_code, old_code)
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("That code is not from the new authenticator.", r.errors)
        self.assertAuth(self.login(oathtool_code(new, at=later(60)), ""), PAM_AUTH_ERR)

    def test_same_code_at_both_prompts_is_refused_even_for_a_copy_of_the_key(self):
        """A proposal holding the pinned key itself: one typed code would
        verify for both, and must not adopt it."""
        copy = self.plant(secret_hex=self.pinned)
        code = oathtool_code(self.pinned, at=later())
        r = self.login(code, code)
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("That code is not from the new authenticator.", r.errors)
        self.assertNotIn("Your new authenticator is now in use; codes from the old one no longer work.",
                         r.infos)
        self.assertEqual(copy, self.pinned)

    def test_second_answer_is_never_a_recovery_code(self):
        self.box.write_user_file("alice", self.box.seal("alice", random_secret_hex(),
                                                        recovery=["ABCD-EFGH"]))
        r = self.login(oathtool_code(self.pinned, at=later()), "ABCD-EFGH")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("That code is not from the new authenticator.", r.errors)

    def test_recovery_hashes_matching_the_password_adopt_nothing(self):
        """The attacker seals the user's password as a recovery code of the
        planted file: with try_first_pass, PAM_AUTHTOK (the password) is
        judged against the pin only, never against the proposal."""
        password = "QRST-UVWX"
        self.box.add_user("carol", password=password)
        carol_pinned = self.box.enroll("carol")
        self.assertAuth(self.box.auth(self.svc, "carol", oathtool_code(carol_pinned)), PAM_SUCCESS)
        self.box.write_user_file("carol", self.box.seal("carol", random_secret_hex(), recovery=[password]))
        svc = self.box.service("stack", self.box.password_line(), self.line("try_first_pass"))
        r = self.box.auth(svc, "carol", password, driver_args=["--setcred"])
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertNotIn(NEW_PROMPT, r.prompts)
        self.assertAuth(self.box.auth(self.svc, "carol", oathtool_code(carol_pinned, at=later()), ""),
                        PAM_SUCCESS)

    def test_proposal_swapped_between_the_prompts_is_not_read_again(self):
        first = self.plant()
        swapped_secret = random_secret_hex()
        swapped = os.path.join(self.box.root, "swapped")
        with open(swapped, "w") as f:
            f.write(self.box.seal("alice", swapped_secret))
        target = self.box.secret_path("alice")
        swap = f"cp {swapped} {target}.x && chown --reference={target} {target}.x && mv {target}.x {target}"
        r = self.box.auth(self.svc, "alice", oathtool_code(self.pinned, at=later()),
                          oathtool_code(swapped_secret),
                          driver_args=["--setcred", "--run-before-prompt", "2", swap])
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("That code is not from the new authenticator.", r.errors)
        # What was read before the first prompt is what a right code adopts.
        with open(target, "w") as f:
            f.write(self.box.seal("alice", first))
        self.assertAuth(self.login(oathtool_code(swapped_secret, at=later(60)), ""), PAM_AUTH_ERR)

    def test_recovery_code_first_then_new_phone_adopts(self):
        """Lost phone: a recovery code of the pinned enrolment, then the new one."""
        self.box.add_user("dave")
        self.box.enroll("dave", recovery=["JKLM-NPQR"])
        self.assertAuth(self.box.auth(self.svc, "dave", "JKLM-NPQR"), PAM_SUCCESS)
        new = self.box.enroll("dave")
        r = self.box.auth(self.svc, "dave", "JKLM-NPQR", driver_args=["--setcred"])
        self.assertAuth(r, PAM_AUTH_ERR)  # used already
        self.box.add_user("erin")
        self.box.enroll("erin", recovery=["STUV-WXYZ", "ABCD-EFGH"])
        self.assertAuth(self.box.auth(self.svc, "erin", "STUV-WXYZ"), PAM_SUCCESS)
        new = self.box.enroll("erin")
        r = self.box.auth(self.svc, "erin", "ABCD-EFGH", oathtool_code(new), driver_args=["--setcred"])
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.setcred, PAM_SUCCESS)
        self.assertAuth(self.box.auth(self.svc, "erin", oathtool_code(new, at=later())), PAM_SUCCESS)

    def test_second_prompt_is_capped_at_three_per_day(self):
        self.plant()
        for i in range(3):
            r = self.login(oathtool_code(self.pinned, at=later(30 * (i + 1))), "")
            self.assertIn(NEW_PROMPT, r.prompts)
        r = self.login(oathtool_code(self.pinned, at=later(120)))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertNotIn(NEW_PROMPT, r.prompts)
        self.assertTrue(any("was not confirmed after 3 tries" in i for i in r.infos), r.infos)

    def test_single_prompt_setups_never_adopt(self):
        svc = self.box.service("fwd", self.box.password_line("use_first_pass"),
                               self.line("forward_pass"))
        # forward_pass: this module prompts first, then the password module.
        svc = self.box.service("fwd", self.line("forward_pass"),
                               self.box.password_line("use_first_pass"))
        new = self.plant()
        password = self.box.users["alice"]["password"]
        r = self.box.auth(svc, "alice", password + oathtool_code(self.pinned, at=later()),
                          driver_args=["--setcred"])
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(len(r.prompts), 1)
        self.assertTrue(any("log in once where you are asked for the code on its own" in i
                            for i in r.infos), r.infos)
        self.assertAuth(self.login(oathtool_code(new, at=later(60)), ""), PAM_AUTH_ERR)

    def test_su_and_sudo_do_not_switch_by_default(self):
        self.plant()
        for service in ("su", "sudo"):
            svc = self.box.service(service, self.line())
            r = self.box.auth(svc, "alice", oathtool_code(self.pinned, at=later(30 if service == "su" else 60)))
            self.assertAuth(r, PAM_SUCCESS)
            self.assertNotIn(NEW_PROMPT, r.prompts)
            self.assertIn(WAITING, r.infos)

    def test_sudo_style_setcred_with_target_user_adopts_for_the_invoking_user(self):
        svc = self.box.service("sudo", self.line("switch=on"))
        new = self.plant()
        r = self.box.auth(svc, "alice", oathtool_code(self.pinned, at=later()), oathtool_code(new),
                          driver_args=["--setcred-user", "root"])
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.setcred, PAM_SUCCESS)
        self.assertAuth(self.login(oathtool_code(new, at=later(60))), PAM_SUCCESS)

    def test_switch_off_never_asks(self):
        svc = self.box.service("nosw", self.line("switch=off"))
        self.plant()
        r = self.login(oathtool_code(self.pinned, at=later()), svc=svc)
        self.assertAuth(r, PAM_SUCCESS)
        self.assertNotIn(NEW_PROMPT, r.prompts)

    def test_a_ticket_from_elsewhere_adopts_nothing(self):
        """A PAM_TOTP_SWITCH that did not come from this login (pam_env's
        user files) is dropped at the start of authentication."""
        self.plant()
        r = self.login(oathtool_code(self.pinned, at=later()), "")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertFalse([e for e in r.env if e.startswith("PAM_TOTP_SWITCH")], r.env)


@require_root
class RecordsAndLimits(PamTestCase):
    """The record file itself: version 1 records from before pins, and a
    caller's resource limits."""

    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.svc = self.box.service("sshd", self.box.totp_line())

    def write_v1_record(self, user, enrollment_id, last_step):
        import hashlib
        import struct
        rec = b"PTOTPS1\n" + struct.pack("<Q", 5) + bytes.fromhex(enrollment_id)
        rec += struct.pack("<IQIIQI", 1, last_step, 0, 0, 0, 0)
        rec = rec.ljust(112, b"\0")
        rec += hashlib.sha256(rec).digest()[:16]
        path = self.box.state_path(user)
        with open(path, "wb") as f:
            f.write(rec.ljust(8192, b"\0"))
        os.chmod(path, 0o600)

    def test_a_version_1_record_is_never_re_pinned_on_a_copied_enrollment_id(self):
        """The enrollment-id is plain text in the user's file: an attacker who
        copies it into their own file must not get that file pinned."""
        eid = "0123456789abcdef0123456789abcdef"
        self.write_v1_record("alice", eid, int(time.time()) // 30 - 10)
        mine = random_secret_hex()
        import subprocess
        text = subprocess.run([MAKE_SECRET_FILE, "seal", "--pub", self.box.hostpub, "--user", "alice",
                               "--secret-hex", mine, "--enrollment-id", eid],
                              check=True, capture_output=True, text=True).stdout
        self.box.write_user_file("alice", text)
        for svc in (self.svc, self.box.service("off", self.box.totp_line("tofu=off"))):
            self.assertAuth(self.box.auth(svc, "alice", oathtool_code(mine)), PAM_AUTH_ERR)
        self.assertLogged("enrolled before pins existed")
        # Nor does a deleted file drop the factor under `optional`.
        os.unlink(self.box.secret_path("alice"))
        opt = self.box.service("opt", self.box.totp_line("optional"))
        self.assertAuth(self.box.auth(opt, "alice", "123456"), PAM_AUTH_ERR)

    def test_a_callers_file_size_limit_cannot_damage_a_record(self):
        """su inherits RLIMIT_FSIZE from its caller; a record cut short
        would lock the target user out."""
        import resource
        import signal
        import subprocess
        secret = self.box.enroll("alice")

        def tiny_limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

        p = subprocess.run([DRIVER, self.svc, "alice", "000000"], env=self.box.env(),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                           preexec_fn=tiny_limit)
        self.assertEqual(p.returncode, PAM_AUTH_ERR, p.stdout + p.stderr[-2000:])
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(secret)), PAM_SUCCESS)


@require_root
class RootsWord(PamTestCase):
    """Root's tag and root-managed files; tofu=off."""

    def setUp(self):
        super().setUp()
        self.alice = self.box.add_user("alice")
        self.box.add_user("bob")

    def tagged(self, user, uid=None, expires=None, created=None, secret=None):
        secret = secret or random_secret_hex()
        cmd = [MAKE_SECRET_FILE, "seal", "--pub", self.box.hostpub, "--user", user,
               "--secret-hex", secret, "--tag-key", self.box.hostkey,
               "--tag-uid", str(uid if uid is not None else self.box.users[user]["uid"])]
        if expires is not None:
            cmd += ["--tag-expires", str(int(expires))]
        if created is not None:
            cmd += ["--created", str(int(created))]
        import subprocess
        text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        self.box.write_user_file(user, text)
        return secret

    def test_tagged_file_is_adopted_without_the_old_code(self):
        svc = self.box.service("sshd", self.box.totp_line())
        old = self.box.enroll("alice")
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(old)), PAM_SUCCESS)
        new = self.tagged("alice", created=time.time() + 5)
        r = self.box.auth(svc, "alice", oathtool_code(new, at=later()))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(old, at=later(60))), PAM_AUTH_ERR)

    def test_the_pinned_enrollment_with_other_bytes_is_the_pin(self):
        """The tag line is outside the sealed part: a user who edits it has
        the pinned enrolment in other bytes, which must neither be offered as
        a switch nor adopted (adoption resets the used codes)."""
        svc = self.box.service("sshd", self.box.totp_line())
        secret = self.tagged("alice")
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(secret)), PAM_SUCCESS)
        with open(self.box.secret_path("alice")) as f:
            text = f.read()
        edited = re.sub(r"^(tag \d+ )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) - 1), text,
                        flags=re.M)
        self.assertNotEqual(edited, text)
        self.box.write_user_file("alice", edited)
        r = self.box.auth(svc, "alice", oathtool_code(secret, at=later()), oathtool_code(secret, at=later()))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Verification code: "])
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(secret, at=later())), PAM_AUTH_ERR)

    def test_tag_for_another_uid_or_expired_is_only_a_proposal(self):
        svc = self.box.service("sshd", self.box.totp_line())
        old = self.box.enroll("alice")
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(old)), PAM_SUCCESS)
        for kwargs in ({"uid": self.box.users["bob"]["uid"]},
                       {"expires": time.time() - 10, "created": time.time() + 1 - 20 * 86400 + 1}):
            with self.subTest(**{k: int(v) for k, v in kwargs.items()}):
                new = self.tagged("alice", created=kwargs.pop("created", time.time() + 5), **kwargs)
                self.assertAuth(self.box.auth(svc, "alice", oathtool_code(new, at=later())), PAM_AUTH_ERR)

    def test_tofu_off(self):
        enforced = self.box.service("enf", self.box.totp_line("tofu=off"))
        # PAM_IGNORE falls through to pam_permit; a PAM_SUCCESS would jump to pam_deny.
        optional = self.box.service(
            "opt", self.box.totp_line("tofu=off", "optional",
                                      control="[success=2 ignore=ignore default=die]"),
            "auth sufficient pam_permit.so", "auth requisite pam_deny.so")
        plain = self.box.enroll("alice")
        r = self.box.auth(optional, "alice", oathtool_code(plain))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, [])
        self.assertAuth(self.box.auth(enforced, "alice", oathtool_code(plain)), PAM_AUTH_ERR)
        self.assertLogged("is not trusted (tofu=off and no root tag)")
        new = self.tagged("bob")
        self.assertAuth(self.box.auth(enforced, "bob", oathtool_code(new)), PAM_SUCCESS)

    def test_secret_owner_root(self):
        secrets = os.path.join(self.box.root, "secrets")
        os.mkdir(secrets, 0o755)
        svc = self.box.service("adm", self.box.totp_line("secret_owner=root", f"secret={secrets}/%u"))
        for user, owner in (("alice", self.box.users["alice"]["uid"]), ("bob", 0)):
            secret = random_secret_hex()
            path = os.path.join(secrets, user)
            with open(path, "w") as f:
                f.write(self.box.seal(user, secret))
            os.chown(path, owner, owner)
            os.chmod(path, 0o600)
            r = self.box.auth(svc, user, oathtool_code(secret))
            self.assertAuth(r, PAM_AUTH_ERR if owner else PAM_SUCCESS)
        self.assertLogged("owned by uid")
        self.assertNotIn("secret_owner=root needs", self.box.syslog())

    def test_secret_owner_root_refuses_a_home_path(self):
        svc = self.box.service("adm", self.box.totp_line("secret_owner=root"))
        self.assertAuth(self.box.auth(svc, "alice", "123456"), PAM_SERVICE_ERR)
        self.assertLogged("secret_owner=root needs a secret= path outside the home")


if __name__ == "__main__":
    main()
