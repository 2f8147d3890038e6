"""Running the real totp-enroll against the PAM test sandbox
(tests/pam/pamtest.py): the tool sees the sandbox's users through
nss_wrapper and uses its key and record directories, so its files and
records are exactly what the real module then reads."""

import os
import subprocess
import sys

try:
    import pamtest
except ImportError:  # tests/pam not there: nothing to test against
    print("tests/pam/pamtest.py not found; skipping", file=sys.stderr)
    sys.exit(77)

from enrolltest import ENROLL, code_for_uri
from pamtest import PamTestCase


class EnrollPamTestCase(PamTestCase):
    """A sandbox with alice, host.pub readable by users, and a service."""

    def setUp(self):
        if not (pamtest.MODULE and pamtest.DRIVER):
            self.skipTest("the PAM module or driver is not built")
        super().setUp()
        self.alice = self.box.add_user("alice")
        # The sandbox keeps its keys root-only; users enrolling themselves
        # need to read host.pub (host.key stays 0600).
        os.chmod(self.box.keydir, 0o755)
        self.svc = self.box.service("s", self.box.totp_line())

    def enroll_env(self):
        """totp-enroll sees the sandbox's users through nss_wrapper."""
        env = dict(os.environ)
        env.update({
            "LD_PRELOAD": f"{pamtest.LIBDIR}/libnss_wrapper.so",
            "NSS_WRAPPER_PASSWD": self.box.passwd,
            "NSS_WRAPPER_GROUP": self.box.group,
        })
        if pamtest.SANITIZE:
            # Sanitizers refuse RTLD_DEEPBIND, and the preload puts the
            # wrapper before the sanitizer runtime.
            env["NSS_WRAPPER_DISABLE_DEEPBIND"] = "1"
            env["ASAN_OPTIONS"] = "verify_asan_link_order=0"
        return env

    def as_user(self, name):
        uid = str(self.box.users[name]["uid"])
        return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]

    def as_alice(self):
        return self.as_user("alice")

    def tool(self, *args, as_user=None, input="", statedir=None):
        """totp-enroll with the sandbox's key and (for root) record directories."""
        cmd = (self.as_user(as_user) if as_user else []) + [
            ENROLL, "--keydir", self.box.keydir, *args]
        if not as_user:
            cmd += ["--statedir", statedir or self.box.statedir]
        return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=60,
                              env=self.enroll_env())

    def enroll_scripted(self, *args, as_alice=False, as_user=None, statedir=True):
        """Enrols through pipes with oathtool's code; returns (uri, stdout)."""
        who = as_user or ("alice" if as_alice else None)
        cmd = (self.as_user(who) if who else []) + [ENROLL, "--keydir", self.box.keydir, "--qr=none",
                                                    *args]
        if statedir and not who:
            cmd += ["--statedir", self.box.statedir]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.enroll_env())
        head, uri = [], None
        for line in proc.stdout:
            head.append(line)
            if line.startswith("otpauth://"):
                uri = line.strip()
                break
        if uri is None:
            out, err = proc.communicate(timeout=60)
            self.fail("no URI printed: " + "".join(head) + out + err)
        out, err = proc.communicate(code_for_uri(uri) + "\n", timeout=60)
        self.assertEqual(proc.returncode, 0, out + err)
        return uri, "".join(head) + out
