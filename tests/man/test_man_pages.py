"""The manual pages against the code.

- every option in pam_totp(8) is one the module's parser knows
  (module_option_names()), and every one it knows is documented;
- the same for pam_totp_ldap(8) and parse_ldap_options (whose names are read
  from core/ldap_options.cpp); its example configuration file is accepted by
  parse_ldap_config, every `pam_totp_ldap.so ...` line of the page over that
  file, and a line that names the service account on its own;
- every flag in `totp-enroll --help` is in totp-enroll(1) and back;
- every `pam_totp.so ...` line shown in the manual pages, the README and the
  Debian pam-auth-update profile is accepted by the option parser;
- groff and man render each page without a warning (the check lintian runs);
- the README's install and test commands exist and are executable.
Needs no root.
"""
import os
import re
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
MAN_DIR = os.path.join(SOURCE_DIR, "man")
OPTIONS_TOOL = os.environ.get("MODULE_OPTIONS_TOOL", "")
TOTP_ENROLL = os.environ.get("TOTP_ENROLL", "")
TOTP_ENROLL_LDAP = os.environ.get("TOTP_ENROLL_LDAP", "")
PAGES = ["pam_totp.8", "pam_totp.5", "totp-enroll.1", "pam_totp_ldap.8", "totp-enroll-ldap.1"]
LDAP_OPTIONS_SOURCE = os.path.join(SOURCE_DIR, "pam_totp", "core", "ldap_options.cpp")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def section(page_text, name):
    """The roff lines of section `name` (.SH name up to the next .SH)."""
    lines = page_text.splitlines()
    out, inside = [], False
    for line in lines:
        if line.startswith(".SH "):
            inside = line[4:].strip().strip('"') == name
            continue
        if inside:
            out.append(line)
    if not out:
        raise AssertionError(f"no section {name}")
    return out


def tagged_paragraph_heads(lines):
    """The line after each .TP: the term of a tagged paragraph."""
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line.strip() == ".TP"]


def unroff(line):
    """A roff line as plain words: macro, escapes and quotes removed."""
    line = re.sub(r"^\.\w+\s*", "", line)
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\-", "-").replace("\\", "").replace('"', " ")
    return line


def man_module_options(page="pam_totp.8"):
    lines = section(read(os.path.join(MAN_DIR, page)), "OPTIONS")
    names = []
    for head in tagged_paragraph_heads(lines):
        word = unroff(head).split()[0]
        # ".BI window= n" documents "window="; ".B optional" documents "optional".
        names.append(word)
    return names


def ldap_parser_names():
    """The options parse_ldap_options accepts, read from its source: it has no
    list of names (`name == "uri"` is "uri=", `arg == "starttls"` is "starttls")."""
    text = read(LDAP_OPTIONS_SOURCE)
    names = [n + "=" for n in re.findall(r'\bname == "(\w+)"', text)]
    names += re.findall(r'\barg == "(\w+)"', text)
    return list(dict.fromkeys(names))


def documented_ldap_lines():
    """(where, [args]) for every `pam_totp_ldap.so ARGS` line of
    pam_totp_ldap(8), lines ending in a backslash joined with the next."""
    found = []
    lines = read(os.path.join(MAN_DIR, "pam_totp_ldap.8")).splitlines()
    number = 0
    while number < len(lines):
        start, line = number + 1, lines[number]
        while line.endswith("\\e") and number + 1 < len(lines):
            number += 1
            line = line[:-2] + " " + lines[number]
        number += 1
        if line.startswith(".\\\""):
            continue
        text = unroff(line) if line.startswith(".") else line.replace("\\-", "-")
        for m in re.finditer(r"pam_totp_ldap\.so((?:[ \t]+[^\s`]+)*)", text):
            args = m.group(1).split()
            if not args or any("[" in a or "..." in a for a in args):
                continue  # the SYNOPSIS, the module's path, the elided example
            found.append((f"man/pam_totp_ldap.8:{start}", args))
    return found


def ldap_config_examples():
    """The example blocks of pam_totp_ldap(8) that are configuration files:
    every line a comment or NAME=VALUE or a flag."""
    text = read(os.path.join(MAN_DIR, "pam_totp_ldap.8"))
    found = []
    for block in re.findall(r"^\.EX\n(.*?)^\.EE$", text, re.S | re.M):
        lines = [l.replace("\\-", "-") for l in block.splitlines()]
        if lines and all(re.match(r"#|[a-z_]+=\S|[a-z_]+$", l) for l in lines) and \
                any(l.startswith("uri=") for l in lines):
            found.append("\n".join(lines) + "\n")
    return found


