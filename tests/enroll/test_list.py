"""totp-enroll --list (issue 14): root's overview of the module's records,
run for real against records that real logins wrote: pinned TOTP and HOTP
users, a lock, a switch waiting, a damaged record, and names that are no
records (.decoy, a symbolic link). It reads and changes nothing."""

import calendar
import json
import os
import re
import subprocess
import time
import unittest

from pamenroll import EnrollPamTestCase  # exits 77 without tests/pam

from enrolltest import ENROLL
from pamtest import PAM_AUTH_ERR, PAM_SUCCESS, oathtool_code, require_root

HEADER = ["USER", "UID", "PINNED", "TYPE", "CREATED", "LAST LOGIN", "FAILURES", "LOCKED UNTIL", "SWITCH"]


def later(seconds=30):
    return time.time() + seconds


def wrong_code(right):
    return next(code for code in ("000000", "999999", "123123") if code not in right)


def created_of(file_text):
    return int(re.search(r"^created (\d+)$", file_text, re.M).group(1))


def utc(seconds, fmt="%Y-%m-%d %H:%M:%S UTC"):
    return time.strftime(fmt, time.gmtime(seconds))


def snapshot(directory):
    """Every entry's bytes (or link target), mode and mtime: --list changes none."""
    out = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        st = os.lstat(path)
        if os.path.islink(path):
            content = "-> " + os.readlink(path)
        else:
            with open(path, "rb") as f:
                content = f.read()
        out[name] = (content, st.st_mode, st.st_mtime_ns, st.st_size)
    return out


