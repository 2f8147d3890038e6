"""Replay protection, concurrency and throttling (issue 8)."""
import os
import time

from pamtest import *


@require_root
class ReplayAndThrottle(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.secret = self.box.enroll("alice")
        # The driver's clock, 5 s into a step: no test sleeps across steps.
        self.box.now = (int(time.time()) // 30) * 30 + 5

    def code(self, at=None):
        return oathtool_code(self.secret, at=self.box.now if at is None else at)

    def advance(self, seconds):
        self.box.now += seconds

    def svc(self, *options):
        return self.box.service("otp", self.box.totp_line(*options))

    def test_same_code_twice_is_refused_with_replay_message(self):
        svc = self.svc()
        code = self.code()
        self.assertAuth(self.box.auth(svc, "alice", code, rhost="198.51.100.7"), PAM_SUCCESS)
        second = self.box.auth(svc, "alice", code, rhost="198.51.100.7")
        self.assertAuth(second, PAM_AUTH_ERR)
        self.assertEqual(second.errors, [REPLAY_MESSAGE])
        self.assertLogged("replayed verification code for user alice rhost=198.51.100.7")

    def test_an_earlier_code_after_a_later_one_is_refused(self):
        svc = self.svc()
        now = self.box.now
        self.assertAuth(self.box.auth(svc, "alice", self.code(at=now)), PAM_SUCCESS)
        earlier = self.box.auth(svc, "alice", self.code(at=now - 30))
        self.assertAuth(earlier, PAM_AUTH_ERR)
        self.assertEqual(earlier.errors, [REPLAY_MESSAGE])

    def test_clock_drift_window(self):
        svc = self.svc()  # window=1 by default
        now = self.box.now
        self.assertAuth(self.box.auth(svc, "alice", self.code(at=now - 60)), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(svc, "alice", self.code(at=now - 30)), PAM_SUCCESS)
        self.assertAuth(self.box.auth(svc, "alice", self.code(at=now + 30)), PAM_SUCCESS)

    def test_sixteen_parallel_logins_with_one_code_exactly_one_succeeds(self):
        svc = self.svc()
        code = self.code()
        results = [r.rc for r in self.box.auth_in_parallel(16, svc, "alice", code)]
        self.assertEqual(results.count(PAM_SUCCESS), 1, results)
        self.assertEqual(results.count(PAM_AUTH_ERR), 15, results)
        # The state file is still valid: a fresh (next-step) code works.
        self.advance(30)
        self.assertAuth(self.box.auth(svc, "alice", self.code()), PAM_SUCCESS)

    def wrong(self):
        return "%06d" % ((int(self.code()) + 500000) % 1000000)

    def test_sixth_attempt_is_locked_even_with_right_code(self):
        svc = self.svc()
        for _ in range(5):
            self.assertAuth(self.box.auth(svc, "alice", self.wrong()), PAM_AUTH_ERR)
        self.assertLogged("user alice locked for 30 s after 5 wrong codes")
        locked = self.box.auth(svc, "alice", self.code())
        self.assertAuth(locked, PAM_AUTH_ERR)
        self.assertEqual(len(locked.errors), 1)
        self.assertRegex(locked.errors[0], r"^Too many wrong codes\. Try again in (2\d|30) seconds\.$")
        self.assertLogged("user alice is locked for another")

    def test_right_code_passes_after_a_short_lock_expires(self):
        svc = self.svc("fail_limit=3", "fail_lock=2")
        for _ in range(3):
            self.assertAuth(self.box.auth(svc, "alice", self.wrong()), PAM_AUTH_ERR)
        self.assertAuth(self.box.auth(svc, "alice", self.code()), PAM_AUTH_ERR)
        self.advance(3)
        self.assertAuth(self.box.auth(svc, "alice", self.code()), PAM_SUCCESS)

    def test_second_lock_doubles(self):
        svc = self.svc("fail_limit=2", "fail_lock=1")
        for _ in range(2):
            self.box.auth(svc, "alice", self.wrong())
        self.assertLogged("user alice locked for 1 s after 2 wrong codes")
        self.advance(2)
        for _ in range(2):
            self.box.auth(svc, "alice", self.wrong())
        self.assertLogged("user alice locked for 2 s after 2 wrong codes")

    def test_success_resets_the_failure_count(self):
        svc = self.svc("fail_limit=3")
        for _ in range(2):
            self.box.auth(svc, "alice", self.wrong())
        self.assertAuth(self.box.auth(svc, "alice", self.code()), PAM_SUCCESS)
        for _ in range(2):
            self.assertAuth(self.box.auth(svc, "alice", self.wrong()), PAM_AUTH_ERR)
        self.assertNotIn("locked", self.box.syslog())

    def test_replays_do_not_count_towards_the_lock(self):
        svc = self.svc("fail_limit=2")
        code = self.code()
        self.assertAuth(self.box.auth(svc, "alice", code), PAM_SUCCESS)
        for _ in range(4):
            self.assertAuth(self.box.auth(svc, "alice", code), PAM_AUTH_ERR)
        self.assertNotIn("locked", self.box.syslog())

    def test_the_enrollment_confirmation_step_counts_as_used(self):
        step = self.box.now // 30
        secret = self.box.enroll("alice", used_step=step)
        svc = self.svc()
        now = self.box.now
        confirm = self.box.auth(svc, "alice", oathtool_code(secret, at=now))
        self.assertAuth(confirm, PAM_AUTH_ERR)
        # Issue 13, item 8: no alarm for the code that confirmed the enrolment.
        self.assertEqual(confirm.errors,
                         ["This code confirmed your enrolment; wait for the next code from your app."])
        self.assertNotIn("replayed", self.box.syslog())
        self.assertAuth(self.box.auth(svc, "alice", oathtool_code(secret, at=now + 30)), PAM_SUCCESS)

    def test_reenrollment_never_lifts_a_lock(self):
        """Issue 12's first attack: lock the user, re-enrol as the user, type
        the new secret's code. The pin stands and so does the lock."""
        svc = self.svc("fail_limit=2", "fail_lock=900")
        self.assertAuth(self.box.auth(svc, "alice", self.code()), PAM_SUCCESS)
        for _ in range(2):
            self.box.auth(svc, "alice", self.wrong())
        planted = self.box.enroll("alice")  # the attacker's totp-enroll --force
        r = self.box.auth(svc, "alice", oathtool_code(planted))
        self.assertAuth(r, PAM_AUTH_ERR)
        self.assertIn("Too many wrong codes", " ".join(r.errors))


if __name__ == "__main__":
    main()
