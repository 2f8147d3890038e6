#!/usr/bin/python3
"""Runs the login benchmark for bench/run and writes bench/RESULTS.md.

  bench.py BUILD_DIR TOOLS_DIR [--iterations N] [--rounds R] [--callgrind-iterations N]

Every module authenticates the same user with the same 20-byte TOTP key
(SHA-1, 6 digits, 30 s, one step of clock skew each side) through real libpam
under pam_wrapper and nss_wrapper, in a private temp directory: nothing under
/etc is read or written. Needs root (files are handed to the test user).
Fleet mode (pam_totp_ldap.so, in BUILD_DIR when built with -DPAM_TOTP_LDAP=ON)
logs in against a private slapd on localhost (tests/fleet/slapd_fixture.py),
one user per login; --fleet-only measures just that and replaces its section
of an existing RESULTS.md.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile

LIBDIR = "/usr/lib/x86_64-linux-gnu"
SECURITY = f"{LIBDIR}/security"
USER, UID = "bench", 20999
# In the password database but never enrolled; and a name nobody has.
UNENROLLED, UNENROLLED_UID = "bench2", 20998
UNKNOWN = "stranger"
HERE = os.path.dirname(os.path.abspath(__file__))


class Sandbox:
    def __init__(self, build, tools, variants=()):
        self.build, self.tools = build, tools
        self.root = tempfile.mkdtemp(prefix="pam_totp_bench.")
        os.chmod(self.root, 0o755)
        homes = self.mkdir("home", 0o755)
        self.home = f"{homes}/{USER}"
        for name, uid in ((USER, UID), (UNENROLLED, UNENROLLED_UID)):
            os.mkdir(f"{homes}/{name}", 0o700)
            os.chown(f"{homes}/{name}", uid, uid)
        self.services = self.mkdir("services", 0o755)
        self.keys = self.mkdir("keys", 0o700)
        self.key = os.urandom(20)
        with open(f"{self.root}/passwd", "w") as f:
            f.write(f"root:x:0:0:root:/root:/bin/sh\n{USER}:x:{UID}:{UID}::{self.home}:/bin/sh\n"
                    f"{UNENROLLED}:x:{UNENROLLED_UID}:{UNENROLLED_UID}::{homes}/{UNENROLLED}:/bin/sh\n")
        with open(f"{self.root}/group", "w") as f:
            f.write(f"root:x:0:\n{USER}:x:{UID}:\n{UNENROLLED}:x:{UNENROLLED_UID}:\n")
        self.setup_pam_totp("pam_totp", build)
        for name, variant_build in variants:
            self.setup_pam_totp(name, variant_build)
        self.setup_google_authenticator()
        self.setup_oath()
        self.service("pam_permit", f"{SECURITY}/pam_permit.so")
        for name, _ in FLOORS:  # bench-only modules built by bench/run (floor_module.cpp)
            if os.path.exists(f"{tools}/{name}.so"):
                self.service(name, f"{tools}/{name}.so")
        self.service("other", f"{SECURITY}/pam_deny.so")  # pam_wrapper warns without one

    def mkdir(self, name, mode):
        path = f"{self.root}/{name}"
        os.mkdir(path, mode)
        os.chmod(path, mode)
        return path

    def user_file(self, name, text, mode):
        path = f"{self.home}/{name}"
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, UID, UID)
        os.chmod(path, mode)
        return path

    def service(self, name, line):
        with open(f"{self.services}/{name}", "w") as f:
            f.write(f"auth required {line}\n")

    def setup_pam_totp(self, name, build):
        tool = f"{self.tools}/bench_tool"
        if not os.path.exists(f"{self.keys}/host.key"):
            subprocess.run([tool, "host-key", self.keys], check=True)
            text = subprocess.run([tool, "seal", f"{self.keys}/host.pub", USER, self.key.hex()],
                                  check=True, capture_output=True, text=True).stdout
            self.user_file(".pam_totp", text, 0o600)
        # Each build its own state, so each run's codes are fresh to it.
        state = self.mkdir(f"state-{name}", 0o700)
        # Defaults: window=1, fail_limit=5, fail_lock=30; replay protection always on.
        self.service(name, f"{build}/pam_totp/module/pam_totp.so secret=%h/.pam_totp "
                           f"hostkey={self.keys}/host.key statedir={state}")

    def setup_google_authenticator(self):
        # What `google-authenticator -t -d -r 3 -R 30 -w 3` writes: TOTP, reuse
        # refused, 3 logins per 30 s, window of 3 codes (+-1 step), 5 scratch codes.
        secret = base64.b32encode(self.key).decode().rstrip("=")
        scratch = "".join(f"{int.from_bytes(os.urandom(4), 'big') % 90000000 + 10000000}\n" for _ in range(5))
        text = f'{secret}\n" RATE_LIMIT 3 30\n" WINDOW_SIZE 3\n" DISALLOW_REUSE\n" TOTP_AUTH\n{scratch}'
        path = self.user_file(".google_authenticator", text, 0o400)
        self.service("google_authenticator", f"{SECURITY}/pam_google_authenticator.so secret={path}")

    def setup_oath(self):
        # liboath's users file: TOTP with 30 s steps, 6 digits; it records the
        # last code used and refuses it again (replay protection); no throttle.
        path = f"{self.root}/users.oath"
        with open(path, "w") as f:
            f.write(f"HOTP/T30/6 {USER} - {self.key.hex()}\n")
        os.chmod(path, 0o600)
        self.service("oath", f"{SECURITY}/pam_oath.so usersfile={path} window=1 digits=6")

    def env(self):
        env = dict(os.environ)
        env.update({
            "LD_PRELOAD": f"{LIBDIR}/libpam_wrapper.so:{LIBDIR}/libnss_wrapper.so",
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.services,
            # The driver's fake clock must reach the modules (see pam_bench.c).
            "PAM_WRAPPER_DISABLE_DEEPBIND": "1",
            "NSS_WRAPPER_PASSWD": f"{self.root}/passwd",
            "NSS_WRAPPER_GROUP": f"{self.root}/group",
        })
        return env

    def run(self, service, iterations, warmup, wrapper=(), wrong=False, user=USER):
        cmd = list(wrapper) + [f"{self.tools}/pam_bench", service, user, self.key.hex(), str(iterations),
                               str(warmup)] + (["wrong"] if wrong else [])
        p = subprocess.run(cmd, env=self.env(), capture_output=True, text=True)
        values = dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)
        if p.returncode != 0:
            sys.exit(f"bench: {service} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
        return {k: float(v) for k, v in values.items()}, p.stderr

    def run_accounts(self, service, accounts_file, iterations, warmup, wrapper=()):
        """pam_bench --users: one account per login (fleet mode); with the
        CPU time (user + system) per login of the login process and of the
        children the module forked."""
        cmd = list(wrapper) + [f"{self.tools}/pam_bench", "--users", accounts_file, service, str(iterations),
                               str(warmup)]
        p = subprocess.run(cmd, env=self.env(), capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"bench: {service} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
        values = {k: float(v) for k, v in (line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)}
        values["self_cpu_us"] = values["cpu_self_us"] / (iterations + warmup)
        values["children_cpu_us"] = values["cpu_children_us"] / (iterations + warmup)
        return values

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def cold_loop(self, services, rounds, start):
        """One login per fresh process (pam_cold.c), services interleaved."""
        cmd = [f"{self.tools}/pam_cold", str(rounds), str(start), USER, self.key.hex(),
               f"{self.tools}/pam_cold_login"] + list(services)
        p = subprocess.run(cmd, env=self.env(), capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"bench: cold logins failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
        out = {}
        for line in p.stdout.splitlines():
            if line.startswith("retries "):
                out["retries"] = int(line.split()[1])
                continue
            name, p50, p99, mean, _ = line.split()
            out[name] = {"p50_us": float(p50), "p99_us": float(p99), "mean_us": float(mean)}
        return out

    def cold_callgrind(self, service, when, out_file):
        """One login in a fresh process under callgrind, whole process counted."""
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
               f"{self.tools}/pam_cold_login", service, USER, totp(self.key, when), str(when)]
        for _ in range(3):  # pam_wrapper's /tmp/pam.X can collide with other runs (pam_cold.c)
            p = subprocess.run(cmd, env=self.env(), capture_output=True, text=True)
            if p.returncode == 0:
                break
        if p.returncode != 0:
            sys.exit(f"bench: cold callgrind of {service} failed ({p.returncode}):\n{p.stderr[-3000:]}")
        return callgrind_total(out_file)


def totp(key, when):
    """RFC 6238 code (SHA-1, 6 digits, 30 s) at `when`, for the cold runs."""
    mac = hmac.new(key, struct.pack(">Q", when // 30), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[off:off + 4], 'big') & 0x7FFFFFFF) % 1000000:06d}"


def callgrind_total(path):
    with open(path) as f:
        return int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))


def object_costs(path):
    """Self cost (instructions) per shared object, read from a callgrind file:
    a cost line right after a calls= line is a call's inclusive cost, not
    the function's own, so it is skipped."""
    names, costs = {}, {}
    ob, skip = "?", False
    with open(path) as f:
        for line in f:
            if line.startswith("cob="):
                m = re.match(r"cob=\((\d+)\) (.*)", line.strip())
                if m:
                    names[m.group(1)] = m.group(2)
            elif line.startswith("ob="):
                m = re.match(r"ob=\((\d+)\)(?: (.*))?", line.strip())
                if m and m.group(2):
                    names[m.group(1)] = m.group(2)
                ob = names[m.group(1)] if m else line[3:].strip()
            elif line.startswith("calls="):
                skip = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                if skip:
                    skip = False
                    continue
                name = os.path.basename(ob)
                costs[name] = costs.get(name, 0) + int(line.split()[-1])
    return costs


