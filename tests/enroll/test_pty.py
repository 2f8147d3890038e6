"""totp-enroll driven like a person would: in a pseudo-terminal, reading the
URI it printed, computing the code with oathtool and typing it; and through
pipes like a script would."""

import os
import re
import stat
import unittest

from enrolltest import (EnrollTestCase, URI_RE, code_for_uri, oathtool, parse_uri, recovery_codes_in,
                        wrong_code_for_uri)

PROMPT = r"Enter the (\d)-digit code the app shows: "


class PtyEnrollment(EnrollTestCase):

    def enroll_in_pty(self, *extra):
        child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret), *extra)
        child.expect(URI_RE)
        uri = child.after.strip()
        child.expect(PROMPT)
        # Between the URI and the prompt: the grouped secret and the QR code.
        before_prompt = child.before.replace("\r\n", "\n")
        code = code_for_uri(uri)
        child.sendline(code)
        child.expect("Recovery codes")
        head = child.before + child.after
        rest, status = self.finish(child)
        after = (head + rest).replace("\r\n", "\n")
        return uri, code, before_prompt, after, status

    def test_totp_default(self):
        uri, code, before, after, status = self.enroll_in_pty()
        self.assertEqual(status, 0, after)
        f = parse_uri(uri)
        host = os.uname().nodename
        self.assertEqual(f["type"], "totp")
        self.assertEqual(f["label"], f"{host}:root@{host}")
        self.assertEqual((f["issuer"], f["algorithm"], f["digits"], f["period"]), (host, "SHA1", "6", "30"))
        self.assertEqual(len(f["secret"]), 32)  # 160 bits
        self.assertTrue(uri.startswith("otpauth://totp/"))
        self.assertRegex(uri, r"\?secret=[A-Z2-7]{32}&issuer=[^&]+&algorithm=SHA1&digits=6&period=30$")
        # The grouped secret is printed too, and it is the URI's secret.
        grouped = re.search(r"^\(TOTP, SHA1, 6 digits, every 30 s\):  ((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})$",
                            before, re.M)
        self.assertIsNotNone(grouped, before)
        self.assertEqual(grouped.group(1).replace(" ", ""), f["secret"])
        # Echo is off: the typed code never appears on the terminal.
        self.assertNotIn(code, after)
        # Ten recovery codes, shown once.
        codes = recovery_codes_in(after)
        self.assertEqual(len(codes), 10, after)
        self.assertEqual(len(set(codes)), 10)

        st = os.lstat(self.secret)
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, 0)
        # The sealed file opens with the host key and agrees with oathtool.
        r, fields = self.probe("--print-key", "--code", oathtool(f["secret"]), "--recovery", codes[3],
                               "--recovery", codes[9].lower().replace("-", " "))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(fields["key"], f["secret"])
        self.assertEqual((fields["user"], fields["type"], fields["algorithm"], fields["digits"], fields["period"]),
                         ("root", "totp", "SHA1", "6", "30"))
        self.assertEqual(fields["recovery-codes"], "10")
        r, _ = self.probe("--recovery", "ZZZZ-ZZZZ")
        self.assertEqual(r.returncode, 1)

    def test_hotp_eight_digits_sha256(self):
        uri, code, before, after, status = self.enroll_in_pty("--hotp", "--digits", "8", "--algorithm", "sha256",
                                                               "--issuer", "Example Org", "--label", "al ice@x")
        self.assertEqual(status, 0, after)
        f = parse_uri(uri)
        self.assertEqual((f["type"], f["algorithm"], f["digits"], f["counter"]), ("hotp", "SHA256", "8", "0"))
        self.assertNotIn("period", f)
        self.assertIn("otpauth://hotp/Example%20Org:al%20ice@x?", uri)
        self.assertIn("&issuer=Example%20Org&", uri)
        self.assertEqual(code, oathtool(f["secret"], hotp=True, counter=0, digits=8, algorithm="SHA256"))
        # The confirmed counter is used up: the file starts at the next one.
        nxt = oathtool(f["secret"], hotp=True, counter=1, digits=8, algorithm="SHA256")
        r, fields = self.probe("--code", nxt)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((fields["type"], fields["counter"], fields["digits"]), ("hotp", "1", "8"))
        r, _ = self.probe("--code", code)
        self.assertEqual(r.returncode, 1, "the confirmation code must not be accepted again")

    def test_wrong_then_right(self):
        child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret), "--qr=none")
        child.expect(URI_RE)
        uri = child.after.strip()
        child.expect(PROMPT)
        child.sendline(wrong_code_for_uri(uri))
        child.expect("That code is not right.*2 tries left")
        child.expect(PROMPT)
        child.sendline("12ab")
        child.expect("That is not a 6-digit code. 1 try left")
        child.expect(PROMPT)
        child.sendline(code_for_uri(uri))
        rest, status = self.finish(child)
        self.assertEqual(status, 0, rest)
        self.assertTrue(self.secret.exists())

    def test_interrupt_saves_nothing(self):
        child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret))
        child.expect(PROMPT)
        child.sendintr()
        rest, status = self.finish(child)
        self.assertEqual(status, 1, rest)
        self.assertIn("interrupted; nothing was saved", rest)
        self.assert_no_secret_written()

    def test_end_of_input_saves_nothing(self):
        child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret))
        child.expect(PROMPT)
        child.sendeof()
        rest, status = self.finish(child)
        self.assertEqual(status, 1, rest)
        self.assertIn("no code entered; nothing was saved", rest)
        self.assert_no_secret_written()


class ScriptedEnrollment(EnrollTestCase):
    """Standard input not a terminal: the code is one line of it."""

    def test_pipes(self):
        out, err, status, uri = self.enroll_scripted("--qr=none", "--period", "60", "--algorithm", "SHA512",
                                                     file=self.secret)
        self.assertEqual(status, 0, out + err)
        f = parse_uri(uri)
        self.assertEqual((f["period"], f["algorithm"]), ("60", "SHA512"))
        self.assertNotIn("\u2588", out)  # --qr=none
        self.assertEqual(len(recovery_codes_in(out)), 10, out)
        r, fields = self.probe("--code", oathtool(f["secret"], period=60, algorithm="SHA512"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(fields["period"], "60")

    def test_stdin_closed(self):
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(self.secret), "--qr=none", input="")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no code entered", r.stderr)
        self.assert_no_secret_written()

    def test_three_lines_three_tries(self):
        """Each try reads exactly one line, so a script can answer three times."""
        r = self.run_enroll("--keydir", str(self.keydir), "--file", str(self.secret), "--qr=none",
                            input="1\n2\n3\n" + "4\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.count("That is not a 6-digit code"), 3, r.stderr)
        self.assertIn("no right code after 3 tries; nothing was saved", r.stderr)
        self.assert_no_secret_written()


if __name__ == "__main__":
    unittest.main(verbosity=2)
