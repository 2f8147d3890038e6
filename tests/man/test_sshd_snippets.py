"""Every sshd_config snippet in README.md and the manual pages, checked with
`sshd -T` (issue 13, item 9).

Each snippet is put where its text says: the drop-in
/etc/ssh/sshd_config.d/pam_totp.conf, or appended to sshd_config itself.
The configuration is Debian's stock sshd_config (the pristine copy in
/usr/share/openssh, whose first directive includes sshd_config.d/*.conf) with
that Include pointed at a temporary directory, so nothing under /etc/ssh is
read or written. sshd takes the first value it reads for most keywords, so a
snippet appended to the stock file loses to its `KbdInteractiveAuthentication
no`. Every directive of a snippet must be in effect as written, and so must
`UsePAM yes` and `KbdInteractiveAuthentication yes`, without which sshd never
asks for the code.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
STOCK = "/usr/share/openssh/sshd_config"
STOCK_INCLUDE = "Include /etc/ssh/sshd_config.d/*.conf"
DROP_IN = "/etc/ssh/sshd_config.d/pam_totp.conf"
REQUIRED = {"usepam": "yes", "kbdinteractiveauthentication": "yes"}


class Snippet:
    def __init__(self, source, lines, where, note=""):
        self.source = source  # "README.md line N" etc.
        self.lines = lines  # directive lines as written
        self.where = where  # "drop-in", "sshd_config" or None (not stated)
        self.note = note

    def __repr__(self):
        return f"{self.source} ({self.where}): {self.lines}"


def unroff(text):
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\(ti", "~").replace("\\(dq", '"').replace("\\e", "\\")


def location(prose):
    """Where the prose before a snippet says it goes."""
    if "sshd_config.d/" in prose:
        return "drop-in" if DROP_IN in prose else "another drop-in"
    if "sshd_config" in prose:
        return "sshd_config"
    return None


def is_sshd_block(lines, keywords):
    return any(l.split()[0].lower() in keywords for l in lines if l.split())


def readme_snippets(keywords):
    path = os.path.join(SOURCE_DIR, "README.md")
    with open(path) as f:
        text = f.read()
    snippets, inline, prose_start = [], [], 0
    for m in re.finditer(r"^```[^\n]*\n(.*?)^```[^\n]*\n", text, re.M | re.S):
        lines = [l.strip() for l in m.group(1).splitlines() if l.strip()]
        prose = text[prose_start:m.start()]
        prose_start = m.end()
        line_no = text.count("\n", 0, m.start()) + 1
        if is_sshd_block(lines, keywords):
            snippets.append(Snippet(f"README.md line {line_no}", lines, location(prose)))
    # AuthenticationMethods variants given inline ("`AuthenticationMethods
    # keyboard-interactive` with the first recipe"). Other inline directives
    # are mentions, e.g. of Debian's default `KbdInteractiveAuthentication no`.
    for m in re.finditer(r"`([A-Za-z]+ [^`\n]+)`", text):
        words = m.group(1).split()
        if words[0].lower() == "authenticationmethods":
            line_no = text.count("\n", 0, m.start()) + 1
            inline.append(Snippet(f"README.md line {line_no} (inline)", [m.group(1)], "with the first recipe"))
    return snippets, inline


def man_snippets(keywords):
    snippets = []
    for path in sorted(glob.glob(os.path.join(SOURCE_DIR, "man", "*.[1-8]"))):
        with open(path) as f:
            text = f.read()
        prose_start = 0
        for m in re.finditer(r"^\.EX\n(.*?)^\.EE\n", text, re.M | re.S):
            lines = [unroff(l).strip() for l in m.group(1).splitlines() if l.strip()]
            prose = unroff(text[prose_start:m.start()])
            prose_start = m.end()
            line_no = text.count("\n", 0, m.start()) + 1
            if is_sshd_block(lines, keywords):
                snippets.append(Snippet(f"man/{os.path.basename(path)} line {line_no}", lines, location(prose)))
    return snippets


class SshdSnippets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sshd-snippets.")
        cls.created_run_sshd = False
        if not os.path.isdir("/run/sshd"):
            os.mkdir("/run/sshd", 0o755)  # sshd -T insists on its privilege separation directory
            cls.created_run_sshd = True
        cls.host_key = os.path.join(cls.tmp, "host_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", cls.host_key], check=True)
        with open(STOCK) as f:
            cls.stock = f.read()
        cls.keywords = set(cls.effective([], []).keys())
        cls.snippets, cls.inline = readme_snippets(cls.keywords)
        cls.snippets += man_snippets(cls.keywords)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if cls.created_run_sshd:
            try:
                os.rmdir("/run/sshd")
            except OSError:
                pass  # a real sshd started meanwhile uses it

    @classmethod
    def effective(cls, drop_in, appended):
        """sshd -T of the stock file with `drop_in` as the drop-in file and
        `appended` at the end of sshd_config: {keyword: value}."""
        case = tempfile.mkdtemp(dir=cls.tmp)
        conf_d = os.path.join(case, "sshd_config.d")
        os.mkdir(conf_d)
        assert STOCK_INCLUDE in cls.stock.splitlines(), f"{STOCK} no longer has '{STOCK_INCLUDE}'"
        config = cls.stock.replace(STOCK_INCLUDE, f"Include {conf_d}/*.conf")
        config += "".join(l + "\n" for l in appended) + f"HostKey {cls.host_key}\n"
        with open(os.path.join(case, "sshd_config"), "w") as f:
            f.write(config)
        if drop_in:
            with open(os.path.join(conf_d, "pam_totp.conf"), "w") as f:
                f.write("".join(l + "\n" for l in drop_in))
        r = subprocess.run([SSHD, "-T", "-f", os.path.join(case, "sshd_config")], capture_output=True, text=True)
        assert r.returncode == 0, f"sshd -T failed: {r.stderr}"
        values = {}
        for line in r.stdout.splitlines():
            key, _, value = line.partition(" ")
            values.setdefault(key, value)
        return values

    def assertInEffect(self, snippet, values, lines):
        wanted = dict(REQUIRED)
        for line in lines:
            key, _, value = line.partition(" ")
            wanted[key.lower()] = value.strip()
        got = {k: values.get(k) for k in wanted}
        self.assertEqual(got, wanted, f"{snippet}: not in effect as written")

    def test_snippets_found(self):
        # The two sshd recipes of the README and the man page's examples.
        self.assertGreaterEqual(len([s for s in self.snippets if s.source.startswith("README")]), 2, self.snippets)
        self.assertGreaterEqual(len([s for s in self.snippets if s.source.startswith("man/")]), 1, self.snippets)
        self.assertGreaterEqual(len(self.inline), 1)

    def test_stock_config_alone_would_not_ask_for_the_code(self):
        # The point of the drop-in: the stock file says no.
        self.assertEqual(self.effective([], [])["kbdinteractiveauthentication"], "no")

    def test_every_snippet_where_its_text_puts_it(self):
        for snippet in self.snippets:
            with self.subTest(snippet=snippet.source):
                self.assertEqual(snippet.where, "drop-in",
                                 f"{snippet}: say to put it in {DROP_IN} (appended to sshd_config, "
                                 "the stock file's earlier values win)")
                for line in snippet.lines:
                    self.assertIn(line.split()[0].lower(), self.keywords, f"{snippet}: not an sshd directive")
                self.assertInEffect(snippet, self.effective(snippet.lines, []), snippet.lines)

    def test_every_snippet_as_sshd_config_would_read_it(self):
        # Also checked where the text says to put it, if that is not the
        # drop-in: this is what an admin following the text gets.
        for snippet in self.snippets:
            if snippet.where == "sshd_config":
                with self.subTest(snippet=snippet.source):
                    self.assertInEffect(snippet, self.effective([], snippet.lines), snippet.lines)

    def test_inline_directives_with_the_first_recipe(self):
        first = next(s for s in self.snippets if s.source.startswith("README"))
        for snippet in self.inline:
            with self.subTest(snippet=snippet.source):
                lines = first.lines + snippet.lines
                self.assertInEffect(snippet, self.effective(lines, []), snippet.lines)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: sshd -T needs root (and /run/sshd)")
        sys.exit(77)
    if not os.path.exists(SSHD) or not os.path.exists(STOCK):
        print(f"SKIP: needs {SSHD} and {STOCK} (Debian package openssh-server)")
        sys.exit(77)
    unittest.main(verbosity=2)
