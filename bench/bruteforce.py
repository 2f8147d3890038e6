#!/usr/bin/python3
"""Chance that an attacker who knows the password guesses a pam_totp code.

Simulates pam_totp's lockout schedule (core/policy.cpp): after `fail_limit`
consecutive wrong codes the user is locked for fail_lock * 2^locks seconds,
capped at `max_lock`; attempts during a lock are refused without being judged;
only a success resets the doubling. The attacker is given every advantage:
  - guesses cost no time at all outside the locks (no pam_faildelay, no ssh
    round trips), and parallel connections do not help because every attempt
    goes through the same per-user state file under flock;
  - each guess succeeds with probability (2*window+1) / 10^digits, i.e. replay
    protection never removes a code from the window (the owner never logs in)
    and the valid codes are assumed distinct;
  - guesses are independent (a real attacker can avoid repeating a code within
    one time step, which changes the figures by less than 0.01 %).
Optionally the owner logs in every `--owner-login-every` seconds, which resets
the doubling (locks = 0) and so gives the attacker more short locks.

Prints a Markdown table; the defaults are pam_totp's defaults.
"""

import argparse
import math

DAY = 86400
YEAR = 365 * DAY


def guesses_within(horizon, fail_limit, fail_lock, max_lock, seconds_per_guess, owner_every):
    """Number of judged guesses the attacker gets in `horizon` seconds."""
    t = 0.0
    guesses = 0
    locks = 0
    next_owner_login = owner_every if owner_every else math.inf
    while True:
        # One burst of fail_limit wrong guesses, then a lock.
        burst_time = fail_limit * seconds_per_guess
        if t + burst_time > horizon:
            remaining = horizon - t
            if seconds_per_guess > 0:
                guesses += int(remaining // seconds_per_guess)
            return guesses
        t += burst_time
        guesses += fail_limit
        lock = min(fail_lock * 2**locks, max_lock)
        locks += 1
        t += lock
        # The owner's successful login (after this lock) resets the doubling.
        while t >= next_owner_login:
            locks = 0
            next_owner_login += owner_every
        if t >= horizon:
            return guesses


def probability(guesses, p):
    # 1 - (1 - p)^n, computed without cancellation for tiny p.
    return -math.expm1(guesses * math.log1p(-p))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--window", type=int, default=1, help="TOTP steps each side (default 1)")
    ap.add_argument("--digits", type=int, default=6)
    ap.add_argument("--fail-limit", type=int, default=5)
    ap.add_argument("--fail-lock", type=int, default=30, help="first lock, seconds")
    ap.add_argument("--max-lock", type=int, default=900, help="cap on one lock, seconds")
    ap.add_argument("--seconds-per-guess", type=float, default=0.0)
    ap.add_argument("--owner-login-every", type=int, default=0, help="seconds; 0 = never")
    args = ap.parse_args()

    p = (2 * args.window + 1) / 10**args.digits
    rows = []
    for label, horizon in (("one hour", 3600), ("one day", DAY), ("one week", 7 * DAY),
                           ("30 days", 30 * DAY), ("one year", YEAR)):
        n = guesses_within(horizon, args.fail_limit, args.fail_lock, args.max_lock,
                           args.seconds_per_guess, args.owner_login_every)
        rows.append((label, n, probability(n, p)))

    print(f"window={args.window} ({2 * args.window + 1} valid codes), digits={args.digits}, "
          f"fail_limit={args.fail_limit}, fail_lock={args.fail_lock} s doubling to {args.max_lock} s, "
          f"{args.seconds_per_guess:g} s per guess, owner logs in "
          + (f"every {args.owner_login_every} s" if args.owner_login_every else "never"))
    print(f"chance per guess: {p:.1e}")
    print()
    print("| attacker's time | judged guesses | chance of a correct guess |")
    print("| --- | ---: | ---: |")
    for label, n, prob in rows:
        print(f"| {label} | {n:,} | {prob * 100:.3g} % (1 in {1 / prob:,.0f}) |")
    # The time at which the attacker reaches even odds, for scale.
    n_half = math.log(0.5) / math.log1p(-p)
    rounds = math.ceil(n_half / args.fail_limit)
    print()
    print(f"even odds need {n_half:,.0f} guesses, about {rounds * args.max_lock / YEAR:.1f} years "
          "of back-to-back capped locks")


if __name__ == "__main__":
    main()
