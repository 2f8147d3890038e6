"""What users see and what syslog says in the stacks people write (issue 13,
items 1, 8 and 10): a refused code says so, a used recovery code is named
as such, and forward_pass under `optional` still logs in a user who has not
enrolled."""
from pamtest import *

WRONG = "Wrong code."


@require_root
class Messages(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice", password="correct horse")
        self.box.add_user("carol", password="carol's pw")  # never enrols
        self.secret = self.box.enrol("alice", recovery=["ABCD-EFGH"])
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


if __name__ == "__main__":
    main()