# Cold-login breakdown: inclusive cost of these functions (callgrind_annotate).
COLD_FUNCTIONS = [
    ("dl_open_worker", "libpam's dlopen of the module and its libraries (map, relocate, bind, constructors)"),
    ("OPENSSL_init_crypto", "OpenSSL init (`OPENSSL_init_crypto`, incl. config loading)"),
    ("CONF_modules_load_file_ex", "of which loading openssl.cnf (`CONF_modules_load_file_ex`)"),
    ("EVP_MD_fetch", "`EVP_MD_fetch` (the first fetch starts the default provider)"),
    ("EVP_CIPHER_fetch", "`EVP_CIPHER_fetch`"),
    ("EVP_KEYMGMT_fetch", "`EVP_KEYMGMT_fetch`"),
    ("EVP_KEYEXCH_fetch", "`EVP_KEYEXCH_fetch`"),
    ("EVP_KDF_fetch", "`EVP_KDF_fetch`"),
    ("EVP_MAC_fetch", "`EVP_MAC_fetch`"),
    ("pam_totp::HostPublicKey::key_id", "key-id (`HostPublicKey::key_id`)"),
    ("pam_sm_authenticate", "the module's `pam_sm_authenticate`, inclusive"),
]
# Own (exclusive) instructions per shared object.
COLD_OBJECTS = [
    ("ld-linux-x86-64.so.2", "own cost of the dynamic loader (relocation, symbol lookup) in the whole process"),
    ("libcrypto.so.3", "own cost of libcrypto"),
    ("libc.so.6", "own cost of libc (malloc, string functions for OpenSSL's tables)"),
    ("libstdc++.so.6.0.30", "own cost of libstdc++"),
    ("libnettle.so.8.6", "own cost of libnettle"),
    ("libhogweed.so.6.6", "own cost of libhogweed"),
    ("libgmp.so.10.4.1", "own cost of libgmp"),
    ("libpam.so.0.85.1", "own cost of libpam"),
    ("MODULE", "own cost of the module itself (for pam_totp: our own code)"),
]


