"""pam_totp.so exports only the PAM service functions (issue 8)."""
import os
import subprocess
import unittest

MODULE = os.environ["PAM_TOTP_MODULE"]
DLOPEN_MODULE = os.environ["DLOPEN_MODULE"]


class Exports(unittest.TestCase):
    def test_only_pam_sm_symbols_are_exported(self):
        out = subprocess.run(["nm", "-D", "--defined-only", MODULE], check=True, capture_output=True,
                             text=True).stdout
        names = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
        self.assertEqual(names, ["pam_sm_authenticate", "pam_sm_setcred"])

    def test_dlopen_resolves_only_the_service_functions(self):
        r = subprocess.run([DLOPEN_MODULE, MODULE], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dlopen check passed", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
