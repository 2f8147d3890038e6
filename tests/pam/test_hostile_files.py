"""Secret files that must be refused, each with a syslog reason and no hang (issue 8)."""
import base64
import os
import subprocess

from pamtest import *


@require_root
class HostileSecretFiles(PamTestCase):
    def setUp(self):
        super().setUp()
        self.box.add_user("alice")
        self.box.add_user("bob")
        self.secret = random_secret_hex()
        self.text = self.box.seal("alice", self.secret)
        self.path = self.box.secret_path("alice")
        self.svc = self.box.service("s", self.box.totp_line())

    def assertRefused(self, reason):
        r = self.box.auth(self.svc, "alice", oathtool_code(self.secret), timeout=20)
        self.assertNotEqual(r.rc, PAM_SUCCESS, r)
        self.assertEqual(r.prompts, ["Verification code: "])
        self.assertLogged("refused user alice")
        self.assertLogged(reason)
        self.assertNoSecretsLogged(self.secret)

    def test_good_file_works(self):
        self.box.write_user_file("alice", self.text)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(self.secret)), PAM_SUCCESS)

    def test_symlink(self):
        target = os.path.join(self.box.root, "elsewhere")
        with open(target, "w") as f:
            f.write(self.text)
        os.symlink(target, self.path)
        self.assertRefused("is a symbolic link")

    def test_fifo_does_not_hang(self):
        os.mkfifo(self.path)
        os.chown(self.path, self.box.users["alice"]["uid"], 0)
        self.assertRefused("not a regular file")

    def test_directory(self):
        os.mkdir(self.path)
        os.chown(self.path, self.box.users["alice"]["uid"], 0)
        self.assertRefused("not a regular file")

    def test_world_writable(self):
        self.box.write_user_file("alice", self.text, mode=0o666)
        self.assertRefused("is too open")

    def test_group_writable(self):
        self.box.write_user_file("alice", self.text, mode=0o620)
        self.assertRefused("is too open")

    def test_owned_by_another_user(self):
        # Readable by alice, so only the ownership check can refuse it.
        self.box.write_user_file("alice", self.text, mode=0o644)
        os.chown(self.path, self.box.users["bob"]["uid"], 0)
        self.assertRefused("owned by uid")

    def test_unreadable_by_the_user(self):
        # Read with alice's fsuid: root's power does not apply.
        self.box.write_user_file("alice", self.text)
        os.chown(self.path, self.box.users["bob"]["uid"], 0)
        self.assertRefused("Permission denied")

    def test_truncated(self):
        self.box.write_user_file("alice", self.text[: len(self.text) // 2])
        self.assertRefused("secret file")

    def test_oversized(self):
        self.box.write_user_file("alice", self.text + "#" * 5000)
        self.assertRefused("larger than 4096 bytes")

    def test_one_header_byte_edited(self):
        edited = self.text.replace("digits 6", "digits 7", 1)
        self.box.write_user_file("alice", edited)
        self.assertRefused("authentication failed: the file was modified or damaged")

    def test_ciphertext_byte_flipped(self):
        head, sealed = self.text.rsplit("sealed ", 1)
        raw = bytearray(base64.b64decode(sealed))
        raw[50] ^= 1
        self.box.write_user_file("alice", head + "sealed " + base64.b64encode(bytes(raw)).decode() + "\n")
        self.assertRefused("modified or damaged")

    def test_sealed_to_another_host_key(self):
        other = os.path.join(self.box.root, "otherkeys")
        os.mkdir(other, 0o700)
        subprocess.run([MAKE_SECRET_FILE, "host-key", other], check=True, capture_output=True)
        self.box.write_user_file("alice", self.box.seal("alice", self.secret, pub=os.path.join(other, "host.pub")))
        self.assertRefused("sealed to another host key")

    def test_file_of_another_user_copied_in(self):
        self.box.write_user_file("alice", self.box.seal("alice", self.secret, as_user="bob"))
        self.assertRefused('belongs to user "bob"')

    def test_garbage(self):
        self.box.write_user_file("alice", "\x00\xff" * 100)
        self.assertRefused("not a pam_totp version 1 or 2 secret file")

    def host_key_blocks(self, path):
        with open(path) as f:
            text = f.read()
        cut = text.index("-----END PRIVATE KEY-----\n") + len("-----END PRIVATE KEY-----\n")
        return text[:cut], text[cut:]

    def rewrite_host_key(self, text):
        with open(self.box.hostkey, "w") as f:  # keeps root:root 0600
            f.write(text)

    def test_host_key_with_its_private_block_only_still_works(self):
        # As `openssl genpkey -algorithm X25519` writes it: the module derives
        # the public half itself.
        private, public = self.host_key_blocks(self.box.hostkey)
        self.assertIn("-----BEGIN PUBLIC KEY-----", public)
        self.rewrite_host_key(private)
        self.box.write_user_file("alice", self.text)
        self.assertAuth(self.box.auth(self.svc, "alice", oathtool_code(self.secret)), PAM_SUCCESS)

    def test_host_key_with_a_foreign_public_block_opens_nothing(self):
        other = os.path.join(self.box.root, "otherkeys")
        os.mkdir(other, 0o700)
        subprocess.run([MAKE_SECRET_FILE, "host-key", other], check=True, capture_output=True)
        private, _ = self.host_key_blocks(self.box.hostkey)
        _, foreign_public = self.host_key_blocks(os.path.join(other, "host.key"))
        self.rewrite_host_key(private + foreign_public)
        self.box.write_user_file("alice", self.text)
        self.assertRefused("sealed to another host key")

    def test_unreadable_host_key_is_a_configuration_fault(self):
        self.box.write_user_file("alice", self.text)
        os.chmod(self.box.hostkey, 0o644)
        r = self.box.auth(self.svc, "alice", oathtool_code(self.secret))
        self.assertAuth(r, PAM_AUTHINFO_UNAVAIL)
        self.assertLogged("is too open")


if __name__ == "__main__":
    main()
