# shellcheck shell=bash
# Sourced by tests/cli/run.sh (its helpers: expect, contains, json_check, ok,
# bad; $BIN, $FIX, $TMP): output files as a tool run by root must write
# them, and rotated captures.

echo "  CLI      output files: symlinks, devices, FIFOs, inputs, modes"
O=$TMP/out-files
mkdir -p "$O"
echo precious >"$O/victim"
chmod 0644 "$O/victim"
ln -s victim "$O/link"
# --record --force through a symlink: refused, the file it names untouched
expect 1 "$BIN" replay --record "$O/link" --force "$FIX/atc-dmesg.log"
contains "$TMP/err" "link: is a symbolic link"
if [[ $(cat "$O/victim") == precious && $(stat -c %a "$O/victim") == 644 && -L "$O/link" ]]
then ok; else bad "--record --force wrote through a symlink"; fi
# --prom at a symlink: refused before anything is replayed
expect 1 "$BIN" replay --prom "$O/link" "$FIX/atc-dmesg.log"
contains "$TMP/err" "--prom $O/link: is a symbolic link"
if [[ $(cat "$O/victim") == precious && -L "$O/link" ]]; then ok; else bad "--prom replaced a symlink"; fi
# a device node of our own (the same as /dev/null): never chmodded, never replaced
if mknod "$O/null" c 1 3 2>/dev/null && chmod 0666 "$O/null"; then
	expect 1 "$BIN" replay --record "$O/null" --force "$FIX/atc-dmesg.log"
	contains "$TMP/err" "null: is a device node"
	expect 1 "$BIN" replay --prom "$O/null" "$FIX/atc-dmesg.log"
	if [[ -c "$O/null" && $(stat -c %a "$O/null") == 666 ]]; then ok
	else bad "device node changed: $(stat -c '%F %a' "$O/null")"; fi
else
	echo "  CLI      (not root: no device node of our own; device targets untested)"
fi
# a FIFO at the target: refused at once, nothing waits for a reader
mkfifo "$O/fifo"
expect 1 timeout 10 "$BIN" replay --prom "$O/fifo" "$FIX/atc-dmesg.log"
contains "$TMP/err" "fifo: is a FIFO"
expect 1 timeout 10 "$BIN" replay --record "$O/fifo" --force "$FIX/atc-dmesg.log"
contains "$TMP/err" "fifo: is a FIFO"
expect 1 "$BIN" replay --prom "$O" "$FIX/atc-dmesg.log"
contains "$TMP/err" "Is a directory"
mkdir "$O/dir.cap"
expect 1 "$BIN" replay --record "$O/dir.cap" --force "$FIX/atc-dmesg.log"
contains "$TMP/err" "dir.cap: Is a directory"
# the input itself: `replay --record X --force X` must not destroy X
cp "$FIX/atc-dmesg.log" "$O/in.log"
expect 1 "$BIN" replay --record "$O/in.log" --force "$O/in.log"
contains "$TMP/err" "in.log: is an input of this run"
if cmp -s "$O/in.log" "$FIX/atc-dmesg.log"; then ok; else bad "replay destroyed its input"; fi
expect 1 "$BIN" replay --prom "$O/in.log" "$O/in.log"
expect 1 bash -c "'$BIN' replay --record '$O/in.log' --force - <'$O/in.log'"
if cmp -s "$O/in.log" "$FIX/atc-dmesg.log"; then ok; else bad "replay destroyed its stdin file"; fi
# explicit modes whatever the umask; a replaced capture is a new file (old hard link intact)
expect 0 bash -c "umask 000; '$BIN' replay --prom '$O/m.prom' --record '$O/c.cap' '$FIX/atc-dmesg.log'"
if [[ $(stat -c %a "$O/m.prom") == 644 && $(stat -c %a "$O/c.cap") == 600 ]]; then ok
else bad "modes under umask 000: prom $(stat -c %a "$O/m.prom"), capture $(stat -c %a "$O/c.cap")"; fi
ln "$O/c.cap" "$O/c-old.cap"
expect 0 bash -c "umask 000; '$BIN' replay --prom '$O/m.prom' --record '$O/c.cap' --force '$FIX/example-host.log'"
if cmp -s "$O/c.cap" "$O/c-old.cap"; then bad "--force truncated the old capture in place"; else ok; fi
if [[ $(stat -c %a "$O/c.cap") == 600 && $(stat -c %a "$O/m.prom") == 644 ]]; then ok
else bad "modes after replacing"; fi
if ls -a "$O" | grep -q '^\.[^.]'; then bad "temporary file left behind: $(ls -a "$O")"; else ok; fi

echo "  CLI      rotated captures (--record-size, --record-files)"
R=$TMP/rot
mkdir -p "$R"
for i in $(seq 100); do cat "$FIX/example-host.log"; done >"$R/big.log"
expect 0 "$BIN" replay --json "$R/big.log"
cp "$TMP/out" "$R/log.json"
expect 0 "$BIN" replay --json --record "$R/r.cap" --record-size 4k "$R/big.log"
nfiles=$(ls "$R"/r.cap* | wc -l)
if ((nfiles >= 3)); then ok; else bad "--record-size 4k made $nfiles files"; fi
# a glob sorts r.cap.10 before r.cap.2: replay orders the set by its headers
expect 0 "$BIN" replay --json "$R"/r.cap*
if diff <(norm "$R/log.json") <(norm "$TMP/out") >"$TMP/diff"; then ok
else bad "rotated set replays differently from the log"; head -5 "$TMP/diff" >&2; fi
expect 0 "$BIN" replay --json "$R/r.cap.2" "$R/r.cap" "$R/r.cap.1" $(ls "$R"/r.cap.* | sed 1,2d) "$R/r.cap"
contains "$TMP/err" "the same file as"
if diff <(norm "$R/log.json") <(norm "$TMP/out") >/dev/null; then ok
else bad "rotated set given out of order, with a repeat, replays differently"; fi
# a missing middle file is named, the rest is still replayed, exit 1
expect 1 "$BIN" replay --json "$R/r.cap" "$R/r.cap.2"
contains "$TMP/err" "file #1 is missing between $R/r.cap and $R/r.cap.2"
json_check 'len(inc) > 0' "a rotated set with a gap still reports what it has"
# a ring of 2: the oldest files go, and what is left replays with the queue sizes
expect 0 "$BIN" replay --json --record "$R/q.cap" --record-size 4k --record-files 2 "$R/big.log"
kept=$(ls "$R"/q.cap* | wc -l)
if [[ $kept == 2 && ! -e "$R/q.cap" ]]; then ok; else bad "--record-files 2 kept: $(ls "$R"/q.cap*)"; fi
last=$(ls "$R"/q.cap.* | sort -t. -k3 -n | tail -1)
expect 0 "$BIN" replay --json "$last"
json_check 'summ["smmus"] and all(s["max_n_shift"] == 19 for s in summ["smmus"])' "the newest file of a ring replays alone with the queue sizes"
# a name the rotation would need is taken: refused at the start without --force
: >"$R/t.cap.1"
expect 1 "$BIN" replay --record "$R/t.cap" --record-size 4k "$R/big.log"
contains "$TMP/err" "t.cap.1: File exists (use --force to overwrite)"
expect 2 "$BIN" replay --record "$R/u.cap" --record-files 3 "$R/big.log"
contains "$TMP/err" "--record-files needs --record-size"
expect 2 "$BIN" replay --record "$R/u.cap" --record-size 0 "$R/big.log"
expect 2 "$BIN" replay --user nobody "$R/big.log"
expect 2 "$BIN" replay --accept-user-kmsg "$R/big.log"
