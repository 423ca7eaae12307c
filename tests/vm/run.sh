#!/usr/bin/env bash
# tests/vm/run.sh — run one command inside a stock Debian kernel (6.1 unless TSBPF_VM_KERNEL says
# otherwise), booted under QEMU (TCG).
#
#   tests/vm/run.sh [--timeout SECONDS] -- COMMAND [ARGS...]
#
# The development machines' own kernel has no kprobes and refuses fentry/fexit, so those probe
# kinds are tested in this guest. The guest sees the host's whole file system read-only (9p),
# runs COMMAND as root in the same working directory, and this script prints exactly what
# COMMAND wrote to stdout and stderr and exits with COMMAND's exit status.
#
# Exit status: COMMAND's, or 124 if the guest did not finish within --timeout seconds (it is
# killed), or 125 if the VM itself could not be set up or did not report a status.
#
# Environment:
#   TSBPF_VM_CACHE    where the kernel, the initramfs and per-run files live
#                     (default: <repo>/.cache/vm)
#   TSBPF_VM_KERNEL   the Debian kernel package to boot (default linux-image-amd64, bookworm's
#                     6.1; linux-image-6.12-amd64 is 6.12, which has kprobe_multi). A
#                     metapackage is resolved to the versioned package it depends on. Each
#                     package other than the default has its own cache, $TSBPF_VM_CACHE/PACKAGE
#   TSBPF_VM_CONSOLE  set to 1 to copy the guest's serial console (kernel log, init messages)
#                     to stderr after the run; it is otherwise shown only when the VM fails
#   TSBPF_VM_APPEND   more kernel command line options (e.g. "loglevel=7")
#   TSBPF_VM_STALL    seconds without output after which the guest counts as stuck and is
#                     stopped (default 600; exit status 124, as for --timeout)
#   TSBPF_VM_MEMORY   guest memory (default 6G: a whole Deno test run type-checks in it)
# Inside the guest, COMMAND sees PATH, LANG, LC_ALL, TZ and TSBPF_* from the host, HOME and
# DENO_DIR on a tmpfs, TSBPF_IN_VM=1, and /dev/null as stdin.
# See tests/vm/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${TSBPF_VM_CACHE:-$repo/.cache/vm}
kernel_pkg=${TSBPF_VM_KERNEL:-linux-image-amd64}
# The default kernel's files stay where they always were (an existing cache stays valid); any
# other package gets a directory of its own, so switching back and forth fetches nothing again.
kcache=$cache
[[ $kernel_pkg == linux-image-amd64 ]] || kcache=$cache/$kernel_pkg
timeout=600

# The guest's modules, in load order: the virtio PCI transport, the virtio-serial ports that
# carry stdout/stderr/status, and 9p for the host root. netfs and fscache only because Debian
# builds 9p with fscache support. A trailing "?": a module only some kernels have (6.12 builds
# fscache into netfs), skipped where it is neither built in nor shipped.
modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	virtio_console netfs fscache? 9pnet 9pnet_virtio 9p)

say() { echo "tsbpf vm: $*" >&2; }
die() { say "$*"; exit 125; }

