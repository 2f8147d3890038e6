"""What users see and what syslog says in the stacks people write (issue 13,
items 1, 8 and 10): a refused code says so, a used recovery code is named
as such, and forward_pass under `optional` still logs in a user who has not
enrolled."""
import subprocess
import time

from pamtest import *

WRONG = "Wrong code."


@require_root
class Messages(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice", password="correct horse")
        self.box.add_user("carol", password="carol's pw")  # never enrols
        self.secret = self.box.enroll("alice", recovery=["ABCD-EFGH"])
        self.svc = self.box.service("stack", self.box.password_line(), self.box.totp_line())

    def wrong(self):
        return "%06d" % ((int(oathtool_code(self.secret)) + 1) % 1000000)

    def test_a_wrong_code_says_so_for_enrolled_and_other_names_alike(self):
        r = self.box.auth(self.svc, "alice", "correct horse", self.wrong())
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.errors, [WRONG])
        for name, password in (("carol", "carol's pw"), ("nobody-here", "x")):
            with self.subTest(name=name):
                r = self.box.auth(self.svc, name, password, "123456")
                self.assertAuth(r, PAM_AUTH_ERR)
                self.assertEqual(r.errors, [WRONG])

    def test_pam_silent_shows_nothing(self):
        r = self.box.auth(self.svc, "alice", "correct horse", self.wrong(), driver_args=["--silent"])
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.errors, [])

    def test_a_used_recovery_code_is_named_and_not_counted(self):
        svc = self.box.service("rc", self.box.totp_line("fail_limit=1"))
        self.assertAuth(self.box.auth(svc, "alice", "ABCD-EFGH"), PAM_SUCCESS)
        self.box.clear_syslog()
        r = self.box.auth(svc, "alice", "ABCD-EFGH")
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.errors, ["This recovery code was already used."])
        self.assertLogged("used recovery code given again for user alice")
        self.assertNotIn("wrong verification code", self.box.syslog())
        # Not counted: with fail_limit=1 a counted failure would have locked.
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(self.secret)), PAM_SUCCESS)

    def test_forward_pass_optional_asks_an_unenrolled_user_for_the_password(self):
        svc = self.box.service("fwd", self.box.totp_line("forward_pass", "optional"),
                               self.box.password_line("use_first_pass"))
        r = self.box.auth(svc, "carol", "carol's pw")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password: "])
        self.assertAuth(self.box.auth(svc, "carol", "wrong"), PAM_AUTH_ERR)
        # An enrolled user still gets the single combined prompt.
        r = self.box.auth(svc, "alice", "correct horse" + oathtool_code(self.secret))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password & verification code: "])



@require_root
class FirstPassShapes(PamTestCase):
    """Issue 13, items 2 and 3: try_first_pass with a password that looks
    like a code, and forward_pass with an imported 8-digit scratch code."""

    def test_try_first_pass_learns_a_password_that_looks_like_a_code(self):
        self.box.add_user("dana", password="246810")
        secret = self.box.enroll("dana")
        svc = self.box.service("stack", self.box.password_line(), self.box.totp_line("try_first_pass"))
        # First login: PAM_AUTHTOK has a code's shape and is judged (one
        # guess, counted); no second guess in the same login.
        r = self.box.auth(svc, "dana", "246810", oathtool_code(secret))
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, ["Password: "])
        # From then on the module knows it is the password and asks.
        for i in range(6):  # more than fail_limit logins: nobody is locked out
            at = time.time() + 30 * (i % 2)
            r = self.box.auth(svc, "dana", "246810", oathtool_code(secret, at=at) if i < 2 else "000000")
            self.assertEqual(r.prompts, ["Password: ", "Verification code: "])
            if i < 2:
                self.assertAuth(r, PAM_SUCCESS)
        self.assertNoSecretsLogged("246810")

    def test_forward_pass_takes_an_imported_8_digit_scratch_code(self):
        self.box.add_user("fay", password="fay pw")
        self.box.enroll("fay", recovery=["12345678"])
        svc = self.box.service("fwd", self.box.totp_line("forward_pass"),
                               self.box.password_line("use_first_pass"))
        r = self.box.auth(svc, "fay", "fay pw12345678")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("Recovery code accepted. 0 recovery codes left", " ".join(r.infos))
        self.assertNotIn("wrong verification code", self.box.syslog())


@require_root
class LoginNotices(PamTestCase):
    """Issue 14: after a success, the attempts refused since the last login
    and a hint about the phone's clock; never after a failure."""

    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.secret = self.box.enroll("alice")
        self.svc = self.box.service("sshd", self.box.totp_line())
        self.box.now = (int(time.time()) // 30) * 30 + 5

    def code(self, offset=0):
        return oathtool_code(self.secret, at=self.box.now + offset)

    def test_failed_attempts_are_reported_after_the_next_success_only(self):
        wrong = "%06d" % ((int(self.code()) + 1) % 1000000)
        for _ in range(3):
            r = self.box.auth(self.svc, "alice", wrong, rhost="198.51.100.7")
            self.assertAuth(r, PAM_AUTH_ERR)
            self.assertFalse([i for i in r.infos if "failed code attempt" in i], r.infos)
        r = self.box.auth(self.svc, "alice", self.code())
        self.assertAuth(r, PAM_SUCCESS)
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.box.now))
        self.assertIn(f"3 failed code attempts since your last login, the last from 198.51.100.7 at {stamp}.",
                      r.infos)
        self.box.now += 30
        r = self.box.auth(self.svc, "alice", self.code())
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.infos, [])

    def test_a_code_from_the_next_step_gives_a_clock_hint(self):
        r = self.box.auth(self.svc, "alice", self.code(30))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("Your phone's clock is about 30 s ahead; set it to automatic time.", r.infos)
        self.box.now += 90
        r = self.box.auth(self.svc, "alice", self.code(-30))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("Your phone's clock is about 30 s behind; set it to automatic time.", r.infos)


@require_root
class MaxAge(PamTestCase):
    """Issue 14: max_age=DAYS refuses older enrolments (a switch to a new
    authenticator in the same login still works) and announces the last week."""

    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.box.now = (int(time.time()) // 30) * 30 + 5
        self.svc = self.box.service("sshd", self.box.totp_line("max_age=30", "window=10"))

    def enroll_created(self, days_ago):
        secret = random_secret_hex()
        text = subprocess.run([MAKE_SECRET_FILE, "seal", "--pub", self.box.hostpub, "--user", "alice",
                               "--secret-hex", secret, "--created", str(int(self.box.now - days_ago * 86400))],
                              check=True, capture_output=True, text=True).stdout
        self.box.write_user_file("alice", text)
        return secret

    def test_the_last_week_is_announced(self):
        secret = self.enroll_created(25)
        r = self.box.auth(self.svc, "alice", oathtool_code(secret, at=self.box.now))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("Your authenticator enrolment expires in 5 days; run totp-enroll --force to renew it.",
                      r.infos)

    def test_an_expired_enrollment_is_refused_and_a_switch_still_works(self):
        old = self.enroll_created(31)
        r = self.box.auth(self.svc, "alice", oathtool_code(old, at=self.box.now))
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertTrue(any("older than 30 days" in e for e in r.errors), r.errors)
        new = self.box.enroll("alice")
        self.box.now += 30
        r = self.box.auth(self.svc, "alice", oathtool_code(old, at=self.box.now), oathtool_code(new, at=self.box.now),
                          driver_args=["--setcred"])
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.setcred, PAM_SUCCESS)
        self.box.now += 30
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(new, at=self.box.now)), PAM_SUCCESS)


if __name__ == "__main__":
    main()
