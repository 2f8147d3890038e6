"""Password + code: the stacked forms of pam_totp (issue 8)."""
from pamtest import *


@require_root
class StackedLogin(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice", password="correct horse")
        self.secret = self.box.enroll("alice")
        self.svc = self.box.service("stack", self.box.password_line(), self.box.totp_line())

    def code(self):
        return oathtool_code(self.secret)

    def test_right_password_and_code_pass(self):
        code = self.code()
        r = self.box.auth(self.svc, "alice", "correct horse", code, rhost="203.0.113.9")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password: ", "Verification code: "])
        self.assertLogged("accepted verification code for user alice rhost=203.0.113.9")
        self.assertNoSecretsLogged(code, "correct horse", self.secret)

    def test_wrong_code_fails(self):
        wrong = "%06d" % ((int(self.code()) + 1) % 1000000)
        self.assertAuth(self.box.auth(self.svc, "alice", "correct horse", wrong), PAM_AUTH_ERR)
        self.assertLogged("wrong verification code for user alice")
        self.assertNoSecretsLogged(wrong)

    def test_wrong_password_fails_even_with_right_code(self):
        self.assertAuth(self.box.auth(self.svc, "alice", "wrong", self.code()), PAM_AUTH_ERR)

    def test_malformed_codes_fail(self):
        code = self.code()
        for typed in ["", code + "1", code[:5] + "a", "abcdef", "1" * 4096, code[:3] + "\t" + code[3:]]:
            with self.subTest(typed=typed[:20]):
                r = self.box.auth(self.svc, "alice", "correct horse", typed)
                self.assertAuth(r, PAM_AUTH_ERR)

    def test_spaces_inside_a_code_are_accepted(self):
        code = self.code()
        r = self.box.auth(self.svc, "alice", "correct horse", code[:3] + " " + code[3:])
        self.assertAuth(r, PAM_SUCCESS)

    def test_forward_pass_single_prompt(self):
        svc = self.box.service("fwd", self.box.totp_line("forward_pass"),
                               self.box.password_line("use_first_pass"))
        r = self.box.auth(svc, "alice", "correct horse" + self.code())
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password & verification code: "])

    def test_forward_pass_wrong_password_fails(self):
        svc = self.box.service("fwd", self.box.totp_line("forward_pass"),
                               self.box.password_line("use_first_pass"))
        self.assertAuth(self.box.auth(svc, "alice", "wrong horse" + self.code()), PAM_AUTH_ERR)

    def test_use_first_pass_takes_code_from_authtok(self):
        # A first module collected the code as PAM_AUTHTOK (here: the test
        # password module, whose "password" for bob is the code itself).
        svc = self.box.service("ufp", self.box.password_line(), self.box.totp_line("use_first_pass"))
        code = self.code()
        with open(self.box.passdb, "a") as f:
            f.write(f"alice:{code}\n")
        r = self.box.auth(svc, "alice", code)
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password: "])

    def test_use_first_pass_without_authtok_fails_without_prompt(self):
        svc = self.box.service("ufp", self.box.totp_line("use_first_pass"))
        r = self.box.auth(svc, "alice", self.code())
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, [])

    def test_try_first_pass_prompts_without_authtok(self):
        svc = self.box.service("tfp", self.box.totp_line("try_first_pass"))
        r = self.box.auth(svc, "alice", self.code())
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Verification code: "])

    def test_try_first_pass_prompts_when_authtok_is_a_password(self):
        # The password module set PAM_AUTHTOK to the password: not a code, so
        # it is neither judged (no failure counted) nor used; pam_totp asks.
        svc = self.box.service("tfp", self.box.password_line(), self.box.totp_line("try_first_pass"))
        r = self.box.auth(svc, "alice", "correct horse", self.code())
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password: ", "Verification code: "])
        self.assertNotIn("wrong verification code", self.box.syslog())

    def test_forward_pass_with_a_recovery_code(self):
        self.box.enroll("alice", secret_hex=self.secret, recovery=["7KQ2-M9XD"])
        svc = self.box.service("fwd", self.box.totp_line("forward_pass"),
                               self.box.password_line("use_first_pass"))
        r = self.box.auth(svc, "alice", "correct horse7KQ2-M9XD")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("Recovery code accepted. 0 recovery codes left", " ".join(r.infos))

    def test_custom_prompt_and_echo(self):
        svc = self.box.service("p", self.box.totp_line("[prompt=One-time code: ]", "echo_code"))
        r = self.box.auth(svc, "alice", self.code())
        self.assertAuth(r, PAM_SUCCESS)
        self.assertIn("PROMPT-ECHO One-time code: ", r.lines)

    def test_debug_logs_detail_but_never_the_code(self):
        svc = self.box.service("d", self.box.totp_line("debug"))
        code = self.code()
        self.assertAuth(self.box.auth(svc, "alice", code), PAM_SUCCESS)
        self.assertLogged("(totp, SHA1, 6 digits)")
        self.assertLogged("0 failures, 0 locks")
        self.assertNoSecretsLogged(code, self.secret)

    def test_unknown_option_fails_closed(self):
        svc = self.box.service("bad", self.box.totp_line("windwo=3"))
        r = self.box.auth(svc, "alice", self.code())
        self.assertAuth(r, PAM_SERVICE_ERR)
        self.assertLogged('configuration error: unknown option "windwo=3"')

    def test_out_of_range_option_fails_closed(self):
        svc = self.box.service("bad", self.box.totp_line("window=11"))
        self.assertAuth(self.box.auth(svc, "alice", self.code()), PAM_SERVICE_ERR)
        self.assertLogged("configuration error: option window=")


if __name__ == "__main__":
    main()
