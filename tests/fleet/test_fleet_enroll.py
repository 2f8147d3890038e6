"""Fleet enrolment (totp-enroll-ldap, ldap/README.md "Enrolment") against a
private slapd built from the recipe: real unprivileged Unix users (system
accounts whose names are the directory uids) drive the tool in a pty, the
secret is read from the otpauth URI it prints and codes come from oathtool;
then they log in through pam_totp_ldap.so. An enrolled user cannot replace
nor remove their factor: the admin resets it (class, link, secret), and the
user enrols again; a session bound before (the post-review's finding 1)
cannot take the account over; every write the design review lists as
refused is tried with ldapmodify as the user, and the service account only
adds plain claims; SASL binds of an enrolled user fail on the recipe's
server."""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pam"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "enroll"))
from enrolltest import finish_child, spawn_in_pty  # noqa: E402
from pamtest import PAM_AUTH_ERR, PAM_SUCCESS, PamTestCase  # noqa: E402
import slapd_fixture  # noqa: E402
from slapd_fixture import ADMIN, ADMIN_PW, BASE, SERVICE, SERVICE_PW, LdapSession, Slapd  # noqa: E402

MODULE = os.environ.get("PAM_TOTP_LDAP_MODULE", "")
TOOL = os.environ.get("TOTP_ENROLL_LDAP", "")
TOTP_ENROLL = os.environ.get("TOTP_ENROLL", "")
# Where totp-enroll --ldap looks (the build's TOTP_ENROLL_LDAP_PATH).
COMPILED_PATH = os.environ.get("TOTP_ENROLL_LDAP_PATH", "")
URI_RE = re.compile(r"otpauth://\S+")
PASSWORD_PROMPT = r"Directory password for \S+: "
CODE_PROMPT = r"Enter the 6-digit code the app shows: "
NEXT_PROMPT = r"Enter the next code the app shows: "
INVALID_CREDENTIALS = 49
INSUFFICIENT = 50
CONSTRAINT_VIOLATION = 19  # a second value of the single-valued oathSecret
UNWILLING = 53  # ppolicy's pwdSafeModify: not the current password
SECRET_SET = "a secret is already set for you: another enrolment is done or under way; ask your administrator"


def step_now():
    return int(time.time()) // 30


def code_at(secret_b32, step):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(step * 30 + 1))
    return subprocess.run(["oathtool", "--totp", "-N", stamp, "-b", secret_b32],
                          check=True, capture_output=True, text=True).stdout.strip()


def b32(raw):
    return base64.b32encode(raw).decode()


def secret_of_uri(uri):
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(uri).query))
    return query["secret"]


def as_user(name):
    return ["setpriv", f"--reuid={name}", f"--regid={name}", "--clear-groups"]


@unittest.skipUnless(os.geteuid() == 0 and MODULE and TOOL and os.path.exists(slapd_fixture.SLAPD),
                     "needs root, pam_totp_ldap.so, totp-enroll-ldap and slapd")
