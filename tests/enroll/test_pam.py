"""A file written by totp-enroll authenticates through the real PAM module
(libpam + pam_wrapper + nss_wrapper, the harness in tests/pam/pamtest.py):
enrolment driven in a pseudo-terminal with oathtool's code, root enrolling a
user, HOTP, and an import from google-authenticator."""

import os
import pathlib
import re
import subprocess
import unittest

from pamenroll import EnrollPamTestCase  # exits 77 without tests/pam

from enrolltest import (ENROLL, URI_RE, code_for_uri, next_step_code_for_uri, oathtool, parse_uri,
                        recovery_codes_in, spawn_in_pty, wrong_code_for_uri)
from pamtest import PAM_AUTH_ERR, PAM_SUCCESS, REPLAY_MESSAGE, require_root


@require_root
class EnrollThenLogin(EnrollPamTestCase):

    def test_pty_enrollment_then_login(self):
        """alice runs totp-enroll herself in a terminal, as in real life."""
        cmd = self.as_alice() + [ENROLL, "--keydir", self.box.keydir]
        child = spawn_in_pty(self, cmd, timeout=60, env=self.enroll_env(), dimensions=(24, 80))
        child.expect(URI_RE)
        uri = child.after.strip()
        child.expect("code the app shows: ")
        confirmation_code = code_for_uri(uri)
        child.sendline(confirmation_code)
        child.expect("Recovery codes")
        head = child.before + child.after
        rest = child.read()
        child.close()
        self.assertEqual(child.exitstatus, 0, head + rest)
        # Issue 13, item 8: the tool says the confirmation code is spent.
        self.assertIn("The code you just typed is used up: log in with the next one your app shows.",
                      (head + rest).replace("\r\n", "\n").replace("\n", " ").replace("  ", " "))
        recovery = recovery_codes_in((head + rest).replace("\r\n", "\n"))
        self.assertEqual(len(recovery), 10)

        path = self.box.secret_path("alice")
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_mode & 0o7777), (self.alice["uid"], 0o600))
        self.assertIn(":alice@", parse_uri(uri)["label"])

        # The code typed to confirm the enrolment is spent; the next one works once.
        confirmation = self.box.auth(self.svc, "alice", confirmation_code)
        self.assertAuth(confirmation, PAM_AUTH_ERR)
        self.assertIn("This code confirmed your enrolment; wait for the next code from your app.",
                      confirmation.errors)
        code = next_step_code_for_uri(uri)
        self.assertAuth(self.box.auth(self.svc, "alice", code), PAM_SUCCESS)
        replay = self.box.auth(self.svc, "alice", code)
        self.assertAuth(replay, PAM_AUTH_ERR)
        self.assertIn(REPLAY_MESSAGE, replay.errors + replay.infos)
        ok = self.box.auth(self.svc, "alice", recovery[4])
        self.assertAuth(ok, PAM_SUCCESS)
        self.assertIn("Recovery code accepted. 9 recovery codes left", " ".join(ok.infos))
        reused = self.box.auth(self.svc, "alice", recovery[4])
        self.assertAuth(reused, PAM_AUTH_ERR)
        self.assertIn("This recovery code was already used.", reused.errors)
        self.assertNoSecretsLogged(parse_uri(uri)["secret"], recovery[0])

    def test_root_enrolls_a_user(self):
        uri, out = self.enroll_scripted("--user", "alice", "--digits", "8", "--algorithm", "SHA512")
        self.assertEqual(os.stat(self.box.secret_path("alice")).st_uid, self.alice["uid"])
        self.assertAuth(self.box.auth(self.svc, "alice", next_step_code_for_uri(uri)), PAM_SUCCESS)

    def test_hotp(self):
        uri, out = self.enroll_scripted("--hotp", as_alice=True)
        secret = parse_uri(uri)["secret"]
        # Counter 0 confirmed the enrolment; the module expects 1 next.
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool(secret, hotp=True, counter=0)), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool(secret, hotp=True, counter=1)), PAM_SUCCESS)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool(secret, hotp=True, counter=2)), PAM_SUCCESS)

    def test_failed_re_enrollment_keeps_the_old_one_working(self):
        uri, out = self.enroll_scripted(as_alice=True)
        before = pathlib.Path(self.box.secret_path("alice")).read_bytes()
        cmd = self.as_alice() + [ENROLL, "--keydir", self.box.keydir, "--qr=none", "--force"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.enroll_env())
        new_uri = next(l.strip() for l in proc.stdout if l.startswith("otpauth://"))
        wrong = wrong_code_for_uri(new_uri)
        out, err = proc.communicate(f"{wrong}\n{wrong}\n{wrong}\n", timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertEqual(pathlib.Path(self.box.secret_path("alice")).read_bytes(), before)
        self.assertAuth(self.box.auth(self.svc, "alice", next_step_code_for_uri(uri)), PAM_SUCCESS)

    def test_import_from_google_authenticator(self):
        ga = os.path.join(self.alice["home"], ".google_authenticator")
        subprocess.run(["google-authenticator", "--force", "--quiet", f"--secret={ga}", "--time-based",
                        "--disallow-reuse", "--no-rate-limit", "--window-size=3", "--emergency-codes=4"],
                       check=True, capture_output=True)
        os.chown(ga, self.alice["uid"], self.alice["uid"])
        lines = pathlib.Path(ga).read_text().splitlines()
        secret, scratch = lines[0], [l for l in lines if re.fullmatch(r"\d{8}", l)]
        r = self.tool("--import", ga, "--user", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("4 scratch codes are now recovery codes", r.stdout)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool(secret)), PAM_SUCCESS)
        ok = self.box.auth(self.svc, "alice", scratch[2])
        self.assertAuth(ok, PAM_SUCCESS)
        self.assertIn("Recovery code accepted. 3 recovery codes left", " ".join(ok.infos))
        self.assertAuth(self.box.auth(self.svc, "alice", scratch[2]), PAM_AUTH_ERR)


if __name__ == "__main__":
    unittest.main(verbosity=2)
