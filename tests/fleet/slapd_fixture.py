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

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pam_totp_slapd.")
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "db"))
        self.confdir = os.path.join(self.dir, "slapd.d")
        os.mkdir(self.confdir)
        self.ca, crt, key = make_ca(self.dir)
        self.ldaps_port, self.ldap_port = free_port(), free_port()
        self.ldaps = f"ldaps://localhost:{self.ldaps_port}/"
        self.ldap = f"ldap://localhost:{self.ldap_port}/"
        self.ldapi = "ldapi://" + os.path.join(self.dir, "ldapi").replace("/", "%2F")
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
