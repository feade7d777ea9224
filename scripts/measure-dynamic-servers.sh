#!/bin/bash
# Measures what HAProxy does with servers added at run time (docs/servers-at-run-time.md).
# usage: scripts/measure-dynamic-servers.sh HAPROXY_BIN   (needs socat, python3; ports 17100-17101)
BIN=$1; D=$(mktemp -d /tmp/hc-dynamic.XXXX); S=$D/admin.sock
cd $D
python3 -m http.server 17101 --bind 127.0.0.1 >/dev/null 2>&1 & APP=$!
# The part every configuration here shares; $1 is the state file.
head(){ cat <<CFG
global
  stats socket $S level admin expose-fd listeners
  server-state-file $1
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  load-server-state-from-file global
frontend f
  bind 127.0.0.1:17100
  default_backend be
CFG
}
{ head $D/state; cat <<CFG
backend be
  balance roundrobin
  default-server inter 700 rise 2 fall 2 weight 7
  server s1 127.0.0.1:17101 check
  server-template slot 1-2 127.0.0.9:1 check disabled
backend hashed
  balance source
  hash-type map-based
  server h1 127.0.0.1:17101
backend consist
  balance uri
  hash-type consistent
  server c1 127.0.0.1:17101
CFG
} > h.cfg
cli(){ echo "> $1"; echo "$1" | socat - UNIX-CONNECT:$S | sed '/^$/d;s/^/  /'; }
$BIN -f h.cfg -D -p $D/pid || exit 1
sleep 0.5
$BIN -v | head -1
cli "add server be/s9 127.0.0.1:17101 check"
cli "add server be/s10 127.0.0.1:17101 check inter 500 rise 2 fall 2"
cli "add server be/s1 127.0.0.1:17101 check"
cli "add server hashed/s9 127.0.0.1:17101"
cli "add server consist/s9 127.0.0.1:17101"
cli "add server be/s11 127.0.0.1:17101 track be/s1"
cli "add server be/s12 127.0.0.1:17101 check agent-check"
cli "show servers state be"
echo "stat (name,status,weight,check_status,inter?):"; echo "show stat" | socat - UNIX-CONNECT:$S | awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i} $1=="be"{print "  "$2, $(h["status"]), $(h["weight"]), $(h["check_status"]), $(h["iid"]), $(h["sid"])}'
cli "enable server be/s9"
sleep 2
cli "show servers state be"
cli "del server be/s9"
cli "disable server be/s9"
cli "del server be/s9"
cli "del server be/s9"
cli "disable server be/s10"
cli "wait 2000 srv-removable be/s10"
cli "del server be/s10"
cli "disable server be/s1"
cli "del server be/s1"
cli "enable server be/s1"
cli "set server be/slot1 addr 127.0.0.1 port 17101"
cli "enable server be/slot1"
cli "add server be/s20 127.0.0.1:17101 check"
cli "show servers conn be"
echo "show servers state" | socat - UNIX-CONNECT:$S > $D/state
sleep 1
echo "state file dynamic lines:"; grep -E " (s20|s11) " $D/state | sed "s/^/  /"
echo "--- reload -sf"
$BIN -f h.cfg -D -p $D/pid2 -x $S -sf $(cat $D/pid)
sleep 1.5
cli "show servers state be"
kill $(cat $D/pid2) 2>/dev/null
echo "--- master CLI reload"
M=$D/master.sock
$BIN -W -S $M -f h.cfg -D -p $D/pid3
sleep 0.7
cli "add server be/s30 127.0.0.1:17101 check"
echo "show servers state" | socat - UNIX-CONNECT:$S > $D/state
echo "reload" | socat - UNIX-CONNECT:$M | head -3 | sed 's/^/  master: /'
sleep 2
cli "show servers state be"
kill $(cat $D/pid3) 2>/dev/null; sleep 0.3
# Slots that a state file might bring back at their run-time address: a name that does not
# resolve with init-addr, or an IP placeholder with init-addr last.
for T in "slot.invalid:1 init-addr last,none" "slot.invalid:1 init-addr last,127.0.0.9" "127.0.0.9:1 init-addr last,none"; do
  echo "--- server-template $T, state file, reload -sf"
  { head $D/state2; printf 'backend be\n  balance roundrobin\n  server-template slot 1-2 %s check inter 500\n' "$T"; } > h2.cfg
  rm -f $D/state2
  $BIN -f h2.cfg -D -p $D/pid4 2>/dev/null || exit 1
  sleep 0.5
  cli "show servers state be"
  cli "set server be/slot1 addr 127.0.0.1 port 17101"
  cli "set server be/slot1 state ready"
  sleep 1.5
  echo "show servers state" | socat - UNIX-CONNECT:$S > $D/state2
  $BIN -f h2.cfg -D -p $D/pid5 -x $S -sf $(cat $D/pid4) 2>/dev/null
  sleep 1.5
  cli "show servers state be"
  echo "stat after the reload:"; echo "show stat" | socat - UNIX-CONNECT:$S | awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i} $1=="be" && $2 ~ /slot/ {print "  "$2, $(h["status"]), $(h["addr"]), $(h["check_status"])}'
  kill $(cat $D/pid5) 2>/dev/null; sleep 0.3
done
kill $APP