def function_costs(callgrind_file, names):
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", callgrind_file],
                          capture_output=True, text=True).stdout
    costs = {}
    for name in names:
        best = 0
        for line in text.splitlines():
            m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S.*)$", line)
            if m and re.search(r"(?<![\w'])" + re.escape(name) + r"\b(?!')", m.group(2)):
                best = max(best, int(m.group(1).replace(",", "")))
        costs[name] = best
    return costs


def cold(build, tools, rounds, callgrind_runs):
    """Fresh process per login: wall time of `rounds` interleaved rounds, then
    callgrind over `callgrind_runs` more logins per module (median), whole
    process counted, with the breakdown for each pam_totp-like row."""
    services = [s for s, _ in COLD]
    box = sandbox(build, tools)
    try:
        now = int(datetime.datetime.now().timestamp())
        start = now - now % 30 + 1
        wall = box.cold_loop(services, rounds, start)
        runs = {s: [] for s in services}
        for j in range(callgrind_runs):
            for k in range(len(services)):
                service = services[(j + k) % len(services)]
                cg = f"{box.root}/callgrind-cold.{service}.{j}"
                runs[service].append((box.cold_callgrind(service, start + 30 * (rounds + j), cg), cg))
        instr, detail = {}, {}
        for service, results in runs.items():
            results.sort()
            total, cg = results[len(results) // 2]
            instr[service] = total
            if service == "pam_permit" or service.startswith(("pam_totp", "floor_")):
                d = function_costs(cg, [n for n, _ in COLD_FUNCTIONS])
                objects = object_costs(cg)
                module = "pam_totp.so" if service == "pam_totp" else f"{service}.so"
                for name, _ in COLD_OBJECTS:
                    d["obj:" + name] = objects.get(module if name == "MODULE" else name, 0)
                detail[service] = d
    finally:
        box.cleanup()
    return wall, instr, detail


MODULES = [
    ("google_authenticator", "pam_google_authenticator"),
    ("pam_totp", "pam_totp"),
    ("oath", "pam_oath"),
    ("pam_permit", "pam_permit (harness floor)"),
]
# Bench-only modules from floor_module.cpp (service name = file name in TOOLS_DIR).
FLOORS = [
    ("floor_evp", "floor module: pam_totp's EVP work, C++ (X25519, HKDF, AES-GCM, 3 HMAC-SHA1)"),
    ("floor_evp_lean", "(a) floor module, no openssl.cnf, each algorithm fetched once"),
    ("floor_nettle", "(b) floor module's work with Nettle (C++)"),
    ("floor_nettle_static", "(b) the same, libnettle.a and libhogweed.a linked into the module"),
    ("floor_nettle_pin", "(c) plaintext key in the root-only record: 3 HMAC-SHA1 only (Nettle, C++)"),
    ("floor_nettle_nostdcxx", "(d) the static Nettle module without libstdc++"),
    ("floor_nettle_static_stdcxx", "(e) the static Nettle module with libstdc++ linked in (-static-libstdc++)"),
]
COLD = [("pam_totp", "pam_totp"), ("google_authenticator", "pam_google_authenticator"),
        ("oath", "pam_oath")] + FLOORS + [("pam_permit", "pam_permit (harness floor)")]
# What-if builds of pam_totp (service name, label, build dir), set from the command line.
VARIANTS = []


def modules():
    return MODULES[:2] + [(name, label) for name, label, _ in VARIANTS] + MODULES[2:]


def sandbox(build, tools):
    return Sandbox(build, tools, [(name, path) for name, _, path in VARIANTS])


def wall_times(build, tools, iterations, rounds):
    """Interleaved rounds, each in a fresh sandbox; median of each module's p50 and p99."""
    results = {s: {"p50_us": [], "p99_us": [], "mean_us": []} for s, _ in modules()}
    for _ in range(rounds):
        box = sandbox(build, tools)
        try:
            for service, _ in modules():
                values, _ = box.run(service, iterations, 20)
                for k in results[service]:
                    results[service][k].append(values[k])
        finally:
            box.cleanup()
    return {s: {k: statistics.median(v) for k, v in r.items()} for s, r in results.items()}


# Where pam_totp's instructions go: inclusive cost of these functions.
BREAKDOWN = [
    ("pam_totp::load_host_private_key", "host key: read, parse (both halves given to OpenSSL)"),
    ("pam_totp::open_secret_file", "secret file: unseal (X25519, HKDF, AES-GCM)"),
    ("pam_totp::verify_totp", "code check (3 HMACs)"),
    ("pam_totp::find_recovery_code", "recovery-code check"),
    ("pam_totp::LockedStateFile::open_existing", "record: read before the prompt (slots, pin area)"),
    ("pam_totp::read_secret_file_as", "user's file: StrictModes walk and read as the user"),
    ("pam_totp::LockedStateFile::open(", "record: open, lock, read again to judge"),
    ("pam_totp::LockedStateFile::commit", "record: slot write + fdatasync"),
    ("dlopen", "libpam's dlopen of the module (relocation, start-up code)"),
    ("dlclose", "libpam's dlclose of the module"),
]


def inclusive_costs(callgrind_file):
    return function_costs(callgrind_file, [name for name, _ in BREAKDOWN])


def callgrind(build, tools, iterations):
    out, breakdown = {}, {}
    box = sandbox(build, tools)
    try:
        for service, _ in modules():
            cg = f"{box.root}/callgrind.{service}"
            box.run(service, iterations, 3, ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                                             f"--callgrind-out-file={cg}"])
            with open(cg) as f:
                total = int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))
            out[service] = total / iterations
            if service.startswith("pam_totp"):
                breakdown[service] = {k: v / iterations for k, v in inclusive_costs(cg).items()}
    finally:
        box.cleanup()
    return out, breakdown


