"""valgrind memcheck over whole logins through libpam: wrong codes, right
codes and a replay, with the module loaded and unloaded by every pam_start /
pam_end as in a long-running PAM client. No invalid access, no definite or
indirect leak, and every error fails the test.

valgrind cannot run ASan binaries. In the sanitizer build (tests/run), CMake
points this test at the module that "e2e: debian package" built (the shipped
code: -O2, Debian's hardening flags; a fixture of this test) and at a driver
and syslog shim built without the sanitizers; PAM_TOTP_SANITIZE is 0 for it.
"""
import shutil
import subprocess
import unittest

import stresslib

VALGRIND = ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99", "--num-callers=30", "-q"]

# Why a 72,704-byte leak per login could show up here: were pam_totp.so linked with libstdc++
# statically (it links it dynamically today), every dlopen of it would run libstdc++'s start-up code again, which mallocs its emergency
# exception pool (72,704 bytes), which dlclose never frees. Linking the module with
# -Wl,-z,nodelete would keep the one loaded copy for the life of the process.
HINT = ("if the leak is 72,704 bytes per login from _dl_init, it is libstdc++'s emergency "
        "exception pool of a statically linked libstdc++ re-initialised by every dlopen: link "
        "the module with -Wl,-z,nodelete")


@unittest.skipIf(stresslib.skip_reason(), stresslib.skip_reason() or "")
@unittest.skipIf(stresslib.SANITIZE, "valgrind cannot run ASan binaries")
@unittest.skipUnless(shutil.which("valgrind"), "needs valgrind")
class Memcheck(unittest.TestCase):
    def setUp(self):
        self.box = stresslib.StressBox()
        self.addCleanup(self.box.cleanup)

    def memcheck(self, cmd):
        p = subprocess.run(VALGRIND + cmd, env=self.box.env(), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=600)
        self.assertNotEqual(p.returncode, 99, f"memcheck found errors ({HINT}):\n{p.stderr[-8000:]}")
        return stresslib.parse_results(p.stdout)

    def test_logins_under_memcheck(self):
        self.box.add_user("alice")
        key = self.box.enroll("alice")
        first = stresslib.FIRST_STEP
        results = self.memcheck(self.box.driver_cmd("alice", key, first, 3, wrong_first=True))
        self.assertEqual([(kind, rc) for _, kind, rc in results],
                         [("wrong", stresslib.PAM_AUTH_ERR), ("code", stresslib.PAM_SUCCESS)] * 3)
        # A replay takes the refusal path with its message to the user.
        replay = self.memcheck(self.box.driver_cmd("alice", key, first + 2, 1))
        self.assertEqual([rc for _, _, rc in replay], [stresslib.PAM_AUTH_ERR])


if __name__ == "__main__":
    unittest.main(verbosity=2)
