# shellcheck shell=bash
# What a lab deploy changes on this machine outside its namespaces, saved
# before and put back after, so that the lab (scripts/lab, the end-to-end
# test) leaves the machine as it found it: the servers' configuration written
# by the roles, the served root, the collection's state and the daemons' logs.
# Packages stay installed and nginx's user stays in group tftp.
#
#   lab_machine_save DIR      archive the paths below (and note which are absent)
#   lab_machine_restore DIR   remove the paths, then unpack the archive

LAB_MACHINE_PATHS=(
    /etc/nginx/conf.d/sipfleet-provisioning.conf
    /etc/nginx/sites-enabled/default
    /etc/nginx/sipfleet-provisioning
    /usr/local/libexec/sipfleet-provisioning
    /usr/local/sbin/sipfleet-dhcp-check-fragment
    /etc/default/tftpd-hpa
    /etc/tftpd-hpa.map
    /etc/kea/kea-dhcp4.conf
    /var/lib/kea
    /var/log/kea
    /etc/sipfleet
    /etc/logrotate.d/sipfleet-syslog
    /var/log/sipfleet
    /var/log/nginx/sipfleet-provisioning.access.log
    /var/log/nginx/sipfleet-provisioning.error.log
    /var/log/nginx/sipfleet-provisioning.scan.log
    /srv/provisioning
    /var/lib/sipfleet-provisioning
    # The dhcp role keeps the other DHCP servers from starting at boot.
    /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d /etc/rcS.d
)

lab_machine_save() {
    local dir=$1 path present=()
    mkdir -p "$dir"
    for path in "${LAB_MACHINE_PATHS[@]}"; do
        if [ -e "$path" ] || [ -L "$path" ]; then present+=("${path#/}"); fi
    done
    tar -C / --numeric-owner -cpf "$dir/machine.tar" "${present[@]}"
}

lab_machine_restore() {
    local dir=$1 path
    [ -f "$dir/machine.tar" ] || return 0
    for path in "${LAB_MACHINE_PATHS[@]}"; do
        rm -rf "$path"
    done
    tar -C / --numeric-owner -xpf "$dir/machine.tar"
}
