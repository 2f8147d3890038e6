"""pam_totp_ldap.so against servers that never answer: a TCP listener on
127.0.0.1 that accepts connections and never speaks, as ldaps:// (libldap's
GnuTLS handshake waits for the ServerHello, which LDAP_OPT_NETWORK_TIMEOUT
does not bound) and as ldap:// with starttls (the StartTLS request is never
answered; libldap times that request itself). The module's LDAP child is
killed at timeout=: the login ends with PAM_AUTHINFO_UNAVAIL within
timeout= + 1 s, syslog names the server, and no process of the login is
left. No slapd needed: a few seconds."""
import os
import shutil
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pam"))
from pamtest import PAM_AUTHINFO_UNAVAIL, PamTestCase  # noqa: E402
import slapd_fixture  # noqa: E402

MODULE = os.environ.get("PAM_TOTP_LDAP_MODULE", "")
TIMEOUT = 2


def processes_with(marker):
    """Pids whose command line has `marker` (the forked LDAP child has its
    parent's, the driver's, which names the PAM service)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


@unittest.skipUnless(os.geteuid() == 0 and MODULE, "needs root and the built pam_totp_ldap.so")
class SilentServers(PamTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pam_totp_timeouts.")
        os.chmod(cls.dir, 0o755)
        cls.ca, _, _ = slapd_fixture.make_ca(cls.dir)
        os.chmod(cls.ca, 0o644)
        cls.bindpw_file = os.path.join(cls.dir, "bindpw")
        with open(cls.bindpw_file, "w") as f:
            f.write("service-secret\n")
        os.chmod(cls.bindpw_file, 0o600)
        # Accepted by the kernel (the backlog), read by nobody, answered never.
        cls.silent = socket.socket()
        cls.silent.bind(("127.0.0.1", 0))
        cls.silent.listen(64)
        cls.port = cls.silent.getsockname()[1]

    @classmethod
    def tearDownClass(cls):
        cls.silent.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def line(self, uri, *extra):
        return (f"auth required {MODULE} uri={uri} base=ou=people,dc=fleet,dc=test ca={self.ca} "
                f"binddn=cn=pam_totp,ou=services,dc=fleet,dc=test bindpw_file={self.bindpw_file} "
                f"timeout={TIMEOUT} " + " ".join(extra))

    def login(self, service):
        """Runs one login, watching for its processes meanwhile; returns the
        result, its wall time and the most processes of the login seen at once."""
        t0 = time.monotonic()
        proc = self.box.start(service, "alice", "alice-pw", "123456")
        most = 0
        while proc.poll() is None:
            most = max(most, len(processes_with(service)))
            time.sleep(0.05)
        out, err = proc.communicate()
        return proc.returncode, time.monotonic() - t0, most, err

    def baseline(self):
        """A login that fails at once (nothing listens): the driver's own
        start-up and exit, which the stalled logins' wall time includes."""
        svc = self.box.service("refused", self.line(f"ldaps://127.0.0.1:{slapd_fixture.free_port()}/"))
        rc, elapsed, _, err = self.login(svc)
        self.assertEqual(rc, PAM_AUTHINFO_UNAVAIL, err)
        return elapsed

    def check_stalled(self, service, uri, killed):
        start_up = self.baseline()
        rc, elapsed, most, err = self.login(service)
        self.assertEqual(rc, PAM_AUTHINFO_UNAVAIL, err)
        print(f"{uri}: PAM_AUTHINFO_UNAVAIL after {elapsed:.2f} s (driver alone {start_up:.2f} s)",
              flush=True)
        self.assertGreater(elapsed, TIMEOUT - 0.5)
        self.assertLess(elapsed - start_up, TIMEOUT + 1)
        self.assertGreaterEqual(most, 2, "the LDAP work ran in a child process")
        self.assertEqual(processes_with(service), [], "a process of the login is left")
        # Killed at the deadline, or (StartTLS: an LDAP request that libldap
        # does time) its own time limit, the same deadline, ended it first.
        if killed:
            self.assertLogged(f"no directory server for user alice: {uri}: no answer within")
            self.assertLogged("the LDAP process was stopped")
        else:
            self.assertLogged(f"no directory server for user alice: {uri}: StartTLS failed: Timed out")

    def test_ldaps_tls_handshake_never_answered(self):
        uri = f"ldaps://127.0.0.1:{self.port}/"
        self.check_stalled(self.box.service("stall-ldaps", self.line(uri)), uri, killed=True)

    def test_starttls_never_answered(self):
        uri = f"ldap://127.0.0.1:{self.port}/"
        self.check_stalled(self.box.service("stall-starttls", self.line(uri, "starttls")), uri,
                           killed=False)

    def test_child_apart_from_the_login(self):
        """The LDAP process of a stalled login, seen from outside: uid 65534,
        no capabilities, not dumpable (its /proc files stay root's), a session
        of its own, stdio on /dev/null rather than the driver's pipes, cwd /."""
        uri = f"ldaps://127.0.0.1:{self.port}/"
        service = self.box.service("stall-apart", self.line(uri))
        proc = self.box.start(service, "alice", "alice-pw", "123456")
        seen = None
        try:
            deadline = time.monotonic() + TIMEOUT
            while seen is None and time.monotonic() < deadline and proc.poll() is None:
                for pid in processes_with(service):
                    if pid == proc.pid:
                        continue
                    try:
                        seen = self.describe(pid, proc.pid)
                    except OSError:
                        pass  # not there yet, or gone
                time.sleep(0.05)
        finally:
            _, err = proc.communicate()
        self.assertEqual(proc.returncode, PAM_AUTHINFO_UNAVAIL, err)
        self.assertIsNotNone(seen, "the LDAP process was seen")
        self.assertEqual(seen, {
            "ppid": proc.pid, "uid": "65534\t65534\t65534\t65534", "CapEff": "0000000000000000",
            "CapPrm": "0000000000000000", "NoNewPrivs": "1", "proc owner": 0,
            "own session": True, "own group": True,
            "stdio": ["/dev/null"] * 3, "cwd": "/"})

    @staticmethod
    def describe(pid, driver):
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        if int(status["PPid"]) != driver or not status["Uid"].startswith("65534"):
            raise OSError("not the dropped child (yet)")
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        pgrp, session = int(fields[2]), int(fields[3])
        with open(f"/proc/{driver}/stat") as f:
            driver_session = int(f.read().rsplit(")", 1)[1].split()[3])
        return {
            "ppid": int(status["PPid"]), "uid": status["Uid"], "CapEff": status["CapEff"],
            "CapPrm": status["CapPrm"], "NoNewPrivs": status["NoNewPrivs"],
            "proc owner": os.stat(f"/proc/{pid}/status").st_uid,
            "own session": session == pid and session != driver_session,
            "own group": pgrp == pid,
            "stdio": [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in range(3)],
            "cwd": os.readlink(f"/proc/{pid}/cwd")}


if __name__ == "__main__":
    unittest.main(verbosity=2)