def callgrind_wrong(build, tools, iterations):
    """Instructions per refused wrong code, steady state: two unmeasured
    attempts first (OpenSSL's first algorithm fetches), then `iterations`.
    Five in all, each in a new time step, so every one is judged: pam_totp
    locks only after the fifth, google-authenticator allows 3 per 30 s."""
    out = {}
    box = sandbox(build, tools)
    try:
        for service, _ in modules():
            if service == "pam_permit":
                continue
            cg = f"{box.root}/callgrind-wrong.{service}"
            box.run(service, iterations, 2, ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                                             f"--callgrind-out-file={cg}"], wrong=True)
            with open(cg) as f:
                total = int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))
            out[service] = total / iterations
    finally:
        box.cleanup()
    return out


def syscalls(build, tools, iterations):
    """Per authentication: all system calls, and the ones that make writes durable."""
    out = {}
    box = sandbox(build, tools)
    try:
        for service, _ in modules():
            out[service] = strace_counts(box, service, iterations)
    finally:
        box.cleanup()
    return out


def strace_counts(box, service, iterations, **kwargs):
    """System calls per attempt, from strace -c over `iterations` attempts."""
    log = f"{box.root}/strace.{service}.{kwargs.get('user', USER)}"
    box.run(service, iterations, 0, ["strace", "-f", "-c", "-o", log], **kwargs)
    counts = {}
    with open(log) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
            if m:
                counts[m.group(2)] = int(m.group(1))
    durable = sum(counts.get(c, 0) for c in ("fsync", "fdatasync", "sync_file_range"))
    renames = sum(counts.get(c, 0) for c in ("rename", "renameat", "renameat2"))
    return {"total": sum(counts.values()) / iterations, "sync": durable / iterations,
            "rename": renames / iterations}


REFUSED = (("existing user, not enrolled", UNENROLLED), ("unknown name", UNKNOWN))


def refusals(build, tools, iterations, rounds):
    """pam_totp for names that cannot log in against an enrolled user's right
    code: p50 wall time (interleaved in the same rounds), instructions and
    durable writes per attempt."""
    p50s = {label: [] for label in ["enrolled user, right code"] + [l for l, _ in REFUSED]}
    for _ in range(rounds):
        box = sandbox(build, tools)
        try:
            p50s["enrolled user, right code"].append(box.run("pam_totp", iterations, 20)[0]["p50_us"])
            for label, user in REFUSED:
                p50s[label].append(box.run("pam_totp", iterations, 20, wrong=True, user=user)[0]["p50_us"])
        finally:
            box.cleanup()
    out = {label: {"p50_us": statistics.median(v)} for label, v in p50s.items()}
    for label, user in REFUSED:
        box = sandbox(build, tools)
        try:
            cg = f"{box.root}/callgrind-refused"
            box.run("pam_totp", 3, 2, ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                                       f"--callgrind-out-file={cg}"], wrong=True, user=user)
            with open(cg) as f:
                total = int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))
            out[label]["instr"] = total / 3
            out[label]["sync"] = strace_counts(box, "pam_totp", 20, wrong=True, user=user)["sync"]
        finally:
            box.cleanup()
    # An enrolled user's wrong codes, below the lock, once the state file exists.
    box = sandbox(build, tools)
    try:
        box.run("pam_totp", 1, 0)
        out["wrong code sync"] = strace_counts(box, "pam_totp", 4, wrong=True)["sync"]
    finally:
        box.cleanup()
    return out


def parts(build, tools, n):
    box = sandbox(build, tools)
    try:
        # As root, on the same file system as the state directory of the login runs.
        secret = f"{box.root}/parts.secret"
        shutil.copy(f"{box.home}/.pam_totp", secret)
        os.chmod(secret, 0o600)
        p = subprocess.run([f"{tools}/bench_tool", "parts", f"{box.keys}/host.key", secret,
                            f"{box.root}/state-pam_totp", str(n)],
                           check=True, capture_output=True, text=True)
        return {k: float(v) for k, v in (line.split() for line in p.stdout.splitlines())}
    finally:
        box.cleanup()


FLEET_WARMUP = 10
FLEET_CALLGRIND = 3
# Where a fleet login's instructions go (inclusive; the handshakes are inside the binds).
FLEET_FUNCTIONS = [
    ("dl_open_worker", "libpam's dlopen of the module and libldap, GnuTLS, Nettle, GMP (each login: "
                       "libpam unloads the module at pam_end)"),
    ("pam_sm_authenticate", "the module's `pam_sm_authenticate` in the login process (forks, waits, "
                            "the conversation)"),
]


