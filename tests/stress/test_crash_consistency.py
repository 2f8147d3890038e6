"""Crash consistency: the writers are killed with SIGKILL at many points and
after every kill the files still parse, no lock is left held, every login
that was reported successful stays recorded (its code is refused when
replayed), and the user can log in with the next code (no lock-out).

Writers: the PAM module updating the state file (a login loop on a fake
clock), and totp-enroll replacing a secret file (--import --force).
Kill points come two ways:
  - exact: strace injects SIGKILL on entry to the Nth system call of a kind,
    of the calls a complete run makes on the state directory (or, for
    totp-enroll, on the way to writing the file): every distinct kill point
    (stresslib.distinct_kill_points: the first call, every call that changes
    a file, such as each pwrite and the O_EXCL creation, and the last call),
    then more picked at random from all the calls (open, flock, read, pwrite,
    fdatasync, close, the creation and its fsyncs);
  - timed: kill -9 after a random delay within a run's duration.
The random repetitions are fewer by default than with tests/run --long
(STRESS_LONG=1); the distinct kill points run in both.
"""
import base64
import os
import random
import signal
import subprocess
import time
import unittest

import pam_wrapper_dirs
import pamtest
import stresslib
from stresslib import PAM_SUCCESS, parse_results, strace_events

# Random repetitions (default, tests/run --long); the distinct kill points come on top.
MODULE_RANDOM_KILLS = stresslib.repetitions(8, 130)
MODULE_TIMED_KILLS = stresslib.repetitions(6, 50)
ENROLL_RANDOM_KILLS = stresslib.repetitions(4, 40)
ENROLL_TIMED_KILLS = stresslib.repetitions(3, 20)

STATE_SYSCALLS = "openat,flock,newfstatat,fstat,pread64,pwrite64,fdatasync,fsync,close"
ENROLL_SYSCALLS = "openat,write,fchown,fchmod,fsync,fdatasync,rename,renameat2,link,linkat,unlink,unlinkat"
KILLED = -signal.SIGKILL


