# strata shell: commands line by line from stdin (not a terminal: no prompt), the shell's global
# options applied to every line, quoting, dot commands, errors that do not end the shell; an
# ambiguous digest prefix among many commits; the interactive path through tmux when present.
cat >script.txt <<'S'
# a comment, then a blank line

init
put users u1 '{"name":"Ada Lovelace"}' -m "first user"
put users u2 "{\"name\":\"Bob\"}" -m second\ user
get users
log --oneline
nosuch
get users u9
put users 'unterminated
.tenant
.tenant other
put notes n1 '"in other"'
tenants
.tenant
.frob
shell
.help
.quit
get users
S
record " < script.txt" --db db shell <script.txt
run --db db --tenant other get notes n1
note "end of input ends the shell; its exit code is the last failure's (0 when none)"
printf 'tenants\n' | record " <<< tenants" --db db shell
note "the shell's global options come before each line's words, which may override them"
printf 'get notes n1\nget notes n1 --tenant default\n' | record " <<< (two lines)" --db db --tenant other shell
note "an ambiguous digest prefix lists its candidates (1200 commits through the shell)"
for i in $(seq 1 1200); do echo "put amb k$i $i"; done >many.txt
"$STRATA_BIN" --db db shell <many.txt >/dev/null 2>&1
pre=$("$STRATA_BIN" --db db log amb --oneline | cut -c1-4 | sort | uniq -d | head -1)
amb_check() {
    "$STRATA_BIN" --db db show "$pre" 2>err.txt
    [ $? -eq 2 ] || return 1
    grep -q "digest prefix '$pre' is ambiguous: [0-9]* commits match: $pre[0-9a-f]* (amb), $pre" err.txt
}
check "a 4-digit prefix shared by two of 1200 commits exits 2 and names the candidates" amb_check
note "interactive (through tmux when it is installed): prompt, completion, history; only failures are shown"
tty_check() { # tty_check TEXT CMD...: a line in the transcript only when it fails
    local what=$1
    shift
    "$@" >/dev/null 2>&1 || echo "FAILED: $what" >>"$T"
}
screen_has() { # wait up to 10 s for the pane to show a fixed string
    local i
    for i in $(seq 1 100); do
        tmux -S "$sock" capture-pane -p >screen.txt 2>/dev/null
        grep -qF -- "$1" screen.txt && return 0
        sleep 0.1
    done
    return 1
}
if command -v tmux >/dev/null 2>&1; then
    sock="$PWD/tmux.sock"
    tmux -S "$sock" new-session -d -x 200 -y 50 \
        "env HOME=$PWD STRATA_HISTORY=$PWD/hist TERM=xterm $STRATA_BIN --db db shell; sleep 30"
    tty_check "the prompt names the tenant" screen_has 'strata:default>'
    tmux -S "$sock" send-keys 'ge' Tab
    tty_check "Tab completed 'ge' to the command 'get'" screen_has 'strata:default> get'
    tmux -S "$sock" send-keys ' us' Tab
    tty_check "Tab completed 'us' to the entry 'users'" screen_has 'strata:default> get users'
    tmux -S "$sock" send-keys ' u1' Enter
    tty_check "the command ran" screen_has '"Ada Lovelace"'
    tmux -S "$sock" send-keys '.quit' Enter
    tty_check "the shell ended" screen_has 'strata:default> .quit'
    sleep 0.3
    tmux -S "$sock" kill-server 2>/dev/null
    tty_check "the history file holds the line (libedit writes a blank as \\040)" \
        grep -Eq '^get( |.040)users( |.040)+u1$' hist
fi