usage() {
	echo "usage: $0 [--timeout SECONDS] -- COMMAND [ARGS...]" >&2
	exit 125
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--timeout) [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || usage; timeout=$2; shift 2 ;;
	--timeout=*) timeout=${1#*=}; [[ $timeout =~ ^[0-9]+$ && $timeout -gt 0 ]] || usage; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
done
[[ $# -gt 0 ]] || usage

# --- host packages -----------------------------------------------------------------------

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

# apt's output is kept in a log and shown only if apt fails. If another apt or dpkg is
# running, wait for it instead of failing. "apt-get update" only when the package lists are
# needed and do not have what we ask for (fresh container).
apt_quiet() {
	local log
	log=$(mktemp)
	if ! DEBIAN_FRONTEND=noninteractive "$@" -o DPkg::Lock::Timeout=300 >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

ensure_packages() {
	local need=() p
	# --no-install-recommends: qemu-system-x86 recommends a GUI, OVMF and more; we need none.
	# xz-utils and zstd unpack the kernel (usually present already, not in minimal containers).
	for p in qemu-system-x86 busybox-static cpio xz-utils zstd; do
		installed "$p" || need+=("$p")
	done
	[[ ${#need[@]} -eq 0 ]] && return 0
	[[ $(id -u) -eq 0 ]] || die "needs the Debian packages ${need[*]}: install them as root"
	if ! apt_quiet apt-get install -y -q --no-install-recommends "${need[@]}" 2>/dev/null; then
		apt_quiet apt-get update -q || die "apt-get update failed"
		apt_quiet apt-get install -y -q --no-install-recommends "${need[@]}" ||
			die "could not install ${need[*]}"
	fi
}

# --- kernel ------------------------------------------------------------------------------

# Debian's linux-image-amd64 (and linux-image-6.12-amd64) is a metapackage; the kernel is in
# the versioned package it depends on (e.g. linux-image-6.1.0-56-amd64). A versioned package
# named directly is taken as it is. We download that .deb and unpack it into the cache with
# dpkg -x: nothing goes into the host's /boot or /lib/modules, and the package manager does
# not learn of it. The first kernel fetched stays (one reproducible kernel for every later
# run); delete "$kcache/kernel" to fetch the newest one.
kernel_package() {
	local dep
	dep=$(apt-cache depends "$kernel_pkg" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [[ -n $dep ]]; then
		echo "$dep"
	elif apt-cache show --no-all-versions "$kernel_pkg" >/dev/null 2>&1; then
		echo "$kernel_pkg"
	fi
}

ensure_kernel() {
	[[ -f $kcache/kernel/.complete ]] && return 0
	local pkg dl
	pkg=$(kernel_package)
	if [[ -z $pkg ]]; then
		apt_quiet apt-get update -q || die "apt-get update failed"
		pkg=$(kernel_package)
		[[ -n $pkg ]] || die "cannot resolve the Debian package $kernel_pkg (TSBPF_VM_KERNEL) to a kernel"
	fi
	mkdir -p "$kcache"
	dl=$kcache/download
	rm -rf "$dl" "$kcache/kernel"
	mkdir -p "$dl"
	# apt warns that its _apt user cannot write here and downloads as root instead: harmless.
	(cd "$dl" && apt_quiet apt-get download -q "$pkg") || die "apt-get download $pkg failed"
	dpkg -x "$dl"/"$pkg"_*.deb "$dl/root" || die "cannot unpack $pkg"
	ls "$dl"/root/boot/vmlinuz-* >/dev/null 2>&1 || die "$pkg has no /boot/vmlinuz-*: not a kernel image package"
	mv "$dl/root" "$kcache/kernel"
	rm -rf "$dl"
	unpack_vmlinux "$kcache/kernel"
	touch "$kcache/kernel/.complete"
}

# Under TCG the bzImage's own decompressor takes ~3 s of every boot. Debian builds the kernel
# with CONFIG_PVH, so QEMU can start the uncompressed ELF vmlinux directly instead (its PVH
# entry point): we take the compressed payload out of the bzImage once, here. The boot
# protocol's setup header says where it is (payload_offset and payload_length, counted from
# the protected-mode code after the setup sectors); its last 4 bytes are the uncompressed size,
# which the result must have. 6.1 compresses with xz, 6.12 with zstd. If that fails for any
# reason, boots use the bzImage as before, only slower.
unpack_vmlinux() {
	local dir=$1 bz setup_sects off len size magic unpack
	bz=$(ls "$dir"/boot/vmlinuz-*)
	grep -q '^CONFIG_PVH=y' "$dir"/boot/config-* || return 0
	le32() { od -An -tu4 -j "$1" -N 4 "$bz" | tr -d ' '; }
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N 1 "$bz" | tr -d ' ')
	off=$(( (setup_sects + 1) * 512 + $(le32 $((0x248))) ))
	len=$(le32 $((0x24c)))
	[[ $len -gt 4 ]] || return 0
	size=$(le32 $((off + len - 4)))
	magic=$(od -An -tx1 -j "$off" -N 4 "$bz" | tr -d ' ')
	case $magic in
	fd377a58) unpack=(xz -dc) ;;
	28b52ffd) unpack=(zstd -qdc) ;;
	*) return 0 ;;
	esac
	# (Process substitution, not a pipe: head stops reading at the end of the payload, and
	# tail's resulting SIGPIPE is no error.)
	"${unpack[@]}" < <(tail -c +"$((off + 1))" "$bz" | head -c "$((len - 4))") >"$dir/vmlinux.tmp" 2>/dev/null &&
		[[ $(head -c 4 "$dir/vmlinux.tmp") == $'\x7fELF' && $(stat -c %s "$dir/vmlinux.tmp") == "$size" ]] &&
		mv "$dir/vmlinux.tmp" "$dir/vmlinux"
	rm -f "$dir/vmlinux.tmp"
}

# --- initramfs ---------------------------------------------------------------------------

# busybox-static, the init script and the modules. Rebuilt only when one of them changes.
ensure_initramfs() {
	local kver key stage m f optional
	kver=$(cd "$kcache/kernel/lib/modules" && ls)
	key=$( { echo "$kver ${modules[*]}"; sha256sum "$here/init" /bin/busybox; } | sha256sum)
	[[ -f $kcache/initramfs.cpio && $(cat "$kcache/initramfs.key" 2>/dev/null) == "$key" ]] && return 0

	stage=$kcache/initramfs.stage
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules}
	cp /bin/busybox "$stage/bin/busybox"
	cp "$here/init" "$stage/init"
	chmod 755 "$stage/init"
	: >"$stage/modules"
	for m in "${modules[@]}"; do
		optional=
		[[ $m == *\? ]] && { optional=1; m=${m%\?}; }
		# Built into the kernel: nothing to load.
		grep -q "/$m\.ko\$" "$kcache/kernel/lib/modules/$kver/modules.builtin" && continue
		f=$(find "$kcache/kernel/lib/modules/$kver/kernel" -name "$m.ko*" | head -n 1)
		[[ -z $f && -n $optional ]] && continue
		[[ -n $f ]] || die "module $m is neither built in nor shipped with kernel $kver"
		# busybox insmod reads plain .ko files only, so unpack compressed ones here.
		case $f in
		*.ko) cp "$f" "$stage/lib/modules/$m.ko" ;;
		*.ko.xz) xz -dc "$f" >"$stage/lib/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$stage/lib/modules/$m.ko" ;;
		*.ko.gz) gzip -dc "$f" >"$stage/lib/modules/$m.ko" ;;
		*) die "unknown module format: $f" ;;
		esac
		echo "$m" >>"$stage/modules"
	done
	# Uncompressed: it is a few MB, and the kernel unpacks it faster than it would inflate it.
	(cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet) >"$kcache/initramfs.cpio.tmp"
	mv "$kcache/initramfs.cpio.tmp" "$kcache/initramfs.cpio"
	echo "$key" >"$kcache/initramfs.key"
	rm -rf "$stage"
}

