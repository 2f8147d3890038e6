"""The enrolment screen in a real 80x24 terminal (tmux): when totp-enroll
waits for the code, the whole QR code and the prompt are on screen together,
and the QR code read back from the screen decodes to the URI (issue 13)."""

import os
import shlex
import shutil
import subprocess
import time
import unittest

import test_qr as qr  # a module object, so its test case does not run here
from enrolltest import ENROLL, EnrollTestCase, URI_RE

PROMPT = "code the app shows:"
COLUMNS, LINES = 80, 24


class Screen80x24(EnrollTestCase):

    def setUp(self):
        super().setUp()
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (Debian package tmux)")
        # A private server: its own socket and configuration, no status line,
        # so the pane is the whole 80x24 window.
        self.socket = self.tmp / "tmux.sock"
        self.conf = self.tmp / "tmux.conf"
        self.conf.write_text("set -g status off\nset -g history-limit 1000\n")
        self.env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.env.pop("TMUX", None)

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-u", "-f", str(self.conf), "-S", str(self.socket), *args],
                              capture_output=True, text=True, timeout=30, check=check, env=self.env)

    def screen_at_prompt(self, *args):
        """(visible screen, whole output with wrapped lines joined) once the
        prompt is shown."""
        command = shlex.join([ENROLL, "--keydir", str(self.keydir), "--file", str(self.secret), *args])
        self.tmux("new-session", "-d", "-x", str(COLUMNS), "-y", str(LINES), command)
        self.addCleanup(self.tmux, "kill-server", check=False)
        size = self.tmux("display-message", "-p", "#{pane_width}x#{pane_height}").stdout.strip()
        self.assertEqual(size, f"{COLUMNS}x{LINES}")
        deadline = time.monotonic() + 30
        while True:
            # Without -S: the visible pane only, what the person sees.
            screen = self.tmux("capture-pane", "-p").stdout
            if PROMPT in screen:
                break
            self.assertLess(time.monotonic(), deadline, f"no prompt on screen:\n{screen}")
            time.sleep(0.1)
        history = self.tmux("capture-pane", "-p", "-J", "-S", "-").stdout
        self.assertNotIn(self.secret.name, os.listdir(self.secret.parent), "nothing saved yet")
        return screen, history

    def check_qr_and_prompt_visible(self, *args):
        screen, history = self.screen_at_prompt(*args)
        lines = screen.rstrip("\n").split("\n")
        self.assertLessEqual(len(lines), LINES)
        self.assertTrue(max(len(l) for l in lines) <= COLUMNS, screen)
        # The prompt is the last line on screen, the cursor waiting on it.
        self.assertIn(PROMPT, [l for l in lines if l.strip()][-1], screen)
        uri = URI_RE.search(history).group(0)
        everything = qr.utf8_qr_lines(history)
        visible = qr.utf8_qr_lines(screen)
        self.assertGreater(len(everything), 10, history)
        # Every QR line that was printed is still on screen: none scrolled away.
        self.assertEqual(visible, everything,
                         f"{len(everything) - len(visible)} of {len(everything)} QR lines scrolled away:\n"
                         f"{screen}")
        self.assertEqual(qr.zbar(qr.render_utf8(visible)), uri)
        return screen, uri

    @unittest.skipUnless(len(os.uname().nodename) <= 10, "long host names need a bigger QR code")
    def test_default(self):
        self.check_qr_and_prompt_visible()

    def test_long_label_eight_digits_sha512(self):
        # A version 6 symbol (23 lines): with the prompt it fills the screen.
        self.check_qr_and_prompt_visible("--issuer", "server01", "--label", "alexandra@server01",
                                         "--digits", "8", "--algorithm", "SHA512")

    def test_hotp(self):
        self.check_qr_and_prompt_visible("--hotp", "--issuer", "mail", "--label", "bob@mail")


if __name__ == "__main__":
    unittest.main(verbosity=2)