def slapd_cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fleet(build, tools, file_iterations, fleet_iterations, rounds):
    """pam_totp_ldap.so (fleet mode) against a private slapd with the otp
    overlay, built from the recipe in ldap/ by tests/fleet/slapd_fixture.py
    (localhost, its own temp dir and ports; never the machine's slapd), and
    pam_totp with a file in the same rounds, interleaved: median over rounds
    of each one's p50 and p99, and CPU per login (the driver, and slapd)."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "fleet"))
    import slapd_fixture
    out = {"pam_totp": {"p50_us": [], "p99_us": []},
           "pam_totp_ldap": {"p50_us": [], "p99_us": [], "self_cpu_us": [], "children_cpu_us": [],
                             "server_cpu_us": []}}
    server = slapd_fixture.Slapd()
    try:
        per_round = FLEET_WARMUP + fleet_iterations
        # One user and token per login: the overlay takes each step once per
        # token, on the server's (real) clock. The last few for callgrind.
        accounts = [(f"fleet{n:05d}", f"pw-{os.urandom(6).hex()}", os.urandom(20))
                    for n in range(rounds * per_round + 2 * FLEET_CALLGRIND)]
        ldif = []
        for n, (uid, password, key) in enumerate(accounts):
            token = f"cn={uid},ou=tokens,{slapd_fixture.BASE}"
            ldif.append(f"dn: {token}\nobjectClass: device\nobjectClass: oathTOTPToken\ncn: {uid}\n"
                        f"oathSecret:: {base64.b64encode(key).decode()}\n"
                        f"oathTOTPParams: cn=totp,ou=params,{slapd_fixture.BASE}\n")
            ldif.append(f"dn: uid={uid},ou=people,{slapd_fixture.BASE}\nobjectClass: inetOrgPerson\n"
                        f"objectClass: posixAccount\nobjectClass: oathTOTPUser\nuid: {uid}\ncn: {uid}\n"
                        f"sn: {uid}\nuidNumber: {40000 + n}\ngidNumber: {40000 + n}\n"
                        f"homeDirectory: /home/{uid}\nuserPassword: {password}\noathTOTPToken: {token}\n")
        server.add("\n".join(ldif))
        line = (f"{build}/pam_totp/ldap_module/pam_totp_ldap.so uri={server.ldaps} "
                f"base=ou=people,{slapd_fixture.BASE} ca={server.ca} timeout=5 "
                f"binddn={slapd_fixture.SERVICE} bindpw_file={server.bindpw_file}")
        for r in range(rounds):
            box = sandbox(build, tools)
            try:
                box.service("pam_totp_ldap", line)
                accounts_file = f"{box.root}/fleet-accounts"
                with open(accounts_file, "w") as f:
                    for uid, password, key in accounts[r * per_round:(r + 1) * per_round]:
                        f.write(f"{uid} {password} {key.hex()}\n")
                for service in (("pam_totp", "pam_totp_ldap") if r % 2 == 0 else ("pam_totp_ldap", "pam_totp")):
                    if service == "pam_totp":
                        values, _ = box.run("pam_totp", file_iterations, 20)
                    else:
                        cpu0 = slapd_cpu_seconds(server.process.pid)
                        values = box.run_accounts("pam_totp_ldap", accounts_file, fleet_iterations, FLEET_WARMUP)
                        values["server_cpu_us"] = ((slapd_cpu_seconds(server.process.pid) - cpu0) * 1e6 /
                                                   per_round)
                    for k in out[service]:
                        out[service][k].append(values[k])
            finally:
                box.cleanup()
        result = {s: {k: statistics.median(v) for k, v in r.items()} for s, r in out.items()}
        # Instructions of the login process itself per fleet login
        # (callgrind, FLEET_CALLGRIND logins after as many unmeasured). The
        # module kills each child once it has the child's answer, before
        # callgrind has written the child's profile (an empty file): the
        # CPU times cover the children.
        box = sandbox(build, tools)
        try:
            box.service("pam_totp_ldap", line.replace("timeout=5", "timeout=30"))  # valgrind is slow
            accounts_file = f"{box.root}/fleet-accounts"
            with open(accounts_file, "w") as f:
                for uid, password, key in accounts[rounds * per_round:]:
                    f.write(f"{uid} {password} {key.hex()}\n")
            cg_dir = box.mkdir("callgrind-fleet", 0o700)
            cg = f"{cg_dir}/callgrind.login"
            box.run_accounts("pam_totp_ldap", accounts_file, FLEET_CALLGRIND, FLEET_CALLGRIND,
                             ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                              f"--callgrind-out-file={cg_dir}/callgrind.%p", "--log-file=/dev/null"])
            parent = [n for n in os.listdir(cg_dir) if os.path.getsize(f"{cg_dir}/{n}") > 0]
            if len(parent) != 1:
                sys.exit(f"bench: callgrind of fleet logins: profiles {parent}, one expected")
            os.rename(f"{cg_dir}/{parent[0]}", cg)
            detail = function_costs(cg, [name for name, _ in FLEET_FUNCTIONS])
            detail["total"] = callgrind_total(cg)
            result["callgrind"] = {k: v / FLEET_CALLGRIND for k, v in detail.items()}
        finally:
            box.cleanup()
    finally:
        server.cleanup()
    return result


def fleet_section(result, args, when):
    """The report's fleet section (Markdown lines)."""
    lines = []
    w = lines.append
    file_row, ldap_row = result["pam_totp"], result["pam_totp_ldap"]
    w("## Fleet mode (pam_totp_ldap.so against slapd)\n")
    w(f"Measured {when}. Each fleet login is pam_start + pam_authenticate + pam_end through real libpam "
      "under pam_wrapper, like the rows above (`pam_bench --users`), against a private slapd "
      f"{package_version('slapd')} on localhost built from the recipe in `ldap/` "
      "(`tests/fleet/slapd_fixture.py`: mdb, otp, ppolicy and syncprov overlays, the recipe's ACLs, "
      "a P-256 test certificate). What one login does, as the module now runs it: every phase in a "
      "forked child that the module kills at its deadline. Before the prompts, a child connects "
      "(`ldaps://`, a TLS handshake), binds as the service account and searches for the user; after "
      "them, a second child connects and binds as the service account again, reads the token's last "
      "step, opens a second connection for the user's bind with password and code (the overlay "
      "checks the code and records the step: a write), asks WhoAmI, reads the step again and adds "
      "the claim (a write): the guard. Three TLS handshakes, three binds, two forks. The overlay takes "
      "each step once per token on the server's real clock, so every login is a different user with a "
      "token of its own, answering with the code of the current step. "
      f"{args.rounds} rounds of {args.fleet_iterations} fleet logins (after {FLEET_WARMUP} unmeasured) "
      f"and {args.iterations} logins of pam_totp with its file (after 20), the two interleaved in every "
      "round, in one fresh sandbox per round, one slapd for all; the table shows the median over "
      "rounds. CPU per login (user + system): the login process (libpam, the module) and the "
      "children the module forked (libldap, GnuTLS) from getrusage, slapd from /proc, all over the "
      "warm-up logins too.\n")
    w("| module | p50 | p99 | p50 vs file | CPU / login: login process | its children | slapd |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    w(f"| pam_totp, secret file (this run) | {file_row['p50_us'] / 1000:.2f} ms | "
      f"{file_row['p99_us'] / 1000:.2f} ms | 1.00x | n/a | n/a | n/a |")
    w(f"| pam_totp_ldap, ldaps (search + bind + guard) | {ldap_row['p50_us'] / 1000:.2f} ms | "
      f"{ldap_row['p99_us'] / 1000:.2f} ms | {ldap_row['p50_us'] / file_row['p50_us']:.1f}x | "
      f"{ldap_row['self_cpu_us'] / 1000:.2f} ms | {ldap_row['children_cpu_us'] / 1000:.2f} ms | "
      f"{ldap_row['server_cpu_us'] / 1000:.2f} ms |")
    w("")
    cg = result["callgrind"]
    w(f"Instructions in the login process per fleet login (callgrind over {FLEET_CALLGRIND} logins after "
      f"{FLEET_CALLGRIND} unmeasured; the module's children, where the LDAP and TLS work runs, leave no "
      "profile, killed by the module once they have answered: their CPU time is above): "
      f"{cg['total'] / 1e6:.1f} M in all.\n")
    w("| | instructions / login |")
    w("| --- | ---: |")
    for name, label in FLEET_FUNCTIONS:
        w(f"| {label} (`{name}`) | {cg[name] / 1e6:.2f} M |")
    w("")
    mirror = os.path.join(HERE, "fleet-mirror.md")
    if os.path.exists(mirror):
        with open(mirror) as f:
            w(f.read().rstrip() + "\n")
    return lines


