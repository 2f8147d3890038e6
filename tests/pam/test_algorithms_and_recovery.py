"""SHA256/SHA512, 8 digits, HOTP, recovery codes (issue 8)."""
import time

from pamtest import *


@require_root
class AlgorithmsAndRecovery(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.svc = self.box.service("s", self.box.totp_line())

    def test_sha256_and_sha512_with_8_digits(self):
        for algorithm in ("SHA256", "SHA512"):
            with self.subTest(algorithm=algorithm):
                user = "u" + algorithm.lower()  # one enrolment per user: the first is pinned
                self.box.add_user(user)
                secret = self.box.enroll(user, secret_hex=random_secret_hex(32), algorithm=algorithm, digits=8)
                code = oathtool_code(secret, algorithm=algorithm, digits=8)
                self.assertEqual(len(code), 8)
                self.assertAuth(self.box.auth(self.svc, user, code), PAM_SUCCESS)

    def test_period_60(self):
        secret = self.box.enroll("alice", period=60)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(secret, period=60)), PAM_SUCCESS)

    def test_hotp_counter_advances_and_code_behind_fails(self):
        secret = self.box.enroll("alice", hotp=True, counter=5)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(secret, hotp_counter=7)), PAM_SUCCESS)
        # 5 and 6 are now behind the counter, 7 is used.
        for behind in (5, 6, 7):
            self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(secret, hotp_counter=behind)),
                            PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(secret, hotp_counter=8)), PAM_SUCCESS)

    def test_hotp_look_ahead_limit(self):
        secret = self.box.enroll("alice", hotp=True, counter=0)
        svc = self.box.service("h", self.box.totp_line("hotp_window=3"))
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(secret, hotp_counter=4)), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(secret, hotp_counter=3)), PAM_SUCCESS)

    def test_recovery_code_works_once(self):
        codes = ["7KQ2-M9XD", "H3PA-4WZT", "QQ7N-2R5C"]
        self.box.enroll("alice", recovery=codes)
        first = self.box.auth(self.svc, "alice", "h3pa 4wzt")  # typed loosely
        self.assertAuth(first, PAM_SUCCESS)
        self.assertEqual(len(first.infos), 1)
        self.assertIn("Recovery code accepted. 2 recovery codes left", first.infos[0])
        self.assertAuth(self.box.auth(self.svc, "alice", "H3PA-4WZT"), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(self.svc, "alice", "7KQ2-M9XD"), PAM_SUCCESS)
        self.assertLogged("accepted recovery code for user alice, 1 left")
        self.assertNoSecretsLogged("7KQ2", "H3PA", "h3pa")


if __name__ == "__main__":
    main()
