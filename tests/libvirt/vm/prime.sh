# shellcheck shell=dash disable=SC2154 # fails, MODE, T: set by lib.sh / host.sh
# prime.sh: the image's first boot, INSIDE the VM (tests/libvirt/host.sh
# runs it once per image and keeps the result). No maintainer script ran
# on the host; here systemd did what they would have: systemd-sysusers (the
# users and groups of sysusers.d), systemd-tmpfiles, the hwdb, the machine
# id; ldconfig (libc-bin's dpkg trigger) runs here. Shows and checks the
# state a test boot then starts from.
note "what libc-bin's dpkg trigger does after an unpack: ldconfig"
run "ldconfig"
run "systemctl is-system-running"
run "systemctl --failed --no-legend --plain"
note "units that failed on the first boot (none expected): $(systemctl --failed --no-legend --plain | awk '{ printf "%s ", $1 }')"
run "systemd-analyze blame | head -n 15"
run "journalctl -b -u systemd-sysctl.service --no-pager -o cat | tail -n 5"
run "getent passwd libvirt-qemu; getent group libvirt kvm"
check "systemd-sysusers made the users of sysusers.d (libvirt-qemu)" getent passwd libvirt-qemu
check "ldconfig made /etc/ld.so.cache" [ -s /etc/ld.so.cache ]
check "the machine id is set" [ -s /etc/machine-id ]
run "systemctl is-active systemd-udevd.service libvirtd.service"
run "virsh nodedev-list --cap ap_matrix"
check "libvirtd answers virsh (nodedev-list)" [ $? -eq 0 ]
run "mdevctl --version; virsh --version; lszcrypt -v 2>&1 | head -n 1"
[ "$fails" -eq 0 ]
