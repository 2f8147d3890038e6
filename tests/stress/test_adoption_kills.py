"""Switching authenticators killed at its system calls (issue 12).

One complete switch (the pinned code, the new authenticator's code, then
pam_setcred) is traced once; then, for every distinct kill point among the
system calls it makes on the state directory and the user's record
(stresslib.distinct_kill_points: the first call, every pwrite, the last
call; a kill anywhere else leaves the same record as one of these) and a few
more calls picked at random, a fresh user goes through the same switch with
strace injecting SIGKILL on entry to exactly that call. With tests/run
--long (STRESS_LONG=1) every one of its system calls is a kill point. After
each kill the record must hold the old pin or the new one, never neither:
one of the two authenticators logs in, the other does not, and nothing but
records is left in the state directory.
"""
import os
import random
import signal
import subprocess
import time
import unittest

import pam_wrapper_dirs
import pamtest
import stresslib
from pamtest import PAM_SUCCESS, oathtool_code

SYSCALLS = "openat,flock,newfstatat,fstat,pread64,pwrite64,fdatasync,fsync,close"


@unittest.skipIf(stresslib.skip_reason(), stresslib.skip_reason() or "")
@unittest.skipUnless(stresslib.strace_available(), "needs strace")
class AdoptionKills(unittest.TestCase):
    def setUp(self):
        self.box = pamtest.Sandbox()
        self.addCleanup(self.box.cleanup)
        # A wide window: each user needs a few fresh codes in one minute.
        self.svc = self.box.service("sshd", self.box.totp_line("window=10"))
        self.users = 0

    def pinned_user_with_proposal(self):
        """A user whose first file is pinned and who has written a second one."""
        self.users += 1
        user = f"u{self.users}"
        self.box.add_user(user)
        old = self.box.enroll(user)
        now = time.time()
        self.assertEqual(self.box.auth(self.svc, user, oathtool_code(old, at=now)).rc, PAM_SUCCESS)
        new = self.box.enroll(user)
        return user, old, new, now

    def switch_cmd(self, user, old, new, now, inject=None):
        cmd = ["strace", "-qq", "-f", "-o", os.path.join(self.box.root, "strace.log"),
               "-P", self.box.statedir, "-P", self.box.state_path(user), "-e", f"trace={SYSCALLS}"]
        if inject:
            cmd += ["-e", f"inject={inject[0]}:signal=KILL:when={inject[1]}"]
        return cmd + [pamtest.DRIVER, "--setcred", self.svc, user,
                      oathtool_code(old, at=now + 30), oathtool_code(new, at=now)]

    def which_pin(self, user, old, new, now):
        """'old' or 'new': the authenticator that logs in now."""
        results = {name: self.box.auth(self.svc, user, oathtool_code(secret, at=now + 60)).rc
                   for name, secret in (("old", old), ("new", new))}
        working = [name for name, rc in results.items() if rc == PAM_SUCCESS]
        self.assertEqual(len(working), 1, f"{user}: {results}")
        return working[0]

    def test_every_system_call_of_a_switch(self):
        user, old, new, now = self.pinned_user_with_proposal()
        p = subprocess.run(self.switch_cmd(user, old, new, now), env=self.box.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-2000:])
        self.assertIn("SETCRED 0", p.stdout)
        with open(os.path.join(self.box.root, "strace.log")) as f:
            traced = stresslib.strace_events(f.read())
        events = [(name, n) for name, n, _ in traced]
        self.assertEqual(sum(1 for name, _ in events if name == "fdatasync"), 4,
                         "first code, staged file, pending slot, adoption: one fdatasync each")
        self.assertEqual(self.which_pin(user, old, new, now), "new")

        if stresslib.LONG:
            points = events
        else:
            distinct = [(name, n) for name, n, _ in stresslib.distinct_kill_points(traced)]
            others = [e for e in events if e not in distinct]
            rng = random.Random(os.environ.get("STRESS_SEED") or None)
            points = distinct + rng.sample(others, min(4, len(others)))
        outcomes = {"old": 0, "new": 0}
        killed = 0
        for name, ordinal in points:
            user, old, new, now = self.pinned_user_with_proposal()
            p = subprocess.run(self.switch_cmd(user, old, new, now, inject=(name, ordinal)),
                               env=self.box.env(), capture_output=True, text=True, timeout=120)
            if p.returncode in (128 + signal.SIGKILL, -signal.SIGKILL):
                killed += 1
            # A killed driver leaves pam_wrapper's /tmp/pam.X (one of 62) behind.
            pam_wrapper_dirs.remove_leftovers(self.box.root)
            pin = self.which_pin(user, old, new, now)
            outcomes[pin] += 1
            self.assertLessEqual(set(os.listdir(self.box.statedir)),
                                 {f"u{i}" for i in range(1, self.users + 1)} | {".decoy"})
        print(f"\nswitch killed at {len(points)} of its {len(events)} system calls ({killed} kills landed): "
              f"old pin {outcomes['old']}, new pin {outcomes['new']}, never neither", flush=True)
        self.assertGreaterEqual(killed, len(points) * 3 // 4, "too few injected kills took effect")
        self.assertGreater(outcomes["old"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
