// totp-enroll --rekey: a new host key pair, and every enrolment re-sealed
// to it without anyone enrolling again. The previous key stays as
// host.key.old (which the module uses only for pins still sealed to it)
// until `--rekey --finish` finds no record that needs it. Safe to
// interrupt and run again: each step is decided by key-ids, under a lock on
// the key directory.
#pragma once

#include "cli_options.h"
#include "exit_codes.h"

namespace totp_enroll {

ExitCode run_rekey(const Options& options);

}  // namespace totp_enroll
