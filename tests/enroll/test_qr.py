"""The QR code totp-enroll draws is the URI it prints: the terminal output
is rendered to an image and decoded with zbarimg."""

import os
import re
import subprocess
import tempfile
import unittest

from PIL import Image

from enrolltest import EnrollTestCase, URI_RE

SCALE = 6  # pixels per module
LIGHT, DARK = 255, 0
# utf8 mode: light modules are drawn (block characters), dark ones blank.
HALF_BLOCKS = {"\u2588": (LIGHT, LIGHT), "\u2580": (LIGHT, DARK), "\u2584": (DARK, LIGHT), " ": (DARK, DARK)}
SGR = re.compile(r"\x1b\[(\d+)m")


def utf8_qr_lines(output):
    """The block of lines made only of half blocks and spaces."""
    lines = output.replace("\r\n", "\n").split("\n")
    block = [l for l in lines if l and set(l) <= set(HALF_BLOCKS) and "\u2588" in l]
    return block


def render_utf8(lines):
    width = max(len(l) for l in lines)
    image = Image.new("L", ((width + 8) * SCALE, (2 * len(lines) + 8) * SCALE), DARK)
    for row, line in enumerate(lines):
        for column, ch in enumerate(line):
            top, bottom = HALF_BLOCKS[ch]
            for half, value in ((0, top), (1, bottom)):
                x, y = (column + 4) * SCALE, (2 * row + half + 4) * SCALE
                image.paste(value, (x, y, x + SCALE, y + SCALE))
    return image


def render_ansi(output):
    """Two spaces per module; the colour comes from the last background SGR."""
    rows = []
    for line in output.replace("\r\n", "\n").split("\n"):
        if "\x1b[" not in line:
            continue
        modules, colour = [], None
        for token in re.split(r"(\x1b\[\d+m)", line):
            m = SGR.fullmatch(token)
            if m:
                colour = {"47": LIGHT, "40": DARK, "0": None}[m.group(1)]
                continue
            assert set(token) <= {" "}, repr(token)
            assert len(token) % 2 == 0
            if token:
                assert colour is not None
                modules += [colour] * (len(token) // 2)
        rows.append(modules)
    size = len(rows)
    assert all(len(r) == size for r in rows), "the ANSI QR code is not square"
    image = Image.new("L", ((size + 8) * SCALE, (size + 8) * SCALE), 128)
    for y, row in enumerate(rows):
        for x, value in enumerate(row):
            image.paste(value, ((x + 4) * SCALE, (y + 4) * SCALE, (x + 5) * SCALE, (y + 5) * SCALE))
    return image, size


def zbar(image):
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        image.save(f.name)
        r = subprocess.run(["zbarimg", "--quiet", "--raw", f.name], capture_output=True, text=True)
    assert r.returncode == 0, f"zbarimg found no code: {r.stderr}"
    return r.stdout.rstrip("\n")


class QrCode(EnrollTestCase):

    def output_up_to_prompt(self, *args):
        child = self.spawn("--keydir", str(self.keydir), "--file", str(self.secret), *args)
        child.expect(URI_RE)
        uri = child.after.strip()
        child.expect("code the app shows: ")
        qr_text = child.before  # the QR code is drawn right above the prompt
        child.sendeof()
        rest, status = self.finish(child)
        self.assertEqual(status, 1, rest)
        self.assert_no_secret_written()
        return qr_text, uri

    def check_utf8(self, *args, fits_24_lines=True):
        text, uri = self.output_up_to_prompt(*args)
        lines = utf8_qr_lines(text)
        self.assertGreater(len(lines), 10, text)
        self.assertLessEqual(max(len(l) for l in lines), 80)
        if fits_24_lines:
            self.assertLessEqual(len(lines), 24, f"{len(uri)}-byte URI")
        self.assertEqual(zbar(render_utf8(lines)), uri)
        return uri

    # Default issuer and label come from the host name; a URI of up to about
    # 130 bytes (host names up to ~10 characters) gives a version 6 symbol,
    # 23 lines. Longer names need a bigger symbol, still 80 columns wide.
    def short_host(self):
        return len(os.uname().nodename) <= 10

    def test_default(self):
        uri = self.check_utf8(fits_24_lines=self.short_host())
        self.assertRegex(uri, r"algorithm=SHA1&digits=6&period=30$")

    def test_eight_digits_sha256(self):
        uri = self.check_utf8("--digits", "8", "--algorithm", "SHA256", fits_24_lines=self.short_host())
        self.assertRegex(uri, r"algorithm=SHA256&digits=8&period=30$")

    def test_fits_80x24(self):
        self.check_utf8("--issuer", "server01", "--label", "alexandra@server01", "--digits", "8",
                        "--algorithm", "SHA512")

    def test_hotp_and_long_labels(self):
        uri = self.check_utf8("--hotp", "--issuer", "Acme Corp", "--label", "alexandra@mail-gateway-02.example.org",
                              fits_24_lines=False)
        self.assertIn("otpauth://hotp/Acme%20Corp:alexandra@mail-gateway-02.example.org?", uri)

    def test_ansi(self):
        text, uri = self.output_up_to_prompt("--qr=ansi")
        self.assertNotIn("\u2588", text)
        image, size = render_ansi(text)
        self.assertGreaterEqual(size, 21 + 4)
        self.assertEqual(zbar(image), uri)

    def test_none(self):
        text, uri = self.output_up_to_prompt("--qr=none")
        self.assertEqual(utf8_qr_lines(text), [])
        self.assertNotIn("\x1b[", text)
        self.assertIn("Type this secret into an authenticator app", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