@require_root
class List(EnrollPamTestCase):

    def setUp(self):
        super().setUp()
        for name in ("bob", "carol", "dave", "erin", "frank"):
            self.box.add_user(name)
        # A window of 10 steps for fresh codes; two wrong codes lock for 10 minutes.
        self.svc = self.box.service("sshd", self.box.totp_line("window=10", "fail_limit=2", "fail_lock=600"))

    def login(self, user, *answers, setcred=True):
        return self.box.auth(self.svc, user, *answers, driver_args=["--setcred"] if setcred else [])

    def file_text(self, user):
        with open(self.box.secret_path(user)) as f:
            return f.read()

    def populate(self):
        """Records as logins leave them; returns what each should show."""
        alice = self.box.enroll("alice")                               # TOTP, pinned at a login
        self.assertAuth(self.login("alice", oathtool_code(alice)), PAM_SUCCESS)
        alice_created = created_of(self.file_text("alice"))

        bob = self.box.enroll("bob", hotp=True, counter=0)             # HOTP, one wrong code since
        self.assertAuth(self.login("bob", oathtool_code(bob, hotp_counter=0)), PAM_SUCCESS)
        bob_created = created_of(self.file_text("bob"))
        self.assertAuth(self.login("bob", wrong_code({oathtool_code(bob, hotp_counter=c) for c in range(30)})),
                        PAM_AUTH_ERR)

        carol = self.box.enroll("carol")                               # locked by two wrong codes
        self.assertAuth(self.login("carol", oathtool_code(carol)), PAM_SUCCESS)
        wrong = wrong_code({oathtool_code(carol, at=later(d)) for d in range(-400, 401, 30)})
        before_lock = int(time.time())
        for _ in range(2):
            self.assertAuth(self.login("carol", wrong), PAM_AUTH_ERR)

        dave = self.box.enroll("dave")                                 # a switch waiting for setcred
        self.assertAuth(self.login("dave", oathtool_code(dave)), PAM_SUCCESS)
        dave_new = self.box.enroll("dave")
        r = self.login("dave", oathtool_code(dave, at=later()), oathtool_code(dave_new), setcred=False)
        self.assertAuth(r, PAM_SUCCESS)

        # erin: root ended her enrolment: a record without a pin.
        self.box.enroll("erin")
        r = self.tool("--remove", "--user", "erin")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # frank: a damaged record (no valid slot).
        with open(self.box.state_path("frank"), "wb") as f:
            f.write(b"\x5a" * 9000)
        os.chmod(self.box.state_path("frank"), 0o600)

        # Not records: the decoy (an unknown user's login writes it), a
        # symbolic link (to alice's record, with a user's name), a dot file.
        self.assertAuth(self.box.auth(self.svc, "nosuchuser", "123456"), PAM_AUTH_ERR)
        os.symlink(self.box.state_path("alice"), os.path.join(self.box.statedir, "mallory"))
        os.symlink("/nonexistent", os.path.join(self.box.statedir, "zed"))
        with open(os.path.join(self.box.statedir, ".hidden"), "w"):
            pass
        return {"alice": alice_created, "bob": bob_created, "before_lock": before_lock}

    def test_list_text_and_json(self):
        facts = self.populate()
        self.assertTrue(os.path.exists(os.path.join(self.box.statedir, ".decoy")))
        before = snapshot(self.box.statedir)

        r = self.tool("--list")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # frank's record is damaged
        self.assertEqual(r.stderr, "")
        lines = r.stdout.splitlines()
        self.assertEqual(re.split(r"\s{2,}", lines[0]), HEADER)
        rows = {l.split()[0]: l for l in lines[1:]}
        self.assertEqual(sorted(rows), ["alice", "bob", "carol", "dave", "erin", "frank"], r.stdout)

        def cells(user):
            return re.split(r"\s{2,}", rows[user])

        uid = {u: str(self.box.users[u]["uid"]) for u in self.box.users}
        # Users who logged in show when; the record keeps it.
        stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"
        alice, bob = cells("alice"), cells("bob")
        self.assertRegex(alice[5], stamp)
        self.assertRegex(bob[5], stamp)
        self.assertEqual(alice[:5] + alice[6:], ["alice", uid["alice"], "yes", "totp", utc(facts["alice"]), "0", "-", "no"])
        self.assertEqual(bob[:5] + bob[6:], ["bob", uid["bob"], "yes", "hotp", utc(facts["bob"]), "1", "-", "no"])
        carol = cells("carol")
        self.assertRegex(carol[5], stamp)
        self.assertEqual(carol[:5] + carol[8:], ["carol", uid["carol"], "yes", "totp", carol[4], "no"])
        locked = calendar.timegm(time.strptime(carol[7], "%Y-%m-%d %H:%M:%S UTC"))
        self.assertTrue(facts["before_lock"] + 600 <= locked <= time.time() + 600, carol)
        self.assertEqual(cells("dave")[2], "yes")
        self.assertEqual(cells("dave")[-1], "yes")
        self.assertEqual(cells("erin"), ["erin", uid["erin"], "no", "-", "-", "-", "0", "-", "no"])
        self.assertRegex(rows["frank"], r"^frank\s+damaged: .*/frank: record is damaged \(no valid slot\)")
        # Columns line up.
        starts = [m.start() for m in re.finditer(r"(?:^|(?<=\s\s))\S", lines[0])]
        for user in ("alice", "bob", "carol", "dave", "erin"):
            self.assertEqual([m.start() for m in re.finditer(r"(?:^|(?<=\s\s))\S", rows[user])], starts, rows[user])

        r = self.tool("--list", "--json")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        records = json.loads(r.stdout)
        self.assertIsInstance(records, list)
        by_user = {rec["user"]: rec for rec in records}
        self.assertEqual([rec["user"] for rec in records], ["alice", "bob", "carol", "dave", "erin", "frank"])
        self.assertRegex(by_user["alice"]["last_login"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(dict(by_user["alice"], last_login=None), {
            "user": "alice", "uid": self.box.users["alice"]["uid"], "pinned": True, "type": "totp",
            "created": utc(facts["alice"], "%Y-%m-%dT%H:%M:%SZ"), "last_login": None, "failures": 0,
            "locked_until": None, "switch_waiting": False, "damaged": None})
        self.assertEqual(by_user["bob"]["type"], "hotp")
        self.assertEqual(by_user["bob"]["failures"], 1)
        self.assertEqual(by_user["carol"]["locked_until"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(locked)))
        self.assertTrue(by_user["dave"]["switch_waiting"])
        self.assertEqual((by_user["erin"]["pinned"], by_user["erin"]["type"], by_user["erin"]["created"]),
                         (False, None, None))
        self.assertEqual(set(by_user["frank"]), set(by_user["alice"]))
        self.assertIn("record is damaged (no valid slot)", by_user["frank"]["damaged"])
        self.assertIsNone(by_user["frank"]["pinned"])

        # Nothing was written, created or touched.
        self.assertEqual(snapshot(self.box.statedir), before)

        # Without the damaged record every record reads: exit 0.
        os.unlink(self.box.state_path("frank"))
        r = self.tool("--list")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("damaged", r.stdout)

    def test_json_escapes_the_error(self):
        """A damaged record whose path has quotes, a backslash and a non-UTF-8 byte."""
        statedir = os.path.join(self.box.root, 'st"a\\te\udcff')  # byte 0xff
        os.mkdir(statedir, 0o700)
        with open(os.path.join(statedir, "alice"), "wb") as f:
            f.write(b"\x01" * 100)
        os.chmod(os.path.join(statedir, "alice"), 0o600)
        r = self.tool("--list", "--json", statedir=statedir)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        records = json.loads(r.stdout)
        self.assertEqual(len(records), 1)
        self.assertIn('st"a\\te\ufffd/alice: record is damaged', records[0]["damaged"])

    def test_empty_and_missing_statedir(self):
        r = self.tool("--list")
        self.assertEqual((r.returncode, r.stdout), (0, f"{self.box.statedir}: no records\n"), r.stderr)
        r = self.tool("--list", "--json")
        self.assertEqual((r.returncode, json.loads(r.stdout)), (0, []), r.stderr)
        self.assertEqual(os.listdir(self.box.statedir), [])
        r = self.tool("--list", statedir=os.path.join(self.box.root, "missing"))
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("--statedir must name the module's statedir=", r.stderr)

    def test_users_are_refused(self):
        self.assertAuth(self.login("alice", oathtool_code(self.box.enroll("alice"))), PAM_SUCCESS)
        for args in (["--list"], ["--list", "--json"]):
            r = subprocess.run(self.as_alice() + [ENROLL, *args, "--statedir", self.box.statedir],
                               capture_output=True, text=True, timeout=60, env=self.enroll_env())
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertEqual(r.stdout, "")
            self.assertIn("only root can list the records", r.stderr)

    def test_usage(self):
        r = self.tool("--list", "--user", "alice")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--user cannot be used with --list", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
