"""pam_totp_ldap.so (fleet mode) through real libpam (pam_wrapper) against a
private slapd with the otp overlay on localhost: the right password and code
log in; a wrong code, a wrong password, a replayed code, an unknown user
and a user without a token (enforced) are refused, `optional` ignores the
latter; 30 parallel logins with one code let exactly one in (slapd 2.5
alone lets several); failover to the next server, past one that never
answers, all down, and a server certificate from another CA; the options
from a config file (config=), the PAM line over it, and a file others
could write refused."""
import base64
import os
import shutil
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pam"))
from pamtest import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR, PAM_SUCCESS,  # noqa: E402
                     PamTestCase, REPLAY_MESSAGE)
import slapd_fixture  # noqa: E402
from slapd_fixture import BASE, Slapd, free_port  # noqa: E402

MODULE = os.environ.get("PAM_TOTP_LDAP_MODULE", "")
SECRET = b"fleet-secret-0123456"


def code(at=None, secret=SECRET):
    import subprocess
    when = int(time.time() if at is None else at)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))
    return subprocess.run(["oathtool", "--totp", "-N", stamp, "-b", base64.b32encode(secret).decode()],
                          check=True, capture_output=True, text=True).stdout.strip()


@unittest.skipUnless(os.geteuid() == 0 and MODULE and os.path.exists(slapd_fixture.SLAPD),
                     "needs root, the built pam_totp_ldap.so and slapd")