def splice_fleet_section(path, section):
    """Replaces the fleet section of an existing report (or puts it before
    the parts' costs), leaving every other figure as it was."""
    with open(path) as f:
        text = f.read()
    new = "\n".join(section) + "\n"
    m = re.search(r"^## Fleet mode.*?(?=^## )", text, re.M | re.S)
    if m:
        text = text[:m.start()] + new + text[m.end():]
    else:
        m = re.search(r"^## Cost of the parts", text, re.M)
        at = m.start() if m else len(text)
        text = text[:at] + new + text[at:]
    with open(path, "w") as f:
        f.write(text)


def package_version(name):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return p.stdout or "?"


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    fs = subprocess.run(["df", "-T", tempfile.gettempdir()], capture_output=True, text=True).stdout.splitlines()[-1]
    return cpu, os.cpu_count(), platform.release(), fs.split()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("tools")
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--callgrind-iterations", type=int, default=50)
    ap.add_argument("--cold-rounds", type=int, default=150)
    ap.add_argument("--cold-callgrind", type=int, default=3)
    ap.add_argument("--note", action="append", default=[],
                    help="a line printed under the header (e.g. that the machine was shared)")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--nodelete-build", help="a pam_totp build linked with -Wl,-z,nodelete, shown as an extra row")
    ap.add_argument("--fleet-iterations", type=int, default=300,
                    help="fleet logins per round (each a user of its own on the private slapd)")
    ap.add_argument("--fleet-only", action="store_true",
                    help="measure fleet mode only and replace that section of an existing report")
    args = ap.parse_args()
    if args.nodelete_build:
        VARIANTS.append(("pam_totp_nodelete", "pam_totp linked with -z nodelete (what-if)", args.nodelete_build))
    if os.geteuid() != 0:
        sys.exit("bench: needs root (hands files to the test user)")

    if args.fleet_only:
        if not os.path.exists(args.out):
            sys.exit(f"bench: --fleet-only replaces the fleet section of {args.out}, which does not exist")
        load_before = os.getloadavg()
        print("== fleet mode", flush=True)
        fleet_result = fleet(args.build, args.tools, args.iterations, args.fleet_iterations, args.rounds)
        load_after = os.getloadavg()
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        when = (f"on {now} by `bench/run --fleet-only` (this section only; load average (1 min) "
                f"{load_before[0]:.2f} at its start, {load_after[0]:.2f} at its end)")
        splice_fleet_section(args.out, fleet_section(fleet_result, args, when))
        print(f"wrote the fleet section of {args.out}")
        return

    load_before = os.getloadavg()
    print("== cold logins (a fresh process per login)", flush=True)
    cold_wall, cold_instr, cold_detail = cold(args.build, args.tools, args.cold_rounds, args.cold_callgrind)
    print("== wall time", flush=True)
    wall = wall_times(args.build, args.tools, args.iterations, args.rounds)
    print("== callgrind", flush=True)
    instr, breakdown = callgrind(args.build, args.tools, args.callgrind_iterations)
    print("== callgrind, wrong codes", flush=True)
    instr_wrong = callgrind_wrong(args.build, args.tools, 3)
    print("== strace", flush=True)
    sys_counts = syscalls(args.build, args.tools, 20)
    print("== refused names", flush=True)
    refused = refusals(args.build, args.tools, args.iterations, args.rounds)
    print("== fleet mode", flush=True)
    fleet_result = fleet(args.build, args.tools, args.iterations, args.fleet_iterations, args.rounds)
    print("== parts", flush=True)
    part = parts(args.build, args.tools, 2000)
    print("== brute force", flush=True)
    brute = subprocess.run([sys.executable, os.path.join(HERE, "bruteforce.py")], check=True,
                           capture_output=True, text=True).stdout
    brute_daily = subprocess.run([sys.executable, os.path.join(HERE, "bruteforce.py"),
                                  "--owner-login-every", "86400"], check=True, capture_output=True,
                                 text=True).stdout

    load_after = os.getloadavg()
    ga = "google_authenticator"
    cpu, cores, kernel, fstype = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = []
    w = lines.append
    w("# Benchmark results\n")
    w(f"Generated by `bench/run` on {now}: {cpu}, {cores} cores, Linux {kernel}, "
      f"temp and state files on {fstype}. Debian packages: libpam-google-authenticator "
      f"{package_version('libpam-google-authenticator')}, libpam-oath {package_version('libpam-oath')}, "
      f"libpam0g {package_version('libpam0g')}, libpam-wrapper {package_version('libpam-wrapper')}, "
      f"libssl3 {package_version('libssl3')}, libnettle8 {package_version('libnettle8')}. "
      f"Load average (1 min) when the run started {load_before[0]:.2f}, when it ended {load_after[0]:.2f}.\n")
    for note in args.note:
        w(f"**{note}**\n")
    w("Each login is pam_start + pam_authenticate + pam_end through real libpam under pam_wrapper, "
      "answering the prompt with the current code (SHA-1, 6 digits, 30 s steps, +-1 step accepted). "
      f"Wall time: {args.rounds} interleaved rounds of {args.iterations} logins per module, each round "
      "in a fresh sandbox; the table shows the median over rounds. Instructions: callgrind over "
      f"{args.callgrind_iterations} logins; for wrong codes, over 3 refused attempts after 2 unmeasured ones "
      "(all judged: below every module's rate limit or lock). System calls: strace over 20 logins.\n")
    w("| module | p50 | p99 | p50 vs GA | p99 vs GA | instructions / login | vs GA | instructions / wrong code | "
      "syscalls / login | fsync+fdatasync / login | renames / login |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for service, label in modules():
        r, i, s = wall[service], instr[service], sys_counts[service]
        w(f"| {label} | {r['p50_us']:.0f} us | {r['p99_us']:.0f} us | {r['p50_us'] / wall[ga]['p50_us']:.2f}x | "
          f"{r['p99_us'] / wall[ga]['p99_us']:.2f}x | {i / 1e6:.2f} M | {i / instr[ga]:.2f}x | "
          + (f"{instr_wrong[service] / 1e6:.2f} M | " if service in instr_wrong else "n/a | ") +
          f"{s['total']:.0f} | {s['sync']:.1f} | {s['rename']:.1f} |")
    w("")
    w("Settings (replay protection on wherever the module has it):\n")
    w("- pam_totp: defaults (`window=1`, `fail_limit=5`, `fail_lock=30`), sealed secret file with 10 "
      "recovery codes in the user's home, state file in a root-only directory; replay protection and "
      "throttling always on; one fdatasync per login.")
    w("- pam_google_authenticator: `secret=` in the user's home, file options `RATE_LIMIT 3 30`, "
      "`WINDOW_SIZE 3`, `DISALLOW_REUSE`, `TOTP_AUTH`, 5 scratch codes (what `google-authenticator "
      "-t -d -r 3 -R 30 -w 3` writes). It rewrites the file on each login (temp file and rename).")
    w("- pam_oath: `usersfile=` (root-owned) with `HOTP/T30/6`, `window=1`, `digits=6`; liboath refuses "
      "a code not newer than the last one used (replay protection) and rewrites the users file; it has "
      "no throttling.")
    w("- pam_permit: the harness alone (pam_wrapper, libpam configuration parsing, dlopen), the floor "
      "under every row.")
    w("- No syslog daemon ran (no /dev/log), so every module's syslog() call failed fast; with "
      "journald each logged line costs a few more microseconds, for all modules alike.\n")
    w("## Where pam_totp's instructions go (callgrind, inclusive, per login)\n")
    cols = [svc for svc, _ in modules() if svc in breakdown]
    w("| function | " + " | ".join(dict(modules())[c] for c in cols) + " |")
    w("| --- |" + " ---: |" * len(cols))
    for name, label in BREAKDOWN:
        w(f"| {label} (`{name}`) | " + " | ".join(f"{breakdown[c][name] / 1e6:.3f} M" for c in cols) + " |")
    w("| whole login, for comparison | " + " | ".join(f"{instr[c] / 1e6:.3f} M" for c in cols) + " |")
    w("")
    w("## Names that cannot log in cost what enrolled ones do (pam_totp)\n")
    w("A refused name is prompted like an enrolled user and then does the same work: a decoy "
      "unsealing with the host key, the window's HMACs and one fdatasync of `statedir/.decoy`. "
      f"p50: the three kinds of attempt interleaved in each of {args.rounds} rounds of "
      f"{args.iterations} attempts (median over rounds); instructions over 3 attempts after 2 "
      "unmeasured ones (the right-code row: the login figure above); fsync+fdatasync per attempt "
      "over 20 attempts (4 for wrong codes, below the lock), the right-code row including the "
      "one-time creation of the state file.\n")
    w("| attempt | p50 | instructions | fsync+fdatasync |")
    w("| --- | ---: | ---: | ---: |")
    right = refused.pop("enrolled user, right code")
    w(f"| enrolled user, right code | {right['p50_us']:.0f} us | "
      f"{instr['pam_totp'] / 1e6:.2f} M | {sys_counts['pam_totp']['sync']:.1f} |")
    w(f"| enrolled user, wrong code | n/a (locks after 5) | {instr_wrong['pam_totp'] / 1e6:.2f} M | "
      f"{refused.pop('wrong code sync'):.1f} |")
    for label, r in refused.items():
        w(f"| {label} | {r['p50_us']:.0f} us | {r['instr'] / 1e6:.2f} M | {r['sync']:.1f} |")
    w("")
    w("## A login in a fresh process (cold)\n")
    w("sudo, su, login and every sshd connection start a new process that loads the module once, so "
      "each login pays for loading the module and its libraries and for OpenSSL's start-up. Each row: "
      f"{args.cold_rounds} logins, each `pam_start` + `pam_authenticate` + `pam_end` in a new process "
      "(`bench/pam_cold.c`: spawned, one login on the fake clock, exit), under pam_wrapper like the "
      "rows above; the modules interleaved in every round (order rotated), each round one 30 s step "
      "later, so every login is a new code and a real state write. Wall time is spawn to exit as the "
      "parent sees it; \"over floor\" subtracts pam_permit's p50 (the process, the loader, libpam and "
      f"pam_wrapper). Instructions: callgrind over the whole process, median of {args.cold_callgrind} "
      "more logins per row. The login process does not link libcrypto (the parent computes the codes), "
      "so a module pays for loading and starting OpenSSL itself, as under pamtester, su or login. "
      f"Logins tried again because pam_wrapper's /tmp/pam.X directory collided with another process: "
      f"{cold_wall.get('retries', 0)}.\n")
    w("The floor module and rows (a) to (e) are bench-only modules (`bench/floor_module.cpp`, built by "
      "`bench/run`, never installed), each C++ linking libstdc++ like pam_totp (shared) except (d) and (e); see the "
      "proposal below.\n")
    w("| module | p50 | p99 | p50 over floor | instructions / cold login | over floor |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    floor_p50, floor_instr = cold_wall["pam_permit"]["p50_us"], cold_instr["pam_permit"]
    for service, label in COLD:
        r, i = cold_wall[service], cold_instr[service]
        over = "n/a" if service == "pam_permit" else f"{(r['p50_us'] - floor_p50) / 1000:.2f} ms"
        over_i = "n/a" if service == "pam_permit" else f"{(i - floor_instr) / 1e6:.2f} M"
        w(f"| {label} | {r['p50_us'] / 1000:.2f} ms | {r['p99_us'] / 1000:.2f} ms | {over} | "
          f"{i / 1e6:.2f} M | {over_i} |")
    w("")
    w("Where a cold login's instructions go (callgrind, the median login of each row; functions "
      "inclusive, so lines overlap: the first EVP fetch of a process starts the default provider and, "
      "if OpenSSL is not initialised yet, runs its init; objects exclusive, and they add up to the "
      "whole process):\n")
    cols = [svc for svc, _ in COLD if svc in cold_detail]
    labels = dict(COLD)
    w("| | " + " | ".join(labels[c] for c in cols) + " |")
    w("| --- |" + " ---: |" * len(cols))
    w("| whole process | " + " | ".join(f"{cold_instr[c] / 1e6:.2f} M" for c in cols) + " |")
    for name, label in COLD_FUNCTIONS:
        w(f"| {label} | " + " | ".join(f"{cold_detail[c][name] / 1e6:.2f} M" for c in cols) + " |")
    for name, label in COLD_OBJECTS:
        w(f"| {label} | " + " | ".join(f"{cold_detail[c]['obj:' + name] / 1e6:.2f} M" for c in cols) + " |")
    w("")
    notes = os.path.join(HERE, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            w(f.read().rstrip() + "\n")
    lines += fleet_section(fleet_result, args, "in this run")
    w("## Cost of the parts (pam_totp core, median of 2000 runs)\n")
    labels = {
        "host_key_load_us": "host key: load_host_private_key, as the module does",
        "host_key_load_private_only_us": "host key: the same file cut to its private block, OpenSSL derives the public half (for comparison)",
        "secret_read_parse_us": "secret file: open with checks, read, strict parse",
        "secret_unseal_us": "secret file: X25519 + HKDF + AES-256-GCM open",
        "one_hmac_us": "one HOTP (HMAC-SHA1)",
        "verify_window1_us": "code check, window=1 (3 HMACs, constant time)",
        "recovery_check_us": "recovery-code check (HMAC-SHA256, 10 compares)",
        "state_open_lock_read_us": "state file: open, flock, fstat, read both slots",
        "state_open_commit_fdatasync_us": "state file: the above + write one slot + fdatasync",
    }
    w("| part | median |")
    w("| --- | ---: |")
    for k, label in labels.items():
        w(f"| {label} | {part[k]:.1f} us |")
    w("")
    w("## Brute force\n")
    w("`bench/bruteforce.py` (defaults: pam_totp's defaults; the attacker knows the password and "
      "guesses with no delay except the locks):\n")
    w("```\n" + brute.rstrip() + "\n```\n")
    w("If the owner logs in once a day (a success resets the doubling, so the attacker gets short "
      "locks again):\n")
    w("```\n" + brute_daily.rstrip() + "\n```\n")
    stress = os.path.join(HERE, "stress.md")
    if os.path.exists(stress):
        w("## Crash consistency and concurrency (`ctest -L stress`)\n")
        with open(stress) as f:
            w(f.read().rstrip() + "\n")
    fuzz = os.path.join(HERE, "fuzz-long.md")
    if os.path.exists(fuzz):
        w("## Fuzzing (longer run, `bench/fuzz-long`)\n")
        with open(fuzz) as f:
            w(f.read().rstrip() + "\n")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
