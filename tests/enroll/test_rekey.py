"""totp-enroll --rekey against the real module (issue 14): 50 enrolments
(TOTP and HOTP by root, imported google-authenticator files, files in a
central root-owned directory, and users' own unpinned files), a rekey killed
with SIGKILL at several points and run again, then every user logs in with
the codes of the phone they already have; --finish removes the previous
key, and logins go on."""
import base64
import os
import random
import re
import subprocess
import time
import unittest

from pamenroll import EnrollPamTestCase  # exits 77 without tests/pam
from enrolltest import ENROLL, code_for_uri, oathtool, parse_uri
import pamtest
from pamtest import PAM_SUCCESS, require_root

PER_KIND = 10  # 5 kinds: 50 enrolments


def pub_key_id(path):
    """The key-id files name a host key by: SHA-256 of the raw X25519 public
    key (the last 32 bytes of the PEM's DER), first 8 bytes in hex."""
    import hashlib
    with open(path) as f:
        der = base64.b64decode("".join(l for l in f.read().splitlines() if not l.startswith("-----")))
    return hashlib.sha256(der[-32:]).hexdigest()[:16]


def key_id(text):
    return next(l.split()[1] for l in text.splitlines() if l.startswith("key-id "))


@require_root
class Rekey(EnrollPamTestCase):

    def setUp(self):
        super().setUp()
        self.central = os.path.join(self.box.keydir, "secrets")
        os.mkdir(self.central, 0o755)
        # A window of 10 steps: every round of logins uses a later step.
        self.home_svc = self.box.service("home", self.box.totp_line("window=10"))
        self.central_svc = self.box.service(
            "central", self.box.totp_line("window=10", f"secret={self.central}/%u", "secret_owner=root"))
        self.users = {}  # name -> (service, code(round) function)
        self.rng = random.Random(os.environ.get("STRESS_SEED") or None)

    # -- enrolments ------------------------------------------------------
    def totp_by_root(self, name, *extra, svc=None):
        uri, _ = self.enroll_scripted("--user", name, *extra)
        self.users[name] = (svc or self.home_svc, lambda n, uri=uri: code_for_uri(uri, now=time.time() + 30 * n))

    def hotp_by_root(self, name):
        uri, _ = self.enroll_scripted("--user", name, "--hotp")
        start = int(parse_uri(uri).get("counter", "0")) + 1  # the confirmation used the first
        self.users[name] = (self.home_svc, lambda n, uri=uri, start=start: code_for_uri(uri, counter=start + n))

    def imported(self, name):
        secret = base64.b32encode(os.urandom(10)).decode()
        home = self.box.users[name]["home"]
        ga = os.path.join(home, ".google_authenticator")
        with open(ga, "w") as f:
            f.write(secret + '\n" TOTP_AUTH\n' + "".join(f"{self.rng.randrange(10**7, 10**8)}\n" for _ in range(3)))
        os.chown(ga, self.box.users[name]["uid"], self.box.users[name]["uid"])
        os.chmod(ga, 0o600)
        r = self.tool("--import", ga, "--user", name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.users[name] = (self.home_svc, lambda n, s=secret: oathtool(s, now=int(time.time()) + 30 * n))

    def own_unpinned(self, name):
        uri, _ = self.enroll_scripted(as_user=name)
        self.users[name] = (self.home_svc, lambda n, uri=uri: code_for_uri(uri, now=time.time() + 30 * n))

    def enroll_everyone(self):
        kinds = [
            ("totp", self.totp_by_root),
            ("hotp", self.hotp_by_root),
            ("ga", self.imported),
            ("central", lambda n: self.totp_by_root(n, "--owner", "root", "--file",
                                                    os.path.join(self.central, n), svc=self.central_svc)),
            ("own", self.own_unpinned),
        ]
        for kind, enroll in kinds:
            for i in range(PER_KIND):
                name = f"{kind}{i}"
                self.box.add_user(name)
                enroll(name)

    # -- checks -----------------------------------------------------------
    def login_round(self, n, names=None):
        failed = []
        for name in names or sorted(self.users):
            svc, code = self.users[name]
            r = self.box.auth(svc, name, code(n))
            if r.rc != PAM_SUCCESS or r.prompts != ["Verification code: "]:
                failed.append((name, r.rc, r.prompts, r.errors))
        self.assertEqual(failed, [], f"round {n}: these users could not log in")

    def records_sealed_to(self, key_id_hex):
        """Records holding a file sealed to `key_id_hex` (the new key's: only
        a re-sealed pin can be sealed to it)."""
        count = 0
        for name in os.listdir(self.box.statedir):
            with open(os.path.join(self.box.statedir, name), "rb") as f:
                count += (b"key-id " + key_id_hex.encode()) in f.read()
        return count

    def rekey(self, *args, kill_at=None):
        strace = []
        if kill_at:
            call, when = kill_at
            calls = "rename,renameat,renameat2" if call == "rename" else call
            strace = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={calls}",
                      "-e", f"inject={calls}:signal=SIGKILL:when={when}"]
        return subprocess.Popen(strace + [ENROLL, "--keydir", self.box.keydir, "--statedir", self.box.statedir,
                                 "--rekey", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.enroll_env())

    def test_fifty_enrollments_survive_a_killed_rekey(self):
        self.enroll_everyone()
        self.assertEqual(len(self.users), 50)
        with open(self.box.hostpub) as f:
            old_pub = f.read()

        # Killed at several points; users with a pin keep logging in in
        # between (the module opens a pin still sealed to the previous key
        # with host.key.old). A user whose only enrolment is an unpinned
        # file waits for the run to re-seal it: user files open with
        # host.key alone (pam_totp(8), totp-enroll(1)).
        pinned = sorted(n for n in self.users if not n.startswith("own"))
        old_id = pub_key_id(self.box.hostpub)
        halfway = 0
        # Killed (strace injects SIGKILL) at the Nth rename or fdatasync of
        # each run, one after the other: installing the new key (rename 1),
        # the first pin (fdatasync 1), halfway through the records
        # (fdatasync 25: two per pin), then halfway through the users' files
        # (renames), each run resuming the last.
        points = [("rename", 1), ("fdatasync", 1), ("fdatasync", 25), ("rename", 10),
                  ("rename", 3)]
        for n, (call, when) in enumerate(points, start=1):
            proc = self.rekey(kill_at=(call, when))
            proc.communicate(timeout=120)
            new_id = pub_key_id(self.box.hostpub)
            done = self.records_sealed_to(new_id) if new_id != old_id else 0
            print(f"killed at {call} #{when} (exit {proc.returncode}): {done} of {len(pinned)} pins "
                  "re-sealed", flush=True)
            halfway += 0 < done < len(pinned)
            self.login_round(n, names=self.rng.sample(pinned, 8))
        self.assertGreater(halfway, 0, "no kill landed between the first and the last pin")

        proc = self.rekey()
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertRegex(out, r"re-sealed, \d+ already new, 0 skipped, 0 failed")
        with open(self.box.hostpub) as f:
            self.assertNotEqual(f.read(), old_pub)
        self.assertTrue(os.path.exists(self.box.hostkey + ".old"))
        new_id = re.search(r"(?:New host key|Resumed the rekey to host key) ([0-9a-f]{16})", out).group(1)
        for name in self.users:
            path = (os.path.join(self.central, name) if name.startswith("central")
                    else self.box.secret_path(name))
            with open(path) as f:
                self.assertEqual(key_id(f.read()), new_id, path)

        self.login_round(len(points) + 1)

        # A second run finds nothing to do.
        proc = self.rekey()
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertRegex(out, r"\): 0 re-sealed, \d+ already new, 0 skipped, 0 failed")

        # --finish: no record needs the previous key any more.
        proc = self.rekey("--finish")
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertIn("Removed", out)
        self.assertFalse(os.path.exists(self.box.hostkey + ".old"))
        self.login_round(len(points) + 2)

    def finish(self, *args, statedir=None):
        return subprocess.run([ENROLL, "--keydir", self.box.keydir, "--statedir", statedir or self.box.statedir,
                               "--rekey", "--finish", *args], capture_output=True, text=True, timeout=60,
                              env=self.enroll_env())

    def test_finish_refuses_while_a_record_needs_the_old_key(self):
        self.box.add_user("bob")
        self.totp_by_root("bob")
        # Killed at its first pin write: bob's pin is still sealed to the old key.
        self.rekey(kill_at=("fdatasync", 1)).communicate(timeout=60)
        self.assertTrue(os.path.exists(self.box.hostkey + ".old"))
        self.login_round(1)  # the module opens bob's pin with host.key.old
        r = self.finish()
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("these records still need", r.stderr)
        self.assertIn("bob", r.stderr)
        self.assertTrue(os.path.exists(self.box.hostkey + ".old"))
        r = subprocess.run([ENROLL, "--generate-host-key", "--force", "--keydir", self.box.keydir],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("a rekey is not finished", r.stderr)
        # An unreadable record counts as needing the key; so does an empty statedir.
        out, err = self.rekey().communicate(timeout=60)
        os.chmod(self.box.state_path("bob"), 0o640)
        r = self.finish()
        self.assertIn("cannot be read: bob", r.stderr)
        os.chmod(self.box.state_path("bob"), 0o600)
        empty = os.path.join(self.box.root, "empty-state")
        os.mkdir(empty, 0o700)
        r = self.finish(statedir=empty)
        self.assertIn("is it the module's statedir=?", r.stderr)
        self.assertTrue(os.path.exists(self.box.hostkey + ".old"))
        self.assertEqual(self.finish().returncode, 0)
        self.login_round(2)

    def test_user_alone_never_starts_a_rekey(self):
        r = subprocess.run([ENROLL, "--keydir", self.box.keydir, "--statedir", self.box.statedir, "--rekey",
                            "--user", "alice"], capture_output=True, text=True, env=self.enroll_env())
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("start the rekey without it", r.stderr)
        self.assertFalse(os.path.exists(self.box.hostkey + ".old"))

    def test_a_login_waiting_through_a_rekey_pins_nothing_old(self):
        """A first login (the user's own, unpinned file) that waits at its
        prompt while the key is rotated and finished must not pin bytes only
        the removed key opens; the next login adopts the re-sealed file."""
        self.own_unpinned("alice")
        env = (f"NSS_WRAPPER_PASSWD={self.box.passwd} NSS_WRAPPER_GROUP={self.box.group} "
               f"LD_PRELOAD={pamtest.LIBDIR}/libnss_wrapper.so")
        cmd = " && ".join(f"env -u LD_PRELOAD {env} {ENROLL} --keydir {self.box.keydir} "
                          f"--statedir {self.box.statedir} --rekey {a} >/dev/null 2>&1"
                          for a in ("", "--finish --force"))
        svc, code = self.users["alice"]
        r = self.box.auth(svc, "alice", code(1), driver_args=["--run-before-prompt", "1", cmd])
        self.assertFalse(os.path.exists(self.box.hostkey + ".old"), "the rekey did not run")
        self.assertNotEqual(r.rc, PAM_SUCCESS)
        self.assertLogged("no longer the host key's (a rekey ran during the login)")
        self.assertAuth(self.box.auth(svc, "alice", code(2)), PAM_SUCCESS)

if __name__ == "__main__":
    unittest.main()
