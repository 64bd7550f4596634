# shellcheck shell=bash
# tftpd-hpa reports each read request (--verbose) to syslog through /dev/log;
# the lab's machine has no system logger, so those lines, which close a TFTP
# key carrier's bootstrap window, would be lost. This gives the lab's
# in.tftpd a logger of its own and nothing else on the machine changes:
#
#   tftp_syslog_start DIR               an rsyslogd of the lab's listening on
#                                       DIR/log.sock (imuxsock), writing
#                                       in.tftpd's lines to DIR/tftpd.log
#   tftp_syslog_restart_tftpd NS DIR    restart tftpd-hpa (its init script) in
#                                       network namespace NS, in a mount
#                                       namespace of its own whose /dev has
#                                       the usual nodes and a log -> DIR/log.sock
#   tftp_syslog_stop DIR                stop that rsyslogd (by its pid file)
#
# The mount namespace is private: the host's /dev is never written to, and the
# namespace goes when in.tftpd does (lab_net_down kills it).

tftp_syslog_start() {
    local dir=$1
    # in.tftpd runs as user tftp: it must reach the socket.
    chmod 755 "$dir"
    cat >"$dir/rsyslog.conf" <<CONF
global(processInternalMessages="on" workDirectory="$dir")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$dir/log.sock")
if \$programname == "in.tftpd" then {
    action(type="omfile" file="$dir/tftpd.log" template="RSYSLOG_FileFormat")
}
CONF
    rsyslogd -N1 -f "$dir/rsyslog.conf" >/dev/null 2>&1 || { echo "rsyslogd rejects $dir/rsyslog.conf" >&2; return 1; }
    # rsyslogd creates the file with the first line; a deploy before any
    # TFTP request must find the log it is given (a missing one is warned of).
    : >"$dir/tftpd.log"
    # Not -n: rsyslogd goes into the background itself, so it is no job of
    # the caller's shell, whose "wait" and "jobs" stay the caller's own.
    rsyslogd -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" >"$dir/rsyslogd.out" 2>&1 ||
        { echo "rsyslogd did not start: $(cat "$dir/rsyslogd.out")" >&2; return 1; }
    for _ in $(seq 1 50); do
        [ -S "$dir/log.sock" ] && return 0
        sleep 0.1
    done
    echo "rsyslogd did not create $dir/log.sock: $(cat "$dir/rsyslogd.out")" >&2
    return 1
}

tftp_syslog_restart_tftpd() {
    local namespace=$1 dir=$2
    # shellcheck disable=SC2016  # expanded by the shell in the new mount namespace
    ip netns exec "$namespace" unshare --mount --propagation private /bin/sh -ec '
        dir=$1
        mkdir -p "$dir/host-dev"
        mount --rbind /dev "$dir/host-dev"
        mount -t tmpfs -o mode=0755,size=64k lab-tftpd-dev /dev
        for node in null zero full random urandom tty; do
            : >"/dev/$node"
            mount --bind "$dir/host-dev/$node" "/dev/$node"
        done
        ln -s /proc/self/fd /dev/fd
        ln -s "$dir/log.sock" /dev/log
        /etc/init.d/tftpd-hpa restart >/dev/null
    ' sh "$dir"
}

tftp_syslog_stop() {
    local dir=$1 pid
    pid=$(cat "$dir/rsyslogd.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = rsyslogd ]; then
        kill "$pid" 2>/dev/null || true
    fi
}
