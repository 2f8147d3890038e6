"""The two-slot state file: torn slots, corruption, one fdatasync (issue 8)."""
import os
import re
import shutil
import subprocess
import time

from pamtest import *

SLOT_STRIDE = 4096


@require_root
class StateFile(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.secret = self.box.enroll("alice")
        self.svc = self.box.service("s", self.box.totp_line())
        # The driver's clock, 5 s into a step: no test straddles two steps.
        self.box.now = (int(time.time()) // 30) * 30 + 5

    def login_at(self, offset_steps):
        return self.box.auth(self.svc, "alice",
                             oathtool_code(self.secret, at=self.box.now + 30 * offset_steps))

    def corrupt(self, offset):
        path = self.box.state_path("alice")
        with open(path, "r+b") as f:
            f.seek(offset + 20)
            byte = f.read(1)
            f.seek(offset + 20)
            f.write(bytes([byte[0] ^ 0xFF]))

    def test_one_corrupt_slot_falls_back_to_the_other(self):
        # Creation writes an empty slot 0 (sequence 1).
        self.assertAuth(self.login_at(-1), PAM_SUCCESS)  # pins, writes slot 1 (sequence 2)
        self.assertAuth(self.login_at(0), PAM_SUCCESS)   # writes slot 0 (sequence 3, newer)
        self.corrupt(0)                                   # tear the newer slot
        # The older slot stands: step -1 is still used, step 0 is not recorded
        # any more, step +1 works.
        self.assertAuth(self.login_at(-1), PAM_AUTH_ERR)
        self.assertAuth(self.login_at(1), PAM_SUCCESS)

    def test_both_slots_corrupt_fails_closed(self):
        self.assertAuth(self.login_at(-1), PAM_SUCCESS)
        self.assertAuth(self.login_at(0), PAM_SUCCESS)
        self.corrupt(0)
        self.corrupt(SLOT_STRIDE)
        r = self.login_at(1)
        self.assertAuth(r, PAM_AUTHINFO_UNAVAIL)
        self.assertLogged("record is damaged (no valid slot); logins fail until an administrator")
        # The administrator checks the user's file and re-creates the record.
        os.unlink(self.box.state_path("alice"))
        self.assertAuth(self.login_at(1), PAM_SUCCESS)

    def test_state_directory_writable_by_others_fails_closed(self):
        os.chmod(self.box.statedir, 0o777)
        r = self.login_at(0)
        self.assertAuth(r, PAM_AUTHINFO_UNAVAIL)
        self.assertLogged("writable by group or others")

    def test_state_file_symlink_refused(self):
        target = os.path.join(self.box.root, "victim")
        open(target, "w").close()
        os.symlink(target, self.box.state_path("alice"))
        self.assertAuth(self.login_at(0), PAM_AUTHINFO_UNAVAIL)
        self.assertLogged("is a symbolic link")
        self.assertEqual(os.path.getsize(target), 0)

    @unittest.skipUnless(shutil.which("strace"), "strace not installed")
    def test_one_login_costs_exactly_one_fdatasync_and_no_rename(self):
        self.assertAuth(self.login_at(-1), PAM_SUCCESS)  # creates the state file
        trace = os.path.join(self.box.root, "trace")
        cmd = ["strace", "-f", "-o", trace, "-e", "trace=fdatasync,fsync,rename,renameat,renameat2,openat",
               os.environ["PAM_DRIVER"], self.svc, "alice", oathtool_code(self.secret)]
        r = subprocess.run(cmd, env=self.box.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, PAM_SUCCESS, r.stdout + r.stderr)
        with open(trace) as f:
            calls = f.read()
        self.assertEqual(len(re.findall(r"\bfdatasync\(", calls)), 1, calls)
        self.assertEqual(len(re.findall(r"\bfsync\(", calls)), 0, calls)
        self.assertEqual(len(re.findall(r"\brename", calls)), 0, calls)

    def traced_attempt(self, user, code):
        trace = os.path.join(self.box.root, "trace-" + user)
        cmd = ["strace", "-f", "-o", trace, "-e", "trace=fdatasync,fsync,openat",
               os.environ["PAM_DRIVER"], self.svc, user, code]
        r = subprocess.run(cmd, env=self.box.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, PAM_AUTH_ERR, r.stdout + r.stderr)
        with open(trace) as f:
            calls = f.read()
        return {"fdatasync": len(re.findall(r"\bfdatasync\(", calls)),
                "fsync": len(re.findall(r"\bfsync\(", calls)),
                "host key reads": calls.count(self.box.hostkey)}

    @unittest.skipUnless(shutil.which("strace"), "strace not installed")
    def test_refused_names_make_the_same_durable_write_and_host_key_read(self):
        # So the time an answer takes does not tell an attacker who is enrolled:
        # an enrolled user's wrong code, a user without a secret file, an unknown
        # name and a damaged secret file each read the host key once and make
        # one durable write (bench/RESULTS.md compares their instructions).
        self.box.add_user("carol")  # never enrolled
        self.box.add_user("dave")
        damaged = self.box.seal("dave", random_secret_hex()).replace("digits 6", "digits 7", 1)
        self.box.write_user_file("dave", damaged)
        now = [oathtool_code(self.secret, at=time.time() + 30 * k) for k in (-1, 0, 1)]
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in now)
        self.assertAuth(self.box.auth(self.svc, "mallory", wrong), PAM_AUTH_ERR)  # creates the decoy
        self.assertAuth(self.box.auth(self.svc, "alice", wrong), PAM_AUTH_ERR)    # creates alice's state
        users = ("alice", "carol", "mallory", "dave")
        costs = {user: self.traced_attempt(user, wrong) for user in users}
        expected = {"fdatasync": 1, "fsync": 0, "host key reads": 1}
        self.assertEqual(costs, {user: expected for user in users})
        # One shared root-only decoy file; none named after a refused name.
        decoy = os.path.join(self.box.statedir, ".decoy")
        self.assertEqual(os.stat(decoy).st_mode & 0o777, 0o600)
        for user in ("mallory", "carol", "dave"):
            self.assertFalse(os.path.exists(self.box.state_path(user)), user)
        self.assertLogged("refused an unknown user: unknown user")
        self.assertLogged("refused user carol: not enrolled")
        self.assertLogged("modified or damaged")

if __name__ == "__main__":
    main()
