"""What a killed driver leaves in /tmp is removed with its sandbox (issue 13,
item 11): pam_wrapper removes its per-process /tmp/pam.X directory in a
destructor, which a process killed with SIGKILL (as the crash-consistency
tests do) never runs."""
import glob
import os
import subprocess
import time
import unittest

import pamtest
import stresslib


def dirs_naming(root):
    found = []
    for path in glob.glob("/tmp/pam.?"):
        try:
            for name in os.listdir(path):
                with open(os.path.join(path, name), errors="replace") as f:
                    if root + "/" in f.read():
                        found.append(path)
                        break
        except OSError:
            continue
    return found


@unittest.skipIf(stresslib.skip_reason(), stresslib.skip_reason() or "")
class Leftovers(unittest.TestCase):
    def test_killed_driver_leaves_no_pam_wrapper_directory(self):
        box = stresslib.StressBox()
        try:
            go = os.path.join(box.root, "go")
            # Waits after pam_start, with its /tmp/pam.X in place, until `go` exists.
            p = subprocess.Popen([pamtest.DRIVER, "--go-file", go, "totp", "nobody"], env=box.env(),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while not os.path.exists(f"{go}.ready.{p.pid}"):
                self.assertIsNone(p.poll(), "the driver ended before pam_start")
                self.assertLess(time.monotonic(), deadline, "the driver did not get ready")
                time.sleep(0.01)
            self.assertEqual(len(dirs_naming(box.root)), 1)
            p.kill()
            p.wait()
            self.assertEqual(len(dirs_naming(box.root)), 1, "SIGKILL: pam_wrapper's destructor did not run")
        finally:
            box.cleanup()
        self.assertEqual(dirs_naming(box.root), [], "the sandbox's cleanup left pam_wrapper directories")


if __name__ == "__main__":
    unittest.main(verbosity=2)