# --- the job -----------------------------------------------------------------------------

# Single-quote a word for any POSIX shell: ' becomes '\''. Survives every byte but NUL,
# which cannot be in an argument anyway.
quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# The script the guest runs in the chroot (with the host's /bin/sh): a clean environment with
# a few of the host's variables, a writable HOME and DENO_DIR on the guest's /tmp (tmpfs),
# the host's working directory, then COMMAND.
write_job() {
	local name arg
	{
		echo "# written by tests/vm/run.sh"
		for name in PATH LANG LC_ALL TZ $(compgen -e | grep '^TSBPF_' || true); do
			[[ -v $name ]] && echo "export $name=$(quote "${!name}")"
		done
		echo "export HOME=/tmp/home DENO_DIR=/tmp/home/.cache/deno TSBPF_IN_VM=1"
		# shellcheck disable=SC2016 # expanded by the guest's shell
		echo 'mkdir -p "$DENO_DIR"'
		echo "cd $(quote "$PWD") || exit 125"
		printf 'exec'
		for arg in "$@"; do printf ' %s' "$(quote "$arg")"; done
		echo
	}
}

# --- run ---------------------------------------------------------------------------------

mkdir -p "$cache"
# One run at a time prepares the cache; runs started together wait here, then find it ready.
exec 9>"$cache/.lock"
flock 9
ensure_packages
ensure_kernel
ensure_initramfs
exec 9>&-
kver=$(cd "$kcache/kernel/lib/modules" && ls)

