"""The Debian packages as an administrator gets them.

Builds libpam-totp and libpam-totp-ldap (fleet mode) with one
`dpkg-buildpackage -b -us -uc` from a copy of the source tree in a temp
directory (so nothing lands next to the checkout), checks what each .deb
holds (every file and its mode, nothing else, no s bit), that libpam-totp
does not depend on libldap while libpam-totp-ldap does (and not on
libpam-totp), and runs lintian on both, which must report no error and no
warning. Does not install the packages (that would change the machine's
/etc for every other test running at the same time); README.md's install
command, debian/install-from-source.sh, does that.

The package is built with Debian's compiler flags (dpkg-buildflags: -O2 and
the hardening flags) plus -Werror (DEB_CFLAGS_APPEND, DEB_CXXFLAGS_APPEND),
on every core (DEB_BUILD_OPTIONS=parallel=N), without -g
(DEB_CFLAGS_STRIP, DEB_CXXFLAGS_STRIP) and without the automatic -dbgsym
package (noautodbgsym): this is the suite's optimised build of the
shipped code, and a compiler warning in it fails the test (checked with a
shadowed, unused variable added to a core file: the build stopped there).
The test also checks that every compiler command of the build had -Werror.

With PACKAGE_OUTPUT_DIR set, the built module (before dh_strip, so with its
symbols) is copied there: the memcheck stress test runs it under valgrind.
The package does not depend on how the surrounding tree was built.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
OUTPUT_DIR = os.environ.get("PACKAGE_OUTPUT_DIR", "")
SKIP = 77

EXPECTED = {
    # package: {path in the .deb: mode}. Every file of each .deb must be
    # listed here (debhelper's changelog and lintian overrides aside).
    "libpam-totp": {
        "./lib/x86_64-linux-gnu/security/pam_totp.so": "-rw-r--r--",
        "./usr/bin/totp-enroll": "-rwxr-xr-x",
        "./usr/share/man/man1/totp-enroll.1.gz": "-rw-r--r--",
        "./usr/share/man/man5/pam_totp.5.gz": "-rw-r--r--",
        "./usr/share/man/man8/pam_totp.8.gz": "-rw-r--r--",
        "./usr/share/pam-configs/totp": "-rw-r--r--",
        "./usr/share/doc/libpam-totp/copyright": "-rw-r--r--",
    },
    # Fleet mode: each line of debian/libpam-totp-ldap.install has its file
    # here. No pam-auth-update profile: the module needs its options first
    # (pam_totp_ldap(8)).
    "libpam-totp-ldap": {
        "./lib/x86_64-linux-gnu/security/pam_totp_ldap.so": "-rw-r--r--",
        "./usr/bin/totp-enroll-ldap": "-rwxr-xr-x",
        "./usr/share/man/man1/totp-enroll-ldap.1.gz": "-rw-r--r--",
        "./usr/share/man/man8/pam_totp_ldap.8.gz": "-rw-r--r--",
        "./usr/share/doc/libpam-totp-ldap/copyright": "-rw-r--r--",
    },
}
# Files debhelper adds to every package, not checked one by one.
ALWAYS = ("./usr/share/doc/{package}/changelog.gz", "./usr/share/lintian/overrides/{package}")


def log(message):
    print(f"package: {message}", flush=True)


def build_environment():
    env = dict(os.environ)
    env["DEB_CFLAGS_APPEND"] = (env.get("DEB_CFLAGS_APPEND", "") + " -Werror").strip()
    env["DEB_CXXFLAGS_APPEND"] = (env.get("DEB_CXXFLAGS_APPEND", "") + " -Werror").strip()
    # No -g: dh_strip removes the debug information from the .deb anyway, and
    # the memcheck test needs only the symbol table, which the copy it gets
    # (taken before dh_strip) keeps. Measured alone on two cores: 145 s of CPU
    # for the build with -g, 105 s without.
    for flags in ("DEB_CFLAGS_STRIP", "DEB_CXXFLAGS_STRIP"):
        env[flags] = (env.get(flags, "") + " -g").strip()
    options = [o for o in env.get("DEB_BUILD_OPTIONS", "").split() if not o.startswith("parallel=")]
    # noautodbgsym: no libpam-totp-dbgsym package, debhelper's by-product that
    # nothing here checks; 19 s of CPU of the test's 158 (the .deb is the same).
    if "noautodbgsym" not in options:
        options.append("noautodbgsym")
    env["DEB_BUILD_OPTIONS"] = " ".join(options + [f"parallel={os.cpu_count() or 1}"])
    return env


def compiler_commands(log):
    """The compiler invocations in the build log (dh_auto_build runs make VERBOSE=1)."""
    return [line for line in log.splitlines()
            if re.search(r"(^|\s|/)(cc|c\+\+|gcc|g\+\+)(-\d+)?\s", line) and " -c " in line]


def check_contents(deb, package, expected):
    """Failures: files missing, with another mode, unexpected, or setuid."""
    failures = []
    listing = subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True,
                             text=True).stdout
    modes = {}
    for line in listing.splitlines():
        fields = line.split()
        modes[fields[5]] = fields[0]
    for path, mode in expected.items():
        if path not in modes:
            failures.append(f"{package}: {path} is not in the package")
        elif modes[path] != mode:
            failures.append(f"{package}: {path} has mode {modes[path]}, expected {mode}")
    always = {a.format(package=package) for a in ALWAYS}
    for path, mode in modes.items():
        if "s" in mode[1:]:
            failures.append(f"{package}: {path} is setuid or setgid ({mode})")
        if not mode.startswith("d") and path not in expected and path not in always:
            failures.append(f"{package}: {path} is in the package but not expected")
    return failures


def check_depends(debs):
    """libldap is fleet mode's alone: libpam-totp must not depend on it,
    libpam-totp-ldap must (from shlibs), and not on libpam-totp."""
    depends = {}
    for package, deb in debs.items():
        fields = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], check=True,
                                capture_output=True, text=True).stdout.strip()
        depends[package] = [d.strip().split()[0] for d in re.split(r"[,|]", fields) if d.strip()]
    log("Depends: " + "; ".join(f"{p}: {', '.join(d)}" for p, d in depends.items()))
    failures = []
    if any(re.match(r"lib(ldap|lber)", d) for d in depends["libpam-totp"]):
        failures.append(f"libpam-totp depends on libldap: {depends['libpam-totp']}")
    if not any(d.startswith("libldap") for d in depends["libpam-totp-ldap"]):
        failures.append(f"libpam-totp-ldap does not depend on libldap: {depends['libpam-totp-ldap']}")
    if "libpam-totp" in depends["libpam-totp-ldap"]:
        failures.append("libpam-totp-ldap depends on libpam-totp, which it does not need")
    for package in depends:
        if not any(d.startswith("libpam0g") for d in depends[package]):
            failures.append(f"{package} does not depend on libpam0g: {depends[package]}")
    return failures


def main():
    for tool in ("dpkg-buildpackage", "lintian", "dpkg-checkbuilddeps"):
        if not shutil.which(tool):
            print(f"FAIL: {tool} is missing (tests/run installs it)", flush=True)
            return 1
    arch = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], check=True,
                          capture_output=True, text=True).stdout.strip()
    expected = {package: {k.replace("x86_64-linux-gnu", arch): v for k, v in files.items()}
                for package, files in EXPECTED.items()}

    if OUTPUT_DIR and os.path.exists(os.path.join(OUTPUT_DIR, "pam_totp.so")):
        os.unlink(os.path.join(OUTPUT_DIR, "pam_totp.so"))  # never a module of an earlier run
    work = tempfile.mkdtemp(prefix="pam_totp_pkg.")
    try:
        tree = os.path.join(work, "pam-totp")
        os.mkdir(tree)
        subprocess.run(f"tar -C {SOURCE_DIR!r} --exclude=./.git --exclude='./build*' "
                       f"--exclude='./obj-*' -cf - . | tar -C {tree!r} -xf -",
                       shell=True, check=True)
        deps = subprocess.run(["dpkg-checkbuilddeps"], cwd=tree, capture_output=True, text=True)
        if deps.returncode != 0:
            print(f"FAIL: build dependencies missing: {deps.stderr.strip()}", flush=True)
            return 1
        env = build_environment()
        log(f"dpkg-buildpackage -b -us -uc (DEB_BUILD_OPTIONS={env['DEB_BUILD_OPTIONS']!r}, "
            "-Werror appended to CFLAGS and CXXFLAGS)")
        build = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree, env=env,
                               capture_output=True, text=True, timeout=1200)
        if build.returncode != 0:
            output = build.stdout + build.stderr
            warnings = [l for l in output.splitlines() if re.search(r"\b(warning|error):", l)]
            print(output[-5000:])
            if warnings:
                print("compiler diagnostics:\n" + "\n".join(warnings[:40]))
            print("FAIL: the package build failed", flush=True)
            return 1
        commands = compiler_commands(build.stdout + build.stderr)
        without = [c for c in commands if "-Werror" not in c.split()]
        if not commands or without:
            print("\n".join(without[:5]))
            print(f"FAIL: {len(without)} of {len(commands)} compiler commands without -Werror", flush=True)
            return 1
        with_g = [c for c in commands if "-g" in c.split()]
        if with_g:
            print(f"FAIL: {len(with_g)} compiler commands still with -g", flush=True)
            return 1
        if not any("ldap_client.cpp" in c for c in commands):
            print("FAIL: fleet mode (ldap_module/) was not compiled", flush=True)
            return 1
        log(f"{len(commands)} compiler commands, all with -O2 and -Werror"
            if all("-O2" in c.split() for c in commands) else
            f"{len(commands)} compiler commands, all with -Werror")
        if OUTPUT_DIR:
            built = glob.glob(os.path.join(tree, "obj-*", "pam_totp", "module", "pam_totp.so"))
            if len(built) != 1:
                print(f"FAIL: expected one built module in obj-*/, found {built}", flush=True)
                return 1
            os.makedirs(OUTPUT_DIR, exist_ok=True)
            shutil.copy2(built[0], os.path.join(OUTPUT_DIR, "pam_totp.so.new"))
            os.replace(os.path.join(OUTPUT_DIR, "pam_totp.so.new"), os.path.join(OUTPUT_DIR, "pam_totp.so"))
            log(f"the built module copied to {OUTPUT_DIR} (for the memcheck stress test)")
        built_debs = sorted(f for f in os.listdir(work) if f.endswith(".deb"))
        debs = {}
        for package in expected:
            found = [f for f in built_debs if f.startswith(package + "_")]
            if len(found) != 1:
                print(f"FAIL: expected one {package} .deb, found {built_debs}", flush=True)
                return 1
            debs[package] = os.path.join(work, found[0])
        if len(built_debs) != len(expected):
            print(f"FAIL: expected the .debs of {sorted(expected)}, found {built_debs}", flush=True)
            return 1
        deb = debs["libpam-totp"]

        failures = []
        for package, files in expected.items():
            failures += check_contents(debs[package], package, files)
        ldap_listing = subprocess.run(["dpkg-deb", "-c", debs["libpam-totp-ldap"]], check=True,
                                      capture_output=True, text=True).stdout
        if "/pam-configs/" in ldap_listing:
            failures.append("libpam-totp-ldap ships a pam-auth-update profile: the module needs "
                            "its options first (pam_totp_ldap(8))")
        if not failures:
            log("contents: " + "; ".join(f"{package}: {len(files)} files" for package, files in
                                        expected.items()) +
                ", each with its mode, no s bit, nothing else; a pam-auth-update profile "
                "(off) in libpam-totp only")
        depends = check_depends(debs)
        failures += depends
        if not depends:
            log("Depends: libldap for libpam-totp-ldap only")

        profile = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True,
                                 capture_output=True).stdout
        import io
        import tarfile
        with tarfile.open(fileobj=io.BytesIO(profile)) as tar:
            text = tar.extractfile("./usr/share/pam-configs/totp").read().decode()
        if "Default: no" not in text.splitlines():
            failures.append("the pam-auth-update profile is not off by default")

        changes = [f for f in os.listdir(work) if f.endswith(".changes")]
        lint = subprocess.run(["lintian", "--pedantic", "-I", "-E", os.path.join(work, changes[0])],
                              capture_output=True, text=True, timeout=600)
        tags = [l for l in lint.stdout.splitlines() if l[:2] in ("E:", "W:")]
        print("lintian:\n" + (lint.stdout.strip() or "(nothing)"), flush=True)
        if tags:
            failures.append("lintian reports errors or warnings:\n" + "\n".join(tags))
        elif lint.returncode not in (0,):
            failures.append(f"lintian exited {lint.returncode}: {lint.stderr.strip()}")
        else:
            log("lintian: no errors, no warnings")

        for f in failures:
            print(f"FAIL: {f}", flush=True)
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
