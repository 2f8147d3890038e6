#!/bin/sh
# private_tmp.sh COMMAND [ARG...]: runs COMMAND with a /tmp of its own when it
# can (root, unshare, overlayfs): in a private mount namespace, /tmp becomes
# an overlay whose lower layer is the real /tmp (so a checkout or build tree
# under /tmp is still there) and whose upper layer is a tmpfs that goes with
# the test. What the test creates in /tmp, nothing else sees. Without root or
# overlayfs, COMMAND runs as it is.
#
# Why: pam_wrapper gives every process that starts PAM a directory /tmp/pam.X,
# picked by checking for a free letter and then creating it; when two
# processes pick the same letter at once, the second carries on in the first
# one's directory, and whichever ends first removes it under the other one
# (pam_start then fails with PAM_ABORT). Each PAM test starts its processes
# one at a time, but tests running side by side under ctest -j (or another
# suite on the same machine) do not. With a /tmp per test they never share
# those directories, nor the 62 letters, and what a killed process leaves in
# /tmp goes with the test.
scratch=/run/pam_totp-private-tmp  # a mount point, mounted over only inside the namespace
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    mkdir -p "$scratch" 2>/dev/null &&
    unshare --mount --propagation private \
      sh -c 'mount -t tmpfs private_tmp "$1" && mkdir "$1/upper" "$1/work" && chmod 1777 "$1/upper" &&
             mount -t overlay private_tmp -o "lowerdir=/tmp,upperdir=$1/upper,workdir=$1/work" /tmp' \
      private_tmp "$scratch" 2>/dev/null; then
  exec unshare --mount --propagation private \
    sh -c 'mount -t tmpfs private_tmp "$1" && mkdir "$1/upper" "$1/work" && chmod 1777 "$1/upper" &&
           mount -t overlay private_tmp -o "lowerdir=/tmp,upperdir=$1/upper,workdir=$1/work" /tmp &&
           shift && exec "$@"' private_tmp "$scratch" "$@"
fi
exec "$@"
