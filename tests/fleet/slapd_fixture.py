"""A private OpenLDAP slapd for the fleet-mode tests: its own slapd.conf,
mdb database, test CA and server certificate in a temp directory, listening
on localhost (ldaps and ldap+StartTLS) on free ports; never the machine's
own slapd or /etc/ldap/slapd.d. Loads the otp overlay (slapo-otp) and the
recipe's overlays and ACLs (ldap/), with a service account for the hosts."""
import base64
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SOURCE_DIR = os.environ.get("SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE = "dc=fleet,dc=test"
ADMIN = "cn=admin," + BASE
ADMIN_PW = "admin-secret"
SHA1_OID = "1.2.840.113549.2.7"
SERVICE = "cn=pam_totp,ou=services," + BASE
SERVICE_PW = "service-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kwargs):
    r = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def make_ca(directory, name="test CA"):
    """A CA and a server certificate for localhost, made at test time."""
    ca_key, ca_crt = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.crt")
    key, csr, crt = (os.path.join(directory, n) for n in ("server.key", "server.csr", "server.crt"))
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", ca_key, "-out", ca_crt, "-days", "2", "-subj", f"/CN={name}"])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=localhost"])
    ext = os.path.join(directory, "san.ext")
    with open(ext, "w") as f:
        # libldap checks "localhost" against the machine's own name.
        f.write(f"subjectAltName=DNS:localhost,DNS:{socket.gethostname()},IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
         "-out", crt, "-days", "2", "-extfile", ext])
    return ca_crt, crt, key


# The skeleton cn=config of a fresh slapd (what Debian's package sets up),
# to which the tests apply the recipe's LDIFs (ldap/) as an admin would.
CONFIG = """\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {dir}/slapd.pid
olcTLSCACertificateFile: {ca}
olcTLSCertificateFile: {crt}
olcTLSCertificateKeyFile: {key}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * break

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {dir}/db
olcSuffix: {base}
olcRootDN: {admin}
olcRootPW: {admin_pw}
olcDbMaxSize: 104857600
olcAccess: {{0}}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * break
"""

SKELETON = """\
dn: {base}
objectClass: dcObject
objectClass: organization
o: fleet
dc: fleet

dn: ou=people,{base}
objectClass: organizationalUnit
ou: people

dn: ou=tokens,{base}
objectClass: organizationalUnit
ou: tokens

dn: ou=params,{base}
objectClass: organizationalUnit
ou: params

dn: ou=services,{base}
objectClass: organizationalUnit
ou: services

dn: cn=pam_totp,ou=services,{base}
objectClass: device
objectClass: simpleSecurityObject
cn: pam_totp
userPassword: {service_pw}

dn: ou=policies,{base}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{base}
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdMaxFailure: 3
pwdLockout: TRUE
pwdLockoutDuration: 300
pwdSafeModify: TRUE

dn: cn=totp,ou=params,{base}
objectClass: device
objectClass: oathTOTPParams
cn: totp
oathOTPLength: 6
oathHMACAlgorithm: {sha1}
oathTOTPTimeStepPeriod: 30
oathTOTPTimeStepWindow: 3
"""


