#include "list_command.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "core/secret_file.h"
#include "core/state_store.h"
#include "core/unique_fd.h"
#include "json_writer.h"
#include "record_access.h"
#include "record_status.h"
#include "terminal.h"

namespace totp_enroll {
namespace {

// What --list shows of one record. Everything but `user` is empty when the
// record is damaged.
struct Row {
    std::string user;
    std::optional<std::int64_t> uid;
    bool pinned = false;
    std::optional<std::string> type;      // of the pinned file: "totp", "hotp"
    std::optional<std::int64_t> created;  // the pinned file's header
    std::optional<std::int64_t> last_login;
    std::int64_t failures = 0;
    std::optional<std::int64_t> locked_until;  // only while the lock holds
    bool switch_waiting = false;
    std::optional<std::string> damaged;  // why the record cannot be read
};

Row damaged(const std::string& user, std::string why) {
    Row row;
    row.user = user;
    row.damaged = std::move(why);
    return row;
}

// Reads <dir>/<user> under its lock and lets go at once; nullopt when the
// record went away in the meantime.
std::optional<Row> read_row(const std::string& dir, const std::string& user, std::int64_t now) {
    auto opened = pam_totp::LockedStateFile::open_existing(dir, user);
    if (!opened) return damaged(user, opened.error().message);
    if (!*opened) return std::nullopt;
    const pam_totp::LockedStateFile& record = **opened;
    const pam_totp::UserState& state = record.state();
    Row row;
    row.user = user;
    if (state.has_uid) row.uid = state.uid;
    row.failures = state.failures;
    if (state.last_login > 0) row.last_login = state.last_login;
    if (state.locked_until > now) row.locked_until = state.locked_until;
    row.switch_waiting = state.pending.present;
    if (state.pin.present) {
        // Only the header: nothing is unsealed, no key is needed.
        auto bytes = record.pinned_file();
        if (!bytes) return damaged(user, bytes.error().message);
        auto parsed = pam_totp::parse_secret_file(*bytes);
        if (!parsed)
            return damaged(
                user, record.path() + ": the pinned file is not valid: " + parsed.error().message);
        row.pinned = true;
        row.type = std::string(pam_totp::otp_type_name(parsed->header.otp.type));
        row.created = parsed->header.created;
    }
    return row;
}

std::string text_time(const std::optional<std::int64_t>& seconds) {
    return seconds ? utc_time(*seconds) : "-";
}

// RFC 3339, for scripts: "2026-01-02T03:04:05Z".
std::optional<std::string> json_time(const std::optional<std::int64_t>& seconds) {
    if (!seconds) return std::nullopt;
    const std::time_t t = static_cast<std::time_t>(*seconds);
    struct tm parts {};
    char text[64] = {};
    if (!::gmtime_r(&t, &parts) ||
        std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0)
        return std::to_string(*seconds);
    return std::string(text);
}

std::string as_text(const std::vector<Row>& rows) {
    const std::vector<std::string> header = {"USER",     "UID",          "PINNED",
                                             "TYPE",     "CREATED",      "LAST LOGIN",
                                             "FAILURES", "LOCKED UNTIL", "SWITCH"};
    std::vector<std::vector<std::string>> cells;
    for (const Row& row : rows) {
        if (row.damaged) {
            cells.push_back({row.user});
            continue;
        }
        cells.push_back({row.user, row.uid ? std::to_string(*row.uid) : "-",
                         row.pinned ? "yes" : "no", row.type.value_or("-"), text_time(row.created),
                         text_time(row.last_login), std::to_string(row.failures),
                         text_time(row.locked_until), row.switch_waiting ? "yes" : "no"});
    }
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& line : cells)
        for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    auto format = [&](const std::vector<std::string>& line) {
        std::string out;
        for (std::size_t i = 0; i < line.size(); ++i) {
            out += line[i];
            if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 2, ' ');
        }
        return out;
    };
    std::string out = format(header) + "\n";
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].damaged)
            out += rows[r].user + std::string(width[0] - rows[r].user.size() + 2, ' ') +
                   "damaged: " + *rows[r].damaged;
        else
            out += format(cells[r]);
        out += "\n";
    }
    return out;
}

std::string as_json(const std::vector<Row>& rows) {
    std::vector<JsonObject> objects;
    for (const Row& row : rows) {
        JsonObject object;
        object.add_string("user", row.user);
        if (row.damaged) {
            for (const char* name : {"uid", "pinned", "type", "created", "last_login", "failures",
                                     "locked_until", "switch_waiting"})
                object.add_null(name);
            object.add_string("damaged", *row.damaged);
        } else {
            object.add_number_or_null("uid", row.uid)
                .add_bool("pinned", row.pinned)
                .add_string_or_null("type", row.type)
                .add_string_or_null("created", json_time(row.created))
                .add_string_or_null("last_login", json_time(row.last_login))
                .add_number("failures", row.failures)
                .add_string_or_null("locked_until", json_time(row.locked_until))
                .add_bool("switch_waiting", row.switch_waiting)
                .add_null("damaged");
        }
        objects.push_back(std::move(object));
    }
    return json_array(objects);
}

}  // namespace

ExitCode run_list(const Options& options) {
    // Checked against the real uid, like every root-only action.
    if (::getuid() != 0)
        return report(failure(ExitCode::refused,
                              "only root can list the records (the module's records are root's)"));
    auto names = record_names(options.statedir);
    if (!names) return report(names.error());
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::vector<Row> rows;
    bool any_damaged = false;
    for (const std::string& user : *names) {
        auto row = read_row(options.statedir, user, now);
        if (!row) continue;
        any_damaged |= row->damaged.has_value();
        rows.push_back(std::move(*row));
    }
    std::string out;
    if (options.json)
        out = as_json(rows);
    else if (rows.empty())
        out = options.statedir + ": no records\n";
    else
        out = as_text(rows);
    if (auto status = write_stdout(out); !status) return report(status.error());
    return any_damaged ? ExitCode::damaged_record : ExitCode::ok;
}

}  // namespace totp_enroll
