# git habits: revision names (HEAD, HEAD~N, HEAD^, prefixes, @{TIME}) everywhere a commit is
# taken; diff ENTRY (the last change); show (metadata and the change); log without an entry (the
# tenant's log), --oneline, --since, --until, --author, --grep, -p. Each write gets its own time
# (a minute apart) so that the tenant log's order is the order of the commits.
at() { local t=$1; shift; STRATA_TIME="$t+0000" "$@"; }
run init
at 1700000000 run put users u1 '{"name":"Ada"}' -m "add Ada"
at 1700000060 run --user bob put orders o1 '{"total":5}' -m "first order"
at 1700000120 run put users u2 '{"name":"Bob"}' -m "add Bob"
at 1700000180 run --user bob put users u1 '{"name":"Ada L"}' -m "rename Ada"
at 1700000240 feed '{"mode":"fast"}' save config -m "config"
note "HEAD, HEAD~N, HEAD^, @ and steps after a digest prefix"
run digest users --at HEAD
run digest users --at @
run digest users --at HEAD~1
run digest users --at HEAD^
run digest users --at HEAD~2
run digest users --at HEAD^^
run digest users --at HEAD^0
run digest users --at HEAD~3
run digest users --at HEAD^2
D=$("$STRATA_BIN" digest users)
run digest users --at "${D:0:8}~1"
run get users --at HEAD~1
run load config --at HEAD~1
note "@{TIME}: the latest commit at or before TIME (2023-11-14T22:13:20Z is the first commit)"
run get users --at '@{2023-11-14T22:15:30Z}'
run get users --at '@{2023-11-14 22:15:30}'
run get users --at '@{20231114 22:16:20}'
run get users --at '@{20231114 22:16:20 +0100}'
run get users --at 'HEAD@{2023-11-14T23:15:30+01:00}~1'
at 1700000300 run get users --at '@{2 minutes ago}'
run get users --at '@{2023-11-14T22:13:20.5Z}'
note "mistakes"
run digest users --at HEAD~x
run digest users --at 'HEAD@{noon}'
run digest users --at '@{2023-13-01}'
run digest users --at abc
run digest users --at zzzz
run digest users --at HEAD:u1
note "--as-of TIME on reads"
run get users --as-of 2023-11-14T22:15:30Z
run entries --as-of 2023-11-14T22:14:00Z
run exists config --as-of 2023-11-14T22:14:00Z
run get users --as-of '20231114 22:00:00'
run get users --as-of 2023-11-14T22:15:30Z --at HEAD
run get users --as-of soon
note "diff ENTRY: the last change; a first commit: everything it holds, as added"
run diff users
run diff config
run diff users HEAD~2
run diff users HEAD~2 HEAD~1
run diff users '@{2023-11-14T22:13:20Z}' HEAD
note "show: metadata and the change; HEAD without an entry is the tenant's newest commit"
run show
run show users
run show users HEAD~1
run show HEAD~0
run show "${D:0:10}"
run show "${D:0:10}^"
run show nosuch
note "restore and --expect-head take revisions"
at 1700000360 run restore users HEAD~2 -m "back to Ada alone" --expect-head HEAD
run get users
at 1700000370 run restore users HEAD~1 --expect-head HEAD~1
note "log without an entry: the tenant's log, every entry's commits newest first"
run log
run log --oneline
run log --oneline -n 2
run log --oneline --since 2023-11-14T22:15:00Z
run log --oneline --until '20231114 22:15:00'
run log --oneline --since 2023-11-14T22:14:00Z --until 2023-11-14T22:17:00Z
run log --oneline --author '^bob$'
run log --oneline --grep 'Ada'
run log --oneline --grep 'Ada' -n 1
run log users --oneline
run log users HEAD~2 --oneline
run log users --oneline -p
run log orders -p
run log config -p --oneline
run log --oneline -p -n 2
note "log mistakes"
run log --grep '('
run log --since someday
run log users nosuch1
run log nothing
