"""The installed totp-enroll is 0755 and never setuid or setgid."""

import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from enrolltest import BUILD_DIR, ENROLL


class Install(unittest.TestCase):

    def test_installed_mode(self):
        if not BUILD_DIR:
            self.skipTest("BUILD_DIR not set")
        destdir = tempfile.mkdtemp(prefix="enroll-install-")
        self.addCleanup(shutil.rmtree, destdir, ignore_errors=True)
        r = subprocess.run(["cmake", "--install", BUILD_DIR, "--component", "totp-enroll", "--prefix", "/usr"],
                           env=dict(os.environ, DESTDIR=destdir), capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        installed = os.path.join(destdir, "usr", "bin", "totp-enroll")
        st = os.stat(installed)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o755)
        self.assertFalse(st.st_mode & (stat.S_ISUID | stat.S_ISGID))
        ls = subprocess.run(["ls", "-l", installed], capture_output=True, text=True, check=True).stdout
        self.assertTrue(ls.startswith("-rwxr-xr-x "), ls)
        self.assertNotIn("s", ls.split()[0])
        # The installed copy runs.
        r = subprocess.run([installed, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_built_binary_has_no_s_bit(self):
        st = os.stat(ENROLL)
        self.assertFalse(st.st_mode & (stat.S_ISUID | stat.S_ISGID))


if __name__ == "__main__":
    unittest.main(verbosity=2)