def man_enroll_flags(page="totp-enroll.1"):
    lines = section(read(os.path.join(MAN_DIR, page)), "OPTIONS")
    flags = []
    for head in tagged_paragraph_heads(lines):
        flags += re.findall(r"(?<![\w-])--?[a-z][a-z-]*", unroff(head))
    return flags


def help_flags(help_text):
    flags = []
    for line in help_text.splitlines():
        m = re.match(r"\s+(-\S.*?)(?:\s{2,}|$)", line)
        if m:
            flags += re.findall(r"(?<![\w-])--?[a-z][a-z-]*", m.group(1))
    return flags


def documented_pam_lines():
    """(where, [args]) for every `pam_totp.so ARGS` shown to the reader."""
    sources = [os.path.join(MAN_DIR, p) for p in PAGES] + [
        os.path.join(SOURCE_DIR, "README.md"),
        os.path.join(SOURCE_DIR, "debian", "pam-configs", "totp"),
    ]
    found = []
    for path in sources:
        if not os.path.exists(path):
            continue
        for number, line in enumerate(read(path).splitlines(), 1):
            if line.startswith(".\\\""):
                continue
            text = unroff(line) if line.startswith(".") else line.replace("\\-", "-")
            for m in re.finditer(r"pam_totp\.so((?:[ \t]+[^\s`]+)*)", text):
                args = m.group(1).split()
                if any("[" in a or "..." in a for a in args):
                    continue  # the SYNOPSIS placeholder
                found.append((f"{os.path.relpath(path, SOURCE_DIR)}:{number}", args))
    return found


class ModuleOptions(unittest.TestCase):
    def setUp(self):
        if not OPTIONS_TOOL:
            self.skipTest("MODULE_OPTIONS_TOOL not set (run through ctest)")

    def parser_names(self):
        out = subprocess.run([OPTIONS_TOOL, "names"], check=True, capture_output=True, text=True)
        return out.stdout.split()

    def test_every_parser_option_is_documented(self):
        documented = set(man_module_options())
        missing = [n for n in self.parser_names() if n not in documented]
        self.assertEqual(missing, [], "options the parser accepts but pam_totp(8) does not list")

    def test_every_documented_option_is_parsed(self):
        known = set(self.parser_names())
        extra = [n for n in man_module_options() if n not in known]
        self.assertEqual(extra, [], "options pam_totp(8) lists but the parser does not know")

    def test_no_option_documented_twice(self):
        names = man_module_options()
        self.assertEqual(sorted(set(names)), sorted(names))

    def test_documented_lines_parse(self):
        lines = documented_pam_lines()
        self.assertGreater(len(lines), 10, "found suspiciously few example lines")
        for where, args in lines:
            with self.subTest(where=where, args=args):
                run = subprocess.run([OPTIONS_TOOL, "parse"] + args, capture_output=True, text=True)
                self.assertEqual(run.returncode, 0, f"{where}: {' '.join(args)}: {run.stdout.strip()}")


class LdapModuleOptions(unittest.TestCase):
    """pam_totp_ldap(8) against parse_ldap_options."""

    def test_parser_names_found(self):
        names = ldap_parser_names()
        for name in ("uri=", "base=", "binddn=", "bindpw_file=", "starttls", "optional"):
            self.assertIn(name, names, f"could not read the option names from {LDAP_OPTIONS_SOURCE}")

    def test_every_parser_option_is_documented(self):
        documented = set(man_module_options("pam_totp_ldap.8"))
        missing = [n for n in ldap_parser_names() if n not in documented]
        self.assertEqual(missing, [], "options parse_ldap_options accepts but pam_totp_ldap(8) does not list")

    def test_every_documented_option_is_parsed(self):
        known = set(ldap_parser_names())
        extra = [n for n in man_module_options("pam_totp_ldap.8") if n not in known]
        self.assertEqual(extra, [], "options pam_totp_ldap(8) lists but parse_ldap_options does not know")

    def test_no_option_documented_twice(self):
        names = man_module_options("pam_totp_ldap.8")
        self.assertEqual(sorted(set(names)), sorted(names))

    def test_documented_config_and_lines_parse(self):
        if not OPTIONS_TOOL:
            self.skipTest("MODULE_OPTIONS_TOOL not set (run through ctest)")
        configs = ldap_config_examples()
        self.assertEqual(len(configs), 1, "expected one example configuration file in pam_totp_ldap(8)")
        lines = documented_ldap_lines()
        self.assertGreaterEqual(len(lines), 2, "found too few pam_totp_ldap.so lines with options")
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
            conf.write(configs[0])
            conf.flush()
            run = subprocess.run([OPTIONS_TOOL, "ldap-config", conf.name], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, f"the example file: {run.stdout.strip()}\n{configs[0]}")
            for where, args in lines:
                with self.subTest(where=where, args=args):
                    run = subprocess.run([OPTIONS_TOOL, "ldap-config", conf.name] + args,
                                         capture_output=True, text=True)
                    self.assertEqual(run.returncode, 0, f"{where}: {' '.join(args)} over the example "
                                     f"file: {run.stdout.strip()}")
                    if any(a.startswith("binddn=") for a in args):  # meant to stand alone
                        run = subprocess.run([OPTIONS_TOOL, "ldap-parse"] + args,
                                             capture_output=True, text=True)
                        self.assertEqual(run.returncode, 0, f"{where}: {' '.join(args)}: {run.stdout.strip()}")


