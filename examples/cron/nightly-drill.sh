#!/usr/bin/env bash
# The nightly DR drill, run by cron (drbook-drill.cron) as the `drbook` account: `drbook drill`
# fails the plans over and undoes them again, unattended, and leaves its reports. Quiet when the
# drill succeeds; otherwise it prints what happened, which cron mails to MAILTO, and it always
# logs to syslog and to a log file beside the reports.
#
# Install: /usr/local/lib/drbook/nightly-drill.sh, mode 0755. Settings (environment; the cron
# file may set them):
#   DRBOOK           the drbook binary                           /usr/local/bin/drbook
#   DRBOOK_HOME      a checkout of the repository with runbooks/ /srv/drbook
#   DRBOOK_ENV_FILE  the credentials (see ../drbook.env.example) /etc/drbook/drbook.env
#   DRBOOK_DATA      reports/, state/ (journals) and logs/       /var/lib/drbook
#
# No flock: drbook locks the runbook and each of its plans itself, and exits with 3, naming the
# holder, when another drbook on this machine has one of them (see "exit codes" below).
set -euo pipefail

DRBOOK=${DRBOOK:-/usr/local/bin/drbook}
DRBOOK_HOME=${DRBOOK_HOME:-/srv/drbook}
DRBOOK_ENV_FILE=${DRBOOK_ENV_FILE:-/etc/drbook/drbook.env}
DRBOOK_DATA=${DRBOOK_DATA:-/var/lib/drbook}

# Reports name plans and servers: nobody else needs to read them.
umask 077

say() {
    # Syslog is best effort: a machine without a syslog socket must not stop the drill.
    logger -t drbook-drill -- "$*" 2>/dev/null || true
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$log"
}

# Prints to stdout, which cron mails: the verdict, where the evidence is, and the end of the
# drill's output.
tell() {
    say "$1"
    printf '%s\n\nhost: %s\nlog: %s\nreports: %s\n\n' "$1" "$(uname -n)" "$log" "$DRBOOK_DATA/reports"
    tail -n 40 "$log"
}

die() {
    tell "drbook nightly drill NOT RUN: $*"
    exit 2
}

# Reads KEY=VALUE lines the way systemd's EnvironmentFile= does, without running the file as
# shell code: 'single quotes' are literal, "double quotes" and bare values take backslash
# escapes. Only drbook's own variables are accepted, so a typo is an error, not a silent
# missing credential.
load_credentials() {
    local file=$1 line key value number=0
    [[ -f $file ]] || die "no credentials file $file"
    local owner mode
    owner=$(stat -c %U -- "$file")
    mode=$(stat -c %a -- "$file")
    [[ $owner == "$(id -un)" ]] || die "$file belongs to $owner, not to $(id -un), who runs the drill"
    if ((8#$mode & 8#077)); then
        die "$file has mode $mode: other accounts could read the VAO password; chmod 600 it"
    fi
    while IFS= read -r line || [[ -n $line ]]; do
        number=$((number + 1))
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        if [[ ! $line =~ ^(VAO_USERNAME|VAO_PASSWORD|VAO_TOKEN|DRBOOK_VAR_[A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
            die "$file:$number: expected VAO_USERNAME, VAO_PASSWORD, VAO_TOKEN or DRBOOK_VAR_<name> = value"
        fi
        key=${BASH_REMATCH[1]}
        value=${BASH_REMATCH[2]}
        if [[ $value =~ ^\'(.*)\'$ ]]; then
            value=${BASH_REMATCH[1]}
        elif [[ $value =~ ^\"(.*)\"$ ]]; then
            value=$(printf '%s' "${BASH_REMATCH[1]}" | sed -e 's/\\\(["\\$`]\)/\1/g')
        else
            value=$(printf '%s' "$value" | sed -e 's/\\\(.\)/\1/g')
        fi
        export "$key=$value"
    done <"$file"
}

mkdir -p "$DRBOOK_DATA/reports" "$DRBOOK_DATA/state" "$DRBOOK_DATA/logs"
log="$DRBOOK_DATA/logs/nightly-drill-$(date -u +%Y%m%dT%H%M%SZ).log"
: >>"$log"

load_credentials "$DRBOOK_ENV_FILE"
cd "$DRBOOK_HOME" || die "cannot enter $DRBOOK_HOME"
say "drbook nightly drill starting (runbooks/nightly-drill.yaml in $DRBOOK_HOME)"

# --yes: there is nobody to type the runbook's name; without it drbook refuses (exit 2).
# --report-format: the JUnit and HTML reports next to the JSON and Markdown ones.
status=0
"$DRBOOK" drill runbooks/nightly-drill.yaml \
    --yes \
    --report-dir "$DRBOOK_DATA/reports" \
    --state-dir "$DRBOOK_DATA/state" \
    --report-format json,md,junit,html \
    >>"$log" 2>&1 || status=$?

# Exit codes (README "Exit codes"). The wrapper passes drbook's code on, so a failed drill
# shows as failed to whatever watches the job, and it mails every outcome but success.
case $status in
0)
    say "drbook nightly drill succeeded"
    ;;
1)
    tell "drbook nightly drill FAILED (exit 1): a step failed, or the login or the connection did. If the clean-up failed too, the report names the plans left failed over."
    ;;
2)
    tell "drbook nightly drill NOT RUN (exit 2): invalid runbook, variables or credentials; nothing was sent to VAO."
    ;;
3)
    # Another drbook holds the runbook's or a plan's lock. Not a failed drill (nothing was
    # sent), but not a success either: a drill that runs for minutes still holding its lock a
    # day later, or an operator failing these plans over for real, needs a person, and
    # tonight's evidence is missing. So the code stays non-zero and the mail says SKIPPED.
    tell "drbook nightly drill SKIPPED (exit 3): another drbook run holds the lock (the log names it); nothing was sent to VAO."
    ;;
4)
    tell "drbook nightly drill NOT RUN (exit 4): the lock folder cannot be used (the log says why: permissions, a file in its place, a folder others can write into); nothing was sent to VAO. Fix it or set DRBOOK_LOCK_DIR."
    ;;
130)
    tell "drbook nightly drill INTERRUPTED (exit 130): stopped by a signal. Plans already failed over are named in the report; 'drbook resume RUN --yes --state-dir $DRBOOK_DATA/state --report-dir $DRBOOK_DATA/reports' continues it."
    ;;
*)
    tell "drbook nightly drill ended with unexpected exit code $status."
    ;;
esac
exit "$status"
