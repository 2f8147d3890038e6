"""ldap/purge-claims against a private slapd built from the recipe: as root
over ldapi (SASL EXTERNAL), it deletes the claims (cn=STEP,cn=USER,ou=tokens)
of steps older than -k seconds and nothing else: not the recent claims, not
a token whose user name is a number, not the users; -n deletes nothing; a
-k inside any overlay window is refused."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import slapd_fixture  # noqa: E402
from slapd_fixture import BASE  # noqa: E402

SCRIPT = os.path.join(slapd_fixture.SOURCE_DIR, "ldap", "purge-claims")
TOKENS = "ou=tokens," + BASE
PARAMS = "cn=totp,ou=params," + BASE
DAY_STEPS = 86400 // 30


def claim_dn(user, step):
    return f"cn={step},cn={user},{TOKENS}"


def claim_ldif(user, step):
    return f"dn: cn={step},cn={user},{TOKENS}\nobjectClass: device\ncn: {step}\n\n"


class PurgeClaims(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (slapd's ldapi EXTERNAL maps root to manage)")
        cls.server = slapd_fixture.Slapd()
        cls.server.add_user("alice", "alice-password", secret=b"alice-secret-0123456")
        # A user whose name is a number: their token is cn=12345, one level
        # below ou=tokens, and must never look like a claim.
        cls.server.add_user("12345", "number-password", secret=b"numbr-secret-0123456", uid_number=30001)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def purge(self, *args):
        return subprocess.run([SCRIPT, "-H", self.server.ldapi, "-b", TOKENS, "-p", PARAMS, *args],
                              capture_output=True, text=True, timeout=60)

    def exists(self, dn):
        try:
            return bool(self.server.search(dn, "1.1").strip())
        except RuntimeError:  # ldapsearch: noSuchObject
            return False

    def test_old_claims_go_and_nothing_else(self):
        now = int(time.time()) // 30
        old = [("alice", now - 2 * DAY_STEPS), ("alice", now - DAY_STEPS - 5), ("12345", now - 3 * DAY_STEPS)]
        recent = [("alice", now - 10), ("alice", now), ("12345", now - 1)]
        self.server.add("".join(claim_ldif(u, s) for u, s in old + recent))

        dry = self.purge("-n")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertEqual(sorted(dry.stdout.split()), sorted(claim_dn(u, s) for u, s in old))
        self.assertIn("3 claims", dry.stderr)
        for user, step in old + recent:
            self.assertTrue(self.exists(claim_dn(user, step)), "-n deleted " + claim_dn(user, step))

        done = self.purge()
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("deleted 3 claims", done.stderr)
        for user, step in old:
            self.assertFalse(self.exists(claim_dn(user, step)), claim_dn(user, step) + " is still there")
        for user, step in recent:
            self.assertTrue(self.exists(claim_dn(user, step)), claim_dn(user, step) + " was deleted")
        for kept in (f"cn=alice,{TOKENS}", f"cn=12345,{TOKENS}", f"uid=alice,ou=people,{BASE}",
                     f"uid=12345,ou=people,{BASE}", PARAMS):
            self.assertTrue(self.exists(kept), kept + " was deleted")

        again = self.purge()
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("deleted 0 claims", again.stderr)

    def test_a_keep_inside_the_window_is_refused(self):
        for keep in ("599", "60", "-5", "x"):
            refused = self.purge("-k", keep)
            self.assertEqual(refused.returncode, 2, keep)

    def test_without_the_bases_it_prints_usage(self):
        refused = subprocess.run([SCRIPT], capture_output=True, text=True, timeout=10)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("usage: purge-claims", refused.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