class Fleet(PamTestCase):
    USERS = ("alice", "refused", "replayed", "failover", "starttls", "otherca", "parallel", "locked",
             "claimed", "configured", "silent")

    @classmethod
    def setUpClass(cls):
        cls.slapd = Slapd()
        cls.last_step = {}
        for n, user in enumerate(cls.USERS):
            cls.slapd.add_user(user, user + "-pw", secret=cls.secret_of(user), uid_number=30001 + n)
        cls.slapd.add_user("carol", "carol-pw", uid_number=30100)  # no token

    @classmethod
    def tearDownClass(cls):
        cls.slapd.cleanup()

    @staticmethod
    def secret_of(user):
        return (user.encode() + SECRET)[:20]

    def line(self, *extra, uri=None):
        return (f"auth required {MODULE} uri={uri or self.slapd.ldaps} base=ou=people,{BASE} "
                f"ca={self.slapd.ca} timeout=3 binddn={slapd_fixture.SERVICE} "
                f"bindpw_file={self.slapd.bindpw_file} " + " ".join(extra))

    def fresh(self, user):
        """The code of a step after the last one this user's logins used,
        inside the server's window (oathTOTPTimeStepWindow: 3 steps)."""
        now = int(time.time()) // 30
        step = max(now - 2, self.last_step.get(user, 0) + 1)
        if step > now + 2:
            time.sleep((step - now - 2) * 30 - time.time() % 30 + 0.5)
        self.last_step[user] = step
        return code(step * 30 + 1, self.secret_of(user))

    def test_right_password_and_code(self):
        svc = self.box.service("s", self.line())
        r = self.box.auth(svc, "alice", "alice-pw", self.fresh("alice"))
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, ["Password: ", "Verification code: "])

    def test_refusals(self):
        svc = self.box.service("s", self.line())
        right = self.fresh("refused")
        wrong = "%06d" % ((int(right) + 1) % 1000000)
        self.assertAuth(self.box.auth(svc, "refused", "refused-pw", wrong), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(svc, "refused", "not-the-pw", right), PAM_AUTH_ERR)
        # The wrong password used that code up on the server.
        self.assertAuth(self.box.auth(svc, "refused", "refused-pw", right), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(svc, "refused", "refused-pw", ""), PAM_AUTH_ERR)
        # No password: never an (unauthenticated) bind.
        self.assertAuth(self.box.auth(svc, "refused", "", self.fresh("refused")), PAM_AUTH_ERR)
        r = self.box.auth(svc, "nobody-here", "pw", "123456")
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, ["Password: ", "Verification code: "])
        self.assertLogged("refused an unknown user")

    def test_replay(self):
        svc = self.box.service("s", self.line())
        c = self.fresh("replayed")
        self.assertAuth(self.box.auth(svc, "replayed", "replayed-pw", c), PAM_SUCCESS)
        self.assertAuth(self.box.auth(svc, "replayed", "replayed-pw", c), PAM_AUTH_ERR)

    def test_user_without_token(self):
        enforced = self.box.service("e", self.line())
        r = self.box.auth(enforced, "carol", "carol-pw", "123456")
        self.assertAuth(r, PAM_AUTH_ERR)  # never the password alone
        self.assertEqual(r.prompts, ["Password: ", "Verification code: "])
        self.assertLogged("no OTP token")
        # optional: PAM_IGNORE, without a prompt (the next line decides).
        optional = self.box.service("o", self.line("optional"), "auth required pam_permit.so")
        r = self.box.auth(optional, "carol")
        self.assertAuth(r, PAM_SUCCESS)
        self.assertEqual(r.prompts, [])

    def test_thirty_parallel_logins_one_code(self):
        # timeout=10: 30 logins at once, each forking its LDAP child, are
        # CPU-bound under the sanitizers on two cores shared with other
        # tests (about 0.2 s of CPU each); this test is about the guard.
        svc = self.box.service("s", self.line("timeout=10"))
        c = self.fresh("parallel")
        results = self.box.auth_in_parallel(30, svc, "parallel", "parallel-pw", c)
        ok = [r for r in results if r.rc == PAM_SUCCESS]
        self.assertEqual(len(ok), 1, [r.rc for r in results])
        replays = [r for r in results if REPLAY_MESSAGE in r.errors]
        print(f"30 parallel logins with one code: {len(ok)} in, {len(replays)} stopped by the guard "
              "after the server had accepted the code", flush=True)

    def test_ppolicy_lockout_is_seen_by_every_host(self):
        """Three wrong codes lock the account on the server (slapo-ppolicy,
        pwdMaxFailure 3): then the right password and code are refused too,
        through any server URI, with the same generic message."""
        host_a = self.box.service("a", self.line())
        host_b = self.box.service("b", self.line("starttls", uri=self.slapd.ldap))
        self.assertAuth(self.box.auth(host_a, "locked", "locked-pw", self.fresh("locked")), PAM_SUCCESS)
        for _ in range(3):
            self.assertAuth(self.box.auth(host_a, "locked", "locked-pw", "000000"), PAM_AUTH_ERR)
        self.assertIn("pwdAccountLockedTime", self.slapd.search(f"uid=locked,ou=people,{BASE}",
                                                                "pwdAccountLockedTime"))
        for host in (host_a, host_b):
            r = self.box.auth(host, "locked", "locked-pw", self.fresh("locked"))
            self.assertAuth(r, PAM_AUTH_ERR)
            self.assertEqual(r.errors, ["Wrong code."])

    def test_a_claimed_step_is_refused_after_the_server_accepted_it(self):
        """The guard on its own: the step is claimed already (as a login
        racing this one would have), so the server's yes is not enough."""
        svc = self.box.service("s", self.line())
        c = self.fresh("claimed")
        step = self.last_step["claimed"]
        self.slapd.add(f"dn: cn={step},cn=claimed,ou=tokens,{BASE}\nobjectClass: device\ncn: {step}\n")
        r = self.box.auth(svc, "claimed", "claimed-pw", c)
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertEqual(r.errors, [REPLAY_MESSAGE])
        self.assertLogged(f"step {step} was claimed by another login")
        self.assertAuth(self.box.auth(svc, "claimed", "claimed-pw", self.fresh("claimed")), PAM_SUCCESS)

    def test_failover_and_all_down(self):
        dead = f"ldaps://localhost:{free_port()}/"
        svc = self.box.service("f", self.line(uri=dead + "," + self.slapd.ldaps))
        self.assertAuth(self.box.auth(svc, "failover", "failover-pw", self.fresh("failover")), PAM_SUCCESS)
        down = self.box.service("d", self.line(uri=dead + "," + f"ldaps://localhost:{free_port()}/"))
        t0 = time.monotonic()
        self.assertAuth(self.box.auth(down, "failover", "failover-pw", "123456"), PAM_AUTHINFO_UNAVAIL)
        self.assertLess(time.monotonic() - t0, 3 + 1 + 2)  # timeout=3, +1, + the driver's start-up

    def test_failover_past_a_server_that_never_answers(self):
        """The first uri= accepts and never speaks (a TLS handshake that
        libldap would wait for without end): its child is killed at its share
        of timeout= (half, for two servers) and the next server logs in."""
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            first = f"ldaps://127.0.0.1:{silent.getsockname()[1]}/"
            svc = self.box.service("q", self.line("timeout=4", uri=first + "," + self.slapd.ldaps))
            t0 = time.monotonic()
            r = self.box.auth(svc, "silent", "silent-pw", self.fresh("silent"))
            self.assertAuth(r, PAM_SUCCESS)
            self.assertGreater(time.monotonic() - t0, 2)  # the first server's share
        self.assertEqual(r.prompts, ["Password: ", "Verification code: "])

    def test_certificate_from_another_ca(self):
        other = os.path.join(self.slapd.dir, "other")
        os.mkdir(other)
        other_ca, _, _ = slapd_fixture.make_ca(other, name="another CA")
        svc = self.box.service("x", self.line().replace(f"ca={self.slapd.ca}", f"ca={other_ca}"))
        self.assertAuth(self.box.auth(svc, "otherca", "otherca-pw", self.fresh("otherca")), PAM_AUTHINFO_UNAVAIL)

    def test_starttls(self):
        svc = self.box.service("t", self.line("starttls", uri=self.slapd.ldap))
        self.assertAuth(self.box.auth(svc, "starttls", "starttls-pw", self.fresh("starttls")), PAM_SUCCESS)

    def test_options_from_a_config_file(self):
        """config=PATH: the options from the file, the PAM line's over them;
        a file others could write is refused (PAM_SERVICE_ERR, the cause in
        syslog). The file lives under /run: every directory above it must be
        root's and not writable by others, which /tmp is not."""
        conf_dir = tempfile.mkdtemp(prefix="pam_totp_fleet.", dir="/run")
        self.addCleanup(shutil.rmtree, conf_dir, True)
        os.chmod(conf_dir, 0o755)
        conf = os.path.join(conf_dir, "ldap.conf")
        with open(conf, "w") as f:
            f.write(f"# fleet mode\nuri=ldaps://localhost:{free_port()}/\nbase=ou=people,{BASE}\n"
                    f"ca={self.slapd.ca}\nbinddn={slapd_fixture.SERVICE}\n"
                    f"bindpw_file={self.slapd.bindpw_file}\ntimeout=3\n")
        os.chmod(conf, 0o644)
        # The file's uri= names a dead server: the PAM line's replaces it.
        svc = self.box.service("c", f"auth required {MODULE} config={conf} uri={self.slapd.ldaps}")
        self.assertAuth(self.box.auth(svc, "configured", "configured-pw", self.fresh("configured")),
                        PAM_SUCCESS)
        dead = self.box.service("cd", f"auth required {MODULE} config={conf}")
        self.assertAuth(self.box.auth(dead, "configured", "configured-pw", "123456"),
                        PAM_AUTHINFO_UNAVAIL)
        os.chmod(conf, 0o664)
        self.assertAuth(self.box.auth(svc, "configured", "configured-pw", "123456"), PAM_SERVICE_ERR)
        self.assertLogged(f"configuration error: {conf}: mode 0664 is too open")
        missing = self.box.service("m", f"auth required {MODULE} config={conf}.missing "
                                        f"uri={self.slapd.ldaps}")
        self.assertAuth(self.box.auth(missing, "configured", "configured-pw", "123456"),
                        PAM_SERVICE_ERR)
        self.assertLogged(f"{conf}.missing: no such file")


if __name__ == "__main__":
    unittest.main(verbosity=2)
