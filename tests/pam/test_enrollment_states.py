"""Enforced and optional, enrolled or not, known or unknown users (issue 8)."""
import os

from pamtest import *


@require_root
class EnrollmentStates(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.box.add_user("carol")  # never enrolled
        self.secret = self.box.enroll("alice")

    def test_unenrolled_user_enforced_is_prompted_then_fails(self):
        svc = self.box.service("s", self.box.totp_line())
        r = self.box.auth(svc, "carol", "123456")
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, ["Verification code: "])
        self.assertLogged("refused user carol: not enrolled")

    def test_unenrolled_user_optional_is_ignored_without_prompt(self):
        # The application never sees PAM_IGNORE itself, so the stack makes it
        # visible: ignore falls through to pam_permit (success), while a
        # PAM_SUCCESS from pam_totp would jump to pam_deny.
        for option in ("optional", "nullok"):
            with self.subTest(option=option):
                svc = self.box.service("s", self.box.totp_line(option, control="[success=2 ignore=ignore default=die]"),
                                       "auth sufficient pam_permit.so", "auth requisite pam_deny.so")
                r = self.box.auth(svc, "carol")
                self.assertAuth(r, PAM_SUCCESS)
                self.assertEqual(r.prompts, [])

    def test_optional_alone_does_not_let_anyone_in(self):
        # PAM_IGNORE from the only auth module: libpam fails the stack.
        svc = self.box.service("s", self.box.totp_line("optional"))
        r = self.box.auth(svc, "carol")
        self.assertAuth(r, PAM_PERM_DENIED)

    def test_optional_still_requires_the_code_from_enrolled_users(self):
        svc = self.box.service("s", self.box.totp_line("optional"))
        self.assertAuth(self.box.auth(svc, "alice", "000000" if oathtool_code(self.secret) != "000000" else "111111"),
                        PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(self.secret)), PAM_SUCCESS)

    def test_unknown_user_is_prompted_then_fails(self):
        for option in ((), ("optional",)):
            with self.subTest(option=option):
                svc = self.box.service("s", self.box.totp_line(*option))
                r = self.box.auth(svc, "mallory", "123456")
                self.assertAuth(r, PAM_AUTH_ERR)
                self.assertEqual(r.prompts, ["Verification code: "])
        # The name is not logged: it may be a password typed into the user field.
        self.assertLogged("refused an unknown user: unknown user")
        self.assertNotIn("mallory", self.box.syslog())

    def test_optional_does_not_ignore_a_user_whose_home_is_missing(self):
        # An unmounted home is not "not enrolled": the code is still required.
        self.box.add_user("dave", with_home=False)
        svc = self.box.service("s", self.box.totp_line("optional"))
        r = self.box.auth(svc, "dave", "123456")
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, ["Verification code: "])
        self.assertLogged("is not there")

    def test_secret_in_central_directory(self):
        central = os.path.join(self.box.root, "secrets")
        os.mkdir(central, 0o755)
        path = os.path.join(central, "alice")
        with open(path, "w") as f:
            f.write(self.box.seal("alice", self.secret))
        uid = self.box.users["alice"]["uid"]
        os.chown(path, uid, uid)
        os.chmod(path, 0o600)
        svc = self.box.service("s", self.box.totp_line(f"secret={central}/%u"))
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(self.secret)), PAM_SUCCESS)

    def test_no_file_is_written_under_the_home(self):
        svc = self.box.service("s", self.box.totp_line())
        home = self.box.users["alice"]["home"]
        before = sorted(os.listdir(home))
        self.box.auth(svc, "alice", oathtool_code(self.secret))
        self.box.auth(svc, "alice", "000000")
        self.assertEqual(sorted(os.listdir(home)), before)
        self.assertEqual(sorted(os.listdir(self.box.statedir)), ["alice"])
        st = os.stat(self.box.state_path("alice"))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))


if __name__ == "__main__":
    main()