@unittest.skipIf(stresslib.skip_reason(), stresslib.skip_reason() or "")
@unittest.skipUnless(stresslib.strace_available(), "needs strace")
class CrashConsistency(unittest.TestCase):
    def setUp(self):
        self.box = stresslib.StressBox()
        self.addCleanup(self.box.cleanup)
        self.rng = random.Random(os.environ.get("STRESS_SEED") or None)
        self.kills = 0

    # -- the module's state update ------------------------------------------
    def check_after_writer(self, user, key, first, count, stdout):
        """The checks after every writer run, killed or not; returns the next free step."""
        # A killed driver leaves pam_wrapper's /tmp/pam.X behind, and there
        # are only 62 of them: clear them as we go, not only at the end.
        pam_wrapper_dirs.remove_leftovers(self.box.root)
        results = parse_results(stdout)
        # The module keeps no temp or lock files that a crash could strand.
        self.assertLessEqual(set(os.listdir(self.box.statedir)), {user})
        succeeded = [step for step, kind, rc in results if kind == "code" and rc == PAM_SUCCESS]
        has_last, last, failures, locks, locked_until = self.box.state(user)
        if succeeded:
            self.assertTrue(has_last, "a reported success is not in the state file")
            self.assertGreaterEqual(last, max(succeeded), "a reported success was lost")
            # No replay window reopened: the last reported code stays used.
            self.assertNotEqual(self.box.login(user, key, max(succeeded)), PAM_SUCCESS,
                                "a code that had logged in was accepted again after a crash")
        if has_last:
            self.assertLess(last, first + count, "state records a step never tried")
        self.assertEqual((locks, locked_until), (0, 0), "the user got locked out")
        nxt = max(last if has_last else 0, first + count - 1) + 1
        self.assertEqual(self.box.login(user, key, nxt), PAM_SUCCESS, "the next code was refused after a crash")
        return nxt + 1

    def record_state_events(self, user, key, first, count):
        """Every system call one writer run makes on the state directory and file."""
        log = os.path.join(self.box.root, "strace.log")
        cmd = ["strace", "-qq", "-f", "-o", log, "-P", self.box.statedir, "-P", self.box.state_path(user),
               "-e", f"trace={STATE_SYSCALLS}"]
        p = subprocess.run(cmd + self.box.driver_cmd(user, key, first, count, wrong_first=True),
                           env=self.box.env(), capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-2000:])
        with open(log) as f:
            events = strace_events(f.read())
        self.assertTrue(any(e[0] == "fdatasync" for e in events), "the writer made no durable write")
        return events

    def test_module_killed_during_state_updates(self):
        user = "alice"
        self.box.add_user(user)
        key = self.box.enroll(user)
        count = 2  # two steps per writer run, each a wrong and a right code
        step = stresslib.FIRST_STEP
        # Two sequences: with the state file there, and without it (creation
        # with O_EXCL and fsync of file and directory).
        events = {"exists": None, "fresh": None}
        os.makedirs(self.box.statedir, exist_ok=True)
        events["fresh"] = self.record_state_events(user, key, step, count)
        step = self.check_after_writer(user, key, step, count, "")
        events["exists"] = self.record_state_events(user, key, step, count)
        step = self.check_after_writer(user, key, step, count, "")

        plan = [(scenario, event) for scenario in ("fresh", "exists")
                for event in stresslib.distinct_kill_points(events[scenario])]
        for i in range(MODULE_RANDOM_KILLS):
            scenario = "fresh" if i % 8 == 0 else "exists"
            plan.append((scenario, self.rng.choice(events[scenario])))
        kinds = {}
        for scenario, (name, ordinal, _) in plan:
            if scenario == "fresh":
                os.unlink(self.box.state_path(user))  # an administrator's reset
            cmd = ["strace", "-qq", "-f", "-o", "/dev/null", "-P", self.box.statedir,
                   "-P", self.box.state_path(user), "-e", f"trace={STATE_SYSCALLS}",
                   "-e", f"inject={name}:signal=KILL:when={ordinal}"]
            p = subprocess.run(cmd + self.box.driver_cmd(user, key, step, count, wrong_first=True),
                               env=self.box.env(), capture_output=True, text=True, timeout=120)
            # strace exits with the tracee's status; killed shows as 128+9.
            if p.returncode in (137, KILLED):
                self.kills += 1
                kinds[name] = kinds.get(name, 0) + 1
            else:
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-2000:])
            step = self.check_after_writer(user, key, step, count, p.stdout)
        exact = self.kills

        # Timed kills of a longer login loop.
        loop = 20
        t0 = time.monotonic()
        p = subprocess.run(self.box.driver_cmd(user, key, step, loop, wrong_first=True), env=self.box.env(),
                           capture_output=True, text=True, timeout=300)
        duration = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr[-2000:])
        step = self.check_after_writer(user, key, step, loop, p.stdout)
        timed = 0
        for _ in range(MODULE_TIMED_KILLS * 3):  # a run may end before its kill
            if timed >= MODULE_TIMED_KILLS:
                break
            proc = subprocess.Popen(self.box.driver_cmd(user, key, step, loop, wrong_first=True),
                                    env=self.box.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, stdin=subprocess.DEVNULL)
            time.sleep(self.rng.uniform(0, duration))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=60)
            if proc.returncode == KILLED:
                timed += 1
            step = self.check_after_writer(user, key, step, loop, out)
        self.kills += timed
        print(f"\nmodule writer: {exact} exact kills {dict(sorted(kinds.items()))}, {timed} timed kills; "
              "every state file parsed, no lock-out, no replay", flush=True)
        self.assertGreaterEqual(exact, len(plan) * 3 // 4, "too few injected kills took effect")
        self.assertGreaterEqual(timed, MODULE_TIMED_KILLS * 3 // 4, "too few timed kills landed")

    # -- totp-enroll replacing a secret file -----------------------------------
    def enroll_env(self):
        env = dict(os.environ)
        env.update({"LD_PRELOAD": f"{pamtest.LIBDIR}/libnss_wrapper.so",
                    "NSS_WRAPPER_PASSWD": self.box.passwd, "NSS_WRAPPER_GROUP": self.box.group})
        if stresslib.SANITIZE:
            # Same allowances as the PAM sandbox: a preloaded wrapper ahead of the ASan runtime.
            env.update({k: v for k, v in self.box.env().items() if k == "ASAN_OPTIONS" or k.endswith("DEEPBIND")})
            env["NSS_WRAPPER_DISABLE_DEEPBIND"] = "1"
        return env

    def check_after_enroll(self, user, key, step):
        pam_wrapper_dirs.remove_leftovers(self.box.root)
        home = self.box.users[user]["home"]
        self.box.check_secret(user)  # the old or the new file, complete either way
        # Whatever a kill left behind must not expose the secret.
        for name in os.listdir(home):
            st = os.lstat(os.path.join(home, name))
            self.assertEqual((st.st_uid, st.st_mode & 0o077), (self.box.users[user]["uid"], 0),
                             f"leftover {name} is readable by others or not the user's")
        self.assertEqual(self.box.login(user, key, step), PAM_SUCCESS, "cannot log in after a killed enrolment")
        return step + 1

    @unittest.skipUnless(stresslib.TOTP_ENROLL and os.path.exists(stresslib.TOTP_ENROLL), "totp-enroll not built")
    def test_enroll_killed_while_replacing_secret(self):
        user = "bob"
        self.box.add_user(user)
        key = os.urandom(20)
        ga = os.path.join(self.box.root, "google_authenticator")
        with open(ga, "w") as f:
            f.write(base64.b32encode(key).decode().rstrip("=") + '\n" TOTP_AUTH\n12345678\n')
        os.chmod(ga, 0o600)
        enroll = [stresslib.TOTP_ENROLL, "--import", ga, "--user", user, "--keydir", self.box.keydir,
                  "--statedir", self.box.statedir, "--force"]
        run = lambda cmd: subprocess.run(cmd, env=self.enroll_env(), capture_output=True, text=True,
                                         stdin=subprocess.DEVNULL, timeout=60)
        p = run(enroll)
        self.assertEqual(p.returncode, 0, p.stderr)
        step = self.check_after_enroll(user, key.hex(), stresslib.FIRST_STEP)

        log = os.path.join(self.box.root, "enroll.strace")
        p = run(["strace", "-qq", "-f", "-o", log, "-e", f"trace={ENROLL_SYSCALLS}"] + enroll)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(log) as f:
            events = strace_events(f.read())
        # Kill points: from the first call that touches the user's home on.
        home = self.box.users[user]["home"]
        start = next(i for i, e in enumerate(events) if home in e[2])
        candidates = events[start:]
        self.assertTrue(any(e[0] in ("rename", "renameat2", "link", "linkat") for e in candidates))

        plan = stresslib.distinct_kill_points(candidates)
        plan += [self.rng.choice(candidates) for _ in range(ENROLL_RANDOM_KILLS)]
        exact = 0
        for name, ordinal, _ in plan:
            p = run(["strace", "-qq", "-f", "-o", "/dev/null", "-e", f"trace={ENROLL_SYSCALLS}",
                     "-e", f"inject={name}:signal=KILL:when={ordinal}"] + enroll)
            if p.returncode in (137, KILLED):
                exact += 1
            else:
                self.assertEqual(p.returncode, 0, p.stderr)
            step = self.check_after_enroll(user, key.hex(), step)

        t0 = time.monotonic()
        self.assertEqual(run(enroll).returncode, 0)
        duration = time.monotonic() - t0
        timed = 0
        for _ in range(ENROLL_TIMED_KILLS * 3):
            if timed >= ENROLL_TIMED_KILLS:
                break
            proc = subprocess.Popen(enroll, env=self.enroll_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            time.sleep(self.rng.uniform(0, duration))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            if proc.returncode == KILLED:
                timed += 1
            step = self.check_after_enroll(user, key.hex(), step)
        leftovers = [n for n in os.listdir(home) if n != ".pam_totp"]
        print(f"\ntotp-enroll: {exact} exact kills, {timed} timed kills; the secret file always opened; "
              f"{len(leftovers)} temp files left behind (0600, the user's)", flush=True)
        self.assertGreaterEqual(exact, len(plan) * 3 // 4, "too few injected kills took effect")
        self.assertGreaterEqual(timed, ENROLL_TIMED_KILLS // 2, "too few timed kills landed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
