"""Concurrency: parallel logins with one code get exactly one success, and
logins of different users never wait for each other.

All processes of a round do pam_start, then wait for a go file, then call
pam_authenticate together, so they really race on the state file's flock.
The first round races the creation of the record, the others its update;
8 rounds by default, 50 with tests/run --long (STRESS_LONG=1).
"""
import fcntl
import os
import subprocess
import time
import unittest

import stresslib
from stresslib import PAM_AUTH_ERR, PAM_SUCCESS, parse_results

PARALLEL = 16
# Rounds of the race (default, tests/run --long).
ROUNDS = stresslib.repetitions(8, 50)
USER_ROUNDS = stresslib.repetitions(2, 10)


@unittest.skipIf(stresslib.skip_reason(), stresslib.skip_reason() or "")
class Concurrency(unittest.TestCase):
    def setUp(self):
        self.box = stresslib.StressBox()
        self.addCleanup(self.box.cleanup)
        self.round = 0

    def race(self, logins, hold=None, timeout=120):
        """Starts one process per (user, key, step), releases them together and
        returns their PAM codes in order. `hold`: a callable run after the
        release and before waiting (e.g. to time a blocked user)."""
        self.round += 1
        go = os.path.join(self.box.root, f"go.{self.round}")
        # Started one by one, each waiting after pam_start: pam_wrapper picks
        # its per-process /tmp/pam.X directory with a check-then-create race,
        # so concurrent starts collide in the harness (not in the module).
        procs = []
        deadline = time.monotonic() + timeout
        for user, key, step in logins:
            p = subprocess.Popen(self.box.driver_cmd(user, key, step, go_file=go), env=self.box.env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 stdin=subprocess.DEVNULL)
            procs.append(p)
            while not os.path.exists(f"{go}.ready.{p.pid}"):
                self.assertLess(time.monotonic(), deadline, "drivers did not get ready")
                if p.poll() is not None:
                    self.fail(f"a driver exited before the start: {p.communicate()[1][-2000:]}")
                time.sleep(0.002)
        open(go, "w").close()
        if hold:
            hold(procs)
        codes = []
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results = parse_results(out)
            self.assertTrue(results, f"driver gave no result: {err[-2000:]}")
            codes.append(results[-1][2])
        return codes

    def test_same_code_in_parallel_succeeds_exactly_once(self):
        self.box.add_user("alice")
        key = self.box.enroll("alice")
        successes = 0
        for r in range(ROUNDS):
            codes = self.race([("alice", key, stresslib.FIRST_STEP + r)] * PARALLEL)
            self.assertEqual(codes.count(PAM_SUCCESS), 1, f"round {r}: {codes}")
            self.assertEqual(codes.count(PAM_AUTH_ERR), PARALLEL - 1, f"round {r}: {codes}")
            successes += codes.count(PAM_SUCCESS)
        self.assertEqual(successes, ROUNDS)
        # The refused copies were replays, not guesses: nothing counted against the owner.
        has_last, last, failures, locks, locked_until = self.box.state("alice")
        self.assertEqual((last, failures, locks, locked_until), (stresslib.FIRST_STEP + ROUNDS - 1, 0, 0, 0))
        print(f"\n{ROUNDS} rounds x {PARALLEL} parallel logins with one code: {successes} successes", flush=True)

    def test_separate_users_never_block_each_other(self):
        users = [f"user{i}" for i in range(8)]
        keys = {}
        for u in users:
            self.box.add_user(u)
            keys[u] = self.box.enroll(u)
        # Rounds of every user at once, each with its own fresh code: all succeed.
        for r in range(USER_ROUNDS):
            codes = self.race([(u, keys[u], stresslib.FIRST_STEP + r) for u in users])
            self.assertEqual(codes, [PAM_SUCCESS] * len(users), f"round {r}")

        # A login holding user0's state lock (a stuck login) stalls user0 only.
        blocked = users[0]
        step = stresslib.FIRST_STEP + 100
        lock_fd = os.open(self.box.state_path(blocked), os.O_RDWR)
        self.addCleanup(os.close, lock_fd)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        seen = {}

        def others_finish_first(procs):
            # Everyone but user0 completes while the lock is held...
            deadline = time.monotonic() + 60
            for p in procs[1:]:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            seen["others_done"] = time.monotonic()
            seen["blocked_still_running"] = procs[0].poll() is None
            # ...then user0 goes on once it is released.
            fcntl.flock(lock_fd, fcntl.LOCK_UN)

        codes = self.race([(u, keys[u], step) for u in users], hold=others_finish_first)
        self.assertTrue(seen["blocked_still_running"], "user0's login did not wait for its own lock")
        self.assertEqual(codes, [PAM_SUCCESS] * len(users))
        print("\nseparate users: 8 users in parallel always succeed; one user's held lock stalls only "
              "that user", flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