class Slapd:
    """Built from a skeleton cn=config plus the recipe: ldap/fleet-modules.ldif
    and ldap/fleet-database.ldif, applied with
    ldapmodify over ldapi:// as root, as ldap/README.md tells an admin."""

    def __init__(self, populate=True):
        """populate=False: the recipe's cn=config only, an empty database
        (the second provider of a mirror pair, which copies the first)."""
        self.dir = tempfile.mkdtemp(prefix="pam_totp_slapd.")
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "db"))
        self.confdir = os.path.join(self.dir, "slapd.d")
        os.mkdir(self.confdir)
        self.ca, crt, key = make_ca(self.dir)
        self.ldaps_port, self.ldap_port = free_port(), free_port()
        self.ldaps = f"ldaps://localhost:{self.ldaps_port}/"
        self.ldap = f"ldap://localhost:{self.ldap_port}/"
        self.ldapi_path = os.path.join(self.dir, "ldapi")
        self.ldapi = "ldapi://" + self.ldapi_path.replace("/", "%2F")
        schemas = ""
        for name in ("core", "cosine", "nis", "inetorgperson"):
            with open(f"/etc/ldap/schema/{name}.ldif") as f:
                schemas += f.read() + "\n"
        config = CONFIG.format(dir=self.dir, ca=self.ca, crt=crt, key=key, base=BASE, admin=ADMIN,
                               admin_pw=ADMIN_PW, schemas=schemas)
        run([SLAPADD, "-n0", "-F", self.confdir], input=config)
        self.process = None
        self.start()
        for recipe in ("fleet-modules.ldif", "fleet-database.ldif"):
            with open(os.path.join(SOURCE_DIR, "ldap", recipe)) as f:
                run(["ldapmodify", "-Y", "EXTERNAL", "-Q", "-H", self.ldapi],
                    input=f.read().replace("dc=example,dc=com", BASE))
        if populate:
            self.add(SKELETON.format(base=BASE, sha1=SHA1_OID, service_pw=SERVICE_PW))
        # The service account's password, as a host keeps it (root 0600).
        self.bindpw_file = os.path.join(self.dir, "bindpw")
        with open(self.bindpw_file, "w") as f:
            f.write(SERVICE_PW + "\n")
        os.chmod(self.bindpw_file, 0o600)

    def add(self, ldif):
        """As the database's rootdn (which no ACL restricts)."""
        run(["ldapadd", "-x", "-H", self.ldapi, "-D", ADMIN, "-w", ADMIN_PW], input=ldif)

    def search(self, dn, *attributes):
        """An entry's attributes as LDIF text, read as the rootdn."""
        return run(["ldapsearch", "-x", "-LLL", "-H", self.ldapi, "-D", ADMIN, "-w", ADMIN_PW, "-b", dn,
                    "-s", "base", *attributes]).stdout

    def modify(self, ldif):
        run(["ldapmodify", "-x", "-H", self.ldapi, "-D", ADMIN, "-w", ADMIN_PW], input=ldif)

    def client_env(self):
        env = dict(os.environ)
        env["LDAPTLS_CACERT"] = self.ca
        return env

    def start(self):
        self.process = subprocess.Popen([SLAPD, "-d", "0", "-F", self.confdir,
                                         "-h", f"{self.ldaps} {self.ldap} {self.ldapi}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.ldaps_port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("slapd exited: " + self.process.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.process.stderr.close()
        self.process = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def add_user(self, uid, password, secret=None, hotp=False, uid_number=30000):
        """A posixAccount; with `secret` (raw bytes) an OTP token linked to it."""
        dn = f"uid={uid},ou=people,{BASE}"
        token = f"cn={uid},ou=tokens,{BASE}"
        ldif = ""
        if secret is not None:
            ldif += (f"dn: {token}\nobjectClass: device\nobjectClass: oathTOTPToken\n"
                     f"cn: {uid}\n"
                     f"oathSecret:: {base64.b64encode(secret).decode()}\n"
                     f"oathTOTPParams: cn=totp,ou=params,{BASE}\n\n")
        ldif += (f"dn: {dn}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
                 + ("objectClass: oathTOTPUser\n" if secret is not None else "")
                 + f"uid: {uid}\ncn: {uid}\nsn: {uid}\nuidNumber: {uid_number}\n"
                 f"gidNumber: {uid_number}\nhomeDirectory: /home/{uid}\nuserPassword: {password}\n"
                 + (f"oathTOTPToken: {token}\n" if secret is not None else ""))
        self.add(ldif)
        return dn


# -- A client that binds once and keeps its connection ----------------------
def _ber(tag, content):
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + content


def _ber_string(value, tag=0x04):
    return _ber(tag, value if isinstance(value, bytes) else value.encode())


def _ber_int(value, tag=0x02):
    return _ber(tag, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _ber_elements(data):
    """[(tag, content)] of the BER elements that make up `data`."""
    out, at = [], 0
    while at < len(data):
        tag, first = data[at], data[at + 1]
        at += 2
        if first & 0x80:
            size = int.from_bytes(data[at:at + (first & 0x7f)], "big")
            at += first & 0x7f
        else:
            size = first
        out.append((tag, data[at:at + size]))
        at += size
    return out


class LdapSession:
    """One LDAP connection over ldapi:// kept open between operations, as a
    client that bound once and keeps its connection: slapd authorizes each
    later operation by the identity of that bind, however old (the otp
    overlay checks a code only inside the bind). Each operation returns
    (result code, diagnostic text); a closed connection raises
    ConnectionError. Speaks just enough LDAPv3 (RFC 4511) for that."""

    MODIFY_OPS = {"add": 0, "delete": 1, "replace": 2}

    def __init__(self, server):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(20)
        self.sock.connect(server.ldapi_path)
        self.message_id = 0

    def close(self):
        self.sock.close()

    def _read(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    def _request(self, operation):
        self.message_id += 1
        try:
            self.sock.sendall(_ber(0x30, _ber_int(self.message_id) + operation))
            head = self._read(2)
            size = head[1]
            if size & 0x80:
                size = int.from_bytes(self._read(size & 0x7f), "big")
            (_, message_id), (_, response) = _ber_elements(self._read(size))[:2]
        except OSError as e:
            raise ConnectionError(str(e)) from e
        if int.from_bytes(message_id, "big") == 0:  # a notice of disconnection
            raise ConnectionError("the server ended the session")
        parts = _ber_elements(response)
        return int.from_bytes(parts[0][1], "big"), parts[2][1].decode(errors="replace")

    def bind(self, dn, password):
        return self._request(_ber(0x60, _ber_int(3) + _ber_string(dn) + _ber_string(password, 0x80)))

    def modify(self, dn, *changes):
        """changes: ('add'|'delete'|'replace', attribute, [values])."""
        encoded = b"".join(
            _ber(0x30, _ber_int(self.MODIFY_OPS[op], 0x0a) + _ber(0x30, _ber_string(attribute) + _ber(
                0x31, b"".join(_ber_string(v) for v in values))))
            for op, attribute, values in changes)
        return self._request(_ber(0x66, _ber_string(dn) + _ber(0x30, encoded)))

    def add(self, dn, attributes):
        """attributes: {name: [values]}."""
        encoded = b"".join(_ber(0x30, _ber_string(name) + _ber(0x31, b"".join(_ber_string(v) for v in values)))
                           for name, values in attributes.items())
        return self._request(_ber(0x68, _ber_string(dn) + _ber(0x30, encoded)))

    def delete(self, dn):
        return self._request(_ber_string(dn, 0x4a))


# -- Two providers in mirror mode (ldap/fleet-mirror.ldif) ------------------
REPLICATOR = "cn=replicator,ou=services," + BASE
REPLICATOR_PW = "replicator-secret"


def read_entry(server, dn, *attributes):
    """`server.search`, but None when the entry is not there (yet)."""
    r = subprocess.run(["ldapsearch", "-x", "-LLL", "-H", server.ldapi, "-D", ADMIN, "-w", ADMIN_PW,
                        "-b", dn, "-s", "base", *attributes], capture_output=True, text=True)
    if r.returncode == 32:  # noSuchObject
        return None
    if r.returncode != 0:
        raise RuntimeError(f"ldapsearch {dn}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def wait_until(predicate, timeout, interval=0.01):
    """True once predicate() is; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


class MirrorPair:
    """Two providers on 127.0.0.1 (ports of their own) that replicate each
    other, set up as ldap/fleet-mirror.ldif tells an admin: both get the
    recipe's cn=config; the replication account is added to the first,
    whose entries the second (empty) copies; then the file, with the two
    servers' URLs, the account's password and a CA file with both test CAs
    put in, is applied to each over ldapi://. Returns once a change has
    gone each way. `a` and `b` are Slapd objects
    (their ldaps URLs, ca and bindpw_file as usual)."""

    def __init__(self, sync_timeout=30):
        self.a = self.b = None
        try:
            self.a = Slapd()
            self.b = Slapd(populate=False)
            self.a.add(f"dn: {REPLICATOR}\nobjectClass: device\nobjectClass: simpleSecurityObject\n"
                       f"cn: replicator\nuserPassword: {REPLICATOR_PW}\n")
            # Each test slapd has a CA of its own; a real pair shares one.
            self.ca_bundle = os.path.join(self.a.dir, "both-cas.pem")
            with open(self.ca_bundle, "w") as out:
                for server in (self.a, self.b):
                    with open(server.ca) as f:
                        out.write(f.read())
            with open(os.path.join(SOURCE_DIR, "ldap", "fleet-mirror.ldif")) as f:
                recipe = f.read()
            ldif = (recipe.replace("dc=example,dc=com", BASE)
                    .replace("ldap1.example.com", f"localhost:{self.a.ldaps_port}")
                    .replace("ldap2.example.com", f"localhost:{self.b.ldaps_port}")
                    .replace("REPLICATOR-PASSWORD", REPLICATOR_PW)
                    .replace("/etc/ssl/certs/example-ca.pem", self.ca_bundle))
            # The first provider first: its rule for the replication account
            # must be in place before the second copies it (otherwise the
            # copy lacks what the recipe's rules hide: passwords, secrets).
            # Its syncrepl cannot bind to the second until that has copied
            # the account, and retries (1 s).
            for server in (self.a, self.b):
                run(["ldapmodify", "-Y", "EXTERNAL", "-Q", "-H", server.ldapi], input=ldif)
            if not wait_until(lambda: read_entry(self.b, REPLICATOR) is not None, sync_timeout, 0.02):
                raise RuntimeError(f"the second provider did not copy the first in {sync_timeout} s")
            # And back: a change made on the second reaches the first.
            self.b.modify(f"dn: ou=services,{BASE}\nchangetype: modify\nreplace: description\n"
                          "description: replicated both ways\n")
            if not wait_until(lambda: "replicated both ways" in (read_entry(self.a, f"ou=services,{BASE}",
                                                                            "description") or ""),
                              sync_timeout, 0.02):
                raise RuntimeError(f"the first provider did not copy the second in {sync_timeout} s")
        except BaseException:
            self.cleanup()
            raise

    def servers(self):
        return (self.a, self.b)

    def wait_replicated(self, dn, *attributes, timeout=10, present=True):
        """Waits until `dn` (with every attribute given, as 'name: value'
        lines or bare names) is on both servers; False after `timeout`."""
        def there(server):
            text = read_entry(server, dn, *(a.split(":")[0] for a in attributes))
            if text is None:
                return not present
            return present and all((a if ":" in a else a + ":") in text for a in attributes)
        return wait_until(lambda: all(there(s) for s in self.servers()), timeout)

    def cleanup(self):
        for server in (self.b, self.a):
            if server:
                server.cleanup()