run=$(mktemp -d "$cache/run.XXXXXX")
qpid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT

# The per-run part of the initramfs: /job.sh and /job.env in a second cpio archive appended
# to the cached one (the kernel unpacks concatenated archives in order). So no quoting has to
# survive the kernel command line, and no shared directory is needed.
mkdir "$run/job"
write_job "$@" >"$run/job/job.sh"
echo "cwd=$(quote "$PWD")" >"$run/job/job.env" # for init, which makes sure the guest has it
(cd "$run/job" && printf '%s\n' job.sh job.env | cpio -o -H newc -R 0:0 --quiet) >"$run/job.cpio"
cat "$kcache/initramfs.cpio" "$run/job.cpio" >"$run/initrd"

# COMMAND's stdout and stderr arrive on virtio-serial ports that QEMU writes into FIFOs; a cat
# on each copies them to our stdout and stderr as they come. We hold each FIFO's write end
# ourselves (fds 3 and 4) until QEMU has exited: the readers then never see end-of-file
# before QEMU has opened the FIFO, nor wait forever if QEMU fails before opening it.
# The copies in seen.* tell the stall check below that the guest is still printing.
mkfifo "$run/stdout" "$run/stderr"
cat "$run/stdout" | tee -a "$run/seen.out" &
cat_out=$!
cat "$run/stderr" | tee -a "$run/seen.err" >&2 &
cat_err=$!
exec 3>"$run/stdout" 4>"$run/stderr"

kernel=$kcache/kernel/boot/vmlinuz-$kver
[[ -f $kcache/kernel/vmlinux ]] && kernel=$kcache/kernel/vmlinux

# quiet + loglevel=0: keep the console short (it is shown only on failure). panic=-1: a
# crashed init becomes a reboot, which -no-reboot turns into QEMU exiting. mitigations=off:
# under TCG the Spectre v2 retpolines the kernel picks for the emulated CPU make every boot
# ~2 s slower and syscalls slower too; they change nothing we test (root's BPF programs skip
# the verifier's speculation hardening either way; only the JIT's code for indirect jumps
# differs). TSBPF_VM_APPEND adds to (and, for options given twice, overrides) this line.
cmdline="console=ttyS0 quiet loglevel=0 panic=-1 mitigations=off ${TSBPF_VM_APPEND:-}"

# thread=single: both vCPUs run in one host thread. With a thread each (MTTCG), enabling or
# disabling a tracepoint (the kernel patches its code through an int3, text_poke_bp) left the
# other vCPU trapping on the int3 in syscall_trace_enter for good: RCU stalls, the guest silent
# for half an hour (seen 4 times in about 12 runs, in both runtimes' passes). One thread sees
# its own code changes at once.
# shellcheck disable=SC2054 # the commas belong to QEMU's option syntax
qemu=(
	qemu-system-x86_64
	-accel tcg,thread=single -cpu max -m "${TSBPF_VM_MEMORY:-6G}" -smp 2
	-nographic -no-reboot -monitor none -nic none
	-kernel "$kernel"
	-initrd "$run/initrd"
	-append "$cmdline"
	-serial "file:$run/console"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-device virtio-serial-pci
	-chardev "file,id=out,path=$run/stdout" -device virtserialport,chardev=out,name=tsbpf.stdout
	-chardev "file,id=err,path=$run/stderr" -device virtserialport,chardev=err,name=tsbpf.stderr
	-chardev "file,id=st,path=$run/status" -device virtserialport,chardev=st,name=tsbpf.status
)

