"""A host key the module cannot use (issue 13, items 4 and 5): an encrypted
host.key and a PAM application that is not root. Both are configuration
faults (PAM_AUTHINFO_UNAVAIL) with a syslog line that says what to fix, and
neither may read the terminal behind the PAM conversation's back."""
import os
import subprocess

import pexpect

import pam_wrapper_dirs
from pamtest import *

ENCRYPTED = "host key is encrypted; pam_totp needs an unencrypted key readable by root"


@require_root
class HostKeyFaults(PamTestCase):
    def setUp(self):
        super().setUp()
        # A driver killed on a timeout leaves its /tmp/pam.X behind.
        self.addCleanup(pam_wrapper_dirs.remove_leftovers, self.box.root)
        self.box.add_user("alice")
        self.box.add_user("bob")  # never enrolled: the decoy path loads the key too
        self.secret = random_secret_hex()
        self.box.enroll("alice", self.secret)
        self.svc = self.box.service("s", self.box.totp_line())

    def encrypt_host_key(self):
        # As an administrator might: `openssl pkey -aes-256-cbc` on the key.
        encrypted = self.box.hostkey + ".new"
        subprocess.run(["openssl", "pkey", "-in", self.box.hostkey, "-aes-256-cbc", "-passout", "pass:secret",
                        "-out", encrypted], check=True, capture_output=True)
        os.chmod(encrypted, 0o600)
        os.replace(encrypted, self.box.hostkey)
        with open(self.box.hostkey) as f:
            self.assertIn("-----BEGIN ENCRYPTED PRIVATE KEY-----", f.read())

    def auth_on_a_terminal(self, user, *responses, timeout=20):
        """The driver with a pseudo-terminal as its controlling terminal (where
        OpenSSL's passphrase prompt would go) and standard input /dev/null.
        Returns (exit status or None if it hung, everything the terminal got)."""
        def stdin_from_dev_null():
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)

        child = pexpect.spawn(DRIVER, [self.svc, user, *responses], env=self.box.env(), encoding="utf-8",
                              timeout=timeout, preexec_fn=stdin_from_dev_null)
        try:
            child.expect(pexpect.EOF)
            transcript = child.before
            child.close()
            return child.exitstatus, transcript
        except pexpect.TIMEOUT:
            transcript = child.before
            child.close(force=True)
            return None, transcript

    def test_encrypted_host_key_enrolled_user(self):
        self.encrypt_host_key()
        status, transcript = self.auth_on_a_terminal("alice", oathtool_code(self.secret))
        self.assertNotIn("pass phrase", transcript.lower())
        self.assertEqual(status, PAM_AUTHINFO_UNAVAIL, transcript)
        self.assertLogged(ENCRYPTED)
        self.assertLogged(f"({self.box.hostkey})")

    def test_encrypted_host_key_decoy_path(self):
        # A user who is not enrolled still costs an unsealing with the host
        # key: that load must not prompt either.
        self.encrypt_host_key()
        status, transcript = self.auth_on_a_terminal("bob", "123456")
        self.assertNotIn("pass phrase", transcript.lower())
        self.assertIsNotNone(status, f"the login hung: {transcript!r}")
        self.assertNotEqual(status, PAM_SUCCESS, transcript)

    def test_caller_without_root(self):
        """A screen locker runs as the user: the module cannot read host.key
        and says so; it does not count a wrong code or lock anyone."""
        uid = self.box.users["alice"]["uid"]
        open(self.box.syslog_file, "w").close()
        os.chmod(self.box.syslog_file, 0o666)

        def become_alice():
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

        proc = subprocess.run([DRIVER, self.svc, "alice", oathtool_code(self.secret)], env=self.box.env(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                              preexec_fn=become_alice)
        self.assertEqual(proc.returncode, PAM_AUTHINFO_UNAVAIL, proc.stdout + proc.stderr[-2000:])
        self.assertLogged(f"pam_totp called by uid {uid} without root; cannot read the host key {self.box.hostkey}")
        self.assertFalse(os.path.exists(self.box.state_path("alice")), "no state was written")
        # Root still logs alice in with a fresh code: nothing was counted.
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(self.secret)), PAM_SUCCESS)


if __name__ == "__main__":
    main()