class EnrollFlags(unittest.TestCase):
    def setUp(self):
        if not TOTP_ENROLL:
            self.skipTest("totp-enroll is not built yet")

    def help(self):
        run = subprocess.run([TOTP_ENROLL, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        flags = help_flags(run.stdout)
        self.assertGreater(len(flags), 10, f"could not read the flags from --help:\n{run.stdout}")
        return flags

    def test_every_help_flag_is_documented(self):
        documented = set(man_enroll_flags())
        missing = [f for f in self.help() if f not in documented]
        self.assertEqual(missing, [], "flags in totp-enroll --help missing from totp-enroll(1) OPTIONS")

    def test_every_documented_flag_is_in_help(self):
        in_help = set(self.help())
        extra = [f for f in man_enroll_flags() if f not in in_help]
        self.assertEqual(extra, [], "flags in totp-enroll(1) OPTIONS that --help does not know")

    def test_version_matches_the_pages(self):
        run = subprocess.run([TOTP_ENROLL, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        version = run.stdout.split()[-1]
        for page in PAGES:
            th = next(l for l in read(os.path.join(MAN_DIR, page)).splitlines() if l.startswith(".TH"))
            self.assertIn(f"pam_totp {version}", th, f"{page}: .TH does not name version {version}")


class EnrollLdapFlags(unittest.TestCase):
    """totp-enroll-ldap --help against totp-enroll-ldap(1), both ways."""

    def help(self):
        if not TOTP_ENROLL_LDAP:
            self.skipTest("totp-enroll-ldap is not built (-DPAM_TOTP_LDAP=ON)")
        run = subprocess.run([TOTP_ENROLL_LDAP, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        flags = help_flags(run.stdout)
        self.assertGreater(len(flags), 6, f"could not read the flags from --help:\n{run.stdout}")
        return flags

    def test_every_help_flag_is_documented(self):
        documented = set(man_enroll_flags("totp-enroll-ldap.1"))
        missing = [f for f in self.help() if f not in documented]
        self.assertEqual(missing, [], "flags in totp-enroll-ldap --help missing from totp-enroll-ldap(1) OPTIONS")

    def test_every_documented_flag_is_in_help(self):
        in_help = set(self.help())
        extra = [f for f in man_enroll_flags("totp-enroll-ldap.1") if f not in in_help]
        self.assertEqual(extra, [], "flags in totp-enroll-ldap(1) OPTIONS that --help does not know")


class Readme(unittest.TestCase):
    def sh_blocks(self):
        return re.findall(r"```sh\n(.*?)```", read(os.path.join(SOURCE_DIR, "README.md")), re.S)

    def test_install_and_test_commands_exist(self):
        commands = [block.strip() for block in self.sh_blocks()]
        self.assertIn("debian/install-from-source.sh", commands, "the quick start's install command")
        self.assertIn("tests/run", commands, "the quick start's test command")
        for script in ("debian/install-from-source.sh", "tests/run"):
            path = os.path.join(SOURCE_DIR, script)
            self.assertTrue(os.access(path, os.X_OK), f"{script} is not an executable file")


class Rendering(unittest.TestCase):
    def test_groff_warns_about_nothing(self):
        for page in PAGES:
            with self.subTest(page=page):
                run = subprocess.run(["groff", "-ww", "-z", "-man", os.path.join(MAN_DIR, page)],
                                     capture_output=True, text=True)
                self.assertEqual((run.returncode, run.stderr), (0, ""))

    def test_man_warns_about_nothing(self):
        # The command lintian uses for its manual-page checks.
        env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
        for page in PAGES:
            with self.subTest(page=page):
                run = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                                      os.path.join(MAN_DIR, page)],
                                     capture_output=True, text=True, env=env)
                self.assertEqual((run.returncode, run.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