class FleetEnrolment(PamTestCase):
    # Debian's system accounts: real unprivileged users, each a directory uid.
    NEW = ("daemon", "bin", "games")        # not enrolled: they enrol
    ENROLLED = ("sys", "man", "mail", "news")  # enrolled by the admin with SECRETS
    PLAIN = ("lp",)                          # not enrolled: the refused writes
    STALE = ("proxy",)                       # not enrolled: a session bound before enrolment
    CAUGHT = ("backup",)                     # enrolled: a session bound with one code

    @classmethod
    def setUpClass(cls):
        cls.slapd = Slapd()
        cls.used = {}  # user -> the last step a bind of theirs used
        cls.secrets = {}
        for n, user in enumerate(cls.NEW + cls.PLAIN + cls.STALE):
            cls.slapd.add_user(user, user + "-pw", uid_number=31000 + n)
        for n, user in enumerate(cls.ENROLLED + cls.CAUGHT):
            raw = (user.encode() + b"-enrolled-secret-0123")[:20]
            cls.secrets[user] = b32(raw)
            cls.slapd.add_user(user, user + "-pw", secret=raw, uid_number=31100 + n)
        # Under /run: the module's rules want root's directories up to "/".
        cls.conf_dir = tempfile.mkdtemp(prefix="pam_totp_enroll.", dir="/run")
        os.chmod(cls.conf_dir, 0o755)
        cls.config = os.path.join(cls.conf_dir, "ldap.conf")
        with open(cls.config, "w") as f:
            # One file for the module and the tool (tokens= and params= are
            # the tool's, here their defaults).
            f.write(f"# test\nuri={cls.slapd.ldaps}\nbase=ou=people,{BASE}\nca={cls.slapd.ca}\ntimeout=5\n"
                    f"binddn={SERVICE}\nbindpw_file={cls.slapd.bindpw_file}\n"
                    f"tokens=ou=tokens,{BASE}\nparams=cn=totp,ou=params,{BASE}\n")
        os.chmod(cls.config, 0o644)

    @classmethod
    def tearDownClass(cls):
        cls.slapd.cleanup()
        shutil.rmtree(cls.conf_dir, ignore_errors=True)

    # -- helpers -------------------------------------------------------------
    def spawn(self, user, *args, command=None):
        cmd = (as_user(user) if user else []) + (command or [TOOL]) + list(args)
        return spawn_in_pty(self, cmd, timeout=20, dimensions=(50, 100))

    finish = staticmethod(finish_child)

    def next_step(self, user, at_least=None):
        step = max(step_now() - 1, self.used.get(user, 0) + 1, at_least or 0)
        self.assertLessEqual(step, step_now() + 2, f"{user}: no step left in the window")
        self.used[user] = step
        return step

    def enrol(self, user, *args, password=None, command=None):
        """Runs the enrolment in a pty as `user`; returns (secret, output, status)."""
        child = self.spawn(user, "--ldap-config", self.config, *args, command=command)
        child.expect(PASSWORD_PROMPT)
        child.sendline(password or user + "-pw")
        child.expect(URI_RE)
        secret = secret_of_uri(child.after.strip())
        child.expect(CODE_PROMPT)
        shown = child.before
        step = step_now()
        child.sendline(code_at(secret, step))
        which = child.expect([NEXT_PROMPT, pexpect.EOF])
        out = shown + child.before
        if which == 0:
            step = self.next_step(user, at_least=step + 1)
            child.sendline(code_at(secret, step))
            rest, status = self.finish(child)
            out += rest
        else:
            child.close()
            status = child.exitstatus
            self.used[user] = max(self.used.get(user, 0), step)
        return secret, out.replace("\r\n", "\n"), status

    def login(self, user, secret, rc=PAM_SUCCESS, step=None, password=None):
        svc = self.box.service("s", f"auth required {MODULE} config={self.config}")
        r = self.box.auth(svc, user, password or user + "-pw", code_at(secret, step or self.next_step(user)))
        self.assertAuth(r, rc)

    def admin_reset(self, user, new_password=None):
        """ldap/README.md, Recovery: the admin's --remove (class, link,
        secret), then a new password handed over out of band."""
        child = self.spawn(None, "--remove", "--user", user, "--admin-dn", ADMIN, "--ldap-config", self.config)
        child.expect(r"Password for " + re.escape(ADMIN) + ": ")
        child.sendline(ADMIN_PW)
        out, status = self.finish(child)
        self.assertEqual(status, 0, out)
        self.assertIn(f"Removed the fleet enrolment of {user}", out)
        if new_password:
            self.slapd.modify(f"dn: uid={user},ou=people,{BASE}\nchangetype: modify\nreplace: userPassword\n"
                              f"userPassword: {new_password}\n")
        return out.replace("\r\n", "\n")

    def session(self, user, password):
        """A connection bound as `user` and kept open."""
        s = LdapSession(self.slapd)
        self.addCleanup(s.close)
        self.assertEqual(s.bind(f"uid={user},ou=people,{BASE}", password)[0], 0)
        return s

    def secret_in(self, token_dn):
        """The token's oathSecret as base32 (read as the rootdn), or None."""
        text = self.entry(token_dn, "oathSecret") or ""
        m = re.search(r"^oathSecret(:: |: )(.*)$", text, re.M)
        if not m:
            return None
        return b32(base64.b64decode(m.group(2)) if m.group(1) == ":: " else m.group(2).encode())

    def entry(self, dn, *attributes):
        return slapd_fixture.read_entry(self.slapd, dn, *attributes)

    def user_modify(self, user, ldif, code=None):
        """ldapmodify bound as the user (password, + code when enrolled)."""
        pw = user + "-pw" + (code or "")
        return subprocess.run(["ldapmodify", "-x", "-H", self.slapd.ldapi, "-D", f"uid={user},ou=people,{BASE}",
                               "-w", pw], input=ldif, capture_output=True, text=True)

    def user_search(self, user, dn, *attributes, code=None):
        pw = user + "-pw" + (code or "")
        return subprocess.run(["ldapsearch", "-x", "-LLL", "-H", self.slapd.ldapi, "-D",
                               f"uid={user},ou=people,{BASE}", "-w", pw, "-b", dn, "-s", "base", *attributes],
                              capture_output=True, text=True)

    # -- the tests ------------------------------------------------------------
    def test_first_enrolment_then_login_and_status(self):
        secret, out, status = self.enrol("daemon")
        self.assertEqual(status, 0, out)
        self.assertIn("Code accepted by the directory", out)
        self.assertRegex(out, r"\(TOTP, SHA1, 6 digits, every 30 s\):  ([A-Z2-7]{4} ){7}[A-Z2-7]{4}")
        user = self.entry(f"uid=daemon,ou=people,{BASE}", "objectClass", "oathTOTPToken")
        self.assertIn("objectClass: oathTOTPUser", user)
        self.assertIn(f"oathTOTPToken: cn=daemon,ou=tokens,{BASE}", user)
        token = self.entry(f"cn=daemon,ou=tokens,{BASE}", "oathSecret", "oathTOTPParams", "oathTOTPLastTimeStep")
        self.assertIn(f"oathTOTPParams: cn=totp,ou=params,{BASE}", token)
        self.assertIn("oathTOTPLastTimeStep:", token)  # the server-side check used a code
        self.login("daemon", secret)
        self.login("daemon", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", rc=PAM_AUTH_ERR)
        # --status, anonymous: enrolled, the token; no secret.
        r = subprocess.run(as_user("daemon") + [TOOL, "--status", "--ldap-config", self.config],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"daemon (uid=daemon,ou=people,{BASE}): enrolled, token cn=daemon,ou=tokens,{BASE}", r.stdout)
        # The recipe hides the token from anonymous readers (post-review
        # finding 4): not "none yet".
        self.assertIn("last step used: not readable without binding", r.stdout)
        self.assertNotIn(secret, r.stdout)
        r = subprocess.run(as_user("lp") + [TOOL, "--status", "--ldap-config", self.config],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual((r.returncode, r.stdout), (1, f"lp (uid=lp,ou=people,{BASE}): not enrolled\n"), r.stderr)

    def test_enrolment_through_totp_enroll_ldap_flag(self):
        if not TOTP_ENROLL:
            self.skipTest("totp-enroll not built")
        if os.path.realpath(COMPILED_PATH) != os.path.realpath(TOOL):
            # An install path: totp-enroll --ldap names the missing package.
            if not os.path.exists(COMPILED_PATH):
                r = subprocess.run([TOTP_ENROLL, "--ldap", "--status"], capture_output=True, text=True)
                self.assertEqual(r.returncode, 3)
                self.assertIn("libpam-totp-ldap", r.stderr)
            self.skipTest(f"totp-enroll --ldap runs {COMPILED_PATH}, not this build's tool")
        secret, out, status = self.enrol("bin", command=[TOTP_ENROLL, "--ldap"])
        self.assertEqual(status, 0, out)
        self.login("bin", secret)

    def test_enrolled_user_cannot_reenrol(self):
        """No self-service re-enrolment (post-review finding 1): the tool
        sends an enrolled user to the admin before asking anything, and even
        bound with password and code they cannot replace, delete or add a
        secret. The admin's reset, then a first enrolment: the new secret
        logs in, the old one does not, the token's last step is kept."""
        user, old = "sys", self.secrets["sys"]
        token_dn = f"cn={user},ou=tokens,{BASE}"
        r = subprocess.run(as_user(user) + [TOOL, "--ldap-config", self.config],
                           capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"{user} is enrolled already (token {token_dn}); nothing was changed", r.stderr)
        self.assertIn(f"totp-enroll-ldap --remove --user {user} --admin-dn", r.stderr)
        self.assertNotIn("Directory password", r.stdout + r.stderr)
        code = code_at(old, self.next_step(user))
        r = subprocess.run(["ldapmodify", "-c", "-x", "-H", self.slapd.ldapi, "-D", f"uid={user},ou=people,{BASE}",
                            "-w", f"{user}-pw{code}"],
                           input=(f"dn: {token_dn}\nchangetype: modify\nreplace: oathSecret\noathSecret: mine\n\n"
                                  f"dn: {token_dn}\nchangetype: modify\ndelete: oathSecret\n\n"
                                  f"dn: {token_dn}\nchangetype: modify\nadd: oathSecret\noathSecret: mine\n"),
                           capture_output=True, text=True)
        self.assertEqual(r.stderr.count(f"Insufficient access ({INSUFFICIENT})"), 2, r.stderr)
        self.assertEqual(r.stderr.count(f"Constraint violation ({CONSTRAINT_VIOLATION})"), 1, r.stderr)
        self.assertEqual(self.secret_in(token_dn), old)
        step = self.entry(token_dn, "oathTOTPLastTimeStep")
        self.assertIn(f"oathTOTPLastTimeStep: {self.used[user]}", step)
        # The admin's reset: the secret goes, the token and its step stay.
        out = self.admin_reset(user, "sys-new-pw")
        self.assertIn(f"the secret of {token_dn}", out)
        self.assertIsNone(self.secret_in(token_dn))
        self.assertEqual(self.entry(token_dn, "oathTOTPLastTimeStep"), step)
        secret, out, status = self.enrol(user, password="sys-new-pw")
        self.assertEqual(status, 0, out)
        self.assertEqual(self.secret_in(token_dn), secret)
        # The old secret's code of an unused step is refused (a refused bind
        # uses no step); the new secret's logs in.
        self.login(user, old, rc=PAM_AUTH_ERR, step=self.used[user] + 1, password="sys-new-pw")
        self.login(user, secret, password="sys-new-pw")

    def test_removal_is_the_admins(self):
        user, token_dn = "man", f"cn=man,ou=tokens,{BASE}"
        dn = f"uid={user},ou=people,{BASE}"
        r = subprocess.run(as_user(user) + [TOOL, "--remove", "--ldap-config", self.config],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("done by the directory administrator", r.stderr)
        self.assertIn(f"totp-enroll-ldap --remove --user {user} --admin-dn", r.stderr)
        r = subprocess.run(as_user(user) + [TOOL, "--remove", "--user", "news", "--ldap-config", self.config],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 2, r.stderr)
        # Even bound with password and code, the user may delete neither the
        # class, nor the link, nor the token.
        code = code_at(self.secrets[user], self.next_step(user))
        r = subprocess.run(["ldapmodify", "-c", "-x", "-H", self.slapd.ldapi, "-D", dn, "-w", f"{user}-pw{code}"],
                           input=(f"dn: {dn}\nchangetype: modify\ndelete: objectClass\nobjectClass: oathTOTPUser\n\n"
                                  f"dn: {dn}\nchangetype: modify\ndelete: oathTOTPToken\noathTOTPToken: {token_dn}\n\n"
                                  f"dn: {token_dn}\nchangetype: delete\n"),
                           capture_output=True, text=True)
        self.assertEqual(r.stderr.count(f"Insufficient access ({INSUFFICIENT})"), 3, r.stderr)
        self.assertIn("objectClass: oathTOTPUser", self.entry(dn, "objectClass"))
        # The admin removes: class and link by value, the token's secret;
        # the token (and its step) stay.
        out = self.admin_reset(user)
        self.assertIn(f"the class oathTOTPUser, the link and the secret of {token_dn}; the token is kept", out)
        entry = self.entry(dn, "objectClass", "oathTOTPToken")
        self.assertNotIn("oathTOTPUser", entry)
        self.assertNotIn("oathTOTPToken", entry)
        self.assertIn("oathTOTPLastTimeStep", self.entry(token_dn, "oathTOTPLastTimeStep"))
        self.assertIsNone(self.secret_in(token_dn))
        # Then the user enrols again with the password (the kept token gets
        # the new secret, added) and logs in.
        secret, out, status = self.enrol(user)
        self.assertEqual(status, 0, out)
        self.assertEqual(self.secret_in(token_dn), secret)
        self.login(user, secret)
        # Nothing to remove: refused, nothing written.
        child = self.spawn(None, "--remove", "--user", "games", "--admin-dn", ADMIN, "--ldap-config", self.config)
        child.expect(r"Password for " + re.escape(ADMIN) + ": ")
        child.sendline(ADMIN_PW)
        out, status = self.finish(child)
        self.assertEqual(status, 1, out)
        self.assertIn(f"is not enrolled and cn=games,ou=tokens,{BASE} holds no secret; nothing was changed", out)

    def test_refused_writes(self):
        """The design review's refused list, as ldapmodify by the user."""
        me, other = "lp", "mail"
        my_dn, my_token = f"uid={me},ou=people,{BASE}", f"cn={me},ou=tokens,{BASE}"
        other_token = f"cn={other},ou=tokens,{BASE}"
        params = f"cn=totp,ou=params,{BASE}"
        secret_before = self.entry(other_token, "oathSecret")

        def token(dn=my_token, cn=me, extra="", params_dn=params, classes=("device", "oathTOTPToken")):
            return (f"dn: {dn}\nchangetype: add\n" + "".join(f"objectClass: {c}\n" for c in classes)
                    + f"cn: {cn}\noathSecret: 12345678901234567890\noathTOTPParams: {params_dn}\n" + extra)

        def link(value):
            return (f"dn: {my_dn}\nchangetype: modify\nadd: objectClass\nobjectClass: oathTOTPUser\n-\n"
                    f"add: oathTOTPToken\noathTOTPToken: {value}\n")

        refused = {
            "a token for another name": token(dn=f"cn=bob,ou=tokens,{BASE}", cn="bob"),
            "a token outside ou=tokens": token(dn=f"cn={me},ou=people,{BASE}"),
            "foreign params": token(params_dn=f"cn={me},ou=tokens,{BASE}"),
            "the last step at creation": token(extra="oathTOTPLastTimeStep: 1\n"),
            "drift at creation": token(extra="oathTOTPTimeStepDrift: 5\n"),
            "an extra class (params with period 0)": token(
                classes=("device", "oathTOTPToken", "oathTOTPParams"),
                extra=f"oathOTPLength: 6\noathHMACAlgorithm: {slapd_fixture.SHA1_OID}\noathTOTPTimeStepPeriod: 0\n"),
            "a stray attribute": token(extra="description: x\n"),
            "a +RDN token": token(dn=f"cn={me}+serialNumber=x,ou=tokens,{BASE}", extra="serialNumber: x\n"),
            "linking another's token": link(other_token),
            "linking a +RDN token": link(f"cn={me}+serialNumber=x,ou=tokens,{BASE}"),
            "the HOTP class": f"dn: {my_dn}\nchangetype: modify\nadd: objectClass\nobjectClass: oathHOTPUser\n",
            "extensibleObject": f"dn: {my_dn}\nchangetype: modify\nadd: objectClass\nobjectClass: extensibleObject\n",
            "replace objectClass": (f"dn: {my_dn}\nchangetype: modify\nreplace: objectClass\n"
                                    "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: oathTOTPUser\n"),
            "writing another's secret": f"dn: {other_token}\nchangetype: modify\nreplace: oathSecret\noathSecret: mine\n",
            "a claim under another's token": f"dn: cn=1,{other_token}\nchangetype: add\nobjectClass: device\ncn: 1\n",
        }
        for what, ldif in refused.items():
            with self.subTest(what):
                r = self.user_modify(me, ldif)
                self.assertEqual(r.returncode, INSUFFICIENT, f"{what}: {r.stdout}{r.stderr}")
        self.assertEqual(self.entry(other_token, "oathSecret"), secret_before)
        self.assertIsNone(self.entry(my_token))
        # The legitimate token is accepted; no user reads any oathSecret, not
        # even their own, and a claim under their own token is refused.
        self.assertEqual(self.user_modify(me, token()).returncode, 0)
        for dn in (my_token, other_token):
            r = self.user_search(me, dn, "oathSecret", "oathTOTPParams")
            self.assertNotIn("oathSecret", r.stdout, dn)
        r = self.user_modify(me, f"dn: cn=1,{my_token}\nchangetype: add\nobjectClass: device\ncn: 1\n")
        self.assertEqual(r.returncode, INSUFFICIENT, r.stderr)
        r = self.user_modify(me, f"dn: {my_token}\nchangetype: delete\n")
        self.assertEqual(r.returncode, INSUFFICIENT, r.stderr)
        # Their own secret is add-only (post-review finding 1): no replace,
        # no delete, no second value.
        for op, expected in (("replace", INSUFFICIENT), ("delete", INSUFFICIENT), ("add", CONSTRAINT_VIOLATION)):
            with self.subTest(f"{op} their own secret"):
                r = self.user_modify(me, f"dn: {my_token}\nchangetype: modify\n{op}: oathSecret\n"
                                         + ("" if op == "delete" else "oathSecret: 09876543210987654321\n"))
                self.assertEqual(r.returncode, expected, r.stderr)
        self.assertEqual(self.secret_in(my_token), b32(b"12345678901234567890"))
        # An enrolled user with their code reads no secret and cannot write
        # their token's step.
        code = code_at(self.secrets[other], self.next_step(other))
        r = self.user_search(other, other_token, "oathSecret", "oathTOTPLastTimeStep", code=code)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("oathSecret", r.stdout)
        code = code_at(self.secrets[other], self.next_step(other))
        r = self.user_modify(other, f"dn: {other_token}\nchangetype: modify\nreplace: oathTOTPLastTimeStep\n"
                                    "oathTOTPLastTimeStep: 1\n", code=code)
        self.assertEqual(r.returncode, INSUFFICIENT, r.stderr)
        # Root over ldapi (peercred) still manages everything: not shadowed.
        r = subprocess.run(["ldapsearch", "-Y", "EXTERNAL", "-Q", "-LLL", "-H", self.slapd.ldapi, "-b", other_token,
                            "-s", "base", "oathSecret"], capture_output=True, text=True)
        self.assertIn("oathSecret", r.stdout, r.stderr)

    def test_service_account_adds_plain_claims_only(self):
        """Post-review finding 2: the service account (its password on every
        host) adds claims, and nothing else: no delete, no extra attribute
        or class. The module's own claim is covered by every login here."""
        token_dn = f"cn=mail,ou=tokens,{BASE}"
        service = ["-x", "-H", self.slapd.ldapi, "-D", SERVICE, "-w", SERVICE_PW]

        def claim(step, extra=""):
            return subprocess.run(["ldapadd", *service], input=f"dn: cn={step},{token_dn}\nobjectClass: device\n"
                                  f"cn: {step}\n{extra}", capture_output=True, text=True)

        self.assertEqual(claim(1000).returncode, 0)
        self.assertEqual(claim(1000).returncode, 68)  # entryAlreadyExists: what the module relies on
        for what, extra in (("an extra attribute", "description: x\n"), ("an extra class", "objectClass: extensibleObject\n"),
                            ("a name that is not a step", "cn: x\n")):
            with self.subTest(what):
                self.assertEqual(claim(1001, extra).returncode, INSUFFICIENT)
        r = subprocess.run(["ldapdelete", *service, f"cn=1000,{token_dn}"], capture_output=True, text=True)
        self.assertEqual(r.returncode, INSUFFICIENT, r.stderr)
        self.assertIsNotNone(self.entry(f"cn=1000,{token_dn}"))
        self.assertIsNone(self.entry(f"cn=1001,{token_dn}"))

    def test_a_stale_session_cannot_take_over(self):
        """Post-review finding 1 (/tmp/pr_exp/exp1.py): a session bound as the
        user with the password alone before enrolment, kept open through the
        enrolment, the admin's reset (a new password) and the re-enrolment.
        slapd still authorizes it as the user, but every write that would
        matter is refused: the secret is add-only, the password needs the
        current one (pwdSafeModify). The attacker never logs in; the user
        does."""
        user, new_pw = "proxy", "proxy-new-pw"
        dn, token_dn = f"uid={user},ou=people,{BASE}", f"cn={user},ou=tokens,{BASE}"
        stale = self.session(user, user + "-pw")
        _, out, status = self.enrol(user)
        self.assertEqual(status, 0, out)
        self.admin_reset(user, new_pw)
        secret, out, status = self.enrol(user, password=new_pw)
        self.assertEqual(status, 0, out)
        mine = b"ATTACKER-secret-2024"
        attempts = {
            "replace the secret": (stale.modify, token_dn, ("replace", "oathSecret", [mine])),
            "delete the secret": (stale.modify, token_dn, ("delete", "oathSecret", [])),
            "add a second secret": (stale.modify, token_dn, ("add", "oathSecret", [mine])),
            "delete the token": (stale.delete, token_dn),
            "replace the password": (stale.modify, dn, ("replace", "userPassword", ["attacker-pw"])),
            "change the password from the old one": (
                stale.modify, dn, ("delete", "userPassword", [user + "-pw"]), ("add", "userPassword", ["attacker-pw"])),
            "delete the class": (stale.modify, dn, ("delete", "objectClass", ["oathTOTPUser"])),
            "delete the link": (stale.modify, dn, ("delete", "oathTOTPToken", [token_dn])),
        }
        expected = {"add a second secret": CONSTRAINT_VIOLATION, "change the password from the old one": UNWILLING}
        for what, (operation, *args) in attempts.items():
            with self.subTest(what):
                self.assertEqual(operation(*args)[0], expected.get(what, INSUFFICIENT))
        self.assertEqual(self.secret_in(token_dn), secret)
        # The attacker never logs in: not with the old password, nor with the
        # password they tried to set and a code of their secret (two tries:
        # the policy locks the account at three, pwdMaxFailure).
        probe = LdapSession(self.slapd)
        self.addCleanup(probe.close)
        for password in (user + "-pw", "attacker-pw" + code_at(b32(mine), step_now())):
            self.assertEqual(probe.bind(dn, password)[0], INVALID_CREDENTIALS, password)
        self.login(user, secret, password=new_pw)

    def test_secret_already_set_then_recovery(self):
        """A session bound once with password and one code (a captured one)
        outlives the admin's reset and adds its own secret before the user
        enrols: the user's enrolment refuses visibly and writes nothing
        (post-review finding 3), the attacker cannot log in (the new
        password is needed and cannot be changed without it); ldap/README.md,
        Recovery: a restart of slapd drops the session, a second reset, and
        the user enrols."""
        user, token_dn = "backup", f"cn=backup,ou=tokens,{BASE}"
        dn = f"uid={user},ou=people,{BASE}"
        stale = self.session(user, user + "-pw" + code_at(self.secrets[user], self.next_step(user)))
        self.admin_reset(user, "backup-pw-2")
        mine = b"ATTACKER-secret-2024"
        self.assertEqual(stale.modify(token_dn, ("add", "oathSecret", [mine]))[0], 0)
        self.assertEqual(stale.modify(dn, ("delete", "userPassword", [user + "-pw"]),
                                      ("add", "userPassword", ["attacker-pw"]))[0], UNWILLING)
        self.assertEqual(stale.modify(dn, ("replace", "userPassword", ["attacker-pw"]))[0], INSUFFICIENT)
        probe = LdapSession(self.slapd)
        self.addCleanup(probe.close)
        for password in (user + "-pw", user + "-pw" + code_at(b32(mine), step_now())):
            self.assertEqual(probe.bind(dn, password)[0], INVALID_CREDENTIALS, password)
        _, out, status = self.enrol(user, password="backup-pw-2")
        self.assertEqual(status, 1, out)
        self.assertIn(SECRET_SET, " ".join(out.split()))
        self.assertNotIn("oathTOTPUser", self.entry(dn, "objectClass"))
        self.assertEqual(self.secret_in(token_dn), b32(mine))
        # Recovery: restart slapd (every session goes), reset again.
        self.slapd.stop()
        self.slapd.start()
        with self.assertRaises(ConnectionError):
            stale.modify(token_dn, ("delete", "oathSecret", []))
        out = self.admin_reset(user, "backup-pw-3")
        self.assertIn(f"Removed the fleet enrolment of {user} ({dn}): the secret of {token_dn}", out)
        secret, out, status = self.enrol(user, password="backup-pw-3")
        self.assertEqual(status, 0, out)
        self.login(user, secret, password="backup-pw-3")

    def test_sasl_binds_fail_for_an_enrolled_user(self):
        """Review finding 3: SASL binds skip the otp overlay, so the recipe
        leaves no authz-regexp (and no proxy authorization) that could map
        a SASL identity to a user's entry."""
        user = "news"
        config = subprocess.run(["ldapsearch", "-Y", "EXTERNAL", "-Q", "-LLL", "-H", self.slapd.ldapi, "-b",
                                 "cn=config", "-s", "base", "olcAuthzRegexp", "olcAuthzPolicy", "olcTLSVerifyClient"],
                                capture_output=True, text=True, check=True).stdout
        self.assertNotIn("olcAuthzRegexp", config)
        self.assertIn("olcAuthzPolicy: none", config)
        # No client certificates asked: an EXTERNAL identity from a
        # certificate whose subject is a user's DN would skip the overlay.
        self.assertNotRegex(config, r"olcTLSVerifyClient: (?!never)")
        mechanisms = subprocess.run(["ldapsearch", "-x", "-LLL", "-H", self.slapd.ldapi, "-b", "", "-s", "base",
                                     "supportedSASLMechanisms"], capture_output=True, text=True).stdout
        tried = []
        env = self.slapd.client_env()

        def sasl(mechanism, *extra):
            return subprocess.run(["ldapwhoami", "-Y", mechanism, "-U", user, "-w", user + "-pw", *extra],
                                  capture_output=True, text=True, env=env, timeout=20)

        for mechanism, extra in (("SCRAM-SHA-256", ("-H", self.slapd.ldapi)),
                                 ("PLAIN", ("-H", self.slapd.ldap, "-ZZ"))):
            if f"supportedSASLMechanisms: {mechanism}" not in mechanisms:
                continue
            tried.append(mechanism)
            r = sasl(mechanism, *extra)
            self.assertNotEqual(r.returncode, 0, f"{mechanism} bound {user} with the password alone: {r.stdout}")
        self.assertIn("SCRAM-SHA-256", tried, mechanisms)
        # The control: the common mapping lets SCRAM bind with the password
        # alone, which is what the recipe prevents.
        mapping = (f"dn: cn=config\nchangetype: modify\nadd: olcAuthzRegexp\n"
                   f"olcAuthzRegexp: uid=([^,]*),cn=[^,]*,cn=auth uid=$1,ou=people,{BASE}\n")
        subprocess.run(["ldapmodify", "-Y", "EXTERNAL", "-Q", "-H", self.slapd.ldapi], input=mapping,
                       capture_output=True, text=True, check=True)
        try:
            r = sasl("SCRAM-SHA-256", "-H", self.slapd.ldapi)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"uid={user},ou=people", r.stdout)
        finally:
            subprocess.run(["ldapmodify", "-Y", "EXTERNAL", "-Q", "-H", self.slapd.ldapi],
                           input="dn: cn=config\nchangetype: modify\ndelete: olcAuthzRegexp\n",
                           capture_output=True, text=True, check=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
