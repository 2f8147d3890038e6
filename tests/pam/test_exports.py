"""pam_totp.so exports only the PAM service functions (issue 8)."""
import ctypes
import os
import subprocess
import unittest

MODULE = os.environ["PAM_TOTP_MODULE"]


class Exports(unittest.TestCase):
    def test_only_pam_sm_symbols_are_exported(self):
        out = subprocess.run(["nm", "-D", "--defined-only", MODULE], check=True, capture_output=True,
                             text=True).stdout
        names = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
        self.assertEqual(names, ["pam_sm_authenticate", "pam_sm_setcred"])

    def test_dlopen_resolves_the_service_functions(self):
        lib = ctypes.CDLL(MODULE, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self.assertTrue(lib.pam_sm_authenticate)
        self.assertTrue(lib.pam_sm_setcred)
        for hidden in ("_ZN8pam_totp4hotpE", "parse_secret_file", "pam_sm_open_session"):
            with self.assertRaises(AttributeError):
                getattr(lib, hidden)

    def test_setcred_succeeds(self):
        lib = ctypes.CDLL(MODULE, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        self.assertEqual(lib.pam_sm_setcred(None, 0, 0, None), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
