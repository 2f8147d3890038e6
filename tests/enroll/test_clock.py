"""The phone-clock report at enrolment (issue 14): a confirmation code from
another time step is reported in plain words ("about 30 s behind"), whether
the window accepts it (±1 step) or not (up to 10 minutes away); codes from
oathtool at shifted times, through a pseudo-terminal and through pipes."""

import re
import subprocess
import time
import unittest

from enrolltest import ENROLL, URI_RE, EnrollTestCase, code_for_uri, parse_uri, recovery_codes_in

PROMPT = r"Enter the (\d)-digit code the app shows: "
BEHIND_30 = "Your phone's clock is about 30 s behind; codes still work, but set it to automatic time."
AHEAD_30 = "Your phone's clock is about 30 s ahead; codes still work, but set it to automatic time."


def away_from_step_edges(period=30, margin=4):
    """Waits until a step has at least `margin` seconds left and began at
    least one second ago, so the prompt and the typed code share a step."""
    while True:
        into = time.time() % period
        if 1 <= into <= period - margin:
            return
        time.sleep(0.2)


def flat(text):
    """Lines joined: the notes wrap to fit 80 columns."""
    return " ".join(text.split())


class ClockReport(EnrollTestCase):

    def scripted(self, *shifts, extra=()):
        """Enrols through pipes, answering one code per shift (seconds added
        to now for oathtool). Returns (stdout, stderr, status, uri)."""
        away_from_step_edges()
        cmd = [ENROLL, "--keydir", str(self.keydir), "--file", str(self.secret), "--qr=none", *extra]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        head, uri = [], None
        for line in proc.stdout:
            head.append(line)
            if line.startswith("otpauth://"):
                uri = line.strip()
                break
        self.assertIsNotNone(uri, "".join(head))
        now = time.time()
        self.step_typed = [int(now + shift) // int(parse_uri(uri).get("period", 30)) for shift in shifts]
        answers = "".join(code_for_uri(uri, now=now + shift) + "\n" for shift in shifts)
        out, err = proc.communicate(answers, timeout=60)
        return "".join(head) + out, err, proc.returncode, uri

    def test_pipe_code_30_s_behind_is_accepted_and_reported(self):
        out, err, status, uri = self.scripted(-30)
        self.assertEqual(status, 0, out + err)
        self.assertIn(BEHIND_30, flat(out))
        notes = [line for line in out.splitlines() if "clock" in line or "automatic time" in line]
        self.assertEqual(len(notes), 2, out)
        self.assertTrue(all(len(line) <= 80 for line in notes), out)
        self.assertEqual(len(recovery_codes_in(out)), 10)
        self.assertTrue(self.secret.exists())
        # The step of the code typed is the one spent.
        used = re.search(r"^used-step (\d+)$", self.secret.read_text(), re.M)
        self.assertIsNotNone(used, self.secret.read_text())
        self.assertEqual(int(used.group(1)), self.step_typed[0])

    def test_pipe_code_30_s_ahead_is_accepted_and_reported(self):
        out, err, status, _ = self.scripted(30)
        self.assertEqual(status, 0, out + err)
        self.assertIn(AHEAD_30, flat(out))
        self.assertNotIn("behind", out)

    def test_pipe_code_on_time_is_not_reported(self):
        out, err, status, _ = self.scripted(0)
        self.assertEqual(status, 0, out + err)
        self.assertNotIn("Your phone's clock", out + err)

    def test_pipe_code_outside_the_window_is_refused_with_the_offset(self):
        out, err, status, _ = self.scripted(-90, 150, 0)
        self.assertEqual(status, 0, out + err)
        self.assertIn("That code is not right now: your phone's clock is about 90 s behind. "
                      "Set the phone to automatic time, then type the code it shows. 2 tries left.", flat(err))
        self.assertIn("That code is not right now: your phone's clock is about 2 min 30 s ahead. "
                      "Set the phone to automatic time, then type the code it shows. 1 try left.", flat(err))
        self.assertTrue(all(len(line) <= 80 for line in err.splitlines()), err)
        self.assertNotIn("Your phone's clock", out)  # the third code was on time

    def test_pipe_code_beyond_ten_minutes_is_only_wrong(self):
        out, err, status, _ = self.scripted(-660, 700, 0)
        self.assertEqual(status, 0, out + err)
        self.assertEqual(err.count("That code is not right. Check that the phone's clock is correct."), 2, err)
        self.assertNotIn("behind", err)
        self.assertNotIn("ahead", err)

    def test_pipe_other_period(self):
        out, err, status, _ = self.scripted(60, extra=("--period", "60"))
        self.assertEqual(status, 0, out + err)
        self.assertIn("Your phone's clock is about 60 s ahead; codes still work, but set it to automatic time.",
                      flat(out))

    def test_pty_codes_behind_and_ahead(self):
        for shift, note in ((-30, BEHIND_30), (30, AHEAD_30)):
            with self.subTest(shift=shift):
                self.secret.unlink(missing_ok=True)
                away_from_step_edges()
                child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret), "--qr=none")
                child.expect(URI_RE)
                uri = child.after.strip()
                child.expect(PROMPT)
                code = code_for_uri(uri, now=time.time() + shift)
                child.sendline(code)
                child.expect("Recovery codes")
                head = child.before + child.after
                rest, status = self.finish(child)
                after = " ".join((head + rest).split())
                self.assertEqual(status, 0, after)
                self.assertIn(note, after)
                self.assertNotIn(code, after)  # echo stays off

    def test_hotp_has_no_clock(self):
        out, err, status, uri = self.scripted(0, extra=("--hotp",))
        self.assertEqual(status, 0, out + err)
        self.assertEqual(parse_uri(uri)["type"], "hotp")
        self.assertNotIn("Your phone's clock", out + err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