# timeout(1) sends QEMU SIGTERM when time is up (QEMU quits at once on it) and SIGKILL 10 s
# later if it has not. It runs in the background so that our INT/TERM trap can act while we
# wait; timeout passes those signals on to QEMU.
interrupted=
trap 'interrupted=1; [[ -n $qpid ]] && kill -TERM "$qpid" 2>/dev/null' INT TERM HUP
started=$SECONDS
timeout --kill-after=10 "$timeout" "${qemu[@]}" </dev/null >"$run/qemu.log" 2>&1 3>&- 4>&- &
qpid=$!

# A guest that prints nothing for TSBPF_VM_STALL seconds (default 600) is stuck, not slow: Debian's
# 6.1 under TCG has been seen with its CPUs stalled, printing kernel backtraces on its console, for
# half an hour. It is stopped then rather than at --timeout, and its console says why.
stall=${TSBPF_VM_STALL:-600}
printed=-1 quiet=0 stalled=
while kill -0 "$qpid" 2>/dev/null; do
	sleep 5 & wait $! || true # a trapped signal interrupts the wait, not the loop
	size=$(cat "$run/seen.out" "$run/seen.err" 2>/dev/null | wc -c)
	if [[ $size != "$printed" ]]; then printed=$size quiet=0; else quiet=$((quiet + 5)); fi
	if ((quiet >= stall)) && [[ -z $stalled ]]; then
		stalled=1
		kill -TERM "$qpid" 2>/dev/null
	fi
done
rc=0
wait "$qpid" && rc=0 || rc=$?
qpid=
exec 3>&- 4>&-
wait "$cat_out" "$cat_err" || true

# The console as plain text: without the firmware's terminal escapes and carriage returns.
console() {
	LC_ALL=C sed -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' "$run/console"
}

# What to look at when the VM failed: QEMU's own messages and the end of the guest console.
show_console() {
	if [[ -s $run/qemu.log ]]; then
		say "QEMU said:"
		sed 's/^/  /' "$run/qemu.log" >&2
	fi
	if [[ -s $run/console ]]; then
		say "last lines of the guest console:"
		console | tail -n 30 | sed 's/^/  /' >&2
	fi
}

[[ ${TSBPF_VM_CONSOLE:-} == 1 && -f $run/console ]] && console >&2
[[ -n $interrupted ]] && { say "interrupted"; exit 130; }
if [[ -n $stalled ]]; then
	say "stalled: the guest printed nothing for $stall s and was stopped"
	complaint=$(console 2>/dev/null | grep -m1 -A40 -E 'BUG:|rcu:|watchdog:|INFO:|WARNING:|Call Trace' || true)
	if [[ -n $complaint ]]; then
		say "the guest kernel's first complaint on its console:"
		sed 's/^/  /' <<<"$complaint" >&2
	fi
	show_console
	exit 124
fi

status=$(cat "$run/status" 2>/dev/null || true)
# 124: timeout's SIGTERM ended QEMU; 137 after the full time: its SIGKILL had to.
if [[ $rc -eq 124 || ($rc -eq 137 && $((SECONDS - started)) -ge $timeout) ]]; then
	say "timed out: the guest did not finish within $timeout s and was killed"
	show_console
	exit 124
elif [[ $status =~ ^[0-9]+$ ]]; then
	exit "$status"
else
	say "the guest stopped without reporting an exit status (QEMU exit status $rc)"
	show_console
	exit 125
fi
