#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose: their $names are jq variables.
# shellcheck disable=SC2317  # parsers run through frag "parse_$name" and cleanup through trap: calls shellcheck cannot see.
#
# bench.sh - the Linux BenchTools client: inventories and benchmarks this machine, then submits the
# result to a Linux BenchTools server (POST /api/benchmark, see the server's CONTRACT.md).
#
#   curl -fsSL http://HOST:8007/bench.sh | sudo bash -s -- \
#        --server http://HOST:8007/api/benchmark --token TOKEN [--iperf-server HOST[:PORT]]
#   bash bench.sh --dry-run --short              # print the JSON, send nothing
#   bash bench.sh --dry-run --capture DIR        # also keep every raw command output in DIR
#   bash bench.sh --from-dir DIR --dry-run       # rebuild the JSON from such a capture, run nothing
#
# How it works. A live run first COLLECTS raw command outputs into a capture directory (a temporary
# one, or --capture DIR), then PARSES that directory into the submission; --from-dir DIR skips the
# collection. Each parser is one function (files in -> JSON fragment out, built with jq), tolerant of
# other locales, tool versions and garbage: what it cannot read becomes null, never a crash and never
# a wrong number. Every tool is optional and every failure is non-fatal; only jq is required.
#
# Capture files (names from the contract; each optional): lscpu.txt proc-cpuinfo.txt
# proc-meminfo.txt free.txt nproc.txt dmidecode.txt machine-id.txt os-release.txt uname.txt virt.txt
# lspci.txt glxinfo.txt lsblk.json|lsblk.txt df.txt smartctl/<disk>.json|.txt ip-addr.json|.txt
# ethtool/<iface>.txt ethtool-i/<iface>.txt sysbench-cpu-single.txt sysbench-cpu-multi.txt
# sysbench-memory.txt fio-<test>.json iperf3-up.json iperf3-down.json glmark2.txt.
# Repeats: each benchmark runs several times; repeat R >= 2 of a test goes to the contract's name
# with .rR before the extension (sysbench-memory.r2.txt, fio-seqread.r3.json, iperf3-up.r2.json).
# Extensions written by this script (also optional when replaying): lscpu-p.txt (lscpu -p),
# dmi-id.txt (/sys/class/dmi/id as name=value: what dmidecode did not give; in a container neither
# is read, nor replayed from an older capture: a container's DMI is its host's),
# cpu-sysfs.txt (sysfs CPU topology and caches), cpufreq.txt (cpu0 sysfs frequencies),
# conditions-before.txt / conditions-after.txt (load, governor, throttle counters, swap counters,
# power supplies, /proc/stat), cpu-busy.txt (/proc/stat over the 2 s before the benchmarks),
# cpu-freq-samples.txt and cpu-time-in-state.txt (clock sampled and cpufreq residency during the
# multi-thread CPU test), ping.txt (ping -c), capture-info.txt (run parameters, methods),
# not-collected.txt (what the inventory could not collect, and why), collect.log (tools' stderr).
#
# Repeats and methods: a category's tests run at least 3 and at most 5 times (network 2-3; GPU
# once), stopping once their scores agree (cv_pct at most CV_TARGET_*) or when one more repeat
# would overrun the category's time budget, as the Phoronix Test Suite does; --repeats N fixes
# the count. results.<category> carries samples (each repeat's score), cv_pct (sample standard
# deviation / mean, %), score (their median; the other figures are medians too) and method, the
# name of the test (tool, its version where results differ, parameters, and a -vN bumped whenever
# a change would move a machine's score). The tests: sysbench cpu prime 20000 (1 thread, then one
# per CPU) after a 1 s warm-up; sysbench memory, sequential write of one 64 MiB block by one
# thread after a 1 s warm-up (v3; v2 used a thread per CPU, v1 wrote a 256 MiB block); fio with
# direct I/O on a file written in full first, each test a fixed time after a ramp whose I/O is not
# counted (v2), a repeat's score the geometric mean of its four tests' (v3; the arithmetic mean
# before), the file system and device recorded (results.disk.filesystem, device); iperf3 up then
# down.
#
# fio's test file (256 MiB with --short, 1 GiB otherwise; always removed, even on Ctrl-C) goes in
# the first disk-backed directory of $TMPDIR, /var/tmp, $HOME, the current directory, /tmp (never
# one in RAM: tmpfs, ramfs, zram, an overlay whose upper layer is one of those).
#
# Scores: score = 100 x metric / reference, references below: a typical 4-core/8-thread 2020
# desktop scores about 100 in each category; fast hardware scores well above. Clamped to
# [0, 10000]. results.global_score is informative (the server computes its own).
# results.conditions (CONTRACT Part 2) records what could disturb a run: cpu_busy_percent (CPU
# time other processes used in the 2 s just before the first benchmark; bench.sh first waits, at
# most 20 s or 10 s with --short, for it to drop under IDLE_BUSY_PCT, as sbc-bench does, unless
# --no-wait-idle), idle_wait_s, cpu_steal_percent (hypervisor steal during the run), cpu_throttled
# (thermal throttle counters rose, or more than 5 % of the multi-thread CPU test ran below 85 % of
# the nominal clock per cpufreq time_in_state), cpu_time_below_nominal_percent, cpu_freq_dropped
# (last third of the clock samples < 90 % of the first third), cpu_governor, on_battery,
# virtualization, short_mode, scheduled (daily, weekly or monthly: a run of bench.sh --schedule's
# timer or cron job, else null), load_avg_1m/5m/15m (before), load_avg_1m_after, swap_in_pages /
# swap_out_pages (during the run), cpu_freq_before_mhz/after_mhz/min_mhz/max_mhz, fio_direct_io,
# cpu_threads_multi, started_at, finished_at (ISO 8601 UTC, on the server's clock when this one
# is more than 2 minutes off it), clock_offset_s (the seconds added to this clock for that: 0 when
# it was right, null when not checked), run_duration_s.
# results.network.target is the --iperf-server as given.
#
# Exit status: 0 the server answered "status": "ok" (or --dry-run succeeded); 1 the submission failed
# (the JSON is kept in a file and the command to resend it is printed), or the check before the
# benchmarks found the token refused or no API at --server; 2 usage error; 3 a requirement is
# missing (jq, curl, a writable TMPDIR with a few MB free); 4 another bench.sh still ran after
# 10 minutes (one live run at a time: BENCH_LOCK_FILE, by default /run/bench.sh.lock as root,
# else in the user's runtime directory, a user's run waiting for root's too); 130, 143, 129
# stopped by Ctrl-C, SIGTERM, SIGHUP.

# `sh bench.sh` or `curl ... | sudo sh -s --` would stop at the next line with "Illegal option"
[ -n "${BASH_VERSION:-}" ] || { echo "bench.sh: error: run it with bash (bash bench.sh ..., or curl ... | sudo bash -s -- ...), not sh" >&2; exit 3; }
set -u -o pipefail

readonly BENCH_SCRIPT_VERSION="1.3.10"

# --- Score references: what the reference machine (4-core/8-thread desktop of 2020, e.g. Core
# i7-10700 or Ryzen 5 3600, dual-channel DDR4, PCIe 3.0 NVMe SSD, gigabit Ethernet, integrated
# GPU) measures with exactly the parameters this script uses.
readonly REF_CPU_SINGLE_EPS=1200   # sysbench cpu --cpu-max-prime=20000, 1 thread: one ~4 GHz 2020 core
readonly REF_CPU_MULTI_EPS=6000    # same, one thread per logical CPU: 4 cores + SMT ~ 5x one core
readonly REF_MEMORY_MIB_S=14000    # sysbench memory write, one 64 MiB block (larger than a desktop L3,
                                   # so DRAM is measured, not cache), one thread: dual-channel DDR4
readonly REF_DISK_READ_MB_S=1500   # fio sequential read, 1 MiB blocks, QD8, direct I/O through the filesystem
readonly REF_DISK_WRITE_MB_S=1000  # fio sequential write, 1 MiB blocks, QD8
readonly REF_DISK_IOPS_READ=100000 # fio random read, 4 KiB blocks, QD32, one job
readonly REF_DISK_IOPS_WRITE=80000 # fio random write, 4 KiB blocks, QD32, one job
readonly REF_NETWORK_MBPS=1000     # gigabit Ethernet: mean of upload and download (TCP tops at ~940)
readonly REF_GPU_GLMARK2=2000      # glmark2 score of a 2020 integrated GPU (UHD 630 / Vega 8 class)
# Global score weights (the server's defaults), renormalised over the categories present.
readonly WEIGHTS_JSON='{"cpu":0.30,"memory":0.20,"disk":0.25,"network":0.15,"gpu":0.10}'

readonly TOTAL_STEPS=7
readonly TOOL_TIMEOUT=60           # seconds allowed to any one inventory command
readonly IDLE_BUSY_PCT=10          # the machine counts as idle below this share of CPU used by others
# seconds of /proc/stat in each look at how busy the machine is (busy_window): 2. For the tests
# only, BENCH_TEST_BUSY_WINDOW_S (a number of seconds) shortens it in runs that check no busy
# figure (a network test waited 2 s for it); unset or not a number, it is not read
BUSY_WINDOW_S=2
[[ ${BENCH_TEST_BUSY_WINDOW_S:-} =~ ^[0-9]*\.?[0-9]+$ ]] && BUSY_WINDOW_S=$BENCH_TEST_BUSY_WINDOW_S
readonly BUSY_WINDOW_S
# Repeats stop once the scores' coefficient of variation (sample std dev / mean, %) is this low
readonly CV_TARGET_CPU=1.0 CV_TARGET_MEMORY=1.5 CV_TARGET_DISK=2.5 CV_TARGET_NETWORK=5
readonly CLOCK_SKEW_MAX=120         # seconds this machine's clock may be off the server's before the run
                                   # is dated by the server's clock (clock_check)
readonly CLOCK_EARLIEST=1764547200 # 2025-12-01 UTC: a server's Date before this script is no clock either
# what systemd-detect-virt names a container (it names one before a VM it runs in): inside one,
# the DMI table (/sys/class/dmi/id, dmidecode) and the disks lsblk lists are the host's
readonly CONTAINERS="openvz lxc lxc-libvirt systemd-nspawn docker podman rkt wsl proot pouch container-other"

SERVER="" TOKEN="" DEVICE="" IPERF_SERVER="" IPERF_HOST="" IPERF_PORT=5201
IPERF_SAID="--iperf-server"   # where IPERF_SERVER came from, as the messages name it
IPERF_WRONG=""                # what iperf_server_parsed found wrong
HOST_NAME=""                       # the hostname a live run without --device goes by (host_name_checked)
SKIP_CPU=0 SKIP_MEMORY=0 SKIP_DISK=0 SKIP_NETWORK=0 SKIP_GPU=0
SHORT=0 DRY_RUN=0 OUTPUT="" CAPTURE="" FROM_DIR="" REPEATS="" WAIT_IDLE=1 WAIT_IDLE_MAX=""
TOKEN_FILE="" RESEND="" RETRIES=3
WORK="" CAP="" FIO_FILE="" SAMPLER_PID="" CHILD_PID="" CHILD_BEFORE=""
# SUBMITTING: the JSON being sent (kept if interrupted)
SUBMITTING=""
CLOCK_OFFSET=""                    # seconds added to this machine's clock to date the run: 0 when
                                   # within CLOCK_SKEW_MAX of the server's, empty when not checked
CLOCK_BASE=0                       # the server's time at boot (its Date less the uptime), once read
CLOCK_RECHECK=0                    # 1: the check before the run did not reach the server (clock_recheck)
RUN_STARTED_MS="" RUN_FINISHED_MS="" # now_ms when the run started and finished
IS_ROOT=0
[[ ${EUID:-$(id -u)} -eq 0 ]] && IS_ROOT=1
# Debian's PATH for users, and root by `su` (without -), lack the sbin directories where
# dmidecode, smartctl and ethtool live: they would be reported missing (ethtool reads a NIC's
# speed without root), or installed again for nothing
for sbin in /usr/local/sbin /usr/sbin /sbin; do
    [[ ":$PATH:" == *":$sbin:"* ]] || PATH="$PATH:$sbin"
done
export PATH

# ------------------------------------------------------------------------------ messages & usage

usage() {
    cat <<'EOF'
Usage: bench.sh --server URL --token TOKEN [options]

Inventory and benchmark this Linux machine, then submit the result to a Linux BenchTools server.

  --server URL          the server's API endpoint, e.g. http://HOST:8007/api/benchmark
                        (http://HOST:8007 alone is completed with /api/benchmark; required
                        unless --dry-run)
  --token TOKEN         API token sent as "Authorization: Bearer TOKEN" (required unless
                        --dry-run; or --token-file, or the BENCH_TOKEN environment variable).
                        Other users of the machine see a command's arguments (ps) while it runs
  --token-file FILE     read the token from FILE's first line (e.g. /root/.bench-token, mode 600:
                        what a cron job should use)
  --device NAME         device identifier (default: this machine's hostname)
  --iperf-server HOST[:PORT]
                        measure the network with iperf3 against HOST (port 5201 by default);
                        without it, against the iperf3 server the server names (its
                        IPERF_SERVER), else the network is not measured. HOST must be
                        another machine: against this one (localhost, one of its own
                        addresses) the figure says nothing about the network: bench.sh warns,
                        and a loopback figure (localhost, 127.0.0.0/8 however written, ::1,
                        0.0.0.0, ::) is left out of the global score
  --skip-cpu            skip the CPU benchmark (sysbench cpu)
  --skip-memory         skip the memory benchmark (sysbench memory)
  --skip-disk           skip the disk benchmark (fio)
  --skip-network        skip the network benchmark (iperf3)
  --skip-gpu            skip the GPU benchmark (glmark2)
  --short               short benchmarks: the whole run takes about 40 s (a minute with
                        the network test)
  --repeats N           run each benchmark exactly N times (1-9) instead of repeating it until
                        its results agree (3 to 5 times, within a time budget per category)
  --no-wait-idle        do not wait for the machine to go idle before the first benchmark (by
                        default bench.sh waits up to 20 s, 10 s with --short, while other
                        processes use 10 % of the CPUs or more)
  --wait-idle-max N     wait at most N seconds (1-3600) for the machine to go idle (a run of
                        --schedule waits up to 600 s)
  --dry-run             print the JSON on stdout and send nothing
  --retries N           when the server cannot be reached, does not answer in time or answers
                        that it is busy (HTTP 429, 502, 503, 504), send again up to N times
                        (0-9, default 3), after 10, 30, 90 s or as long as it asks (Retry-After);
                        the server stores a submission once, however often it is sent
  --resend FILE         send a submission kept by an earlier run (a failed submission keeps
                        its JSON and prints this command), run nothing
  --output FILE         also write the JSON to FILE
  --capture DIR         keep the raw output of every command in DIR (empty or new directory)
  --from-dir DIR        build the submission from a capture directory instead of running anything
  --schedule WHEN       after this run is stored, run bench.sh on this machine daily, weekly or
                        monthly, at night, with this run's options (as root: a systemd timer,
                        else a cron job; the token kept in /etc/benchtools/token, root's alone)
  --unschedule          remove what --schedule installed, run nothing
  --help                show this help and exit

Each category's score is the median of its repeats; results.<category> also carries the
repeats' scores (samples), their coefficient of variation (cv_pct) and the test's name (method).
The token and the server's URL are checked before the first benchmark (a wrong token stops
there, not after minutes of measuring). One run at a time: a second bench.sh started while
one runs waits for it (at most 10 min), as two runs at once measure each other.
Run as root for the full inventory (dmidecode, SMART) and so that missing tools (jq, curl,
sysbench, fio, iperf3, ping, glmark2, dmidecode, smartmontools, pciutils, ethtool) are installed with
apt-get; the summary lists what could not be collected and why. Exit status: 0 success,
1 submission failed (the JSON is kept and the command to resend it is printed) or the server
refused the token, 2 usage error, 3 missing requirement, 4 another bench.sh kept running,
130/143/129 stopped by Ctrl-C/SIGTERM/SIGHUP.
EOF
}

log() { printf '%s\n' "$*" >&2; }
warn() { printf 'bench.sh: warning: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'bench.sh: error: %s\n' "$*" >&2; exit "$code"; }

# what the outputs, the capture and the submission take at most (a capture is ~150 KB, a full
# run's repeats add ~200 KB): a full filesystem leaves every file empty, and the run would end
# with nothing to send
readonly MIN_FREE_KB=4096
free_kb() { df -P -k "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }
room_check() {
    # room_check DIR [SHOWN] : stop now (exit 3) when DIR's filesystem has less than MIN_FREE_KB
    # free; SHOWN is how the message names the place (the directory DIR is in, say)
    local avail
    avail=$(free_kb "$1")
    [[ $avail =~ ^[0-9]+$ ]] || return 0
    ((avail >= MIN_FREE_KB)) && return 0
    die 3 "only ${avail} KB free in ${2:-$1}: bench.sh needs ${MIN_FREE_KB} KB there for its outputs (free some space, or set TMPDIR to a directory with room)"
}
usage_error() {
    printf 'bench.sh: error: %s\n' "$*" >&2
    printf "Try 'bench.sh --help' for the list of options.\n" >&2
    exit 2
}
step() { local n=$1; shift; printf '[%s/%s] %s\n' "$n" "$TOTAL_STEPS" "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
# says TEXT COMMAND...: whether the command's output (and its errors) holds TEXT, read whole. A
# pipe into grep -q was not: grep leaves at its first match, the command writing on is killed
# by SIGPIPE, and under pipefail the test failed at random (iperf3 --help: 28 times in 50, and
# each test to a silent server waited 35 s instead of 5)
says() {
    local text=$1 out
    shift
    out=$("$@" 2>&1)
    [[ $out == *"$text"* ]]
}

# ------------------------------------------------------------------------------ arguments

need_value() {
    # $1 option, $2 number of remaining words, $3 the candidate value
    if (($2 < 2)) || [[ -z $3 || $3 == --* ]]; then
        usage_error "option $1 needs a value"
    fi
}

parse_args() {
    while (($#)); do
        case $1 in
            --server) need_value "$1" $# "${2-}"; SERVER=$2; shift 2 ;;
            # a token is any word (one of token_urlsafe's may begin with --)
            --token) if (($# < 2)) || [[ -z ${2-} ]]; then usage_error "option --token needs a value"; fi; TOKEN=$2; shift 2 ;;
            --token=*) TOKEN=${1#*=}; [[ -n $TOKEN ]] || usage_error "option --token needs a value"; shift ;;
            --token-file) need_value "$1" $# "${2-}"; TOKEN_FILE=$2; shift 2 ;;
            --resend) need_value "$1" $# "${2-}"; RESEND=$2; shift 2 ;;
            --retries) need_value "$1" $# "${2-}"; RETRIES=$2; shift 2 ;;
            --device) need_value "$1" $# "${2-}"; DEVICE=$2; shift 2 ;;
            --iperf-server) need_value "$1" $# "${2-}"; IPERF_SERVER=$2; shift 2 ;;
            --output) need_value "$1" $# "${2-}"; OUTPUT=$2; shift 2 ;;
            --capture) need_value "$1" $# "${2-}"; CAPTURE=$2; shift 2 ;;
            --from-dir) need_value "$1" $# "${2-}"; FROM_DIR=$2; shift 2 ;;
            --repeats) need_value "$1" $# "${2-}"; REPEATS=$2; shift 2 ;;
            --schedule) need_value "$1" $# "${2-}"; SCHEDULE=$2; shift 2 ;;
            --wait-idle-max) need_value "$1" $# "${2-}"; WAIT_IDLE_MAX=$2; shift 2 ;;
            --server=* | --device=* | --iperf-server=* | --output=* | --capture=* | --from-dir=* | --repeats=* | --token-file=* | --resend=* | --retries=* | --schedule=* | --wait-idle-max=*)
                set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
            --skip-cpu) SKIP_CPU=1; shift ;;
            --skip-memory) SKIP_MEMORY=1; shift ;;
            --skip-disk) SKIP_DISK=1; shift ;;
            --skip-network) SKIP_NETWORK=1; shift ;;
            --skip-gpu) SKIP_GPU=1; shift ;;
            --short) SHORT=1; shift ;;
            --no-wait-idle) WAIT_IDLE=0; shift ;;
            --unschedule) UNSCHEDULE=1; shift ;;
            --dry-run) DRY_RUN=1; shift ;;
            -h | --help) usage; exit 0 ;;
            *) usage_error "unknown option or argument: $1" ;;
        esac
    done

    read_token
    if [[ -n $RESEND ]]; then
        ((DRY_RUN)) && usage_error "--resend sends a kept submission: it cannot be used with --dry-run"
        [[ -z $CAPTURE && -z $FROM_DIR ]] || usage_error "--resend runs nothing: it cannot be used with --capture or --from-dir"
        # what a run would measure or write: the kept submission is sent as it is
        if [[ -n $DEVICE$OUTPUT$IPERF_SERVER$REPEATS$WAIT_IDLE_MAX ]] || ((SHORT || SKIP_CPU || SKIP_MEMORY || SKIP_DISK || SKIP_NETWORK || SKIP_GPU || !WAIT_IDLE)); then
            usage_error "--resend sends the kept submission as it is: only --server, --token/--token-file and --retries go with it"
        fi
        [[ -f $RESEND && -r $RESEND ]] || usage_error "--resend: cannot read '$RESEND'"
    fi
    [[ $RETRIES =~ ^[0-9]$ ]] || usage_error "--retries N must be a number from 0 to 9 (got '$RETRIES')"
    if [[ -n $SCHEDULE ]] || ((UNSCHEDULE)); then schedule_checked; fi
    if ((!DRY_RUN && !UNSCHEDULE)); then
        [[ -n $SERVER ]] || usage_error "--server URL is required (the full http://HOST:8007/api/benchmark URL), or use --dry-run to print the JSON without sending it"
        [[ -n $TOKEN ]] || usage_error "--token TOKEN (or --token-file FILE, or BENCH_TOKEN in the environment) is required to submit (or use --dry-run)"
    fi
    # a URL pasted with spaces or a Windows line end (\r) around it: curl refused it at the end
    SERVER=${SERVER#"${SERVER%%[![:space:]]*}"}
    SERVER=${SERVER%"${SERVER##*[![:space:]]}"}
    if [[ -n $SERVER && ! $SERVER =~ ^https?://[^/[:space:]]+ ]]; then
        usage_error "--server must be an http:// or https:// URL, e.g. http://HOST:8007/api/benchmark (got '$SERVER')"
    fi
    if [[ -n $SERVER ]]; then complete_server_url; fi
    if [[ -n $REPEATS ]] && ! [[ $REPEATS =~ ^[1-9]$ ]]; then
        usage_error "--repeats N must be a number from 1 to 9 (got '$REPEATS')"
    fi
    if [[ -n $WAIT_IDLE_MAX ]]; then
        if ! [[ $WAIT_IDLE_MAX =~ ^[1-9][0-9]{0,3}$ ]] || ((WAIT_IDLE_MAX > 3600)); then
            usage_error "--wait-idle-max N must be a number of seconds from 1 to 3600 (got '$WAIT_IDLE_MAX')"
        fi
        ((WAIT_IDLE)) || usage_error "--wait-idle-max and --no-wait-idle cannot be used together"
    fi
    # what the server refuses as a device_identifier: said now, not after the benchmarks
    local problem
    if [[ -n $DEVICE ]] && problem=$(device_name_refused "$DEVICE"); then usage_error "--device NAME $problem"; fi
    [[ -n $CAPTURE && -n $FROM_DIR ]] && usage_error "--capture and --from-dir cannot be used together"
    if [[ -n $FROM_DIR && ! -d $FROM_DIR ]]; then
        usage_error "--from-dir: '$FROM_DIR' is not a directory"
    fi
    if [[ -n $CAPTURE && -e $CAPTURE ]]; then
        [[ -d $CAPTURE ]] || usage_error "--capture: '$CAPTURE' exists and is not a directory"
        [[ -z $(ls -A "$CAPTURE" 2>/dev/null) ]] || usage_error "--capture: directory '$CAPTURE' is not empty"
    fi
    # said before anything is measured, not after the run's minutes: a file that cannot be written
    if [[ -n $OUTPUT ]]; then
        [[ -d $OUTPUT ]] && usage_error "--output: '$OUTPUT' is a directory: give a file's path"
        local into
        into=$(dirname -- "$OUTPUT")
        [[ -d $into ]] || usage_error "--output: there is no directory '$into'"
        if [[ -e $OUTPUT && ! -w $OUTPUT ]] || [[ ! -e $OUTPUT && ! -w $into ]]; then
            usage_error "--output: cannot write '$OUTPUT' (read-only, or another user's)"
        fi
    fi
    if [[ -n $IPERF_SERVER ]]; then
        iperf_server_parsed "$IPERF_SERVER" || usage_error "--iperf-server: $IPERF_WRONG"
    fi
}

iperf_server_parsed() {
    # iperf_server_parsed HOST[:PORT] : sets IPERF_HOST and IPERF_PORT; else IPERF_WRONG says
    # what is wrong
    local host=$1 port=5201
    if [[ $host =~ ^\[([^]]+)\](:([0-9]+))?$ ]]; then          # [IPv6]:port
        host=${BASH_REMATCH[1]}; port=${BASH_REMATCH[3]:-5201}
    elif [[ $host =~ ^([^:]+):([^:]*)$ ]]; then                  # host:port
        host=${BASH_REMATCH[1]}; port=${BASH_REMATCH[2]}
    fi                                                           # else host or bare IPv6
    if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        IPERF_WRONG="invalid port in '$1' (HOST or HOST:PORT)"; return 1
    fi
    [[ -n $host && ! $host =~ [[:space:]/] ]] || { IPERF_WRONG="invalid host in '$1'"; return 1; }
    IPERF_HOST=$host IPERF_PORT=$port
}

device_name_refused() {
    # device_name_refused NAME : true, saying why, when the server would refuse NAME as a
    # device_identifier (a 400 at the end of the run, which no resend can mend)
    local name=$1
    if ((${#name} > 255)); then printf 'must be at most 255 characters'; return 0; fi
    if [[ -z ${name//[[:space:]]/} ]]; then printf 'must not be blank'; return 0; fi
    # control characters, and the invisible ones the server refuses too (UTF-8 bytes, in any
    # locale; inventory/validators.py lists them): C1 controls, no-break and other spaces,
    # the soft hyphen, zero-width spaces and joiners, direction marks, overrides and isolates,
    # line and paragraph separators, fillers and blanks, variation selectors, a BOM, tags
    if [[ $name == *[[:cntrl:]]* ]] || printf '%s' "$name" | LC_ALL=C grep -qP \
        '\xc2[\x80-\xa0\xad]|\xcd\x8f|\xd8\x9c|\xe1\x85[\x9f\xa0]|\xe1\x9e[\xb4\xb5]|\xe1\xa0[\x8b-\x8f]|\xe2\x80[\x80-\x8f\xa8-\xaf]|\xe2\x81[\x9f-\xa4\xa6-\xaf]|\xe2\xa0\x80|\xe3\x80\x80|\xe3\x85\xa4|\xef\xb8[\x80-\x8f]|\xef\xbb\xbf|\xef\xbe\xa0|\xef\xbf[\xb9-\xbb]|\xf3\xa0[\x80\x81][\x80-\xbf]' 2>/dev/null; then
        printf 'must not contain a control or invisible character (a tab, a line break, a zero-width space...)'
        return 0
    fi
    return 1
}

host_name_checked() {
    # the name a run without --device goes by, this machine's hostname (uname -n: the whole of
    # it, which uname -a's second word is not when it holds a space), checked as --device is,
    # before anything is measured
    local problem
    HOST_NAME=$(uname -n 2>/dev/null)
    problem=$(device_name_refused "$HOST_NAME") || return 0
    usage_error "this machine's hostname $(printf '%q' "$HOST_NAME") names the device, and a device name $problem: give --device NAME"
}

read_token() {
    # --token, else --token-file's first line, else $BENCH_TOKEN
    if [[ -n $TOKEN_FILE ]]; then
        [[ -n $TOKEN ]] && usage_error "give the token once: --token or --token-file"
        # a file, or a pipe: --token-file <(pass show bench) keeps the token out of every file
        [[ -r $TOKEN_FILE && ! -d $TOKEN_FILE ]] || usage_error "--token-file: cannot read '$TOKEN_FILE'"
        IFS= read -r TOKEN <"$TOKEN_FILE" || true
        TOKEN=${TOKEN//[[:space:]]/}
        [[ -n $TOKEN ]] || usage_error "--token-file: '$TOKEN_FILE' holds no token on its first line"
        local mode
        mode=$(stat -L -c %a -- "$TOKEN_FILE" 2>/dev/null)
        if [[ $mode =~ ^[0-7]+$ ]] && (((8#$mode & 8#077) != 0)); then
            warn "--token-file: other users may read '$TOKEN_FILE' (mode $mode): chmod 600 it"
        fi
    elif [[ -z $TOKEN && -n ${BENCH_TOKEN:-} ]]; then
        TOKEN=$BENCH_TOKEN
    fi
}

complete_server_url() {
    # http://HOST:8007 or http://HOST:8007/api: the endpoint is /api/benchmark (said once on stderr)
    [[ $SERVER =~ ^(https?://[^/?#]+)(/[^?#]*)?$ ]] || return 0
    local base=${BASH_REMATCH[1]} path=${BASH_REMATCH[2]}
    case ${path%/} in
        # its trailing slash dropped: the script's address, its schedule's and its resend
        # command's, are made from SERVER without /api/benchmark (/api/benchmark//bench.sh: 404)
        */api/benchmark) SERVER="$base${path%/}" ;;
        "" | /api) SERVER="$base${path%/}"; [[ $SERVER == */api ]] || SERVER+="/api"; SERVER+="/benchmark"
            log "bench.sh: note: --server has no /api/benchmark path; sending to $SERVER" ;;
        *) warn "--server $SERVER does not end in /api/benchmark: the server's endpoint is $base/api/benchmark" ;;
    esac
}

own_addresses() {
    # this machine's names and addresses, one per line (for telling an --iperf-server that is itself)
    hostname 2>/dev/null; timeout 5 hostname -f 2>/dev/null; uname -n 2>/dev/null
    if have ip; then
        ip -o addr show 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }'
    elif have hostname; then
        hostname -I 2>/dev/null | tr ' ' '\n'
    fi
}

RESOLVED="" RESOLVED_RC=0
resolve_host() {
    # what HOST resolves to, in RESOLVED one address a line, in the form `ip` shows this
    # machine's: no zone (getent writes fe80::1%eth0 as fe80::1%4), an IPv4-mapped address as
    # IPv4 (::ffff:10.0.0.5); getent's status in RESOLVED_RC (2: it does not resolve, now)
    local out
    RESOLVED_RC=0
    out=$(timeout 5 getent ahosts "$1" 2>/dev/null) || RESOLVED_RC=$?
    RESOLVED=$(awk '{ a = tolower($1); sub(/%.*/, "", a); sub(/^::ffff:/, "", a); print a }' <<<"$out" | sort -u)
}

iperf_target_is_self() {
    # iperf_target_is_self HOST RESOLVED: true when HOST is this machine: a loopback name or
    # address, 0.0.0.0/::, its own name or address, or a name or another spelling of an address
    # that RESOLVED (resolve_host's) shows to be one of those
    local host=${1,,} resolved=$2 addr own
    host=${host#[}; host=${host%]}; host=${host%%\%*}
    case $host in
        localhost | localhost.* | ip6-localhost | ip6-loopback | ::1 | 0:0:0:0:0:0:0:1 | 0.0.0.0 | :: | 127.*) return 0 ;;
    esac
    [[ $host =~ ^::ffff:127\. || $host =~ ^0(\.0){0,3}$ ]] && return 0
    # 127.0.0.0/8 as one decimal number (2130706433 is 127.0.0.1), which inet_aton takes too
    [[ $host =~ ^[1-9][0-9]{0,9}$ ]] && ((host >= 2130706432 && host < 2147483648)) && return 0
    own=$(own_addresses) own=${own,,}
    grep -qxF -- "$host" <<<"$own" && return 0
    # a name of this machine in DNS or /etc/hosts ("pve.lan" -> its LAN address), an address
    # written otherwise than ip shows it (fd59:0::1, 0::1, a number): as resolved
    while IFS= read -r addr; do
        [[ -n $addr ]] || continue
        [[ $addr == 127.* || $addr == ::1 || $addr == 0.0.0.0 || $addr == :: ]] && return 0
        grep -qxF -- "$addr" <<<"$own" && return 0
    done <<<"$resolved"
    return 1
}

warn_iperf_self() {
    log ""
    log "bench.sh: WARNING: $IPERF_SAID $IPERF_SERVER is this machine itself."
    log "bench.sh: WARNING: iperf3 then measures the loopback inside this machine, not the network:"
    log "bench.sh: WARNING: the figure is many times a real network's. The server keeps it but leaves"
    log "bench.sh: WARNING: it out of the global score. Run 'iperf3 -s' on another machine of the LAN."
    log ""
}

refuse_iperf_self() {
    # this machine under another name or address: the server's loopback rule reads the target's
    # text, so it would count the loopback figure, many times a network's, in the global score
    log ""
    log "bench.sh: WARNING: $IPERF_SAID $IPERF_SERVER is this machine itself (its own name or address)."
    log "bench.sh: WARNING: iperf3 would measure the loopback inside this machine, not the network, and"
    log "bench.sh: WARNING: the server cannot tell it from a real one: the network test is skipped."
    log "bench.sh: WARNING: Run 'iperf3 -s' on another machine of the LAN and give its address."
    log ""
    SKIP_NETWORK=1 SKIP_NETWORK_WHY="the iperf3 server is this machine itself"
    not_collected "network benchmark" "$IPERF_SAID $IPERF_SERVER is this machine itself"
}

iperf_self_checked() {
    # an iperf3 server whose name does not resolve (a typo: said now, not after the other
    # benchmarks' minutes as "is 'iperf3 -s' running?"), or that is this machine: a loopback
    # figure, many times a network's
    ((!SKIP_NETWORK)) && [[ -n $IPERF_HOST ]] || return 0
    RESOLVED="" RESOLVED_RC=0
    have getent && resolve_host "$IPERF_HOST"
    if ((RESOLVED_RC == 2)); then
        # getent's "not found", a typo's or a resolver's that is down for now (a run at boot):
        # said before the other benchmarks' minutes, and iperf3 tries it at its turn all the same
        warn "$IPERF_SAID $IPERF_SERVER does not resolve now (no such host, or no DNS yet): the network test tries it at its turn"
        IPERF_UNRESOLVED=1
    fi
    iperf_target_is_self "$IPERF_HOST" "$RESOLVED" || return 0
    if jq -en --arg t "$IPERF_SERVER" "$JQ_LOOPBACK"' $t | loopback' >/dev/null; then
        warn_iperf_self     # measured, and the server leaves it out of the global score
    else
        refuse_iperf_self   # the server could not tell: it would count a loopback figure
    fi
}

servers_iperf() {
    # no --iperf-server given: the fleet's iperf3 server, the server's IPERF_SERVER, which its
    # answer to the check names (an extension); taken as if given as --iperf-server
    ((SKIP_NETWORK)) || [[ -n $IPERF_SERVER ]] && return 0
    local named pkgs=()
    named=$(jq -r 'if type == "object" and (.iperf_server | type) == "string" then .iperf_server else empty end' \
        "$WORK/check.json" 2>/dev/null) || return 0
    [[ -n $named ]] || return 0
    if ! iperf_server_parsed "$named"; then
        warn "the server names an iperf3 server that cannot be used ($IPERF_WRONG): the network is not measured"
        return 0
    fi
    IPERF_SERVER=$named IPERF_SAID="the server's iperf3 server (its IPERF_SERVER)"
    log "network: measured against $named, the server's iperf3 server (its IPERF_SERVER; --iperf-server chooses another, --skip-network none)"
    iperf_self_checked
    ((SKIP_NETWORK)) && return 0
    network_tools
    tools_installed "${pkgs[@]}"
}

# ------------------------------------------------------------------------------ setup & cleanup

run_timed() {
    # run_timed SECONDS CMD... : CMD under timeout, run in the background and waited for. bash
    # runs a trap only once the foreground command ends, and timeout puts CMD in a process group
    # of its own, out of reach of a terminal's Ctrl-C: a signal to bench.sh (Ctrl-C, SIGTERM)
    # waited for fio to write its whole test file. `wait` returns at once instead, and cleanup
    # stops CMD (timeout passes the signal on to it).
    # (pending: a signal between the start and CHILD_PID=$! stops the job started last)
    CHILD_BEFORE=${!:-} CHILD_PID=pending
    timeout "$@" 9<&- &   # the run lock stays bench.sh's (take_run_lock)
    CHILD_PID=$!
    local rc=0
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    return "$rc"
}

interrupted() {
    # Ctrl-C or SIGTERM: during the submission, the JSON is kept with the command that resends
    # it (a run of minutes is not lost to a server that hangs); cleanup stops what runs
    local kept
    if [[ -n $SUBMITTING ]] && kept=$(keep_json "$SUBMITTING"); then
        log ""
        log "bench.sh: interrupted while submitting."
        say_resend "$kept"
    fi
    exit "$1"
}

cleanup() {
    if [[ $CHILD_PID == pending ]]; then
        CHILD_PID=""
        [[ -n ${!:-} && $! != "$CHILD_BEFORE" ]] && CHILD_PID=$!
    fi
    if [[ -n $CHILD_PID ]]; then
        # timeout leads a process group of its own: stopped whole, the tool with it, also when
        # the signal reached timeout before it had noted its child (it then exits alone, and
        # the tool ran on: a fio left writing after Ctrl-C)
        kill -TERM -- "-$CHILD_PID" 2>/dev/null || kill -TERM "$CHILD_PID" 2>/dev/null
        wait "$CHILD_PID" 2>/dev/null
    fi
    if [[ -n $SAMPLER_PID ]]; then
        kill "$SAMPLER_PID" 2>/dev/null
        wait "$SAMPLER_PID" 2>/dev/null
    fi
    [[ -n $FIO_FILE ]] && rm -f -- "$FIO_FILE"
    [[ -n $WORK && -d $WORK ]] && rm -rf -- "$WORK"
}

apt_get() {
    # apt-get, non-interactive, in a session of its own: a Ctrl-C, or a cron job's `timeout`
    # that stops bench.sh's process group, does not stop dpkg halfway (that left the package
    # database "interrupted" until someone ran dpkg --configure -a); bench.sh stops once it is
    # done. Another apt (unattended-upgrades of a morning) is waited for, up to 2 minutes.
    # (without the run lock's descriptor: a daemon a package starts, smartd, would hold it for
    # ever, and every later run would wait for it)
    # (umask 022, not bench.sh's own: what the packages' scripts create is for every user; set
    # by sh in the process that becomes apt-get, which bench.sh waits for)
    local run=(sh -c 'umask 022 && exec "$@"' apt-get env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 "$@")
    if have setsid; then setsid --wait "${run[@]}" 9<&-; else "${run[@]}" 9<&-; fi
}

apt_install() {
    # apt_install PKG... : non-interactive install (root only); retries once after an update
    local log_file="$WORK/apt.log"
    have apt-get || { warn "apt-get not found: cannot install $*"; return 1; }
    log "installing with apt-get: $*"
    if apt_get install -y -q --no-install-recommends "$@" >>"$log_file" 2>&1; then
        return 0
    fi
    apt_get update -q >>"$log_file" 2>&1
    local pkg ok=0
    for pkg in "$@"; do     # one by one, so that one unknown package does not block the others
        apt_get install -y -q --no-install-recommends "$pkg" >>"$log_file" 2>&1 ||
            { warn "apt-get could not install $pkg"; ok=1; }
    done
    ((ok)) && tail -n 5 "$log_file" >&2
    if ((ok)) && grep -q 'dpkg was interrupted' "$log_file"; then
        warn "an earlier package installation was interrupted and left dpkg half-done: run 'dpkg --configure -a' as root, then bench.sh again"
    fi
    return "$ok"
}

readonly ROOT_LOCK=/run/bench.sh.lock
take_run_lock() {
    # one live run at a time on a machine: a second one (cron runs that overlap, a person
    # trying it meanwhile) waits for the first, as each would measure the other's load. The
    # lock goes with bench.sh's process, however it ends (flock on an open descriptor that no
    # child inherits), or once the measuring is over (release_run_lock). root's runs lock a
    # file of a directory only root writes in (no other user can hold it, or put a FIFO there
    # that an open would wait on for ever); a user's runs, one in their own runtime directory,
    # and they wait for root's too (wait_for_root_run).
    have flock || return 0
    local lock=${BENCH_LOCK_FILE:-} dir
    if [[ -z $lock ]]; then
        if ((IS_ROOT)) && [[ -d /run && -w /run ]]; then lock=$ROOT_LOCK
        elif [[ -n ${XDG_RUNTIME_DIR:-} && -d $XDG_RUNTIME_DIR && -O $XDG_RUNTIME_DIR ]]; then
            lock="$XDG_RUNTIME_DIR/bench.sh.$(id -u).lock"
        else
            # no runtime directory (runuser, sudo -u, a user's cron job): a directory of the
            # user's own beside WORK (TMPDIR, else /var/tmp), never a file of a directory every
            # user writes in, which another user could make first and hold for ever
            dir="${WORK%/*}/bench.sh-$(id -u)"
            mkdir -m 700 -- "$dir" 2>/dev/null
            if [[ -L $dir || ! -d $dir || ! -O $dir ]]; then
                warn "$dir is not this user's own directory: runs at once are not kept apart"
                lock=""
            else
                lock="$dir/bench.sh.lock"
            fi
        fi
    fi
    [[ -z $lock || -e $lock || -L $lock ]] || (umask 077 && : 2>/dev/null >>"$lock")
    if [[ -z $lock ]]; then :
    elif [[ ! -e $lock && ! -L $lock ]]; then
        warn "cannot create $lock: runs at once are not kept apart"
    elif [[ -L $lock || ! -f $lock ]]; then
        warn "$lock is not a regular file: runs at once are not kept apart"
    elif ! { exec 9<"$lock"; } 2>/dev/null; then
        warn "cannot open $lock: runs at once are not kept apart"
    elif ! flock -n 9; then
        log "another bench.sh is running on this machine: waiting for it to end (at most 10 min), as two runs at once measure each other..."
        # in the background and waited for, so that Ctrl-C stops the wait at once
        flock -w 600 9 &
        CHILD_PID=$!
        local rc=0
        wait "$CHILD_PID" || rc=$?
        CHILD_PID=""
        ((rc == 0)) || die 4 "another bench.sh still runs after 10 minutes: nothing was measured (stop it, or try later)"
        log "the other bench.sh has ended: going on"
    fi
    [[ -n ${BENCH_LOCK_FILE:-} ]] || ((IS_ROOT)) || wait_for_root_run
}

wait_for_root_run() {
    # a user's run waits for one of root's (the fleet's cron job), seen in the kernel's table of
    # locks (/proc/locks, which every user reads) on ROOT_LOCK, a file no user may open. Not the
    # other way round, nor by one lock file for both: a lock a user can take, a user can hold
    # for ever, and with it keep every run of root's on the machine from measuring.
    lock_held "$ROOT_LOCK" || return 0
    log "a bench.sh run as root is running on this machine: waiting for it to end (at most 10 min), as two runs at once measure each other..."
    local t0
    t0=$(now_ms)
    while lock_held "$ROOT_LOCK"; do
        (($(now_ms) - t0 < 600000)) || die 4 "a bench.sh run as root still runs after 10 minutes: nothing was measured (try later)"
        sleep 1 &
        CHILD_PID=$!
        wait "$CHILD_PID"
        CHILD_PID=""
    done
    log "the bench.sh run as root has ended: going on"
}

lock_held() {
    # lock_held FILE : a process holds a lock on FILE, by /proc/locks, whose lines name a file
    # by its device (major:minor, in hex) and inode: read without opening FILE
    local dev ino id
    read -r dev ino < <(stat -L -c '%d %i' -- "$1" 2>/dev/null) || return 1
    [[ $dev =~ ^[0-9]+$ && $ino =~ ^[0-9]+$ ]] || return 1
    id=$(printf '%02x:%02x:%s' $(((dev >> 8) & 0xfff)) $(((dev & 0xff) | ((dev >> 12) & 0xfff00))) "$ino")
    grep -q -- " $id " /proc/locks 2>/dev/null
}

ensure_jq() {
    if ! have jq && ((IS_ROOT)); then apt_install jq; fi
    have jq || die 3 "jq is required to build the JSON and is not installed; install it (apt-get install jq) or run as root so that bench.sh installs it"
    # jq 1.5 (Debian 10, Ubuntu 18.04) lacks --rawfile and $ARGS, which every parser here uses:
    # it would fail only once the benchmarks are over. Other builds (jq-1.7.1, gojq) are let be.
    local version
    version=$(jq --version 2>/dev/null)
    if [[ $version =~ ^jq-1\.([0-5])([^0-9]|$) ]]; then
        die 3 "bench.sh needs jq 1.6 or newer and this machine has $version (Debian 10 and Ubuntu 18.04 ship 1.5): install a newer jq first"
    fi
}

gpu_device_present() { compgen -G '/dev/dri/card*' >/dev/null || compgen -G '/dev/dri/renderD*' >/dev/null; }

glmark2_binary() {
    local candidates=(glmark2-es2-drm glmark2-drm glmark2-es2-wayland glmark2-wayland glmark2-es2 glmark2)
    [[ -n ${DISPLAY:-} ]] && candidates=(glmark2-es2 glmark2 "${candidates[@]}")
    local b
    for b in "${candidates[@]}"; do have "$b" && { printf '%s' "$b"; return 0; }; done
    return 1
}

ensure_tools() {
    local pkgs=()
    ((DRY_RUN)) || have curl || pkgs+=(curl)
    if ((!SKIP_CPU || !SKIP_MEMORY)); then have sysbench || pkgs+=(sysbench); fi
    ((SKIP_DISK)) || have fio || pkgs+=(fio)
    if ((!SKIP_NETWORK)) && [[ -n $IPERF_HOST ]]; then network_tools; fi
    if ((!SKIP_GPU)) && gpu_device_present && ! glmark2_binary >/dev/null; then
        # Debian 12 / recent Ubuntu ship flavours only (no plain glmark2 package)
        if [[ -n ${DISPLAY:-} ]]; then pkgs+=(glmark2-es2-x11); else pkgs+=(glmark2-es2-drm); fi
    fi
    # the inventory's tools: DIMMs, UUID, serials and BIOS (dmidecode), SMART (smartmontools),
    # GPU (pciutils), NIC speed and Wake-on-LAN (ethtool)
    have dmidecode || pkgs+=(dmidecode)
    have smartctl || pkgs+=(smartmontools)
    have lspci || pkgs+=(pciutils)
    have ethtool || pkgs+=(ethtool)
    tools_installed "${pkgs[@]}"
}

network_tools() {
    # the network test's missing packages, added to the caller's pkgs
    have iperf3 || pkgs+=(iperf3)
    have ping || pkgs+=(iputils-ping)   # the latency figure (minimal images lack it)
}

tools_installed() {
    # tools_installed PKG... : installed as root; else said how
    (($#)) || return 0
    if ((IS_ROOT)); then
        apt_install "$@" || warn "some tools could not be installed; what needs them is skipped (listed at the end)"
    else
        warn "not root: cannot install $*; what needs them is skipped (run with sudo, or apt-get install $*)"
    fi
}

curl_checked() {
    # before any benchmark: a run that cannot be sent stops now, not after minutes of measuring
    ((DRY_RUN)) || have curl && return 0
    [[ -n $OUTPUT ]] || die 3 "curl is needed to submit and is not installed (apt-get install curl, or run as root); --dry-run --output FILE keeps the JSON instead"
    warn "curl is not installed: the submission will be written to $OUTPUT, not sent"
}

not_collected() {
    # not_collected WHAT WHY : one line of the summary's "not collected" list (kept in the capture)
    printf '%s\t%s\n' "$1" "$2" >>"$CAP/not-collected.txt"
}

# ------------------------------------------------------------------------------ collection

cap() {
    # cap NAME CMD... : run CMD (C locale, no stdin, time-limited) and keep its stdout as $CAP/NAME;
    # stderr goes to collect.log. An empty output is removed: a missing file means "not available".
    local name=$1; shift
    local out="$CAP/$name" rc=0
    mkdir -p -- "$(dirname -- "$out")"
    run_timed "$TOOL_TIMEOUT" "$@" >"$out" 2>>"$CAP/collect.log" </dev/null || rc=$?
    printf '# %s: %s (exit %s)\n' "$name" "$*" "$rc" >>"$CAP/collect.log"
    [[ -s $out ]] || rm -f -- "$out"
    return "$rc"
}

cap_file() {
    # cap_file NAME SRC... : copy the first readable SRC to $CAP/NAME
    local name=$1 src; shift
    for src in "$@"; do     # not -s: files in /proc have a size of 0
        if [[ -r $src ]] && cat -- "$src" >"$CAP/$name" 2>/dev/null && [[ -s $CAP/$name ]]; then return 0; fi
    done
    rm -f -- "$CAP/$name"
    return 1
}

avg_cpu_mhz() {
    # average current frequency of all CPUs in MHz (cpufreq if present, else /proc/cpuinfo)
    local f v s=0 n=0
    for f in /sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_cur_freq; do
        [[ -r $f ]] && read -r v <"$f" 2>/dev/null && [[ $v =~ ^[0-9]+$ ]] && { s=$((s + v)); n=$((n + 1)); }
    done
    if ((n)); then printf '%s\n' "$((s / n / 1000))"; return; fi
    awk -F: '/^cpu MHz/ { s += $2; n++ } END { if (n) printf "%.0f\n", s / n }' /proc/cpuinfo 2>/dev/null
}

sum_files() {
    # sum of the integers in the given files; empty when none is readable
    local f v s=0 n=0
    for f in "$@"; do
        [[ -r $f ]] && read -r v <"$f" 2>/dev/null && [[ $v =~ ^[0-9]+$ ]] && { s=$((s + v)); n=$((n + 1)); }
    done
    ((n)) && printf '%s' "$s"
}

snapshot_conditions() {
    # key=value snapshot of what can disturb a benchmark (parsed by parse_conditions)
    local ps v
    printf 'time=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'loadavg=%s\n' "$(cat /proc/loadavg 2>/dev/null)"
    printf 'proc_stat_cpu=%s\n' "$(grep -m1 '^cpu ' /proc/stat 2>/dev/null)"
    printf 'governor=%s\n' "$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null)"
    printf 'cpu_mhz_avg=%s\n' "$(avg_cpu_mhz)"
    printf 'core_throttle_count=%s\n' "$(sum_files /sys/devices/system/cpu/cpu[0-9]*/thermal_throttle/core_throttle_count)"
    printf 'package_throttle_count=%s\n' "$(sum_files /sys/devices/system/cpu/cpu[0-9]*/thermal_throttle/package_throttle_count)"
    printf 'swap=%s\n' "$(awk '$1 == "pswpin" || $1 == "pswpout" { printf "%s=%s ", $1, $2 }' /proc/vmstat 2>/dev/null)"
    if [[ -d /sys/class/power_supply ]]; then
        printf 'power_supply_class=present\n'
        for ps in /sys/class/power_supply/*; do
            [[ -e $ps ]] || continue
            printf 'power_supply=%s' "${ps##*/}"
            for v in type online status scope; do
                [[ -r $ps/$v ]] && printf ' %s=%s' "$v" "$(tr -d ' \n' <"$ps/$v" 2>/dev/null)"
            done
            printf '\n'
        done
    else
        printf 'power_supply_class=absent\n'
    fi
}

container_guess() {
    # container_guess ROOT : the container this runs in as systemd-detect-virt names it, where
    # systemd is not installed (a Docker image rarely has it), by the files systemd reads for it
    # (ROOT: a directory standing for / in the tests); false outside a container
    local r=${1%/} name=""
    if [[ -e $r/proc/vz && ! -e $r/proc/bc ]]; then name=openvz
    elif grep -qE 'Microsoft|WSL' "$r/proc/sys/kernel/osrelease" 2>/dev/null; then name=wsl
    elif [[ -s $r/run/host/container-manager ]]; then name=$(head -n 1 -- "$r/run/host/container-manager")
    elif [[ -s $r/run/systemd/container ]]; then name=$(head -n 1 -- "$r/run/systemd/container")
    elif [[ -r $r/proc/1/environ ]] && name=$(tr '\0' '\n' <"$r/proc/1/environ" 2>/dev/null | sed -n 's/^container=//p' | head -n 1) && [[ -n $name ]]; then :
    elif [[ -e $r/run/.containerenv ]]; then name=podman
    elif [[ -e $r/.dockerenv ]]; then name=docker
    else return 1; fi
    [[ " $CONTAINERS " == *" $name "* ]] || name=container-other
    printf '%s\n' "$name"
}

in_container() {
    # in_container DIR : the capture in DIR is of a container (its virt.txt names one)
    local v=""
    [[ -r $1/virt.txt ]] && read -r v <"$1/virt.txt" 2>/dev/null
    [[ -n $v && " $CONTAINERS " == *" $v "* ]]
}

dmi_missing() {
    # dmi_missing DMI_ID : what dmidecode reads that the kernel's copy of the DMI table did not
    # give (DMI_ID, dmi-id.txt): the DIMMs always, the UUID and the serial without root, the
    # board and the BIOS where the kernel has no table either (a VM without SMBIOS)
    local id=() fw=() what="RAM slots and DIMMs"
    grep -q '^product_uuid=' "$1" 2>/dev/null || id+=(UUID)
    grep -q '^product_serial=' "$1" 2>/dev/null || id+=(serial)
    grep -q '^board_\(vendor\|name\)=' "$1" 2>/dev/null || fw+=(board)
    grep -q '^bios_\(vendor\|version\|date\)=' "$1" 2>/dev/null || fw+=(BIOS)
    ((${#id[@]})) && what+=", system ${id[0]}${id[1]:+ and ${id[1]}}"
    ((${#fw[@]})) && what+=", ${fw[0]}${fw[1]:+ and ${fw[1]}}"
    printf '%s' "$what"
}

collect_dmi_sysfs() {
    local f v d=/sys/class/dmi/id
    for f in sys_vendor product_name product_version product_serial product_uuid board_vendor \
        board_name bios_vendor bios_version bios_date chassis_type; do
        [[ -r $d/$f ]] && v=$(head -n 1 -- "$d/$f" 2>/dev/null) && [[ -n $v ]] && printf '%s=%s\n' "$f" "$v"
    done
}

collect_cpufreq() {
    local f d=/sys/devices/system/cpu/cpu0/cpufreq
    for f in base_frequency cpuinfo_max_freq cpuinfo_min_freq scaling_max_freq scaling_driver scaling_governor; do
        [[ -r $d/$f ]] && printf '%s=%s\n' "$f" "$(cat "$d/$f" 2>/dev/null)"
    done
}

# block devices of type "disk" that are no disk of the machine: RAM and loop devices, RAID and
# device-mapper volumes, a ZFS zvol (zd0: a Proxmox VM's disk), a Ceph RBD, a DRBD mirror
NOT_DISKS='^(zram|loop|ram|fd|sr|md|nbd|dm-|zd[0-9]|rbd[0-9]|drbd[0-9])|boot[0-9]+$|rpmb$'

disk_names() {
    # whole disks worth a SMART query, from the captured lsblk output
    if [[ -s $CAP/lsblk.json ]]; then
        jq -r '.blockdevices[]? | select(.type == "disk") | .name // empty' "$CAP/lsblk.json" 2>/dev/null
    elif [[ -s $CAP/lsblk.txt ]]; then
        sed -n 's/^NAME="\([^"]*\)" TYPE="disk".*/\1/p' "$CAP/lsblk.txt"
    fi | grep -Ev "$NOT_DISKS"
}

collect_cpu_sysfs() {
    # the CPU topology and caches as the kernel describes them (locale-independent; lscpu reads the
    # same files): "cpuN package=P core=C" and "cache level=L type=T size=S shared=LIST" lines
    local c idx v
    for c in /sys/devices/system/cpu/cpu[0-9]*; do
        [[ -r $c/topology/core_id ]] || continue
        [[ -r $c/online ]] && read -r v <"$c/online" && [[ $v == 0 ]] && continue
        printf '%s package=%s core=%s\n' "${c##*/}" "$(cat "$c/topology/physical_package_id" 2>/dev/null)" \
            "$(cat "$c/topology/core_id" 2>/dev/null)"
    done
    for idx in /sys/devices/system/cpu/cpu[0-9]*/cache/index[0-9]*; do
        [[ -r $idx/size ]] || continue
        printf 'cache level=%s type=%s size=%s shared=%s\n' "$(cat "$idx/level" 2>/dev/null)" \
            "$(cat "$idx/type" 2>/dev/null)" "$(cat "$idx/size" 2>/dev/null)" "$(cat "$idx/shared_cpu_list" 2>/dev/null)"
    done | sort -u
}

collect_inventory() {
    step 1 "inventory: cpu, memory, board, disks, network, os..."
    cap lscpu.txt lscpu
    # machine-readable topology (columns are not translated): threads, cores, sockets, max MHz
    cap lscpu-p.txt lscpu -p=CPU,CORE,SOCKET,NODE,MAXMHZ || cap lscpu-p.txt lscpu -p
    collect_cpu_sysfs >"$CAP/cpu-sysfs.txt" 2>/dev/null; [[ -s $CAP/cpu-sysfs.txt ]] || rm -f -- "$CAP/cpu-sysfs.txt"
    cap_file proc-cpuinfo.txt /proc/cpuinfo
    cap_file proc-meminfo.txt /proc/meminfo
    cap free.txt free -k
    cap nproc.txt nproc
    collect_cpufreq >"$CAP/cpufreq.txt" 2>/dev/null; [[ -s $CAP/cpufreq.txt ]] || rm -f -- "$CAP/cpufreq.txt"
    cap_file machine-id.txt /etc/machine-id /var/lib/dbus/machine-id
    cap_file os-release.txt /etc/os-release /usr/lib/os-release
    cap uname.txt uname -a
    if have systemd-detect-virt; then cap virt.txt systemd-detect-virt
    elif ! container_guess / >"$CAP/virt.txt" 2>/dev/null; then
        rm -f -- "$CAP/virt.txt"
        not_collected "virtualization" "systemd-detect-virt is not installed (systemd)"
    fi
    # the kernel's copy of the DMI table: the system, board and BIOS names without root (the
    # serials and the UUID with it), and where dmidecode finds no table to read. Not in a
    # container: there root reads the host's (its UUID and serial, which the server would
    # match the host's device by, and rename it)
    local dmi_what
    in_container "$CAP" || collect_dmi_sysfs >"$CAP/dmi-id.txt" 2>/dev/null
    [[ -s $CAP/dmi-id.txt ]] || rm -f -- "$CAP/dmi-id.txt"
    dmi_what=$(dmi_missing "$CAP/dmi-id.txt")
    if in_container "$CAP"; then
        not_collected "RAM slots and DIMMs, system UUID, serial, vendor and model, chassis, board and BIOS" "a container: DMI describes the host"
    elif ((!IS_ROOT)); then
        not_collected "$dmi_what" "not root: dmidecode needs root (run with sudo)"
    elif ! have dmidecode; then
        not_collected "$dmi_what" "dmidecode is not installed (apt-get install dmidecode)"
    elif ! cap dmidecode.txt dmidecode || ! grep -q '^Handle 0x' "$CAP/dmidecode.txt" 2>/dev/null; then
        not_collected "$dmi_what" "dmidecode found no DMI table (a container, a VM without SMBIOS, or a board without one: a Raspberry Pi, most ARM boards)"
    fi
    if have lspci; then cap lspci.txt lspci -nnk
    else not_collected "GPU" "lspci is not installed (apt-get install pciutils)"; fi
    if have glxinfo && [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then cap glxinfo.txt glxinfo -B; fi
    if have lsblk; then
        cap lsblk.json lsblk -J -b -o NAME,TYPE,SIZE,MODEL,VENDOR,SERIAL,ROTA,TRAN,MOUNTPOINT,FSTYPE ||
            cap lsblk.txt lsblk -P -b -o NAME,TYPE,SIZE,MODEL,VENDOR,SERIAL,ROTA,TRAN,MOUNTPOINT,FSTYPE ||
            not_collected "disks" "lsblk failed (exit $?)"
    else
        not_collected "disks" "lsblk is not installed (util-linux)"
    fi
    cap df.txt df -P -B1 -T
    if ((!IS_ROOT)); then
        not_collected "SMART (health, temperature, hours, reallocated sectors)" "not root: smartctl needs root (run with sudo)"
    elif ! have smartctl; then
        not_collected "SMART (health, temperature, hours, reallocated sectors)" "smartctl is not installed (apt-get install smartmontools)"
    else
        local disk smart_json=0 rc
        says --json smartctl -h && smart_json=1
        while IFS= read -r disk; do
            [[ -n $disk ]] || continue
            if [[ ! -e /dev/$disk ]]; then
                if in_container "$CAP"; then
                    not_collected "SMART of /dev/$disk" "a container: lsblk lists the host's disks, and /dev/$disk is not here"
                else
                    not_collected "SMART of /dev/$disk" "no device node /dev/$disk"
                fi
                continue
            fi
            rc=0
            if ((smart_json)); then
                cap "smartctl/${disk//\//!}.json" smartctl -a -j "/dev/$disk" || rc=$?
            else
                cap "smartctl/${disk//\//!}.txt" smartctl -a "/dev/$disk" || rc=$?
            fi
            # smartctl's exit status is a bit mask: 2 the device could not be opened or identified
            ((rc & 3)) && not_collected "SMART of /dev/$disk" "smartctl cannot read it (a virtual disk, or a controller smartctl needs -d for)"
        done < <(disk_names)
    fi
    if have ip; then
        cap ip-addr.json ip -j -d addr || cap ip-addr.txt ip addr || not_collected "network interfaces" "ip failed (exit $?)"
    else
        not_collected "network interfaces" "ip is not installed (iproute2)"
    fi
    if have ethtool; then
        local path iface
        for path in /sys/class/net/*; do
            iface=${path##*/}
            [[ -e $path && $iface != lo ]] || continue
            cap "ethtool/$iface.txt" ethtool "$iface"
            cap "ethtool-i/$iface.txt" ethtool -i "$iface"
        done
    else
        not_collected "NIC speed, driver and Wake-on-LAN" "ethtool is not installed (apt-get install ethtool)"
    fi
}

now_ms() {
    # a monotonic clock in milliseconds for measuring durations: /proc/uptime (seconds since boot,
    # which a clock step by NTP or a VM resuming does not move), else bash 5's EPOCHREALTIME, else
    # whole seconds of bash's SECONDS (both wall clock)
    local up _
    if read -r up _ 2>/dev/null </proc/uptime && [[ $up =~ ^([0-9]+)\.([0-9]{2})$ ]]; then
        printf '%s' "$((10#${BASH_REMATCH[1]} * 1000 + 10#${BASH_REMATCH[2]} * 10))"
    elif [[ -n ${EPOCHREALTIME:-} ]]; then
        local t=${EPOCHREALTIME/[.,]/}
        printf '%s' "$((10#$t / 1000))"
    else
        printf '%s' "$((SECONDS * 1000))"
    fi
}

rfile() {
    # rfile NAME R : the capture file of repeat R of a test: NAME itself (sysbench-memory.txt) for the
    # first, then NAME with .rR before its extension (sysbench-memory.r2.txt, fio-seqread.r3.json)
    local name=$1 r=$2
    if ((r == 1)); then printf '%s' "$name"; else printf '%s.r%s.%s' "${name%.*}" "$r" "${name##*.}"; fi
}

info() { printf '%s=%s\n' "$1" "$2" >>"$CAP/capture-info.txt"; }

repeats_said() {
    # how the repeats of a category are chosen, as the step lines say it
    case $REPEATS in
        "") printf 'repeated until the results agree' ;;
        1) printf 'once (--repeats 1)' ;;
        *) printf '%s times (--repeats %s)' "$REPEATS" "$REPEATS" ;;
    esac
}

repeat_bench() {
    # repeat_bench CATEGORY MIN MAX BUDGET_S TARGET_CV FUNC ARGS... : FUNC R ARGS... runs repeat R of a
    # category's tests into the capture. As the Phoronix Test Suite does, the repeats go on until
    # their scores agree: after each one the category is parsed, and they stop at MAX, or from MIN
    # on once cv_pct <= TARGET_CV or when one more would overrun the category's time budget.
    local cat=$1 min=$2 max=$3 budget_ms=$(($4 * 1000)) target=$5 fn=$6
    shift 6
    local r=1 t0 t1 last n prev=0 cv="-"
    if [[ -n $REPEATS ]]; then min=$REPEATS max=$REPEATS; fi
    t0=$(now_ms)
    while :; do
        t1=$(now_ms)
        "$fn" "$r" "$@"
        last=$(($(now_ms) - t1))
        n=0 cv="-"
        read -r n cv < <("parse_results_$cat" "$CAP" 2>/dev/null |
            jq -r 'if type == "object" then "\(.samples // [] | length) \(.cv_pct // "-")" else "0 -" end' 2>/dev/null)
        ((${n:-0} > prev)) || break     # this repeat gave no result (the tool failed): stop
        prev=$n
        ((r >= max)) && break
        if ((r >= min)); then
            [[ $cv != - ]] && awk -v c="$cv" -v t="$target" 'BEGIN { exit !(c <= t) }' && break
            (($(now_ms) - t0 + last > budget_ms)) && break
        fi
        r=$((r + 1))
    done
    info "${cat}_repeats" "$prev"
    ((prev > 0)) && log "  $cat: $prev repeat(s), spread (cv) ${cv:--} %"
}

sysbench_run() {
    # sysbench_run OUTFILE TEST THREADS SECONDS EXTRA... : sysbench 1.x syntax, or 0.4 when that is
    # what is installed; time-limited, output kept in OUTFILE
    local out=$1 test=$2 threads=$3 secs=$4; shift 4
    local argv=(sysbench "$test" --threads="$threads" --time="$secs" "$@" run)
    if says 'sysbench 0.' sysbench --version; then
        argv=(sysbench --test="$test" --num-threads="$threads" --max-time="$secs" --max-requests=0 "$@" run)
    fi
    run_timed $((secs + 60)) "${argv[@]}" >"$out" 2>>"$CAP/collect.log" </dev/null
}

sysbench_version() {
    # major.minor of the installed sysbench ("1.0"), "x" when unknown
    local v
    v=$(sysbench --version 2>/dev/null | sed -n 's/^sysbench \([0-9]*\.[0-9]*\).*/\1/p')
    printf '%s' "${v:-x}"
}

freq_sampler() {
    while :; do
        printf '%s %s\n' "$(date +%s)" "$(avg_cpu_mhz)"
        sleep 0.5
    done
}

tis_snapshot() {
    # tis_snapshot LABEL : cpufreq time_in_state summed over all CPUs, "LABEL kHz:time kHz:time ..."
    # (time in 10 ms units); nothing where the kernel keeps no cpufreq statistics (VMs, intel_pstate)
    compgen -G '/sys/devices/system/cpu/cpu[0-9]*/cpufreq/stats/time_in_state' >/dev/null || return 0
    cat /sys/devices/system/cpu/cpu[0-9]*/cpufreq/stats/time_in_state 2>/dev/null | tis_sum "$1"
}

tis_sum() {
    # tis_sum LABEL : time_in_state lines ("kHz time") on stdin, summed per frequency. A sum is a
    # number, which mawk (Debian's awk) prints with %s as "2.24496e+09" from 2^31 on (a few weeks
    # of uptime over 8 CPUs) and with %d as 2147483647: %.0f, whole and exact up to 2^53
    awk -v l="$1" '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { t[$1] += $2 }
        END { printf "%s", l; for (f in t) printf " %s:%.0f", f, t[f]; print "" }'
}

busy_window() {
    # busy_window SECONDS : /proc/stat's cpu line before and after SECONDS of doing nothing, kept in
    # $CAP/cpu-busy.txt; prints the share of CPU time others used meanwhile (whole percent; idle,
    # iowait and steal are not "used")
    local a b
    a=$(grep -m1 '^cpu ' /proc/stat 2>/dev/null)
    sleep "$1"
    b=$(grep -m1 '^cpu ' /proc/stat 2>/dev/null)
    printf 'window_s=%s\nbefore=%s\nafter=%s\n' "$1" "$a" "$b" >"$CAP/cpu-busy.txt"
    printf '%s\n%s\n' "$a" "$b" | awk '
        NR == 1 { for (i = 2; i <= 9; i++) x[i] = $i }
        NR == 2 { for (i = 2; i <= 9; i++) { d = $i - x[i]; t += d; if (i == 5 || i == 6 || i == 9) idle += d } }
        END { if (t > 0) printf "%d\n", 100 * (t - idle) / t + 0.5 }'
}

cpu_ticks() {
    # each process's CPU time so far, "PID<tab>TICKS<tab>NAME" a line: /proc/PID/stat's utime
    # and stime, after its name in parentheses (which may hold spaces and parentheses)
    cat /proc/[0-9]*/stat 2>/dev/null | awk '{
        start = index($0, "("); end = 0
        while ((i = index(substr($0, end + 1), ")")) > 0) end += i
        n = split(substr($0, end + 2), f, " ")
        # %.0f: mawk writes a sum from 2^31 on (248 days of one CPU) as 2.14748e+09 with %s
        if (start && n >= 13) printf "%s\t%.0f\t%s\n", $1, f[12] + f[13], substr($0, start + 1, end - start - 1)
    }'
}

busiest_now() {
    # " (busiest: NAME at N %)": the process that used the most CPU over the next second (N %
    # of one CPU, as top says it). ps's %CPU is its CPU time over its whole life: a process
    # started a moment ago (shellcheck, jq) topped a hog that had slept for most of its life.
    local before
    before=$(cpu_ticks)
    sleep 1
    { printf '%s\n--\n' "$before"; cpu_ticks; } | busiest_of "$(getconf CLK_TCK 2>/dev/null || echo 100)"
}

busiest_of() {
    # busiest_of HZ : cpu_ticks lines, "--", cpu_ticks lines a second later on stdin; the
    # process whose ticks grew most between them, as busiest_now says it (nothing when none did)
    awk -F '\t' -v hz="${1:-100}" '
        $0 == "--" { after = 1; next }
        !after { was[$1] = $2; next }
        ($1 in was) && $2 - was[$1] > best { best = $2 - was[$1]; name = $3 }
        END { if (best > 0) printf " (busiest: %s at %d %%)", name, 100 * best / (hz > 0 ? hz : 100) + 0.5 }'
}

wait_for_idle() {
    # wait_for_idle MAX_S : like sbc-bench, do not measure a busy machine: while other processes use
    # IDLE_BUSY_PCT % of the CPUs or more, wait (announced, at most MAX_S, skipped by --no-wait-idle).
    # The last 2-second window is the run's cpu_busy_percent.
    # (milliseconds: whole seconds would round a 2.1 s window to a second of waiting)
    local max=$1 t0 t1 busy top="" waited_ms=0
    t0=$(now_ms)
    busy=$(busy_window "$BUSY_WINDOW_S")
    if ((WAIT_IDLE)) && [[ -n $busy ]] && ((busy >= IDLE_BUSY_PCT)); then
        t1=$(now_ms)
        top=$(busiest_now)
        log "  waiting for the machine to go idle: other processes use ${busy} % of the CPUs${top};"
        log "  waiting at most ${max} s (--no-wait-idle skips this)..."
        while ((busy >= IDLE_BUSY_PCT && $(now_ms) - t0 < max * 1000)); do
            busy=$(busy_window "$BUSY_WINDOW_S")
            [[ -n $busy ]] || break
        done
        waited_ms=$(($(now_ms) - t1))  # the time waited beyond the first 2-second window
        if ((busy >= IDLE_BUSY_PCT)); then
            warn "the machine is still busy (${busy} % of the CPUs used by others): its scores may be low (recorded in results.conditions)"
        else
            # the wait as results.conditions.idle_wait_s records it
            log "  idle after waiting $(((waited_ms + 500) / 1000)) s (${busy} % busy)"
        fi
    elif [[ -n $busy ]] && ((busy >= IDLE_BUSY_PCT)); then
        warn "the machine is busy (${busy} % of the CPUs used by others) and --no-wait-idle measures it anyway: its scores may be low (recorded in results.conditions)"
    fi
    info wait_idle "$WAIT_IDLE"
    info idle_wait_s "$(((waited_ms + 500) / 1000))"
}

bench_cpu() {
    local n=$1 secs=$2 budget=$3 threads
    threads=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    if ((SKIP_CPU)); then step "$n" "cpu: skipped (--skip-cpu)"; return; fi
    if ! have sysbench; then step "$n" "cpu: skipped, sysbench is not installed"; not_collected "cpu benchmark" "sysbench is not installed"; return; fi
    step "$n" "cpu: sysbench prime 20000, 1 thread then ${threads} threads, ${secs} s each, $(repeats_said)..."
    # warm-up, not counted: clocks ramped up, the binary and its libraries in memory
    sysbench_run "$WORK/warmup.txt" cpu "$threads" 1 --cpu-max-prime=20000
    info method_cpu "sysbench-$(sysbench_version)-cpu-prime20000-1t+allt-v1"
    repeat_bench cpu 3 5 "$budget" "$CV_TARGET_CPU" cpu_repeat "$secs" "$threads"
}

cpu_repeat() {
    local r=$1 secs=$2 threads=$3
    sysbench_run "$CAP/$(rfile sysbench-cpu-single.txt "$r")" cpu 1 "$secs" --cpu-max-prime=20000 || warn "sysbench cpu (single) failed"
    # the clock while every CPU is loaded: sampled, and the cpufreq residency before and after
    tis_snapshot before >>"$CAP/cpu-time-in-state.txt" 2>/dev/null
    freq_sampler >>"$CAP/cpu-freq-samples.txt" 2>/dev/null 9<&- &
    SAMPLER_PID=$!
    sysbench_run "$CAP/$(rfile sysbench-cpu-multi.txt "$r")" cpu "$threads" "$secs" --cpu-max-prime=20000 || warn "sysbench cpu (multi) failed"
    kill "$SAMPLER_PID" 2>/dev/null
    wait "$SAMPLER_PID" 2>/dev/null
    SAMPLER_PID=""
    tis_snapshot after >>"$CAP/cpu-time-in-state.txt" 2>/dev/null
}

bench_memory() {
    local n=$1 secs=$2 budget=$3
    if ((SKIP_MEMORY)); then step "$n" "memory: skipped (--skip-memory)"; return; fi
    if ! have sysbench; then step "$n" "memory: skipped, sysbench is not installed"; not_collected "memory benchmark" "sysbench is not installed"; return; fi
    # one 64 MiB block, written sequentially by one thread: twice a desktop's last-level cache, so
    # DRAM is measured rather than the cache, and small enough to be resident at once. One thread,
    # as tinymembench and sbc-bench measure: with a thread per CPU, a 2-vCPU VM measured 13 to
    # 45 GB/s from one minute to the next, against 2-7 % between one-thread runs (the threads
    # share the cores, caches and memory controller with whatever else the host runs); the CPU
    # test already loads every CPU.
    # A 1 s warm-up (not counted) faults its pages in and ramps the clock.
    info method_memory "sysbench-$(sysbench_version)-memory-write-64M-1t-v3"
    step "$n" "memory: sysbench sequential write of a 64 MiB block, 1 thread, ${secs} s, $(repeats_said)..."
    sysbench_run "$WORK/warmup.txt" memory 1 1 --memory-block-size=64M --memory-total-size=100000G --memory-oper=write
    repeat_bench memory 3 5 "$budget" "$CV_TARGET_MEMORY" memory_repeat "$secs"
}

memory_repeat() {
    local r=$1 secs=$2
    sysbench_run "$CAP/$(rfile sysbench-memory.txt "$r")" memory 1 "$secs" --memory-block-size=64M \
        --memory-total-size=100000G --memory-oper=write --memory-access-mode=seq || warn "sysbench memory failed"
}

fio_dir() {
    # a writable directory on a real filesystem (tmpfs would measure RAM), with room for the test
    # file; without one, why each candidate was passed over on stdout, and false
    local d fstype avail need=$1 why=() ram
    for d in ${TMPDIR:+"$TMPDIR"} /var/tmp "${HOME:-/root}" "$PWD" /tmp; do
        if ! [[ -d $d && -w $d ]]; then
            [[ $d == "${TMPDIR:-}" ]] && why+=("$d: not a directory this user can write in")
            continue
        fi
        if ram=$(dir_in_ram "$d"); then why+=("$d: $ram"); continue; fi
        avail=$(df -P -B1 "$d" 2>/dev/null | awk 'NR == 2 { print $4 }')
        if ! [[ $avail =~ ^[0-9]+$ ]]; then why+=("$d: its free space unknown"); continue; fi
        if ((avail < need)); then why+=("$d: $((avail / 1048576)) MB free"); continue; fi
        # TMPDIR (or the next) passed over: said, the test file written elsewhere than asked
        ((${#why[@]})) && log "  disk test file in $d, not in $(printf '%s; ' "${why[@]}" | sed 's/; $//') (it needs $((need / 1048576)) MB on a disk)"
        printf '%s' "$d"
        return 0
    done
    local IFS=";"
    printf '%s' "${why[*]}" | sed 's/;/; /g'
    return 1
}

MOUNTINFO=/proc/self/mountinfo
dir_in_ram() {
    # dir_in_ram DIR : true, saying why, when what is written in DIR is kept in RAM (tmpfs,
    # ramfs, a zram device, an overlay whose upper layer is one of those: Raspberry Pi OS's
    # overlay file system, Ubuntu's overlayroot; an overlay whose upper layer is not in sight is a
    # container's, on its host's disk, and measured). The mount holding DIR is read in
    # MOUNTINFO, the kernel's table (mount point, type, source, options), as findmnt reads it.
    local d=$1 fstype path mnt=() upper
    fstype=$(stat -f -c %T "$d" 2>/dev/null)
    if [[ $fstype == tmpfs || $fstype == ramfs ]]; then printf '%s (in RAM)' "$fstype"; return 0; fi
    path=$(cd -- "$d" 2>/dev/null && pwd -P) || return 1
    # the last mount of the longest mount point above DIR (one mounted over another hides it);
    # fields: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS,
    # with \040 for a space (\011 \134 \054 \075: a tab, \, a comma, =)
    mapfile -t mnt < <(awk -v p="$path" '
        function unesc(s) {
            gsub(/\\040/, " ", s); gsub(/\\011/, "\t", s); gsub(/\\054/, ",", s)
            gsub(/\\075/, "=", s); gsub(/\\134/, "\\", s); return s
        }
        {
            mp = unesc($5)
            for (i = 7; i <= NF && $i != "-"; i++) continue
            if (i + 2 > NF) next
            if (mp != "/" && p != mp && index(p, mp "/") != 1) next
            if (length(mp) < best) next
            best = length(mp); type = $(i + 1); source = unesc($(i + 2)); upper = ""
            n = split($(i + 3), o, ",")
            for (k = 1; k <= n; k++) if (o[k] ~ /^upperdir=/) upper = unesc(substr(o[k], 10))
        }
        END { if (best) { print type; print source; print upper } }' "$MOUNTINFO" 2>/dev/null)
    case ${mnt[0]:-} in
        tmpfs | ramfs) printf '%s (in RAM)' "${mnt[0]}"; return 0 ;;
        overlay)
            upper=${mnt[2]:-}
            [[ -n $upper ]] || return 1     # no upper layer: read-only
            # not in sight: a container's root, its upper layer on its host's disk (Docker's
            # overlay2), measured as that disk
            [[ -d $upper ]] || return 1
            local why
            if why=$(dir_in_ram "$upper"); then printf 'an overlay on %s' "$why"; return 0; fi ;;
    esac
    if [[ ${mnt[1]:-} == /dev/zram* ]]; then printf '%s (compressed RAM)' "${mnt[1]}"; return 0; fi
    return 1
}

fs_and_device() {
    # fs_and_device DIR : "FSTYPE SOURCE" of the filesystem holding DIR (findmnt, else df -T):
    # the last one mounted on its mount point, the one in sight (the first one listed was a
    # filesystem hidden under it), its device without a btrfs subvolume's or a bind mount's
    # path (-v: "/dev/sda2", not "/dev/sda2[/@data]")
    local out=""
    have findmnt && out=$(findmnt -n -v -o FSTYPE,SOURCE -T "$1" 2>/dev/null | tail -n 1)
    [[ -n $out ]] || out=$(df -P -T "$1" 2>/dev/null | awk 'NR == 2 { print $2, $1 }')
    printf '%s' "$out"
}

bench_disk() {
    local n=$1 size_mb=$2 runtime=$3 ramp_ms=$4 budget=$5
    if ((SKIP_DISK)); then step "$n" "disk: skipped (--skip-disk)"; return; fi
    if ! have fio; then step "$n" "disk: skipped, fio is not installed"; not_collected "disk benchmark" "fio is not installed"; return; fi
    local dir
    if ! dir=$(fio_dir "$(((size_mb + 512) * 1048576))"); then
        local why="no writable disk-backed directory with $((size_mb + 512)) MB free${dir:+ ($dir)}"
        step "$n" "disk: skipped, $why"
        not_collected "disk benchmark" "$why (set TMPDIR to a directory on a disk with room)"
        return
    fi
    if ! FIO_FILE=$(mktemp "$dir/bench-fio.XXXXXX"); then
        step "$n" "disk: skipped, cannot create a file in $dir"
        not_collected "disk benchmark" "cannot create a file in $dir"
        return
    fi
    local engine=psync direct=0 fs="" dev=""
    fio --enghelp=libaio >/dev/null 2>&1 && engine=libaio
    # fio splits --filename at colons (a list of files): a directory with one in its path would
    # send the file elsewhere, so they are escaped
    local fio_name=${FIO_FILE//:/\\:}
    if fio --name=probe --filename="$fio_name" --rw=write --bs=4k --size=1M --direct=1 --ioengine="$engine" \
        --output-format=json >/dev/null 2>&1 </dev/null; then
        direct=1
    fi
    read -r fs dev < <(fs_and_device "$dir")
    local cached
    if ((direct)) && cached=$(direct_io_cached "$dir" "$dev"); then
        direct=0 # measured as what it is: buffered, the page cache in the figures
        log "  $cached: direct I/O goes through the page cache there, so the test is run and recorded as buffered I/O"
    fi
    {
        printf 'fio_dir=%s\nfio_fs=%s\nfio_device=%s\nfio_direct=%s\nfio_ioengine=%s\n' "$dir" "$fs" "$dev" "$direct" "$engine"
        printf 'fio_size_mb=%s\nfio_runtime_s=%s\nfio_ramp_ms=%s\n' "$size_mb" "$runtime" "$ramp_ms"
        printf 'method_disk=fio-%s-%sM-seq1M-qd8-rand4k-qd32-v3\n' "$( ((direct)) && echo direct || echo buffered)" "$size_mb"
    } >>"$CAP/capture-info.txt"
    ((direct)) || [[ -n ${cached:-} ]] || log "  direct I/O not supported in $dir: buffered I/O (caches may inflate the figures)"
    local common=(--filename="$fio_name" --ioengine="$engine" --direct="$direct" --size="${size_mb}M"
        --numjobs=1 --group_reporting --output-format=json --eta=never)
    # the file is written once in full before anything is timed: a read of a file never written
    # (or only allocated) costs no I/O at all and would measure nothing
    step "$n" "disk: writing the ${size_mb} MB test file in $dir (${fs:-?} on ${dev:-?})..."
    run_timed 600 fio --name=layout --rw=write --bs=1M --iodepth=8 "${common[@]}" --end_fsync=1 \
        --output="$WORK/fio-layout.json" >/dev/null 2>>"$CAP/collect.log" </dev/null || warn "fio could not write its test file"
    repeat_bench disk 3 5 "$budget" "$CV_TARGET_DISK" disk_repeat "$runtime" "$ramp_ms" "$direct" "${common[@]}"
    rm -f -- "$FIO_FILE"
    FIO_FILE=""
}

direct_io_cached() {
    # direct_io_cached DIR DEV : true, saying why, when O_DIRECT in DIR is accepted but served
    # by the page cache all the same: a loop device without direct I/O (losetup's default;
    # the disk score three times its backing disk's), ext4 with data=journal
    local lp opts
    if have lsblk && [[ $2 == /dev/* ]]; then
        for lp in $(lsblk -nsro NAME,TYPE "$2" 2>/dev/null | awk '$2 == "loop" { print $1 }'); do
            if [[ $(cat "/sys/block/$lp/loop/dio" 2>/dev/null) != 1 ]]; then
                printf '%s is on /dev/%s, a loop device without direct I/O (losetup --direct-io=on /dev/%s)' "$1" "$lp" "$lp"
                return 0
            fi
        done
    fi
    have findmnt && opts=$(findmnt -n -o OPTIONS -T "$1" 2>/dev/null | tail -n 1)
    if [[ ,${opts:-}, == *,data=journal,* ]]; then
        printf '%s is on a filesystem mounted with data=journal' "$1"
        return 0
    fi
    return 1
}

disk_repeat() {
    # each test runs for a fixed time after a ramp whose I/O is not counted (queues filled, the
    # device's caches and power states settled); sequential tests wrap around the file
    local r=$1 runtime=$2 ramp_ms=$3 direct=$4
    shift 4
    local timed=(--time_based --runtime="$runtime" --ramp_time="${ramp_ms}ms" "$@")
    local sync=() limit=$((runtime + ramp_ms / 1000 + 120))
    ((direct)) || sync=(--end_fsync=1)
    step 4 "disk: fio sequential 1 MiB write and read (QD8), random 4k read and write (QD32), repeat $r..."
    run_timed "$limit" fio --name=seqwrite --rw=write --bs=1M --iodepth=8 "${timed[@]}" "${sync[@]}" \
        --output="$CAP/$(rfile fio-seqwrite.json "$r")" >/dev/null 2>>"$CAP/collect.log" </dev/null || warn "fio seqwrite failed"
    run_timed "$limit" fio --name=seqread --rw=read --bs=1M --iodepth=8 --invalidate=1 "${timed[@]}" \
        --output="$CAP/$(rfile fio-seqread.json "$r")" >/dev/null 2>>"$CAP/collect.log" </dev/null || warn "fio seqread failed"
    run_timed "$limit" fio --name=randread --rw=randread --bs=4k --iodepth=32 "${timed[@]}" \
        --output="$CAP/$(rfile fio-randread.json "$r")" >/dev/null 2>>"$CAP/collect.log" </dev/null || warn "fio randread failed"
    run_timed "$limit" fio --name=randwrite --rw=randwrite --bs=4k --iodepth=32 "${timed[@]}" "${sync[@]}" \
        --output="$CAP/$(rfile fio-randwrite.json "$r")" >/dev/null 2>>"$CAP/collect.log" </dev/null || warn "fio randwrite failed"
}

IPERF_ERROR=""
iperf3_run() {
    # iperf3_run NAME SECONDS EXTRA... : one iperf3 test, retried while the server is busy. On
    # failure returns 1 with iperf3's reason in IPERF_ERROR. With -J, iperf3 (3.12) may say a
    # failure only in its JSON's "error" and still exit 0: the JSON decides, not the status.
    local name=$1 secs=$2 try; shift 2
    local args=(-c "$IPERF_HOST" -p "$IPERF_PORT" -J -t "$secs" "$@")
    says --connect-timeout iperf3 --help && args+=(--connect-timeout 5000)
    # the test suite's runs against an iperf3 server on this machine only: BENCH_TEST_IPERF_BITRATE
    # (iperf3's -b, "200M") caps the loopback, which iperf3 and its server otherwise ran flat out
    # on both of the test machine's cores for each second of the test; unset or not a rate, it
    # is not read
    [[ ${BENCH_TEST_IPERF_BITRATE:-} =~ ^[0-9]+[KMG]?$ ]] && args+=(-b "$BENCH_TEST_IPERF_BITRATE")
    IPERF_ERROR=""
    for try in 1 2 3; do
        run_timed $((secs + 30)) iperf3 "${args[@]}" >"$CAP/$name" 2>>"$CAP/collect.log" </dev/null
        IPERF_ERROR=$(jq -r 'if type == "object" then .error // empty else empty end' "$CAP/$name" 2>/dev/null)
        # (-s first: jq 1.6's -e answers 0 for an empty input)
        if [[ -z $IPERF_ERROR && -s $CAP/$name ]] && jq -e '.end.sum_sent // .end.sum_received' "$CAP/$name" >/dev/null 2>&1; then
            return 0
        fi
        IPERF_ERROR=${IPERF_ERROR:-"no result (timed out, or iperf3 failed)"}
        if [[ $IPERF_ERROR != *busy* ]] || ((try == 3)); then break; fi
        log "  iperf3 server busy, retrying ($try/2)..."
        sleep 3
    done
    printf 'iperf3 %s: %s\n' "$name" "$IPERF_ERROR" >>"$CAP/collect.log"
    rm -f -- "$CAP/$name"
    return 1
}

bench_network() {
    local n=$1 secs=$2 pings=$3 budget=$4
    if ((SKIP_NETWORK)); then step "$n" "network: skipped (${SKIP_NETWORK_WHY:---skip-network})"; return; fi
    if [[ -z $IPERF_HOST ]]; then step "$n" "network: skipped (no --iperf-server)"; return; fi
    if ! have iperf3; then step "$n" "network: skipped, iperf3 is not installed"; not_collected "network benchmark" "iperf3 is not installed"; return; fi
    info iperf_server "$IPERF_HOST:$IPERF_PORT"
    info iperf_server_arg "$IPERF_SERVER"
    info method_network "iperf3-tcp-1stream-up+down-${secs}s-v1"
    if have ping; then
        step "$n" "network: ping $IPERF_HOST ($pings packets)..."
        run_timed $((pings + 15)) ping -c "$pings" -i 0.2 -W 2 "$IPERF_HOST" >"$CAP/ping.txt" 2>>"$CAP/collect.log" </dev/null
        [[ -s $CAP/ping.txt ]] || rm -f -- "$CAP/ping.txt"
    else
        not_collected "network latency (ping_ms)" "ping is not installed (apt-get install iputils-ping)"
    fi
    repeat_bench network 2 3 "$budget" "$CV_TARGET_NETWORK" network_repeat "$n" "$secs"
    if ((NETWORK_FAILED)); then
        # listed once, with the first failure: "(part)" only when another test measured (both
        # directions failing read "network benchmark (part)" beside "network not run")
        local what="network benchmark"
        ((NETWORK_FAILED < NETWORK_TRIED)) && what+=" (part)"
        not_collected "$what" "iperf3 $NETWORK_ERROR"
    fi
}

network_repeat() {
    local r=$1 n=$2 secs=$3
    ((r == 1)) || sleep 1   # let the server get ready for the next test (none after the last)
    # an IPv6 address in brackets, as it is given: "::1:5201" read as an address and no port
    local at="$IPERF_HOST:$IPERF_PORT"
    [[ $IPERF_HOST == *:* ]] && at="[$IPERF_HOST]:$IPERF_PORT"
    step "$n" "network: iperf3 upload to $at, then download (reverse), ${secs} s each, repeat $r..."
    local hint="is 'iperf3 -s' running on $at?"
    ((IPERF_UNRESOLVED)) && hint="$IPERF_HOST did not resolve at the start either: a typo, or no DNS?"
    NETWORK_TRIED=$((NETWORK_TRIED + 2))
    if ! iperf3_run "$(rfile iperf3-up.json "$r")" "$secs"; then
        # a server busy with another client's test runs: its own words say it ("try again later")
        [[ $IPERF_ERROR == *busy* ]] && hint=""
        warn "iperf3 upload failed: $IPERF_ERROR${hint:+ ($hint)}"
        network_failed "upload: $IPERF_ERROR"
    else
        hint="a one-off 'iperf3 -s -1' serves one test only"  # the upload reached it
    fi
    # let the server get ready for the next test (none ran where nothing could be reached)
    [[ $IPERF_ERROR == "unable to connect"* ]] || sleep 1
    if ! iperf3_run "$(rfile iperf3-down.json "$r")" "$secs" -R; then
        [[ $IPERF_ERROR == *busy* ]] && hint=""
        warn "iperf3 download failed: $IPERF_ERROR${hint:+ ($hint)}"
        network_failed "download: $IPERF_ERROR"
    fi
}

NETWORK_FAILED=0 NETWORK_TRIED=0 NETWORK_ERROR="" IPERF_UNRESOLVED=0
network_failed() {
    # counted; the first failure of a run is what "not collected" says (bench_network)
    ((NETWORK_FAILED++)) || NETWORK_ERROR=$1
}

bench_gpu() {
    local n=$1 short=$2 bin
    if ((SKIP_GPU)); then step "$n" "gpu: skipped (--skip-gpu)"; return; fi
    if ! gpu_device_present; then step "$n" "gpu: skipped, no GPU device (/dev/dri)"; return; fi
    if ! bin=$(glmark2_binary); then step "$n" "gpu: skipped, glmark2 is not installed"; not_collected "gpu benchmark" "glmark2 is not installed"; return; fi
    local args=(--off-screen)
    if ((short)); then
        local scene
        for scene in build texture shading bump effect2d pulsar desktop buffer ideas jellyfish terrain shadow refract conditionals function loop; do
            args+=(-b "$scene:duration=1.5")
        done
        info method_gpu "$bin-offscreen-short1.5s-v1"
    else
        info method_gpu "$bin-offscreen-default-v1"
    fi
    step "$n" "gpu: $bin --off-screen (run once: glmark2 runs many scenes and averages them)..."
    run_timed 900 "$bin" "${args[@]}" >"$CAP/glmark2.txt" 2>>"$CAP/collect.log" </dev/null || warn "$bin failed"
    [[ -s $CAP/glmark2.txt ]] || { rm -f -- "$CAP/glmark2.txt"; return; }
    local renderer
    renderer=$(sed -n 's/^[[:space:]]*GL_RENDERER:[[:space:]]*//p' "$CAP/glmark2.txt" | head -n 1)
    if [[ -n $renderer ]] && [[ $(jq -n --arg r "$renderer" "$JQ_LIB"'$r | soft_renderer') == true ]]; then
        warn "glmark2 drew on the CPU ($renderer): no GPU to measure, no GPU score"
        not_collected "gpu benchmark" "glmark2 drew on the CPU ($renderer), no GPU driver"
    fi
}

collect_all() {
    # seconds per test and per repeat, and each category's time budget for its repeats
    local cpu_secs=4 mem_secs=3 fio_mb=1024 fio_secs=4 fio_ramp_ms=1000 net_secs=5 pings=10
    local budget_cpu=50 budget_mem=20 budget_disk=75 budget_net=40 idle_max=20
    if ((SHORT)); then
        cpu_secs=1 mem_secs=1 fio_mb=256 fio_secs=1 fio_ramp_ms=500 net_secs=2 pings=5
        budget_cpu=14 budget_mem=7 budget_disk=24 budget_net=15 idle_max=10
    fi
    [[ -n $WAIT_IDLE_MAX ]] && idle_max=$WAIT_IDLE_MAX
    {
        printf 'bench_script_version=%s\n' "$BENCH_SCRIPT_VERSION"
        RUN_STARTED_MS=$(now_ms)
        printf 'started_at=%s\n' "$(utc_now)"
        [[ -n $CLOCK_OFFSET ]] && printf 'clock_offset_s=%s\n' "$CLOCK_OFFSET"
        printf 'short=%s\n' "$SHORT"
        # a run of the schedule --schedule installed (bench-run says which): conditions.scheduled
        [[ ${BENCH_SCHEDULED:-} =~ ^(daily|weekly|monthly)$ ]] && printf 'scheduled=%s\n' "$BENCH_SCHEDULED"
        printf 'root=%s\n' "$IS_ROOT"
        printf 'cpu_threads_multi=%s\n' "$(nproc 2>/dev/null)"
        printf 'repeats_fixed=%s\n' "$REPEATS"
        # the run's id, which a replay of this capture submits again: stored once, whatever
        # the number of replays (--capture submits too; a submission that timed out may be in)
        printf 'submission_id=%s\n' "$(new_uuid)"
        [[ -n $DEVICE ]] && printf 'device=%s\n' "$DEVICE"
        [[ -n $HOST_NAME ]] && printf 'hostname=%s\n' "$HOST_NAME"
    } >"$CAP/capture-info.txt"
    local t0
    t0=$(now_ms)
    snapshot_conditions >"$CAP/conditions-before.txt" 2>/dev/null
    collect_inventory
    # waiting for idle pays only before a benchmark that will run (network needs an iperf3
    # server, gpu a GPU)
    if ((!SKIP_CPU || !SKIP_MEMORY || !SKIP_DISK)) || { ((!SKIP_NETWORK)) && [[ -n $IPERF_HOST ]]; } \
        || { ((!SKIP_GPU)) && gpu_device_present; }; then
        wait_for_idle "$idle_max"
    fi
    bench_cpu 2 "$cpu_secs" "$budget_cpu"
    bench_memory 3 "$mem_secs" "$budget_mem"
    bench_disk 4 "$fio_mb" "$fio_secs" "$fio_ramp_ms" "$budget_disk"
    bench_network 5 "$net_secs" "$pings" "$budget_net"
    bench_gpu 6 "$SHORT"
    snapshot_conditions >"$CAP/conditions-after.txt" 2>/dev/null
    RUN_FINISHED_MS=$(now_ms)
    printf 'finished_at=%s\nduration_s=%s\n' "$(utc_now)" "$(((RUN_FINISHED_MS - t0 + 500) / 1000))" >>"$CAP/capture-info.txt"
}

utc_now() {
    # now, ISO 8601 UTC: this machine's clock, or the server's when this one is far off it
    # (clock_check): the server's time at the check plus the seconds since, counted on the
    # monotonic clock, so that NTP setting this clock right meanwhile is not counted twice
    utc_of $((${CLOCK_OFFSET:-0} ? CLOCK_BASE + $(now_ms) / 1000 : $(date +%s)))
}

utc_of() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

clock_check() {
    # clock_check HEADERS : this machine's clock against the Date the server answered with. A
    # clock far off (a dead CMOS battery reads 1970 or the BIOS's date, a VM resumed from an
    # old snapshot) dates the run far from when it ran, and the server files it where it says
    # (the contract's run_at): a run of 1970 sits behind every older one, never the latest,
    # its SMART readings never the disks' latest. Off by more than CLOCK_SKEW_MAX seconds: the
    # run's times are read on the server's clock (CLOCK_OFFSET), and that is said.
    local served here offset ahead
    # the last Date (behind an https proxy, its CONNECT answer's headers come first), in the
    # one form HTTP servers send (IMF-fixdate): anything else, or a date before this script,
    # is no clock to go by (date -d reads "0" as today's midnight)
    served=$(grep -i '^date:' "$1" 2>/dev/null | tail -n 1 | cut -d: -f2- | tr -d '\r')
    served=${served#"${served%%[! ]*}"}
    [[ $served =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] || return 0
    served=$(date -u -d "$served" +%s 2>/dev/null) || return 0
    ((served >= CLOCK_EARLIEST)) || return 0
    here=$(date -u +%s)
    offset=$((served - here))
    CLOCK_OFFSET=0
    # the server's time at boot: its time at any instant of the monotonic clock (now_ms)
    CLOCK_BASE=$((served - $(now_ms) / 1000))
    ((offset > CLOCK_SKEW_MAX || offset < -CLOCK_SKEW_MAX)) || return 0
    CLOCK_OFFSET=$offset
    ahead=$( ((offset > 0)) && echo behind || echo ahead of)
    warn "this machine's clock reads $(date -u '+%Y-%m-%d %H:%M') UTC, $(span_words "${offset#-}") $ahead the server's: the run is dated by the server's clock. Set this clock right (timedatectl set-ntp true; a clock that resets at boot is a flat CMOS battery)"
}

clock_recheck() {
    # the check before the run did not reach the server (at boot, the network not up yet), so
    # its clock was not read: asked again before the submission is built, and read the same way
    # (clock_check). The run's started_at/finished_at are dated again on the server's clock from
    # the monotonic instants they were taken at when started_at was far off it (this clock is,
    # or was then: NTP may have set it meanwhile), in capture-info.txt as --capture keeps it,
    # with clock_offset_s the seconds added to it.
    ((CLOCK_RECHECK)) || return 0
    options_request >/dev/null || return 0
    clock_check "$WORK/check.headers"
    [[ -n $CLOCK_OFFSET ]] || return 0   # no Date to go by
    local info="$CAP/capture-info.txt" recorded start off=0 started="" finished="" text
    recorded=$(date -u -d "$(sed -n 's/^started_at=//p' "$info" | head -n 1)" +%s 2>/dev/null) || return 0
    start=$((CLOCK_BASE + RUN_STARTED_MS / 1000))
    if ((start - recorded > CLOCK_SKEW_MAX || recorded - start > CLOCK_SKEW_MAX)); then
        off=$((start - recorded))
        started=$(utc_of "$start") finished=$(utc_of $((CLOCK_BASE + RUN_FINISHED_MS / 1000)))
        ((CLOCK_OFFSET)) || warn "this machine's clock read $(utc_of "$recorded") when the run started, $(span_words "${off#-}") $( ((off > 0)) && echo behind || echo ahead of) the server's (it was set right since): the run is dated by the server's clock"
    fi
    # (written over in place: the file keeps its owner and mode)
    text=$(awk -v s="$started" -v f="$finished" -v o="$off" '
        /^started_at=/ { print (s != "" ? "started_at=" s : $0); print "clock_offset_s=" o; next }
        /^finished_at=/ && f != "" { print "finished_at=" f; next }
        { print }' "$info") && printf '%s\n' "$text" >"$info"
}

started_too_early() {
    # started_too_early DIR : said when the run in DIR started, by its started_at, before this
    # script was written (CLOCK_EARLIEST): a machine without a battery-backed clock, or before
    # NTP set it, reads 1970. The server dates a run by its started_at: such a run sits behind
    # every other run of the machine, never its latest. (A run that reached the server is on
    # its clock: clock_check.)
    local started at
    started=$(sed -n 's/^started_at=//p' "$1/capture-info.txt" 2>/dev/null | head -n 1)
    at=$(date -u -d "$started" +%s 2>/dev/null) && [[ -n $started ]] || return 0
    ((at < CLOCK_EARLIEST)) || return 0
    if [[ -n $FROM_DIR ]]; then
        warn "this capture's started_at reads $started, before bench.sh was written: the clock of the machine it was made on was wrong (no battery-backed clock, or NTP not there yet), and the server will date the run by it (behind every other run of that machine, never its latest)"
    else
        warn "this machine's clock read $started when the run started, before bench.sh was written: the run's times are wrong, and the server would date the run by them (behind every other run of this machine, never its latest). Set the clock right (timedatectl set-ntp true) and run again"
    fi
}

span_words() {
    # span_words SECONDS : "3 minutes", "5 hours", "20454 days" as a person says it
    local s=$1
    if ((s >= 172800)); then printf '%d days' $((s / 86400))
    elif ((s >= 7200)); then printf '%d hours' $((s / 3600))
    else printf '%d minutes' $((s / 60)); fi
}

# ------------------------------------------------------------------------------ parsers
# Each parser reads capture files and prints one JSON value. Shared jq helpers:
JQ_LIB='
# `lscpu -J > lscpu.txt` (a capture not made by bench.sh): its fields as lscpu writes them
def lscpu_text: (try fromjson catch null) as $j
  | if ($j | type) == "object" and ($j.lscpu | type) == "array"
    then [$j.lscpu | .. | objects | select(has("field")) | "\(.field) \(.data // "")"] | join("\n") else . end;
def trim: sub("^\\s+"; "") | sub("\\s+$"; "");
def lines: split("\n") | map(rtrimstr("\r"));
def squeeze: gsub("\\s+"; " ");
# a number from a JSON number or a plain decimal string ("12", "4000.0000", "2,5"); else null
def num:
  if type == "number" then (if isinfinite or isnan then null else . end)
  elif type == "string" then
    (trim | sub("^(?<a>[0-9]+),(?<b>[0-9]+)$"; "\(.a).\(.b)")
     | if test("^[0-9]{1,18}(\\.[0-9]+)?$") then tonumber else null end)
  else null end;
def pos: num | if . != null and . > 0 then . else null end;
def nonneg: num | if . != null and . >= 0 then . else null end;
def posint: pos | if . == null then null else round end;
def rnd($n): if . == null then null else (. * pow(10; $n) | round) / pow(10; $n) end;
# null when above what any machine can measure (garbage such as 1e400 parses as a finite number)
def upto($max): if . != null and . > $max then null else . end;
def str: if type == "string" then . else null end;
def among($a): . as $x | any($a[]; . == $x);
# an OpenGL renderer that draws on the CPU (Mesa in a VM or a container without a GPU driver;
# on WSL2 "D3D12 (Microsoft Basic Render Driver)": Mesa on WARP, the software adapter of Windows)
def soft_renderer: test("llvmpipe|softpipe|swrast|software rasterizer|Microsoft Basic Render Driver"; "i");
# "Key: value" lines -> [{k, v}]
def kvpairs: lines | map(capture("^\\s*(?<k>[^:]+?)\\s*:\\s*(?<v>.*)$") | .v |= trim);
def kv($p; $k): first($p[] | select(.k == $k) | .v) // null;
# key=value lines -> object (first occurrence wins)
def eqpairs: reduce (lines[] | capture("^(?<k>[A-Za-z0-9_]+)=(?<v>.*)$")) as $m ({}; if has($m.k) then . else .[$m.k] = ($m.v | trim) end);
# JSON text, tolerating warnings printed before it and text after it
def jsonish: if type != "string" then null else . as $s
  | (try fromjson catch null)
    // ($s | sub("^[^{\\[]*"; "") | try fromjson catch null)
    // ($s | sub("^[^{\\[]*"; "") | sub("}[^}]*$"; "}") | try fromjson catch null) end;
# placeholders firmware vendors leave in DMI and disks report instead of a real value
def PH: ["to be filled by o.e.m.", "to be filled by oem", "default string", "not specified",
  "not applicable", "not available", "not present", "not settable", "not provided", "none", "n/a", "na",
  "unknown", "undefined", "oem", "o.e.m.", "system serial number", "system product name",
  "system manufacturer", "system version", "system name", "chassis serial number",
  "chassis manufacturer", "base board serial number", "base board manufacturer",
  "baseboard serial number", "invalid", "empty", "[empty]", "(none)", "no dimm", "not installed",
  "no module installed", "unknown manufacturer", "0123456789", "1234567890", "123456789",
  "12345678", "default", "type2 - board serial number", "type2 - board vendor name1",
  "type2 - board product name1", "to be filled", "dummy", "noname", "no asset tag", "no enclosure",
  "03000200-0400-0500-0006-000700080009", "null", "not support", "base board product name",
  "product name", "system_product_name"];
def isph: (tostring | trim | ascii_downcase) as $s
  | ($s == "") or ($s == "0") or ($s | among(PH))
    or ($s | test("^(.)\\1+$")) or ($s | test("^0?123456789[0-9]*$")) or ($s | test("^\\$\\(.*\\)$")) or ($s | test("^[0\\W_]+$"))
    or ($s | test("^(dimm|module|array|bank|node)?[0-9]*[ _-]?(manufacturer|partnum|part ?number|serial ?num|serial ?number|serial|asset ?tag)[ _-]?[0-9]*$"));
def clean: if . == null or (type | among(["object", "array", "boolean"])) then null
  else (tostring | trim | squeeze) as $s | if ($s | isph) then null else $s end end;
def pad2: tostring | if length < 2 then "0" + . else . end;
# JEP106 bank (1-based) and id byte ("CE") -> a well-known memory maker, else null
def jedec_name($bank; $id):
  {"1:CE": "Samsung", "1:AD": "SK hynix", "1:2C": "Micron", "1:FE": "Elpida", "2:98": "Kingston",
   "3:9E": "Corsair", "4:0B": "Nanya", "5:CD": "G.Skill", "5:CB": "A-DATA", "5:43": "Ramaxel",
   "6:9B": "Crucial"}["\($bank):\($id | ascii_upcase)"];
# a memory maker from the JEDEC JEP106 code firmware prints instead of a name ("80CE", "00CE00B300CE",
# "CE00000000000000", "7F7F9E..."): the name of a well-known maker, else null (a code is no name)
def jedec_vendor:
  (ascii_upcase | sub("^0X"; "")) as $h
  | if ($h | test("^([0-9A-F]{2}){2,8}$") | not) then null else
      [$h | scan("..")] as $b
      # leading 0x7F bytes: one per bank after the first; or a bank byte (parity bit optional)
      | ([$b[] | . == "7F"] | index(false) // 0) as $cont
      | ({"00": 1, "80": 1, "01": 2, "81": 2, "02": 3, "82": 3, "03": 4, "83": 4, "04": 5, "84": 5,
          "05": 6, "85": 6}[$b[0]]) as $bank
      | (if $cont > 0 then {bank: ($cont + 1), id: $b[$cont]}
         elif $bank != null then {bank: $bank, id: $b[1]}
         elif ($b[1:] | all(. == "00")) then {bank: 1, id: $b[0]}
         else null end) as $j
      | if $j == null then null else jedec_name($j.bank; $j.id) end end;
'

f() { if [[ -f $1 && -r $1 ]]; then printf '%s' "$1"; else printf '/dev/null'; fi; }
# dmi_file DIR NAME : f DIR/NAME for a DMI capture (dmidecode.txt, dmi-id.txt), nothing for a
# container's: its DMI is the host's (a capture of bench.sh 1.2.3 or older kept it)
dmi_file() { if in_container "$1"; then printf '/dev/null'; else f "$1/$2"; fi; }

parse_cpu() {
    local d=$1
    jq_parse --rawfile lscpu "$(f "$d/lscpu.txt")" --rawfile cpuinfo "$(f "$d/proc-cpuinfo.txt")" \
        --rawfile nproc "$(f "$d/nproc.txt")" --rawfile cpufreq "$(f "$d/cpufreq.txt")" \
        --rawfile lscpup "$(f "$d/lscpu-p.txt")" --rawfile sysfs "$(f "$d/cpu-sysfs.txt")" "$JQ_LIB"'
    # `lscpu -p` (parsable, not translated): the rows under the last "# CPU,Core,..." header line,
    # as objects keyed by the lower-cased column names; null without such rows
    def lscpu_parsable:
      reduce (lines[]) as $l ({names: null, rows: []};
        if ($l | test("^#\\s*CPU,"; "i")) then {names: ($l | sub("^#\\s*"; "") | split(",") | map(ascii_downcase)), rows: []}
        elif .names != null and ($l | test("^[0-9]+,")) then
          ($l | split(",")) as $f
          | if ($f | length) == (.names | length) then .rows += [[.names, $f] | transpose | map({(.[0]): .[1]}) | add] else . end
        else . end)
      | if .names == null or (.rows | length) == 0 then null else .rows end;
    # /proc/cpuinfo as pasted in reports: a flags list wrapped over several lines is joined again
    # (the lines after "flags :" without a colon); blocks start at each "processor :" line (a
    # paste may have lost the blank lines between them, or added some), else at blank lines
    def unwrap_flags:
      lines | reduce .[] as $l ([];
        if length > 0 and ($l | test(":") | not) and ($l | test("\\S"))
           and (.[-1] | test("^\\s*(flags|Features)\\s*:"))
        then .[:-1] + [.[-1] + " " + ($l | trim)] else . + [$l] end) | join("\n");
    def cpu_blocks:
      lines as $ls
      | ([$ls[] | select(test("^\\s*processor\\s*:"))] | length > 0) as $by_processor
      | reduce $ls[] as $l ([[]];
          if ($by_processor and ($l | test("^\\s*processor\\s*:"))) or ($by_processor | not) and ($l | test("^\\s*$"))
          then . + [[$l]] else .[:-1] + [.[-1] + [$l]] end)
      | map(join("\n"));
    def vendor_name:
      clean | if . == null then null else
        ({"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon",
          "CentaurHauls": "Centaur", "Shanghai": "Zhaoxin", "IBM/S390": "IBM", "0x41": "ARM",
          "0x42": "Broadcom", "0x43": "Cavium", "0x46": "Fujitsu", "0x48": "HiSilicon",
          "0x4e": "NVIDIA", "0x50": "APM", "0x51": "Qualcomm", "0x61": "Apple", "0x70": "Phytium",
          "0xc0": "Ampere", "0x489": "SiFive", "0x5b7": "T-Head"}[.] // .)
        | if test("^0x") then null else . end end;
    def intel_uarch($m; $s):
      if $m == 85 then (if $s >= 10 then "Cooper Lake" elif $s >= 5 then "Cascade Lake" else "Skylake" end)
      elif $m == 158 then (if $s >= 10 then "Coffee Lake" else "Kaby Lake" end)
      elif $m == 142 then (if $s >= 12 then "Comet Lake" elif $s == 11 then "Whiskey Lake" else "Kaby Lake" end)
      else {"15": "Core", "22": "Core", "23": "Penryn", "29": "Penryn", "26": "Nehalem", "30": "Nehalem",
        "31": "Nehalem", "46": "Nehalem", "37": "Westmere", "44": "Westmere", "47": "Westmere",
        "42": "Sandy Bridge", "45": "Sandy Bridge", "58": "Ivy Bridge", "62": "Ivy Bridge",
        "60": "Haswell", "63": "Haswell", "69": "Haswell", "70": "Haswell", "61": "Broadwell",
        "71": "Broadwell", "79": "Broadwell", "86": "Broadwell", "78": "Skylake", "94": "Skylake",
        "102": "Cannon Lake", "165": "Comet Lake", "166": "Comet Lake", "106": "Ice Lake",
        "108": "Ice Lake", "125": "Ice Lake", "126": "Ice Lake", "140": "Tiger Lake",
        "141": "Tiger Lake", "167": "Rocket Lake", "151": "Alder Lake", "154": "Alder Lake",
        "183": "Raptor Lake", "186": "Raptor Lake", "191": "Raptor Lake", "170": "Meteor Lake",
        "172": "Meteor Lake", "143": "Sapphire Rapids", "207": "Emerald Rapids", "173": "Granite Rapids",
        "189": "Lunar Lake", "197": "Arrow Lake", "198": "Arrow Lake", "28": "Bonnell",
        "38": "Bonnell", "39": "Saltwell", "53": "Saltwell", "54": "Saltwell", "55": "Silvermont",
        "77": "Silvermont", "76": "Airmont", "92": "Goldmont", "95": "Goldmont",
        "122": "Goldmont Plus", "134": "Tremont", "150": "Tremont", "156": "Tremont",
        "190": "Gracemont", "87": "Knights Landing", "133": "Knights Mill"}[$m | tostring] // null end;
    def amd_uarch($f; $m):
      if $f == 26 then "Zen 5"
      elif $f == 25 then
        (if ($m >= 16 and $m < 32) or ($m >= 96 and $m < 128) then "Zen 4"
         elif $m >= 160 and $m < 176 then "Zen 4c"
         elif $m >= 64 and $m < 80 then "Zen 3+"
         else "Zen 3" end)
      elif $f == 24 then "Zen"
      elif $f == 23 then (if $m == 8 or $m == 24 then "Zen+" elif $m < 48 then "Zen" else "Zen 2" end)
      elif $f == 22 then (if $m >= 48 then "Puma" else "Jaguar" end)
      elif $f == 21 then (if $m == 1 then "Bulldozer" elif $m < 48 then "Piledriver"
                          elif $m < 96 then "Steamroller" else "Excavator" end)
      elif $f == 20 then "Bobcat" elif $f == 16 or $f == 18 then "K10" elif $f == 15 then "K8"
      else null end;
    def arm_part($p):
      {"0xb76": "ARM11", "0xc07": "Cortex-A7", "0xc08": "Cortex-A8", "0xc09": "Cortex-A9",
       "0xc0f": "Cortex-A15", "0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55",
       "0xd07": "Cortex-A57", "0xd08": "Cortex-A72", "0xd09": "Cortex-A73", "0xd0a": "Cortex-A75",
       "0xd0b": "Cortex-A76", "0xd0c": "Neoverse-N1", "0xd0d": "Cortex-A77", "0xd40": "Neoverse-V1",
       "0xd41": "Cortex-A78", "0xd44": "Cortex-X1", "0xd46": "Cortex-A510", "0xd47": "Cortex-A710",
       "0xd48": "Cortex-X2", "0xd49": "Neoverse-N2", "0xd4f": "Neoverse-V2"}[$p // "" | ascii_downcase] // null;
    def s390_machine($t): {"2097": "z10 EC", "2098": "z10 BC", "2817": "z196", "2818": "z114",
       "2827": "zEC12", "2828": "zBC12", "2964": "z13", "2965": "z13s", "3906": "z14", "3907": "z14 ZR1",
       "8561": "z15", "8562": "z15 T02", "3931": "z16", "3932": "z16 A02", "9175": "z17"}[$t // ""] // null;
    # number of CPUs in a cpulist ("1-5,8-19"); null unless every part is a number or a range
    def cpulist_count:
      (. // "" | trim | split(",")) as $parts
      | if ($parts | length) == 0 or any($parts[]; test("^[0-9]+(-[0-9]+)?$") | not) then null
        else [$parts[] | split("-") | map(tonumber) | if length == 2 then .[1] - .[0] + 1 else 1 end]
          | if any(.[]; . < 1) then null else add end end;
    # s390 /proc/cpuinfo "cacheN : level=1 type=Data scope=Private size=128K ..." -> [{level, type, scope, kb}]
    def s390_caches($C):
      [$C[] | select(.k | test("^cache[0-9]+$")) | .v
       | capture("level=(?<level>[0-9]+)\\s+type=(?<type>\\S+)\\s+scope=(?<scope>\\S+)\\s+size=(?<n>[0-9]+)(?<u>[KMG])") // empty
       | {level: (.level | tonumber), type, scope,
          kb: ((.n | tonumber) * {"K": 1, "M": 1024, "G": 1048576}[.u])}];
    # cache size in KB: util-linux >= 2.34 prints totals ("64 KiB (2 instances)", "1 MiB"),
    # older versions one instance ("32K"), multiplied here by the number of instances
    def cache_kb($inst):
      (. // "" | tostring | trim
       | capture("^(?<n>[0-9]+([.,][0-9]+)?)\\s*(?<u>[KMGkmg])(?<b>i?B)?(\\s|\\(|$)") // null) as $m
      | if $m == null then null else
        ($m.n | num) as $n
      | ({"K": 1, "M": 1024, "G": 1048576}[$m.u | ascii_upcase]) as $mul
      | (if $n == null then null elif $m.b == null then (if $inst == null then null else $n * $mul * $inst end)
         else $n * $mul end)
      | if . == null or . <= 0 then null else round | upto(1e9) end end;
    def ghz_from_mhz: pos | if . == null then null else (. / 1000) | if . >= 0.2 and . <= 10 then rnd(2) else null end end;
    def ghz_from_khz: pos | if . == null then null else (. / 1000000) | if . >= 0.2 and . <= 10 then rnd(2) else null end end;

    ($lscpu | lscpu_text) as $lscpu
    | ($lscpu | kvpairs) as $L
    | ($cpuinfo | unwrap_flags) as $cpuinfo
    # /proc/cpuinfo keys with any spacing ("model name\t:", "model name:", "cpu family :6")
    | ($cpuinfo | kvpairs | map(.k |= gsub("\\s+"; " "))) as $C
    | ($cpuinfo | cpu_blocks | map(kvpairs | map(.k |= gsub("\\s+"; " "))) | map(select(length > 0))) as $blocks
    # per package ("physical id"): "siblings" logical CPUs and "cpu cores" cores, which a dump
    # of only some processors (or one) still tells
    | ([$blocks[] | {p: kv(.; "physical id"), c: (kv(.; "cpu cores") | posint), s: (kv(.; "siblings") | posint)}
        | select(.p != null)] | group_by(.p) | map(.[0])) as $pkgs
    | (if ($pkgs | length) > 0 and all($pkgs[]; .c != null) then ($pkgs | map(.c) | add) else null end) as $pkg_cores
    | (if ($pkgs | length) > 0 and all($pkgs[]; .s != null) then ($pkgs | map(.s) | add) else null end) as $pkg_threads
    # machine-readable topology: lscpu -p (also when someone saved it as lscpu.txt), then sysfs
    | (($lscpup | lscpu_parsable) // ($lscpu | lscpu_parsable)) as $P
    | ($P | if . == null then null else length end) as $p_threads
    # cores: distinct (drawer, book, socket, core), or distinct L1d caches (one per core; on Arm
    # big.LITTLE the core ids restart in each cluster), whichever is more
    | (if $P == null then null else
         ([([$P[] | select((.core // "") != "") | [.drawer, .book, .socket, .core]] | unique | length),
           ([$P[] | .l1d // "" | select(. != "")] | unique | length)] | max
         | if . > 0 and . <= $p_threads then . else null end) end) as $p_cores
    | ([$P[]? | .maxmhz // "" | num | select(. != null and . > 0)] | max) as $p_maxmhz
    | ($sysfs | lines) as $SY
    | ([$SY[] | capture("^cpu[0-9]+ package=(?<p>-?[0-9]*) core=(?<c>-?[0-9]*)$") // empty]) as $st
    | ([$SY[] | capture("^cache level=(?<l>[0-9]+) type=(?<t>\\S+) size=(?<s>[0-9]+)(?<u>[KMG]?) shared=(?<sh>\\S*)$") // empty] | unique) as $sc
    | ($st | length | if . > 0 then . else null end) as $s_threads
    | ([([$st[] | [.p, .c]] | unique | length), ([$sc[] | select(.l == "1" and .t == "Data")] | length)] | max
       | if . > 0 and ($s_threads == null or . <= $s_threads) then . else null end) as $s_cores
    | (def sc($lvl; $types): [$sc[] | select(.l == $lvl and (.t | among($types))) | (.s | tonumber) * ({"": 1, "K": 1, "M": 1024, "G": 1048576}[.u])]
         | if length == 0 then null else add end;
       {l1: sc("1"; ["Data", "Instruction"]), l2: sc("2"; ["Unified", "Data", "Instruction"]), l3: sc("3"; ["Unified"])}) as $skb
    | ($cpufreq | eqpairs) as $F
    | ([$L[] | select(.k == "Model name") | .v | clean] | map(select(. != null)) | unique) as $lnames
    | (kv($L; "Vendor ID") | vendor_name) as $lvendor
    | ((kv($C; "vendor_id") | vendor_name) // (kv($C; "CPU implementer") | vendor_name)) as $cvendor
    | (if ($lnames | length) > 0 then ($lnames | join(" + "))
       else (kv($C; "model name") // kv($C; "Processor") // kv($C; "cpu model") // kv($C; "cpu") | clean) end) as $model
    | ($lvendor // $cvendor // (if ($model // "") | test("^POWER") then "IBM"
                                elif ($model // "") | test("^Loongson-") then "Loongson" else null end)) as $vendor
    | ((kv($L; "Vendor ID") // kv($C; "vendor_id")) == "IBM/S390") as $s390
    # a guest: its sockets and caches are what the hypervisor made up
    | (kv($L; "Hypervisor vendor") != null
       or ([$L[], $C[] | select(.k == "Flags" or .k == "flags") | .v | test("(^|\\s)hypervisor(\\s|$)")] | any)) as $guest
    # threads: the CPUs lscpu lists on-line (an off-line CPU runs nothing), else lscpu CPU(s),
    # else processors listed in /proc/cpuinfo ("# processors" on s390), else nproc
    | (kv($L; "CPU(s)") | posint | upto(65536)) as $lcpus
    | (kv($L; "On-line CPU(s) list") | cpulist_count
       | if . == null or . > 65536 or ($lcpus != null and . > $lcpus) then null else . end) as $online
    | ($p_threads // $online // $lcpus // $s_threads
       // ([$C[] | select(.k == "processor") | .v | num | select(. != null)] | length
           | if . > 0 then ([., ($pkg_threads // 0)] | max | upto(65536)) else null end)
       // (kv($C; "# processors") | posint | upto(65536))
       // ($pkg_threads | upto(65536))
       // ($nproc | posint | upto(65536))) as $threads
    # cores: sum over core types (hybrid / big.LITTLE list one section per model name)
    | ($L | reduce .[] as $p ([[]];
          if $p.k == "Model name" and ((.[-1] | map(select(.k | test("^Core\\(s\\) per"))) | length) > 0)
          then . + [[$p]] else .[:-1] + [(.[-1] + [$p])] end)) as $secs
    | ([$secs[] | . as $s
        | (first($s[] | select(.k | test("^Core\\(s\\) per (socket|cluster)$")) | .v | posint | upto(65536)) // null) as $cps
        | select($cps != null)
        | ((first($s[] | select(.k == "Socket(s)" or .k == "CPU socket(s)") | .v | posint) // null)
           // (if any($s[]; .k == "Socket(s) per book") then
                 ([$s[] | select(.k == "Socket(s) per book" or .k == "Book(s) per drawer" or .k == "Drawer(s)") | .v | posint // 1] | reduce .[] as $x (1; . * $x))
               else null end)
           // (first($s[] | select(.k == "Cluster(s)") | .v | posint) // null)
           // 1) as $sockets
        | $cps * $sockets]) as $percore
    # s390 "max thread id" counts from 0
    | ((kv($L; "Thread(s) per core") | posint) // (kv($C; "max thread id") | nonneg | if . == null then null else round + 1 end)) as $tpc
    | (if ($percore | length) > 0 and ($percore | length) == ([$secs[] | select(any(.[]; .k | test("^Core\\(s\\) per")))] | length)
       then ($percore | add) else null end
       | if . != null and $threads != null and . > $threads then null else . end) as $lcores
    | ([([$blocks[] | [kv(.; "physical id"), kv(.; "core id")] | select(.[1] != null)] | unique | length), ($pkg_cores // 0)] | max
       | if . > 0 and ($threads == null or . <= $threads) then . else null end) as $ccores
    | (if $threads != null and $tpc != null and ($threads % $tpc) == 0 then $threads / $tpc else null end) as $cores_by_tpc
    # ARM cores of the parts named in arm_part have one thread each
    | (kv($C; "CPU implementer") == "0x41" and arm_part(kv($C; "CPU part")) != null) as $arm_single_thread
    # s390 lscpu topology lines describe the whole machine (books, drawers), not this LPAR or guest:
    # its CPUs over threads per core are its cores
    | ($p_cores // (if $s390 then $cores_by_tpc
       else ($lcores // $ccores // $s_cores // $cores_by_tpc
             // (if $threads == 1 or ($arm_single_thread and $threads != null) then $threads else null end)) end)) as $cores
    | ((kv($L; "CPU family") // kv($C; "cpu family")) | num) as $family
    | ((kv($L; "Model") // kv($C; "model")) | num) as $modelno
    | ((kv($L; "Stepping") // kv($C; "stepping")) | num) as $stepping
    | (if ($vendor == "Intel") and $family == 6 and $modelno != null then intel_uarch($modelno; $stepping // 0)
       elif ($vendor == "AMD" or $vendor == "Hygon") and $family != null then amd_uarch($family; $modelno // 0)
       elif ($model // "") | test("^(Cortex|Neoverse|Kryo|Carmel|Denver|Falkor|ThunderX|Firestorm|Icestorm|Avalanche|Blizzard)") then $model
       elif kv($C; "CPU part") != null and (kv($C; "CPU implementer") // "") == "0x41" then arm_part(kv($C; "CPU part"))
       elif ($model // "") | test("^POWER[0-9]+") then ($model | capture("^(?<p>POWER[0-9]+)").p)
       elif (kv($L; "Machine type") // null) != null then s390_machine(kv($L; "Machine type"))
       elif $s390 then s390_machine(first($C[] | select(.k | test("^processor [0-9]+$")) | .v
                                          | capture("machine\\s*=\\s*(?<m>[0-9A-Fa-f]+)").m) // kv($C; "machine"))
       # RISC-V: lscpu and /proc/cpuinfo name the core by its devicetree "uarch" ("sifive,u74-mc")
       elif ($model // "") | test("^[a-z0-9-]+,[a-z0-9][a-z0-9.-]*$") then $model
       else null end) as $uarch
    | ([$L[] | select(.k == "CPU max MHz") | .v | ghz_from_mhz | select(. != null)] | max) as $lmax
    # x86 "Frequency boost: enabled" (acpi-cpufreq): the highest P-state listed is the nominal clock,
    # the boost clock above it is not listed anywhere. amd-pstate lists its boost clock as the maximum.
    | (($vendor | among(["Intel", "AMD", "Hygon"])) and kv($L; "Frequency boost") == "enabled"
       and (($F.scaling_driver // "acpi-cpufreq") == "acpi-cpufreq")) as $p0_is_base
    | (if $p0_is_base then null else ($lmax // ($p_maxmhz | ghz_from_mhz) // ($F.cpuinfo_max_freq | ghz_from_khz)) end) as $maxf
    | ([$L[], $C[] | select(.k == "Flags" or .k == "flags" or .k == "Features" or .k == "features") | .v][0] // null
       | if . == null then [] else [splits("\\s+")] | map(select(. != "" and length <= 64 and test("^[A-Za-z0-9_.+-]+$"))) end) as $flags
    | (($model // "") | capture("@\\s*(?<n>[0-9]+([.,][0-9]+)?)\\s*(?<u>[GM])Hz") // null
       | if . == null then null elif .u == "G" then (.n | pos | if . == null then null else . * 1000 end) else (.n | pos) end
       | ghz_from_mhz) as $model_ghz
    | ($model_ghz // ($F.base_frequency | ghz_from_khz) // (if $p0_is_base then $lmax else null end)
       # s390: the static (nominal) clock; dynamic is the current one
       // ((kv($L; "CPU static MHz") // kv($C; "cpu MHz static")) | ghz_from_mhz)
       // (if $guest then ((kv($L; "CPU MHz") // kv($C; "cpu MHz")) | ghz_from_mhz) else null end)) as $basef
    | ((first($L[] | select(.k == "Socket(s)" or .k == "CPU socket(s)") | .v | posint) // null) // 1) as $sockets
    # per-instance sizes (util-linux < 2.34) are multiplied by cores (L1, L2) or sockets (L3); not in a
    # Xen paravirtualized guest, whose made-up topology has nothing to do with the caches, and not
    # for an AMD L3, which is one per CCX or die rather than one per socket
    | (kv($L; "Virtualization type") == "para" and kv($L; "Hypervisor vendor") == "Xen") as $para
    | (if $para then null else $cores end) as $percore_inst
    | (if $para or $vendor == "AMD" or $vendor == "Hygon" then null else $sockets end) as $l3_inst
    | (s390_caches($C)) as $zc
    | (if $s390 and $cores != null and ($zc | length) > 0 then
         {l1: ([$zc[] | select(.level == 1 and .scope == "Private") | .kb * $cores] | add),
          l2: ([$zc[] | select(.level == 2 and .scope == "Private") | .kb * $cores] | add),
          l3: ([$zc[] | select(.level == 3 and .scope == "Shared") | .kb] | add)}
       else {} end) as $zkb
    # a per-instance L1 above 256 KB is a bad cache report of the kernel (1024K L1d on an Opteron), not a cache
    | ((kv($L; "L1d cache") // kv($L; "L1d")) | if cache_kb(null) == null and (cache_kb(1) // 0) > 256 then null else cache_kb($percore_inst) end) as $l1d
    | ((kv($L; "L1i cache") // kv($L; "L1i")) | if cache_kb(null) == null and (cache_kb(1) // 0) > 256 then null else cache_kb($percore_inst) end) as $l1i
    # split L2 (s390 "L2d"/"L2i"): both halves or nothing
    | ((kv($L; "L2 cache") // kv($L; "L2")) | cache_kb($percore_inst)) as $l2u
    | (kv($L; "L2d cache") | cache_kb($percore_inst)) as $l2d
    | (kv($L; "L2i cache") | cache_kb($percore_inst)) as $l2i
    | {
        vendor: $vendor,
        model: $model,
        microarchitecture: $uarch,
        sockets: (first($L[] | select(.k == "Socket(s)" or .k == "CPU socket(s)") | .v | posint) // null),
        cores: $cores,
        threads: $threads,
        base_freq_ghz: $basef,
        max_freq_ghz: (if $maxf != null and $basef != null and $maxf < $basef then null else $maxf end),
        cache_l1_kb: ((if $l1d == null then $zkb.l1 else $l1d + ($l1i // 0) end) // $skb.l1),
        cache_l2_kb: ($l2u // (if $l2d != null and $l2i != null then $l2d + $l2i else null end) // $zkb.l2 // $skb.l2),
        cache_l3_kb: ((((kv($L; "L3 cache") // kv($L; "L3")) | cache_kb($l3_inst)) // $zkb.l3) // $skb.l3),
        flags: $flags,
        tdp_w: null
      }'
}

# DMI records as [{type, title, props}] from full `dmidecode`, any `-t` subset or `dmidecode -q`
JQ_DMI='
def dmi_title_type: {"BIOS Information": 0, "System Information": 1, "Base Board Information": 2,
  "Chassis Information": 3, "Physical Memory Array": 16, "Memory Device": 17}[.] // null;
# dmidecode 2.x (up to 2.8) puts the handle and the type on lines of their own, and indents the
# record one level deeper ("Handle 0x0000" / "\tDMI type 0, 20 bytes." / "\tBIOS Information" /
# "\t\tVendor: ..."): rewritten as the later layout (one line, then the title unindented)
def dmi_2x_layout:
  reduce .[] as $l ({out: [], old: false, handle: null};
    if ($l | test("^Handle 0x[0-9A-Fa-f]+\\s*$")) then .handle = ($l | trim) | .old = true
    elif .handle != null and ($l | test("^\\s+DMI type [0-9]+")) then .out += ["\(.handle), \($l | trim)"] | .handle = null
    elif ($l | test("^Handle 0x")) then .old = false | .out += [$l]
    elif .old and ($l | test("^\\t")) then .out += [$l[1:]]
    else .out += [$l] end)
  | .out;
# (a dump pasted with its tabs expanded indents with spaces, 4 or 8 a level: the smallest indent
# is one level, read as a tab)
def dmi_records:
  lines as $L
  | ([$L[] | capture("^(?<i> +)\\S") | .i | length] | min // 8) as $unit
  | reduce ([$L[] | if test("^ +\\S") then (capture("^(?<i> +)(?<r>.*)$") as $c
                     | ($c.i | length / $unit | floor) as $n | (if $n > 0 then "\t" * $n else "" end) + $c.r)
                   else . end] | dmi_2x_layout | .[]) as $l ({recs: [], blank: true};
    if ($l | test("^Handle 0x[0-9A-Fa-f]+, DMI type [0-9]+")) then
      .recs += [{type: ($l | capture("DMI type (?<t>[0-9]+)").t | tonumber), title: null, props: {}}] | .blank = false
    elif ($l | test("^\\t[^\\t]")) then
      (if (.recs | length) == 0 then . else
        ($l | capture("^\\t(?<k>[^:]+?)\\s*:\\s*(?<v>.*)$") // null) as $m
        | if $m == null or (.recs[-1].props | has($m.k)) then . else .recs[-1].props[$m.k] = ($m.v | trim) end end)
      | .blank = false
    elif ($l | test("^[^\\s#]")) then
      (if (.recs | length) > 0 and .recs[-1].title == null then .recs[-1].title = ($l | trim)
       elif .blank then .recs += [{type: ($l | trim | dmi_title_type), title: ($l | trim), props: {}}]
       else . end) | .blank = false
    elif ($l | test("^\\s*$")) then .blank = true
    else .blank = false end)
  | .recs
  # the oldest layout ("BIOS Information Block", "System Information Block"...) names some keys
  # differently: read them under the names of later versions
  | map(.type as $t
        | ({"0": {"Release": "Release Date"}, "1": {"Vendor": "Manufacturer", "Product": "Product Name"},
            "2": {"Vendor": "Manufacturer", "Product": "Product Name"},
            "3": {"Vendor": "Manufacturer", "Chassis Type": "Type"}}["\($t)"] // {}) as $alias
        | .props |= reduce ($alias | to_entries[]) as $e (.;
            if has($e.value) or (has($e.key) | not) then . else .[$e.value] = .[$e.key] end));
def dmi($recs; $t): [$recs[] | select(.type == $t) | .props];
# dmidecode prints "<OUT OF SPEC>" (a code it does not know: LPDDR5 for 3.3) or "<BAD INDEX>": no value
def dmiclean: clean | if . != null and test("^<[A-Z ]+>$") then null else . end;
def dmi1($recs; $t; $k): first(dmi($recs; $t)[] | .[$k] | dmiclean | select(. != null)) // null;
# dmi-id.txt (the kernel'"'"'s /sys/class/dmi/id, most of it readable without root) as the records
# dmidecode would print, after dmidecode'"'"'s own: they fill in what it did not give (not run
# without root, or no /dev/mem in a VM). The chassis comes as its SMBIOS code.
def dmi_sysfs:
  eqpairs as $i
  | ["Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
     "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All In One", "Sub Notebook",
     "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis",
     "Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis",
     "Sealed-case PC", "Multi-system", "CompactPCI", "AdvancedTCA", "Blade", "Blade Enclosing",
     "Tablet", "Convertible", "Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC"] as $chassis
  | [{type: 0, props: {"Vendor": $i.bios_vendor, "Version": $i.bios_version, "Release Date": $i.bios_date}},
     {type: 1, props: {"Manufacturer": $i.sys_vendor, "Product Name": $i.product_name,
                       "Version": $i.product_version, "Serial Number": $i.product_serial, "UUID": $i.product_uuid}},
     {type: 2, props: {"Manufacturer": $i.board_vendor, "Product Name": $i.board_name}},
     {type: 3, props: {"Type": ($i.chassis_type // "" | if test("^[0-9]+$") then $chassis[tonumber - 1] else null end)}}]
  | map(.props |= with_entries(select(.value != null)));
'

parse_ram() {
    local d=$1
    jq_parse --rawfile meminfo "$(f "$d/proc-meminfo.txt")" --rawfile free "$(f "$d/free.txt")" \
        --rawfile dmi "$(dmi_file "$d" dmidecode.txt)" "$JQ_LIB$JQ_DMI"'
    def kb($k): ($meminfo | kvpairs) as $p | kv($p; $k) | if . == null then null else (split(" ")[0] | nonneg) end;
    def size_mb: clean | if . == null then null else
        (capture("^(?<n>[0-9]+([.,][0-9]+)?)\\s*(?<u>[kKMGT])i?B") // null)
        | if . == null then null else (.n | num) * ({"k": (1 / 1024), "K": (1 / 1024), "M": 1, "G": 1024, "T": 1048576}[.u]) end
        | if . == null or . <= 0 then null else round | upto(1e9) end end;
    def speed: clean | if . == null then null else (capture("^(?<n>[0-9]+)\\s*(MT/s|MHz)") // null | if . == null then null else (.n | posint | upto(100000)) end) end;
    kb("MemTotal") as $total_kb
    # free -k: the first row of numbers is total used free shared ...; its unit is checked
    # against MemTotal so that a capture made with -m or -b is not read off by 1024
    | ([$free | lines[] | [splits("\\s+")] | map(select(. != "")) | .[1:] | map(nonneg)
        | select(length >= 4 and all(.[0:4][]; . != null))][0] // null) as $row
    | (if $row == null then null
       elif $total_kb == null then 1
       elif ($row[0] - $total_kb | fabs) <= $total_kb * 0.02 then 1
       elif ($row[0] * 1024 - $total_kb | fabs) <= $total_kb * 0.02 then 1024
       elif ($row[0] / 1024 - $total_kb | fabs) <= $total_kb * 0.02 then (1 / 1024)
       else null end) as $unit
    | (if $row != null and $unit != null then $row | map(. * $unit) else null end) as $fr
    | (kb("MemFree")) as $mfree
    | ($dmi | dmi_records) as $recs
    | ([dmi($recs; 16)[] | select((.Use // "System Memory") | test("system memory"; "i"))]) as $arrays
    # Memory Device records; a dmidecode too old to decode them prints them empty: then the
    # Memory Bank records (type 6: "Socket: DIMM1", "Installed Size: 256Mbyte", "Type: ECC DIMM SDRAM")
    | (dmi($recs; 6) | map(select(.Socket != null))) as $banks
    | (dmi($recs; 17) | map(select(length > 0 and ((.Type // "") | test("^(Flash|ROM|EEPROM|EPROM|FEPROM)$") | not)))) as $devs17
    | (if ($devs17 | length) > 0 or ($banks | length) == 0 then $devs17
       else [$banks[] | {
           Locator: .Socket,
           Size: (."Installed Size" // "" | capture("^(?<n>[0-9]+)\\s*(?<u>[KMG])byte") // null | if . == null then null else "\(.n) \(.u)B" end),
           Type: (.Type // "" | [splits("\\s+")] | map(select(. != "" and (among(["ECC", "Parity", "DIMM", "SIMM", "UNKNOWN", "Unknown", "Other"]) | not))) | last // null),
           bank_ecc: (.Type // "" | if test("UNKNOWN|Unknown") or . == "" then null else test("ECC") end)
         }] end) as $devs
    | ($devs | map(. + {size_mb: (.Size | size_mb)})) as $devs
    | ($devs | map(.Locator | clean)) as $locs
    | ($devs | map(. + {slot_name: ((.Locator | clean) as $l | (."Bank Locator" | clean) as $b
        | if $l == null then $b
          elif $b != null and ([$locs[] | select(. == $l)] | length) > 1 then "\($b) \($l)" else $l end)})) as $devs
    | ($devs | map(select(.size_mb != null))) as $installed
    # read raw: "None" is the answer here (no ECC), not a placeholder
    | ([$arrays[] | ."Error Correction Type" | str | select(. != null) | trim
        | if ascii_downcase == "none" then false elif test("ecc|crc|parity"; "i") then true else null end
        | select(. != null)]) as $ecc_list
    | ([$installed[] | [(."Total Width" | clean // "" | capture("^(?<n>[0-9]+)") // null | .n? | posint),
                        (."Data Width" | clean // "" | capture("^(?<n>[0-9]+)") // null | .n? | posint)]
        | select(.[0] != null and .[1] != null) | .[0] > .[1]]) as $width_ecc
    | {
        total_mb: (if $total_kb == null or $total_kb == 0 then null else ($total_kb / 1024 | round) end),
        used_mb: (if $fr != null then ($fr[1] / 1024 | round)
                  elif $total_kb != null and $mfree != null then
                    (($total_kb - $mfree - (kb("Buffers") // 0) - (kb("Cached") // 0) - (kb("SReclaimable") // 0)) / 1024 | round | if . < 0 then null else . end)
                  else null end),
        free_mb: (if $fr != null then ($fr[2] / 1024 | round) elif $mfree != null then ($mfree / 1024 | round) else null end),
        shared_mb: (if $fr != null then ($fr[3] / 1024 | round) else (kb("Shmem") | if . == null then null else (. / 1024 | round) end) end),
        slots_total: (if ($devs | length) > 0 then ($devs | length)
                      else ([$arrays[] | ."Number Of Devices" | posint | select(. != null)] | if length > 0 then add else null end) end | upto(4096)),
        slots_used: (if ($devs | length) > 0 then ($installed | length) else null end),
        # a BIOS that says "System is a virtual machine" makes its ECC up (QEMU claims Multi-bit ECC)
        ecc: (if ($dmi | test("\\n\\s+System is a virtual machine")) then null
              elif ($ecc_list | length) > 0 then ($ecc_list | any)
              elif ($width_ecc | length) > 0 then ($width_ecc | any)
              else ([$installed[] | .bank_ecc | select(. != null)] | if length > 0 then any else null end) end),
        layout: [$installed[] | {
            slot: .slot_name,
            size_mb: .size_mb,
            # "RAM" (QEMU) names no memory technology
            type: (.Type | dmiclean | if . != null and (ascii_downcase | among(["other", "unknown", "ram"])) then null else . end),
            # the speed it runs at (an XMP/EXPO kit, a slowed-down server); else the rated one
            speed_mhz: ((."Configured Memory Speed" | speed) // (."Configured Clock Speed" | speed) // (.Speed | speed)),
            # dmidecode >= 3.3 decodes the SPD maker as "Bank 3, Hex 0x9E" when Manufacturer is blank
            vendor: ((.Manufacturer | dmiclean | if . != null and test("^(0[xX])?([0-9A-Fa-f]{2}){2,8}$") then jedec_vendor else . end)
                     // (."Module Manufacturer ID" // "" | str // "" | capture("^Bank (?<b>[0-9]+), Hex 0x(?<h>[0-9A-Fa-f]{2})$") // null
                         | if . == null then null else jedec_name(.b | tonumber; .h) end)),
            part_number: (."Part Number" | str | if . != null and test("^0[xX]([0-9A-Fa-f]{2})+$") then
                ([.[2:] | ascii_upcase | scan("..") | explode | map(if . >= 65 then . - 55 else . - 48 end) | .[0] * 16 + .[1]] | map(select(. != 0))) as $b
                | (if all($b[]; . >= 32 and . < 127) then ($b | implode) else . end) else . end | dmiclean)
        }]
      }'
}

parse_system() {
    local d=$1
    jq_parse --rawfile dmi "$(dmi_file "$d" dmidecode.txt)" --rawfile mid "$(f "$d/machine-id.txt")" \
        --rawfile ids "$(dmi_file "$d" dmi-id.txt)" --rawfile cpuinfo "$(dmi_file "$d" proc-cpuinfo.txt)" "$JQ_LIB$JQ_DMI"'
    # a board without DMI (a Raspberry Pi, most ARM boards) names itself in /proc/cpuinfo; not
    # to a container (dmi_file), whose /proc/cpuinfo is its host board: its serial would be
    # the host device key
    def cpuinfo($key): first($cpuinfo | lines[] | capture("^" + $key + "\\s*:\\s*(?<v>.*\\S)") | .v | clean) // null;
    (($dmi | dmi_records) + ($ids | dmi_sysfs)) as $recs
    | dmi1($recs; 1; "Manufacturer") as $vendor
    | (dmi1($recs; 1; "Product Name") // cpuinfo("Model")) as $product
    | dmi1($recs; 1; "Version") as $version
    | {
        machine_id: ($mid | trim | ascii_downcase | if test("^[0-9a-f]{32}$") and (isph | not) then . else null end),
        system_uuid: (dmi1($recs; 1; "UUID") | if . == null then null else ascii_downcase end
                      | if . != null and test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$") then . else null end),
        system_vendor: $vendor,
        # Lenovo puts the machine type in Product Name and the marketing name in Version
        system_model: (if ($vendor // "" | test("^lenovo"; "i")) and $version != null and $product != null and ($version | test("^(think|idea|yoga|legion|lenovo)"; "i"))
                       then "\($version) (\($product))" else $product end),
        system_serial: (dmi1($recs; 1; "Serial Number")
                        // (cpuinfo("Serial") | if . != null and test("^0+$") then null else . end)),
        chassis_type: (dmi1($recs; 3; "Type") | if . == null then null else ascii_downcase end
                       | if . != null and among(["other", "unknown"]) then null else . end)
      }'
}

parse_motherboard() {
    local d=$1
    jq_parse --rawfile dmi "$(dmi_file "$d" dmidecode.txt)" --rawfile ids "$(dmi_file "$d" dmi-id.txt)" "$JQ_LIB$JQ_DMI"'
    def isodate:
      if . == null then null else
        ((capture("^(?<m>[0-9]{1,2})/(?<d>[0-9]{1,2})/(?<y>[0-9]{2}|[0-9]{4})$")
          // capture("^(?<y>[0-9]{4})-(?<m>[0-9]{1,2})-(?<d>[0-9]{1,2})$")
          // capture("^(?<y>[0-9]{4})/(?<m>[0-9]{1,2})/(?<d>[0-9]{1,2})$")) // null)
        | if . == null then null else
            (.y | tonumber | if . < 100 then (if . >= 70 then . + 1900 else . + 2000 end) else . end) as $y
            | (.m | tonumber) as $m | (.d | tonumber) as $d
            | if $y >= 1980 and $y <= 2100 and $m >= 1 and $m <= 12 and $d >= 1 and $d <= 31
              then "\($y)-\($m | pad2)-\($d | pad2)" else null end end end;
    (($dmi | dmi_records) + ($ids | dmi_sysfs)) as $recs
    | {
        vendor: dmi1($recs; 2; "Manufacturer"),
        model: dmi1($recs; 2; "Product Name"),
        bios_vendor: dmi1($recs; 0; "Vendor"),
        bios_version: dmi1($recs; 0; "Version"),
        bios_date: (dmi1($recs; 0; "Release Date") | isodate)
      }'
}

parse_gpu() {
    local d=$1
    jq_parse --rawfile lspci "$(f "$d/lspci.txt")" --rawfile glx "$(f "$d/glxinfo.txt")" "$JQ_LIB"'
    def vendors: [["Advanced Micro Devices, Inc. [AMD/ATI]", "AMD"], ["Advanced Micro Devices, Inc. [AMD]", "AMD"],
      ["Advanced Micro Devices, Inc.", "AMD"], ["ATI Technologies Inc", "AMD"], ["Intel Corporation", "Intel"],
      ["NVIDIA Corporation", "NVIDIA"], ["Matrox Electronics Systems Ltd.", "Matrox"],
      ["Huawei Technologies Co., Ltd.", "Huawei"],
      ["ASPEED Technology, Inc.", "ASPEED"], ["Red Hat, Inc.", "Red Hat"], ["VMware", "VMware"],
      ["InnoTek Systemberatung GmbH", "VirtualBox"], ["Cirrus Logic", "Cirrus Logic"],
      ["Silicon Motion, Inc.", "Silicon Motion"], ["Moore Threads Technology Co.,Ltd", "Moore Threads"],
      ["Device 1234", "QEMU"], ["Microsoft Corporation", "Microsoft"], ["Broadcom Inc. and subsidiaries", "Broadcom"],
      ["Qualcomm", "Qualcomm"], ["XGI Technology Inc. (eXtreme Graphics Innovation)", "XGI"]];
    # lspci (plain, -nn, -k): one device per unindented line, details on tab-indented lines
    ($lspci | lines | reduce .[] as $l ([];
        if ($l | test("^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-9a-fA-F]\\s")) then
          . + [($l | capture("^(?<slot>\\S+)\\s+(?<class>[^:\\[]+?)(\\s*\\[(?<classid>[0-9a-fA-F]{4})\\])?:\\s+(?<desc>.*)$") // {slot: null, class: "", classid: null, desc: ""})
               + {driver: null}]
        elif ($l | test("^\\s+Kernel driver in use:")) and length > 0 then
          .[-1].driver = (($l | capture(":\\s*(?<d>\\S+)") // {d: null}).d)
        else . end)) as $devs
    | [$devs[] | select(((.classid // "") | test("^03")) or (.class | test("VGA compatible controller|3D controller|Display controller"; "i"))
         # AMD Instinct (MI100 and later, their SR-IOV functions too) are PCI class 1200, "Processing accelerators"
         or ((((.classid // "") == "1200") or (.class | test("^Processing accelerators$"; "i")))
             and (.desc | test("^(Advanced Micro Devices, Inc\\. \\[AMD/ATI\\]|ATI Technologies)"))))
       # lspci appends "[vvvv:dddd] (rev xx) (prog-if xx [...])" in that order: strip from the end
       | (.desc | sub("\\s+\\(prog-if [^)]*\\)$"; "") | sub("\\s+\\(rev [0-9a-fA-F]+\\)$"; "") | trim) as $d0
       | ($d0 | capture("\\[(?<v>[0-9a-fA-F]{4}):(?<d>[0-9a-fA-F]{4})\\]$") // null) as $ids
       | ($d0 | sub("\\s+\\[[0-9a-fA-F]{4}:[0-9a-fA-F]{4}\\]$"; "") | trim
          # a device pci.ids does not name (newer than the copy installed): -nn writes "Device [vvvv:dddd]",
          # whose id is its only name; written as plain lspci does ("Device dddd", "Device vvvv:dddd" when the
          # vendor is unnamed too)
          | if $ids == null then .
            elif . == "Device" then "Device \($ids.v | ascii_downcase):\($ids.d | ascii_downcase)"
            elif test("\\sDevice$") then "\(.) \($ids.d | ascii_downcase)"
            else . end) as $desc
       | (first(vendors[] | select(. as $v | $desc | startswith($v[0]))) // null) as $v
       | ($v[0] // "") as $prefix | ($v[1] // null) as $vendor
       # an unnamed vendor known by its id ("Device 1234:1111", the standard VGA of QEMU): "Device 1111"
       | ($desc | ltrimstr($prefix) | trim | if test("^:[0-9a-fA-F]{4}$") then "Device " + .[1:] else . end) as $rest
       | ($rest | capture("\\[(?<n>[^\\]]+)\\]$") // null | .n?) as $bracket
       | (if $bracket != null and ($bracket | test("^[0-9a-fA-F]{4}$|^AMD|^ATI") | not) then $bracket else $rest end) as $name
       | {vendor: $vendor, name: $name, driver: .driver, id: (if $ids == null then null else ($ids.d | ascii_downcase) end)}] as $gpus
    # preferred: discrete (NVIDIA, AMD), then others, server BMC adapters, and last the adapters a
    # hypervisor emulates (a VM with a GPU passed through has its emulated VGA beside it)
    | ["ASPEED", "Matrox", "Huawei"] as $bmc | ["QEMU", "Red Hat", "VMware", "VirtualBox", "Cirrus Logic", "Microsoft"] as $emu
    | ([$gpus[] | select(.vendor == "NVIDIA" or .vendor == "AMD")]
       + [$gpus[] | select((.vendor == "NVIDIA" or .vendor == "AMD" or (.vendor | among($bmc + $emu))) | not)]
       + [$gpus[] | select(.vendor | among($bmc))] + [$gpus[] | select(.vendor | among($emu))])[0] as $pref
    | ($glx | kvpairs) as $G
    | (kv($G; "OpenGL renderer string") // "") as $renderer
    | ((kv($G; "OpenGL vendor string") // "") + " " + $renderer | ascii_downcase) as $glxid
    | (($renderer | soft_renderer) or ($renderer == "")) as $soft
    # WSL2: Mesa d3d12 draws on the GPU of the Windows host, named in its renderer
    # ("D3D12 (NVIDIA GeForce RTX 3080 Ti)"); lspci shows only the paravirtual adapter
    # ("3D controller: Microsoft Corporation Basic Render Driver"), which is not that GPU
    | (if $soft then null else ($renderer | capture("^D3D12 \\((?<n>.+)\\)$") // null | .n? | clean) end) as $d3d12
    # glxinfo describes the GPU it rendered on: report that one, or ignore glxinfo when it cannot
    # be tied to a GPU lspci lists (hybrid laptops, iGPU + dGPU desktops)
    | def glx_is($v): ($v != null) and (($glxid | contains($v | ascii_downcase))
        or ($v == "NVIDIA" and ($glxid | test("nouveau"))) or ($v == "AMD" and ($glxid | test("radeon|amdgpu|x\\.org|ati "))));
    # Mesa names the PCI device it rendered on ("Device: AMD Radeon Graphics (renoir, ...) (0x1638)"):
    # the one way to tell two GPUs of one vendor apart (an AMD APU beside an AMD card). It prints
    # the id unpadded ("(0x162)": an HD 4000, "(0xfc6)": a GTX 650), lspci pads it to four digits
      ($glx | capture("\\n\\s*Device:[^\\n]*\\(0x(?<d>[0-9a-fA-F]{1,4})\\)\\s*(\\n|$)") // null | .d? | if . then ("000" + ascii_downcase)[-4:] else null end) as $glxdev
    | ((if $soft then null else (first($gpus[] | select($glxdev != null and .id == $glxdev)) // first($gpus[] | select(glx_is(.vendor)))) end) // null) as $gmatch
    | ($gmatch // $pref) as $g
    | ($soft or ($gmatch == null and $g != null)) as $noglx
    | ($glx | capture("Dedicated video memory:\\s*(?<n>[0-9]+)\\s*MB") // null | .n? | posint | upto(1e8)) as $dedicated
    | ($glx | capture("Video memory:\\s*(?<n>[0-9]+)\\s*MB") // null | .n? | posint | upto(1e8)) as $vidmem
    | (kv($G; "Unified memory") // "" | ascii_downcase) as $unified
    | (kv($G; "OpenGL core profile version string") // kv($G; "OpenGL version string") // "" | capture("^(?<v>[0-9]+\\.[0-9]+)") // null | .v?) as $glver
    | (kv($G; "OpenGL ES profile version string") // "" | capture("OpenGL ES (?<v>[0-9]+\\.[0-9]+)") // null | .v?) as $glesver
    | (kv($G; "OpenGL version string") // "" | capture("(?<d>(Mesa|NVIDIA) [0-9][0-9A-Za-z.~+-]*)") // null | .d?) as $glxdriver
    | [if $glver then "OpenGL \($glver)" else empty end, if $glesver then "OpenGL ES \($glesver)" else empty end] as $apis
    # a model named by its maker first: "NVIDIA GeForce GTX 1070", not "GeForce GTX 1070"
    | def maker_first($v; $n): if $v != null and ($n | ascii_downcase | startswith($v | ascii_downcase) | not) then "\($v) \($n)" else $n end;
      if $g == null and $soft then null
      elif $d3d12 != null then
        ($d3d12 | if test("NVIDIA|GeForce|Quadro"; "i") then "NVIDIA" elif test("AMD|Radeon"; "i") then "AMD"
                  elif test("Intel"; "i") then "Intel" elif test("Qualcomm|Adreno"; "i") then "Qualcomm" else null end) as $hv
        | {
            vendor: $hv,
            model: maker_first($hv; $d3d12),
            driver_version: $glxdriver,
            # Windows gives D3D12 its dedicated memory plus a share of system memory as one
            # figure (28457 MB on a 12 GB RTX 3080 Ti): neither one alone
            memory_dedicated_mb: null,
            memory_shared_mb: null,
            api_support: $apis
          }
      else {
        # glxinfo alone: its vendor string, except nouveau (the Mesa driver for NVIDIA GPUs, no vendor)
        vendor: ($g.vendor // (if $noglx then null
          else (kv($G; "OpenGL vendor string") | clean | if . != null and test("^nouveau$"; "i") then "NVIDIA" else . end) end)),
        model: (if $g != null then maker_first($g.vendor; $g.name) else ($renderer | clean) end),
        driver_version: (if $noglx then $g.driver else ($glxdriver // $g.driver) end),
        memory_dedicated_mb: (if $noglx then null else ($dedicated // (if $unified == "no" then $vidmem else null end)) end),
        memory_shared_mb: (if $noglx or $unified != "yes" then null else $vidmem end),
        api_support: (if $noglx then [] else $apis end)
      } end'
}

parse_smart() {
    # one smartctl capture (JSON from -j, or text) -> {model, vendor, serial, health, temp, rotation, protocol, interface, bytes}
    local file=$1
    jq -n --rawfile t "$file" --arg json "$([[ $file == *.json ]] && echo 1)" "$JQ_LIB"'
    def temp_ok: pos | if . != null and . < 150 then round else null end;
    # a counter: an integer >= 0 ("1,885" and "1 885" as printed by some smartctl versions), else null
    def count: if type == "number" then (if . >= 0 and . < 1e15 then floor else null end)
      elif type == "string" then (trim | gsub("[,\u00a0\u2009\u202f ]"; "") | if test("^[0-9]{1,15}$") then tonumber else null end)
      else null end;
    # an ATA raw value as smartctl prints it: "11974", "12345 (123 45 0)", "1234h+56m+07.123s"
    def raw_lead: if type == "string" then (capture("^\\s*(?<n>[0-9]+)") // null | .n? | count) else count end;
    # attribute 197 as the drive database names it: pending sectors (Current_Pending_Sector,
    # Total_Pending_Sectors), or not (Crucial MX500 and its kin: Current_Pending_ECC_Cnt, or
    # Bogus_Current_Pend_Sect, which flip between 0 and 1 without a fault, and would open a
    # degrading disk item again at each flip to 1 after a person acknowledged the last)
    def pending_named: test("pend.*sect"; "i") and (test("bogus"; "i") | not);
    if $json == "1" then
      ($t | jsonish) as $s
      | if ($s | type) != "object" then null else
        ($s.device.protocol // null) as $proto
        | {
            # SCSI: model_name is vendor + product joined; the text report gives Product: alone
            model: ((if $proto == "SCSI" then ($s.scsi_product // $s.product // $s.scsi_model_name // $s.model_name)
                     else ($s.model_name // $s.scsi_model_name // $s.product) end) | str | clean),
            vendor: (($s.scsi_vendor // $s.vendor) | str | clean),
            serial: ($s.serial_number | str | clean),
            health: ($s.smart_status.passed | if . == true then "PASSED" elif . == false then "FAILED" else null end),
            temp: (($s.temperature.current // $s.nvme_smart_health_information_log.temperature) | temp_ok),
            rotation: ($s.rotation_rate | nonneg),
            protocol: ($proto | str),
            interface: (if $proto == "NVMe" then "NVMe"
                        elif $proto == "ATA" then ("SATA" + ($s.interface_speed.max.string // "" | str // "" | if . == "" then "" else " " + . end))
                        elif $proto == "SCSI" then ($s.scsi_transport_protocol.name // "SCSI" | if test("SAS") then "SAS" else . end)
                        else null end),
            bytes: (($s.user_capacity.bytes // $s.nvme_total_capacity) | pos | upto(1e17)),
            counters: (($s.nvme_smart_health_information_log // null) as $nv
              | ([$s.ata_smart_attributes.table[]? | select(type == "object")]) as $tab
              | def attr($id): first($tab[] | select(.id == $id) | (.raw.string // null | raw_lead) // (.raw.value | count)) // null;
                {
                  power_on_hours: (($s.power_on_time.hours | count) // ($nv.power_on_hours | count) // attr(9)),
                  reallocated_sectors: (if $proto == "SCSI" then ($s.scsi_grown_defect_list | count) else attr(5) end),
                  pending_sectors: (if (first($tab[] | select(.id == 197) | .name | str) // "" | pending_named) then attr(197) else null end),
                  offline_uncorrectable: attr(198),
                  media_errors: ($nv.media_errors | count),
                  # NVMe wear; a SAS SSD reports the same as its endurance indicator
                  percent_used: (($nv.percentage_used | count) // ($s.scsi_percentage_used_endurance_indicator | count))
                })
          } end
    else
      ($t | kvpairs) as $p
      | (kv($p; "Rotation Rate") // "") as $rot
      | (kv($p; "SMART overall-health self-assessment test result") // kv($p; "SMART Health Status")) as $h
      # the rows of the attribute table only (from its ID# header to the blank line after it): an
      # NVMe self-test log row (" 5   Short   Completed without error   16682   -   1 ...") or a
      # selective self-test row is no attribute
      | ([$t | lines | foreach .[] as $l ({on: false, row: null};
            if ($l | test("^ID#\\s+ATTRIBUTE_NAME")) then {on: true, row: null}
            elif .on and ($l | test("^\\s*$")) then {on: false, row: null}
            elif .on and ($l | test("^\\s*[0-9]+\\s+\\S")) then .row = $l
            else .row = null end; .row // empty)]) as $rows
      # attribute 194 (else 190) raw value: column 10 in the old table (FLAG 0x0022 ... TYPE UPDATED
      # WHEN_FAILED RAW), column 8 in the brief one of smartctl >= 5.41 (FLAGS -O---K ... FAIL RAW);
      # the raw value may go on "(Min/Max 19/53)" or "(0 20 0 0 0)", which is no temperature. Its
      # name is as the drive database gives it: Temperature_Celsius, Airflow_Temperature_Cel, and on Intel
      # and other SSDs Temperature_Internal, Temperature_Case, Drive_Temperature; a 190 renamed to
      # something else (SATA_Error_Ct, Drive_Temp_Warning) is no temperature
      | (first(($rows[] | select(test("^\\s*194\\s+\\S*Temp"; "i"))), ($rows[] | select(test("^\\s*190\\s+\\S*Temp"; "i")))
           | select(test("^\\s*[0-9]+\\s+\\S*Warn"; "i") | not)
           | [splits("\\s+")] | map(select(. != ""))
           | (if (.[2] // "") | test("^0x[0-9a-fA-F]+$") then .[9] else .[7] end) // null | temp_ok | select(. != null)) // null) as $attr_temp
      | (if kv($p; "Model Number") != null or kv($p; "NVMe Version") != null then "NVMe"
         elif kv($p; "Transport protocol") != null then "SCSI"
         elif kv($p; "Device Model") != null or kv($p; "SATA Version is") != null then "ATA" else null end) as $proto
      # ATA attribute table row ID: its raw value (the columns from RAW_VALUE on: old layout
      # "ID NAME FLAG VALUE WORST THRESH TYPE UPDATED WHEN_FAILED RAW", brief "ID NAME FLAGS VALUE
      # WORST THRESH FAIL RAW")
      | def attr($id): first($rows[] | select(test("^\\s*\($id)\\s+[A-Za-z]"))
          | [splits("\\s+")] | map(select(. != ""))
          | (if (.[2] // "") | test("^0x[0-9a-fA-F]+$") then .[9:] else .[7:] end) | join(" ") | raw_lead) // null;
        # SCSI "Accumulated power on time, hours:minutes 43549:33", "number of hours powered up = 123.45"
        ((kv($p; "Accumulated power on time, hours") // "" | capture("^(minutes\\s+)?(?<h>[0-9]+):[0-9]+") // null | .h? | count)
         // ($t | capture("number of hours powered up\\s*=\\s*(?<h>[0-9]+)") // null | .h? | count)) as $scsi_hours
      | {
          model: ((kv($p; "Device Model") // kv($p; "Model Number") // kv($p; "Product")) | clean),
          vendor: (kv($p; "Vendor") | clean),
          serial: ((kv($p; "Serial Number") // kv($p; "Serial number")) | clean),
          health: (if $h == null then null else ($h | trim | ascii_upcase | sub("!+$"; "") | if . == "OK" then "PASSED" elif . == "" then null else . end) end),
          temp: ($attr_temp
                 // (kv($p; "Temperature") // kv($p; "Current Drive Temperature") // "" | capture("^(?<n>[0-9]+)\\s*(C|Celsius)") // null | .n? | temp_ok)),
          rotation: (if $rot | test("Solid State"; "i") then 0 else ($rot | capture("^(?<n>[0-9]+)\\s*rpm") // null | .n? | posint) end),
          protocol: $proto,
          interface: (if $proto == "NVMe" then "NVMe" elif $proto == "ATA" then "SATA"
                      elif $proto == "SCSI" then (kv($p; "Transport protocol") | if . != null and test("SAS") then "SAS" else "SCSI" end)
                      else null end),
          bytes: (kv($p; "User Capacity") // kv($p; "Total NVM Capacity") // kv($p; "Namespace 1 Size/Capacity") // ""
                  # "4,000,787,030,016 bytes [4.00 TB]"; NVMe "1,000,204,886,016 [1.00 TB]" has no "bytes"
                  | capture("^(?<n>[0-9][0-9,. \u00a0\u2009\u202f]*?)\\s*(bytes|\\[)"; "i") // null
                  | .n? | if . == null then null else gsub("[^0-9]"; "") | pos end),
          counters: {
            power_on_hours: ((kv($p; "Power On Hours") | count) // $scsi_hours // attr(9)),
            reallocated_sectors: (if $proto == "SCSI" then (kv($p; "Elements in grown defect list") | count) else attr(5) end),
            pending_sectors: (if (first($rows[] | select(test("^\\s*197\\s")) | [splits("\\s+")] | map(select(. != "")) | .[1]) // "" | pending_named)
                              then attr(197) else null end),
            offline_uncorrectable: attr(198),
            media_errors: (kv($p; "Media and Data Integrity Errors") | count),
            percent_used: (kv($p; "Percentage Used") // kv($p; "Percentage used endurance indicator") // "" | capture("^(?<n>[0-9]+)\\s*%") // null | .n? | count)
          }
        }
    end'
}

parse_storage() {
    local d=$1 smart_file="$WORK/smart.json" sf name frag
    : >"$smart_file"
    if [[ -d $d/smartctl ]]; then
        for sf in "$d"/smartctl/*.json "$d"/smartctl/*.txt; do
            [[ -f $sf ]] || continue
            name=${sf##*/}; name=${name%.*}; name=${name//!//}; name=${name#/dev/}
            frag=$(parse_smart "$sf" 2>/dev/null) || continue
            jq -cn --arg name "$name" --argjson s "${frag:-null}" '{name: $name, s: $s}' >>"$smart_file" 2>/dev/null
        done
    fi
    jq_parse --rawfile lsblkj "$(f "$d/lsblk.json")" --rawfile lsblkt "$(f "$d/lsblk.txt")" \
        --rawfile df "$(f "$d/df.txt")" --slurpfile smart "$smart_file" --arg notdisks "$NOT_DISKS" "$JQ_LIB"'
    def disk_vendor:
      clean | if . == null then null else
        # a maker named first ("WD_BLACK SN850X", "ST4000VN008"), or as a word after the model
        # number ("PC711 NVMe SK hynix 512GB", "KBG40ZNS256G NVMe KIOXIA")
        . as $m | first([["(^|[ _])samsung([ _]|$)", "Samsung"], ["^(wdc|wd|western digital)([ _-]|$)", "WDC"], ["^st[0-9]", "Seagate"],
          ["(^|[ _])seagate([ _]|$)", "Seagate"], ["(^|[ _])toshiba([ _]|$)", "Toshiba"], ["^hgst", "HGST"], ["^hitachi", "Hitachi"],
          ["(^|[ _])kingston([ _]|$)", "Kingston"], ["(^|[ _])crucial([ _]|$)", "Crucial"], ["^ct[0-9]+", "Crucial"],
          ["(^|[ _])micron([ _]|$)", "Micron"], ["(^|[ _])intel([ _]|$)", "Intel"], ["(^|[ _])sandisk([ _]|$)", "SanDisk"],
          ["(^|[ _])(sk ?hynix|hynix)([ _]|$)|^hfs[0-9]", "SK hynix"], ["(^|[ _])kioxia([ _]|$)", "KIOXIA"], ["^adata", "ADATA"], ["^lexar", "Lexar"], ["^corsair", "Corsair"],
          ["^transcend", "Transcend"], ["^pny", "PNY"], ["^patriot", "Patriot"], ["^apple", "Apple"],
          ["^(lite-?on)", "LITE-ON"], ["^plextor", "Plextor"], ["^sabrent", "Sabrent"], ["^mushkin", "Mushkin"],
          ["^fujitsu", "Fujitsu"], ["^maxtor", "Maxtor"], ["^teamgroup|^team ", "Team Group"],
          ["^qemu", "QEMU"], ["^vbox", "VirtualBox"], ["^vmware", "VMware"], ["^msft", "Microsoft"]][]
          | select(. as $p | $m | test($p[0]; "i")) | .[1]) // null end;
    def isvirtual($name; $model): ($name | test("^(vd|xvd)")) or (($model // "") | test("QEMU|VBOX|VMware|Virtual|Msft"; "i"));
    def tran_name: {"sata": "SATA", "sas": "SAS", "nvme": "NVMe", "usb": "USB", "ata": "PATA", "fc": "Fibre Channel",
      "iscsi": "iSCSI", "mmc": "MMC", "spi": "SPI", "ieee1394": "FireWire", "virtio": "virtio"}[. // "" | ascii_downcase] // null;
    def unesc: if . == null then null else tostring | gsub("\\\\x20"; " ") end;
    def pairs_line: [capture("(?<k>[A-Z:-]+)=\"(?<v>[^\"]*)\""; "g") | {(.k | ascii_downcase): .v}] | add // {};
    # lsblk as a person types it (a support bundle, `lsblk > lsblk.txt`): its table, the disks
    # at the left edge (their partitions drawn under them), the last column all the rest
    def table_lines: (.[0] | [splits("\\s+")] | map(select(. != "") | ascii_downcase)) as $h
      | [.[1:][] | select(test("^[A-Za-z/]")) | [splits("\\s+")] | map(select(. != ""))
         | [range(0; $h | length) as $i | {($h[$i]): (if $i == ($h | length) - 1 then .[$i:] | join(" ") else .[$i] end)}]
         | add];
    # a size lsblk writes for people ("931.5G", "3,6T"): powers of 1,024
    def human_bytes: str // "" | capture("^(?<n>[0-9]+([.,][0-9]+)?)(?<u>[KMGTP]?)(i?B)?$") | .u as $u
      | (.n | sub(","; ".") | tonumber) * pow(1024; if $u == "" then 0 else ("KMGTP" | index($u)) + 1 end) | round;
    ($smart | map({(.name): .s}) | add // {}) as $S
    | (($lsblkj | jsonish | .blockdevices? // null)
       // ($lsblkt | lines | if any(test("^NAME=")) then map(select(test("^NAME=")) | pairs_line)
                             elif (.[0] // "" | test("^NAME(\\s+\\S+)*\\s+TYPE(\\s|$)")) then table_lines else null end)) as $bd
    # `lsblk -p` names each device by its path ("/dev/sda"): the name without it, as bench.sh reads it
    | ([$bd[]? | select(type == "object" and .type == "disk" and (.name | type) == "string")
        | .name |= sub("^/dev/"; "") | select(.name | test($notdisks) | not)]) as $disks
    | ([$disks[] | .name] + ($S | keys) | unique) as $names
    | [$names[] | . as $n
       | (first($disks[] | select(.name == $n)) // {}) as $b
       | ($S[$n] // {}) as $s
       | (($s.model // ($b.model | unesc | clean))) as $model
       | (($b.size | pos | upto(1e17)) // ($b.size | human_bytes? | pos | upto(1e17)) // $s.bytes) as $bytes
       | select($bytes != null or $s.model != null)
       | ($b.rota | if . == true or . == "1" or . == 1 then true elif . == false or . == "0" or . == 0 then false else null end) as $rota
       | {
           name: ("/dev/" + $n),
           type: (if ($n | test("^nvme")) or ($b.tran // "") == "nvme" or $s.protocol == "NVMe" then "NVMe"
                  elif ($n | test("^mmcblk")) then "MMC"
                  elif $s.rotation == 0 then "SSD" elif ($s.rotation // 0) > 0 then "HDD"
                  elif isvirtual($n; $model) then "Virtual"
                  elif $rota == true then "HDD" elif $rota == false then "SSD" else null end),
           interface: ($s.interface // ($b.tran | tran_name)
                       // (if ($n | test("^nvme")) then "NVMe" elif ($n | test("^vd")) then "virtio"
                           elif ($n | test("^xvd")) then "Xen" elif ($n | test("^mmcblk")) then "MMC" else null end)),
           capacity_gb: (if $bytes == null then null else ($bytes / 1000000000 | rnd(1)) end),
           vendor: (($s.vendor | clean | if . != null and test("^(ATA|0x[0-9a-fA-F]+)$") then null else . end)
                    // ($b.vendor | unesc | clean | if . != null and test("^(ATA|0x[0-9a-fA-F]+)$") then null else . end)
                    // ($model | disk_vendor)),
           model: $model,
           serial: ($s.serial // ($b.serial | unesc | clean)),
           smart_health: $s.health,
           temperature_c: $s.temp
         } + ({power_on_hours: null, reallocated_sectors: null, pending_sectors: null, offline_uncorrectable: null,
               media_errors: null, percent_used: null} + ($s.counters // {}))] as $devices
    # df -P -T: blocks in the unit the header names ("1-blocks", "1024-blocks", "1K-blocks")
    | ($df | lines | map(select(test("\\S")))) as $dfl
    | ($dfl[0] // "" | [splits("\\s+")]) as $hdr
    | (($hdr[1] // "") | test("^Type$|^Typ$"; "i")) as $typed
    | ($hdr[if $typed then 2 else 1 end] // "" | capture("^(?<n>[0-9]+)(?<u>[KMGB]?)") // null
       | if . == null then null else (.n | tonumber) * ({"": 1, "B": 1, "K": 1024, "M": 1048576, "G": 1073741824}[.u]) end) as $bs
    | ["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "vfat", "exfat", "ntfs", "ntfs3", "fuseblk",
       "jfs", "reiserfs", "bcachefs", "hfsplus", "ufs", "nilfs2", "ocfs2", "gfs2"] as $realfs
    | [$dfl[1:][] | [splits("\\s+")] | map(select(. != ""))
       | select(length >= (if $typed then 7 else 6 end))
       | (if $typed then {fs: .[0], type: .[1], size: .[2], used: .[3], mnt: (.[6:] | join(" "))}
          else {fs: .[0], type: null, size: .[1], used: .[2], mnt: (.[5:] | join(" "))} end)
       | select((.fs | startswith("/dev/") and (test("^/dev/loop") | not)) or ((.type // "") | among($realfs)))
       | select((.type // "") | among(["tmpfs", "devtmpfs", "squashfs", "overlay", "iso9660"]) | not)
       | {
           name: .fs,
           mount_point: .mnt,
           fs_type: .type,
           used_gb: (if $bs == null then null else (.used | nonneg | if . == null then null else (. * $bs / 1073741824 | rnd(1)) end) end),
           total_gb: (if $bs == null then null else (.size | nonneg | if . == null then null else (. * $bs / 1073741824 | rnd(1)) end) end)
         }] as $parts
    # a list the capture has no file for (lsblk or smartctl, df), or none it can read (a truncated
    # lsblk.json, `lsblk -f` without a TYPE column), is null, not collected, rather than empty:
    # the server said every disk of the machine removed when lsblk was not installed
    | {devices: (if $bd == null and ($devices | length) == 0 then null else $devices end),
       partitions: (if $df == "" then null else ($parts | unique_by(.mount_point) | sort_by(.mount_point)) end)}'
}

parse_network() {
    local d=$1 ethfile="$WORK/ethtool.json" ef iface
    : >"$ethfile"
    for ef in "$d"/ethtool/*.txt "$d"/ethtool-i/*.txt; do
        [[ -f $ef ]] || continue
        iface=${ef##*/}; iface=${iface%.txt}
        jq -cn --arg iface "$iface" --arg kind "${ef%/*}" --rawfile t "$ef" \
            '{iface: $iface, kind: ($kind | split("/") | .[-1]), text: $t}' >>"$ethfile" 2>/dev/null
    done
    jq_parse --rawfile ipj "$(f "$d/ip-addr.json")" --rawfile ipt "$(f "$d/ip-addr.txt")" --slurpfile eth "$ethfile" "$JQ_LIB"'
    # `ip -o`: a record a line, its continuation lines joined by "\"; `ip -o addr` names the
    # interface on each address line, without flags ("2: eth0    inet 10.0.0.5/24 ..."): back to
    # the record layout, one header per interface
    def unoneline:
      reduce (lines[] | [splits("\\\\")]) as $p ({out: [], n: null};
        ($p[0] | capture("^(?<n>[0-9]+):\\s+(?<if>[^:\\s]+)\\s+(?<rest>(inet6?|link/)\\S*\\s.*)$") // null) as $m
        | if $m == null then .out += [$p[0]] + ($p[1:] | map("    " + .)) | .n = null
          else (if .n == $m.n then . else .out += ["\($m.n): \($m.if): <>"] end)
            | .out += ["    " + $m.rest] + ($p[1:] | map("    " + .)) | .n = $m.n end)
      | .out;
    def from_text:
      reduce (unoneline[]) as $l ([];
        if ($l | test("^[0-9]+:\\s")) then
          . + [($l | capture("^[0-9]+:\\s+(?<ifname>[^:@\\s]+)(@\\S+)?:\\s+<(?<flags>[^>]*)>") // {ifname: null})
               + {addr_info: [], master: ($l | capture("\\smaster\\s+(?<m>\\S+)") // {} | .m)}]
        elif length == 0 then .
        elif ($l | test("^\\s+link/")) then
          ($l | capture("link/(?<lt>\\S+)(\\s+(?<mac>[0-9a-fA-F:]+))?") // {}) as $m
          | .[-1].link_type = $m.lt | .[-1].address = $m.mac
          # iproute2 5.x and later, kernel 5.6 and later: the MAC of the port itself where it carries another
          | .[-1].permaddr = ($l | capture("\\spermaddr\\s+(?<p>[0-9a-fA-F:]+)") // {} | .p)
        elif ($l | test("^\\s+bond_slave\\s")) then
          # ip -d: the own MAC of a bond port, on older kernels too
          .[-1].linkinfo.info_slave_data.perm_hwaddr = ($l | capture("\\sperm_hwaddr\\s+(?<p>[0-9a-fA-F:]+)") // {} | .p)
        elif ($l | test("^\\s+inet6?\\s")) then
          ($l | capture("(?<fam>inet6?)\\s+(?<local>[^/\\s]+)(/[0-9]+)?.*scope\\s+(?<scope>\\S+)") // null) as $m
          | if $m == null then . else .[-1].addr_info += [{family: $m.fam, local: $m.local, scope: $m.scope}] end
        else . end)
      # one record an interface: `ip -o link` then `ip -o addr` in one file (or -4 then -6) named
      # each one twice, its MAC in one record and its address in the other
      | reduce .[] as $r ([];
          (if $r.ifname == null then null else map(.ifname) | index($r.ifname) end) as $i
          | if $i == null then . + [$r]
            else .[$i] |= (. as $a | $r + ($a | with_entries(select(.value != null)))
              | .addr_info = $a.addr_info + $r.addr_info) end);
    def virtual_kind: among(["veth", "tun", "tap", "dummy", "ifb", "vxlan", "geneve", "gre", "gretap", "ip6gre",
      "ipip", "sit", "ip6tnl", "vti", "vti6", "wireguard", "nlmon", "vcan", "macvtap", "ipvlan", "erspan", "netkit", "xfrm"]);
    def virtual_name: test("^(lo$|veth|docker|br-[0-9a-f]{12}|virbr|vnet|tap|tun|ifb|dummy|kube|cni|flannel|cali|weave|vxlan|lxcbr|lxdbr|incusbr|tailscale|zt|wg|wt[0-9]|fwbr|fwpr|fwln|nlmon|sit[0-9]|gre[0-9]|gretap|erspan|ip6tnl|ip_vti|ip6_vti|ip6gre|teql|genev|podman|cilium|nodelocaldns)");
    ($eth | map(select(.kind == "ethtool")) | map({(.iface): (.text | kvpairs)}) | add // {}) as $E
    | ($eth | map(select(.kind == "ethtool-i")) | map({(.iface): (.text | kvpairs)}) | add // {}) as $EI
    | (($ipj | jsonish | if type == "array" then . else null end) // ($ipt | from_text)) as $links
    | [$links[] | select(type == "object" and (.ifname | type) == "string")
       | select((.link_type // "") != "loopback" and (.ifname | virtual_name | not))
       | select((.linkinfo.info_kind // "") | virtual_kind | not)
       | . as $x
       | ($E[$x.ifname] // []) as $e
       | ($EI[$x.ifname] // []) as $ei
       | (kv($e; "Wake-on")) as $wol
       | (kv($e; "Supports Wake-on")) as $wols
       | {
           name: $x.ifname,
           type: (($x.linkinfo.info_kind // "") as $k
                  # without the word of the kernel (plain ip addr), a VLAN by its name: bond0.10, vmbr0.20
                  | if $k == "vlan" or ($k == "" and ($x.ifname | test("\\.[0-9]+$"))) then "vlan"
                    elif $k == "bridge" or ($x.ifname | test("^(vmbr|br)[0-9]")) then "bridge"
                    elif $k == "bond" or ($x.ifname | test("^bond")) then "bond"
                    elif $k == "vlan" then "vlan" elif $k == "team" then "team" elif $k == "macvlan" then "macvlan"
                    elif $x.ifname | test("^(wl|wlan|ath|ra[0-9])") then "wifi"
                    elif $x.ifname | test("^ww") then "wwan"
                    elif $x.link_type == "ether" then "ethernet"
                    else ($x.link_type // null) end),
           # a port of a bond or a team carries the MAC of the bond, that of its first port: its own tells its card
           mac: ([if $x.master != null then ($x.permaddr?, $x.linkinfo.info_slave_data.perm_hwaddr?) else empty end, $x.address]
                 | map(str | select(. != null and test("^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$") and (test("^(00:){5}00$") | not)))
                 | if length > 0 then .[0] | ascii_downcase else null end),
           ip: (first($x.addr_info[]? | select(.family == "inet") | .local | str) // first($x.addr_info[]? | select(.family == "inet6" and .scope == "global") | .local | str) // null),
           # a port without a link has no speed: some drivers (b44, fealnx) print their slowest
           # mode ("Speed: 10Mb/s") beside "Link detected: no" (netlink ethtool: "no (No cable)")
           speed_mbps: (if (kv($e; "Link detected") // "" | test("^no\\b")) then null
                        else kv($e; "Speed") // "" | capture("^(?<n>[0-9]+)\\s*Mb/s") // null | .n? | posint | if . != null and . < 10000000 then . else null end end),
           driver: (kv($ei; "driver") | clean),
           wake_on_lan: (if $wol != null and ($wol | test("^[pumbagsfd]+$")) then ($wol | test("g"))
                         elif $wols != null and ($wols | test("^[pumbagsfd]+$")) and ($wols | test("g") | not) then false
                         else null end),
           # an extension: the bond, bridge or team it is a port of
           master: ($x.master | str | clean)
         }] as $ifaces
    # without the output of ip (iproute2 not installed) the interfaces are null, not collected: none
    # at all would be every NIC of the machine removed
    | {interfaces: (if $ipj == "" and $ipt == "" then null else $ifaces end)}'
}

parse_os() {
    local d=$1
    jq_parse --rawfile osr "$(f "$d/os-release.txt")" --rawfile uname "$(f "$d/uname.txt")" \
        --rawfile virt "$(f "$d/virt.txt")" --rawfile lscpu "$(f "$d/lscpu.txt")" "$JQ_LIB"'
    ($osr | lines | map(capture("^(?<k>[A-Z0-9_]+)=(?<v>.*)$") | .v |= (trim | sub("^\"(?<x>.*)\"$"; "\(.x)") | sub("^\u0027(?<x>.*)\u0027$"; "\(.x)") | gsub("\\\\(?<c>[\"$`\\\\])"; "\(.c)")))
     | map(select(.v != "")) | map({(.k): .v}) | add // {}) as $o
    | ($uname | lines | .[0] // "" | [splits("\\s+")] | map(select(. != ""))) as $u
    | ["x86_64", "amd64", "i386", "i486", "i586", "i686", "aarch64", "arm64", "armv5tel", "armv6l", "armv7l", "armv8l",
       "ppc64le", "ppc64", "ppc", "s390x", "s390", "riscv64", "riscv32", "mips64", "mips", "mipsel", "loongarch64",
       "sparc64", "alpha", "ia64", "m68k", "sh4", "hppa", "parisc64"] as $arches
    | ($lscpu | lscpu_text | kvpairs) as $L
    | ($virt | lines | map(trim) | map(select(. != "")) | .[0] // null) as $v
    | {
        name: (($o.NAME // $o.ID) | clean),
        version: (($o.VERSION // $o.VERSION_ID // $o.VERSION_CODENAME
                  # PRETTY_NAME past NAME where it reads as a release (Debian testing: "stretch/sid"),
                  # not as a word of the name (Void: NAME "Void", PRETTY_NAME "Void Linux")
                  // (($o.PRETTY_NAME // "") as $p | ($o.NAME // "") as $n | if $n != "" and ($p | startswith($n + " ")) then $p | ltrimstr($n + " ") | (if test("^[0-9]|^[a-z]+/[a-z]+$") then . else null end) else null end)) | clean),
        # the word before the version of the kernel ("#1 SMP ..."): a hostname may hold a space, or be blank
        kernel_version: (([$u | to_entries[] | select(.key >= 2 and (.value | startswith("#"))) | .key][0]) as $h
                         | (if $h != null then $u[$h - 1] else $u[2] end) // null
                         | if . != null and test("^[0-9]+\\.[0-9]+") then . else null end),
        architecture: ((first($u | reverse[] | select(among($arches)))) // (kv($L; "Architecture") | clean)),
        virtualization_type: (if $v != null and ($v | test("^[a-z0-9_-]+$")) then $v
                              else (kv($L; "Hypervisor vendor") | clean | if . == null then null else ascii_downcase | gsub("\\s+"; "-") end) end)
      }'
}

REP_ARGS=()
repeat_args() {
    # repeat_args DIR NAME... : sets REP_ARGS to jq arguments holding every repeat R of each test NAME
    # (the file `rfile NAME R`; /dev/null where one is missing) as $ARGS.named["tI_R"], I the test's
    # position among NAME...; repeats count from 1 for as long as one of the tests has a file
    local d=$1 r=1 i name any
    shift
    REP_ARGS=()
    while ((r <= 99)); do
        any=0
        for name; do [[ -f $d/$(rfile "$name" "$r") ]] && any=1; done
        ((any)) || break
        i=0
        for name; do
            REP_ARGS+=(--rawfile "t${i}_$r" "$(f "$d/$(rfile "$name" "$r")")")
            i=$((i + 1))
        done
        r=$((r + 1))
    done
}

# jq helpers of the results parsers: repeats, their median and spread, and the method's name
JQ_REP='
# the texts of test $i (its position in repeat_args), one per repeat, in run order
def reps($i): [$ARGS.named | to_entries[] | select(.key | test("^t\($i)_[0-9]+$"))
               | {r: (.key | sub("^t[0-9]+_"; "") | tonumber), v: .value}] | sort_by(.r) | map(.v);
def median: map(select(. != null)) | sort
  | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
# coefficient of variation in percent, with the sample standard deviation (n - 1)
def cv_pct: map(select(. != null))
  | if length < 2 then null else (add / length) as $m
    | if $m <= 0 then null else ((map((. - $m) * (. - $m)) | add) / (length - 1) | sqrt) / $m * 100 | rnd(2) end end;
def clamp_score: if . == null then null elif . > 10000 then 10000 else . end;
# samples, cv_pct and the median score of the per-repeat scores
def spread($samples): {samples: $samples, cv_pct: ($samples | cv_pct), score: ($samples | median | rnd(2))};
def tool_version($text; $tool): $text | capture("(^|\\n)\($tool) (?<v>[0-9]+\\.[0-9]+)") // null | .v?;
# the method bench.sh recorded in capture-info.txt; a capture of bench.sh 1.0.0 (which recorded none)
# gets the name of the tests that version ran; anything else is unknown
def method($info; $cat; $legacy):
  ($info | eqpairs) as $i
  | ($i["method_" + $cat] | clean)
    // (if $i.bench_script_version == "1.0.0" then $legacy else null end);
'

parse_results_cpu() {
    local d=$1
    repeat_args "$d" sysbench-cpu-single.txt sysbench-cpu-multi.txt
    ((${#REP_ARGS[@]})) || { printf null; return; }
    jq -n "${REP_ARGS[@]}" --rawfile info "$(f "$d/capture-info.txt")" \
        --argjson ref_single "$REF_CPU_SINGLE_EPS" --argjson ref_multi "$REF_CPU_MULTI_EPS" "$JQ_LIB$JQ_REP"'
    def total_time: capture("total time:\\s*(?<n>[0-9]+([.,][0-9]+)?)s") // null | .n? | pos;
    # events/s: sysbench 1.x prints it; 0.4 only has the event count and the total time
    def eps: ((capture("events per second:\\s*(?<n>[0-9]+([.,][0-9]+)?)") // null | .n? | pos)
              // ((capture("total number of events:\\s*(?<n>[0-9]+)") // null | .n? | pos) as $ev
                  | total_time as $t | if $ev != null and $t != null then $ev / $t else null end))
             | upto(1e8);
    def score($v; $ref): if $v == null then null else (100 * $v / $ref | clamp_score) end;
    reps(0) as $S | reps(1) as $M
    | [range(0; $S | length) | {s: ($S[.] | eps), m: ($M[.] | eps), t: [($S[.] | total_time), ($M[.] | total_time)]}
       | select(.s != null or .m != null)
       | . + {ss: score(.s; $ref_single), sm: score(.m; $ref_multi)}]
    # a repeat with one of the two tests only (cut short) is left out, as a disk repeat is
    | (map([.s, .m] | map(select(. != null)) | length) | max) as $full
    | map(select(([.s, .m] | map(select(. != null)) | length) == $full)) as $runs
    | if ($runs | length) == 0 then null else
      {
        events_per_sec_single: ($runs | map(.s) | median | rnd(2)),
        events_per_sec_multi: ($runs | map(.m) | median | rnd(2)),
        duration_s: ([$runs[].t[] | select(. != null)] | if length > 0 then (add | rnd(2)) else null end),
        score_single: ($runs | map(.ss) | median | rnd(1)),
        score_multi: ($runs | map(.sm) | median | rnd(1))
      }
      + spread([$runs[] | [.ss, .sm] | map(select(. != null)) | add / length | rnd(1)])
      + {method: method($info; "cpu"; "sysbench-\(tool_version($S[0] + $M[0]; "sysbench") // "x")-cpu-prime20000-1t+allt-v1")}
      end'
}

parse_results_memory() {
    local d=$1
    repeat_args "$d" sysbench-memory.txt
    ((${#REP_ARGS[@]})) || { printf null; return; }
    jq -n "${REP_ARGS[@]}" --rawfile info "$(f "$d/capture-info.txt")" --argjson ref "$REF_MEMORY_MIB_S" "$JQ_LIB$JQ_REP"'
    # sysbench 1.x: "N MiB transferred (X MiB/sec)"; 0.4: "N MB transferred (X MB/sec)" (also MiB)
    def mib_s: capture("transferred\\s*\\((?<n>[0-9]+([.,][0-9]+)?)\\s*Mi?B/sec\\)") // null | .n? | pos | upto(1e8);
    reps(0) as $T
    | [$T[] | mib_s | select(. != null)] as $v
    | if ($v | length) == 0 then null
      else {throughput_mib_s: ($v | median | rnd(2))}
        + spread([$v[] | 100 * . / $ref | clamp_score | rnd(1)])
        + {method: method($info; "memory"; "sysbench-\(tool_version($T[0]; "sysbench") // "x")-memory-write-256M-allt-v1")}
      end'
}

parse_results_disk() {
    local d=$1 jobs="$WORK/fio-jobs.json" ff
    : >"$jobs"
    for ff in "$d"/fio-*.json; do
        [[ -f $ff ]] || continue
        jq -cn --rawfile t "$ff" --arg fname "${ff##*/}" "$JQ_LIB"'
        ($t | jsonish) as $j
        # the repeat a file belongs to: fio-seqread.r3.json is the third, fio-seqread.json the first
        | ($fname | capture("\\.r(?<r>[0-9]+)\\.json$") // {r: "1"} | .r | tonumber) as $rep
        # numjobs=N without group_reporting: N entries of one name in one group, run at the same
        # time; the disk did what they did together: their rates are summed, their latencies
        # averaged weighted by their IOPS (jobs of other groups ran one after the other: apart);
        # one of them failed (error set): the sum of the others is not what the disk did: left out
        | [($j.jobs? // [])[] | select(type == "object")
        | (.groupid | if type == "number" then . else null end) as $group
        # fio 2.1.x writes no "job options": then the job name says it (seqread, random_write_test...)
        | ((."job options".rw // $j."global options".rw // null)
           // (.jobname | str | if . == null then null else ascii_downcase
                | if test("read") == test("write") then null
                  elif test("rand") then (if test("read") then "randread" else "randwrite" end)
                  elif test("seq") then (if test("read") then "read" else "write" end) else null end end)
           // ($fname | capture("^fio-(?<n>[a-z]+)") // null | .n? | {"seqread": "read", "seqwrite": "write"}[. // ""] // .)) as $rw
        | (if $rw == "read" or $rw == "randread" then .read elif $rw == "write" or $rw == "randwrite" then .write else null end) as $io
        | select($io != null)
        | {
            rep: $rep,
            rw: $rw,
            mb_s: (($io.bw_bytes | pos) // ($io.bw | pos | if . == null then null else . * 1024 end) | if . == null then null else . / 1000000 end | upto(1e6)),
            iops: ($io.iops | pos | upto(1e9)),
            lat_ms: (($io.lat_ns.mean | pos | if . == null then null else . / 1000000 end)
                     // ($io.lat.mean | pos | if . == null then null else . / 1000 end)),
            key: [$group, .jobname, $rw],
            failed: ((.error // 0) != 0)
          }]
        # the first entry of each name, group and rw keeps its place; its copies are added to it
        | . as $all | [range(length) | select(. as $k | $all[:$k] | all(.key != $all[$k].key)) | $all[.].key] as $keys
        | $keys[] as $key | [$all[] | select(.key == $key)] as $same
        | select($same | all(.failed | not))
        | ($same | map(select(.iops != null and .lat_ms != null))) as $w
        | {
            rep: $same[0].rep,
            rw: $same[0].rw,
            mb_s: ($same | map(.mb_s) | if any(. == null) then null else add | upto(1e6) end),
            iops: ($same | map(.iops) | if any(. == null) then null else add | upto(1e9) end),
            lat_ms: (if ($same | length) == 1 then $same[0].lat_ms
                     elif ($w | length) == ($same | length) and ($w | map(.iops) | add) > 0
                     then ($w | map(.iops * .lat_ms) | add) / ($w | map(.iops) | add)
                     else null end)
          }' >>"$jobs" 2>/dev/null
    done
    [[ -s $jobs ]] || { printf null; return; }  # no fio job recognised: no disk result
    jq -n --slurpfile jobs "$jobs" --rawfile info "$(f "$d/capture-info.txt")" --argjson rr "$REF_DISK_READ_MB_S" \
        --argjson rw "$REF_DISK_WRITE_MB_S" --argjson ir "$REF_DISK_IOPS_READ" --argjson iw "$REF_DISK_IOPS_WRITE" "$JQ_LIB$JQ_REP"'
    ($info | eqpairs) as $i
    | method($info; "disk"; (if $i.fio_direct == null or $i.fio_size_mb == null then null
        else "fio-\(if $i.fio_direct == "1" then "direct" else "buffered" end)-\($i.fio_size_mb)M-seq1M-qd8-rand4k-qd32-v1" end)) as $method
    # the score of a repeat: the geometric mean of the scores of its tests (v3), so that no one
    # test moves it more than the others (the write cache of a VM host put sequential writes at 5x
    # the reference, and their swings made most of the spread); v1 and v2 took the arithmetic mean,
    # as does a capture of unknown tests (fio outputs not made by bench.sh)
    | ($method == null or ($method | test("-v[12]$"))) as $arithmetic
    | [$jobs | group_by(.rep)[]
       | . as $js
       | def job($rw): first($js[] | select(.rw == $rw)) // {};
         {read: job("read").mb_s, write: job("write").mb_s, iopsr: job("randread").iops, iopsw: job("randwrite").iops,
          lat: (job("randread").lat_ms // job("randwrite").lat_ms)}
       | . + {scores: [(.read | if . == null then null else 100 * . / $rr end), (.write | if . == null then null else 100 * . / $rw end),
                       (.iopsr | if . == null then null else 100 * . / $ir end), (.iopsw | if . == null then null else 100 * . / $iw end)]
                      | map(select(. != null))}
       | select(.scores | length > 0)]
    # a repeat cut short (Ctrl-C, a test that failed once) has fewer tests than the others: its
    # mean of the ones it has is another figure (the fast sequential ones alone read 167 where
    # the whole repeats read 103): left out
    | (map(.scores | length) | max) as $full | map(select(.scores | length == $full)) as $runs
    | if ($runs | length) == 0 then null else {
        read_mb_s: ($runs | map(.read) | median | rnd(1)),
        write_mb_s: ($runs | map(.write) | median | rnd(1)),
        iops_read: ($runs | map(.iopsr) | median | if . == null then null else round end),
        iops_write: ($runs | map(.iopsw) | median | if . == null then null else round end),
        latency_ms: ($runs | map(.lat) | median | rnd(3))
      }
      + spread([$runs[] | .scores | (if $arithmetic then add / length else map(log) | add / length | exp end)
                | clamp_score | rnd(1)])
      + {
          method: $method,
          # where it ran: the filesystem and the device holding the test file
          filesystem: ($i.fio_fs | clean),
          device: ($i.fio_device | clean)
        }
      end'
}

parse_results_network() {
    local d=$1
    repeat_args "$d" iperf3-up.json iperf3-down.json
    ((${#REP_ARGS[@]})) || { printf null; return; }  # ping alone is no result
    jq -n "${REP_ARGS[@]}" --rawfile ping "$(f "$d/ping.txt")" --rawfile info "$(f "$d/capture-info.txt")" \
        --argjson ref "$REF_NETWORK_MBPS" "$JQ_LIB$JQ_REP"'
    def ok: if type == "object" and (.error == null) and (.end | type) == "object" then . else null end;
    # a UDP run (-u, a capture of its own) of an older iperf3 (3.1.3): one end.sum, the rate
    # sent; what arrived is that less the packets lost
    def udp_received: .end.sum | (.bits_per_second | pos) as $b | (.lost_percent | nonneg | upto(100)) as $l
      | if $b == null then null else $b * (1 - ($l // 0) / 100) end;
    # a UDP run of which no packet arrived: iperf3 3.11 and later write the receiver sum as 0
    # bytes in 0 packets, 0 % lost (it counts losses from the packets it got); 3.0 and 3.1 one
    # end.sum of the bytes sent in 0 packets (the receiver count), 0 % lost, at the rate sent;
    # 3.2 to 3.10 count the packets sent and none lost, as a run without a loss (nothing tells
    # it). A rate of 0 and 100 % lost, not a run left out as if nothing had been measured
    def udp_none: .start.test_start.protocol? == "UDP"
      and (if (.end.sum_received | type) == "object"
           then ((.end.sum_sent.packets // .end.sum.packets | pos) != null) and (.end.sum_received.bytes | num) == 0
           else ((.end.sum.bytes | pos) != null) and ((.end.sum.packets | num) == 0 or (.end.sum.lost_percent | num) == 100) end);
    def mbps: if udp_none then 0 else
      .end.sum_received.bits_per_second // .end.sum_sent.bits_per_second // udp_received | pos | if . == null then null else . / 1000000 end | upto(1e7) end;
    # a UDP run says the jitter and loss iperf3 measured, for want of ping
    def udp: if .start.test_start.protocol? != "UDP" then null
      elif udp_none then {jitter_ms: null, lost_percent: 100}
      else (.end.sum_received // .end.sum) end;
    ($info | eqpairs) as $i
    | reps(0) as $U | reps(1) as $D
    | [range(0; $U | length) | ($U[.] | jsonish | ok) as $u | ($D[.] | jsonish | ok) as $d
       | {u: $u, d: $d, up: ($u | if . == null then null else mbps end), down: ($d | if . == null then null else mbps end),
          retr: ([$u.end.sum_sent.retransmits, $d.end.sum_sent.retransmits] | map(nonneg | select(. != null)))}
       | select(.up != null or .down != null)] as $runs
    # ping -c: "rtt min/avg/max/mdev = a/b/c/d ms" (busybox: "round-trip min/avg/max = a/b/c ms")
    | ($ping | capture("(rtt|round-trip) min/avg/max(/mdev)? = (?<min>[0-9.]+)/(?<avg>[0-9.]+)/(?<max>[0-9.]+)(/(?<mdev>[0-9.]+))?") // null) as $p
    | ($ping | capture("(?<loss>[0-9]+([.][0-9]+)?)% packet loss") // null | .loss? | nonneg) as $loss
    # else the sender-side TCP RTT iperf3 reports (microseconds), from the first upload
    | ($runs[0].u // null) as $u
    | ([$u.end.streams[]?.sender.mean_rtt | pos | select(. != null)] | if length > 0 then add / length / 1000 else null end) as $rtt
    | ([$u.intervals[]?.streams[]?.rttvar | pos | select(. != null)] | if length > 0 then add / length / 1000 else null end) as $rttvar
    # a UDP run, up or down (-R -u): its jitter and loss, and no score
    | (first($runs[] | (.u, .d) | select(. != null) | udp | select(. != null)) // null) as $udp
    | if ($runs | length) == 0 then null else {
        upload_mbps: ($runs | map(.up) | median | rnd(2)),
        download_mbps: ($runs | map(.down) | median | rnd(2)),
        ping_ms: ((($p.avg | pos) // $rtt) | rnd(3)),
        jitter_ms: ((($p.mdev | nonneg) // $rttvar // ($udp.jitter_ms | nonneg)) | rnd(3)),
        packet_loss_percent: ($loss // ($udp.lost_percent | nonneg) | upto(100) | rnd(2)),
        retransmits: ([$runs[] | .retr | select(length > 0) | add] | median | if . == null then null else round | upto(1e15) end)
      }
      # a UDP run: its rate is the one it was told to send (-b), not what the link carries: no score
      + (if $udp != null then {samples: null, cv_pct: null, score: null} else
          spread([$runs[] | [.up, .down] | map(select(. != null)) | add / length | 100 * . / $ref | clamp_score | rnd(1)]) end)
      + {
          method: method($info; "network"; "iperf3-tcp-1stream-up+down-\(if $i.short == "1" then 3 else 10 end)s-v1"),
          # the iperf3 server as given to --iperf-server (bench.sh 1.0.0 recorded HOST:PORT)
          # as given, not through clean: its placeholder test would drop 0.0.0.0 and ::, whose
          # loopback figure the server must see to leave it out of the global score
          target: (($i.iperf_server_arg // $i.iperf_server)
            | if type == "string" then (trim | if . == "" then null else . end) else null end)
        }
      end'
}

parse_results_gpu() {
    local d=$1
    none_of "$d" glmark2.txt && { printf null; return; }
    jq -n --rawfile t "$(f "$d/glmark2.txt")" --rawfile info "$(f "$d/capture-info.txt")" --argjson ref "$REF_GPU_GLMARK2" "$JQ_LIB$JQ_REP"'
    ($t | capture("glmark2 Score:\\s*(?<n>[0-9]+)") // null | .n? | posint | upto(1e7)) as $s
    # drawn on the CPU (llvmpipe: a VM whose display adapter has /dev/dri, as Proxmox gives
    # its VMs by default): no GPU was measured, its figure the CPU measured again
    | ($t | capture("GL_RENDERER:[ \\t]*(?<r>[^\\n]*)") // null | .r? // "" | soft_renderer) as $soft
    | if $s == null or $soft then null
      else {glmark2_score: $s} + spread([100 * $s / $ref | clamp_score | rnd(1)])
        + {method: method($info; "gpu"; "glmark2-offscreen-\(if ($info | eqpairs).short == "1" then "short1.5s" else "default" end)-v1")} end'
}

parse_conditions() {
    local d=$1
    jq_parse --rawfile before "$(f "$d/conditions-before.txt")" --rawfile after "$(f "$d/conditions-after.txt")" \
        --rawfile samples "$(f "$d/cpu-freq-samples.txt")" --rawfile info "$(f "$d/capture-info.txt")" \
        --rawfile virt "$(f "$d/virt.txt")" --rawfile busy "$(f "$d/cpu-busy.txt")" \
        --rawfile tis "$(f "$d/cpu-time-in-state.txt")" --rawfile cpufreq "$(f "$d/cpufreq.txt")" "$JQ_LIB"'
    ($before | eqpairs) as $b | ($after | eqpairs) as $a | ($info | eqpairs) as $i
    # /proc/stat over the 2 s just before the first benchmark, bench.sh idle: all CPU time used
    # (not idle, iowait nor steal) was used by other processes
    | ($busy | eqpairs) as $bw
    | ([$bw.before, $bw.after] | map(. // "" | [splits("\\s+")] | .[1:9] | map(nonneg))) as $bst
    | (if ($bst | all(length == 8 and all(. != null))) then
         ([range(0; 8) as $k | $bst[1][$k] - $bst[0][$k]]) as $dd
         | ($dd | add) as $total | ($dd[3] + $dd[4] + $dd[7]) as $idle
         | if $total > 0 and ($dd | all(. >= 0)) then (100 * ($total - $idle) / $total | rnd(1) | upto(100)) else null end
       else null end) as $busy_pct
    # swap activity between the snapshots (pages swapped in and out: memory pressure during the run)
    | ([$b.swap, $a.swap] | map(. // "" | [splits("\\s+")] | map(capture("^(?<k>pswp(in|out))=(?<v>[0-9]+)$") // empty) | map({(.k): (.v | tonumber)}) | add // {})) as $sw
    | (def swapd($k): if $sw[0][$k] != null and $sw[1][$k] != null and $sw[1][$k] >= $sw[0][$k] then $sw[1][$k] - $sw[0][$k] else null end;
       {in: swapd("pswpin"), out: swapd("pswpout")}) as $swap
    # cpufreq residency while every CPU ran the benchmark ("before"/"after" pairs of time_in_state
    # summed over the CPUs): the share of that time spent below 85 % of the nominal clock
    # (base_frequency, else the highest listed) is throttling, however brief. A snapshot with a
    # time it cannot read ("3000000:2.24496e+09", as mawk wrote them for bench.sh 1.2.3) is
    # left out with its pair: without the top clock, all the time counted was below it
    | ($tis | lines | map(select(test("^(before|after)( |$)")) | [splits("\\s+")] | map(select(. != ""))
        | {l: .[0], f: (.[1:] | map(capture("^(?<k>[0-9]+):(?<t>[0-9]+)$") // null)
                        | if any(. == null) then null else map({(.k): (.t | tonumber)}) | add // {} end)})) as $tl
    | ([range(0; ($tl | length) - 1) as $k
        | select($tl[$k].l == "before" and $tl[$k + 1].l == "after" and $tl[$k].f != null and $tl[$k + 1].f != null)
        | $tl[$k].f as $x | $tl[$k + 1].f | to_entries[] | {f: (.key | tonumber), t: (.value - ($x[.key] // 0))} | select(.t >= 0)]
       | group_by(.f) | map({f: .[0].f, t: (map(.t) | add)})) as $res
    | ($cpufreq | eqpairs) as $F
    | (($F.base_frequency | pos) // ($F.cpuinfo_max_freq | pos) // ($res | map(.f) | max)) as $nominal
    | (($res | map(.t) | add) // 0) as $loaded
    | (if $loaded > 0 and $nominal != null then 100 * ([$res[] | select(.f < 0.85 * $nominal) | .t] | add // 0) / $loaded else null end) as $below_pct
    | ($b.loadavg // "" | [splits("\\s+")] | map(nonneg)) as $load
    | ($a.loadavg // "" | [splits("\\s+")] | map(nonneg)) as $load_after
    # /proc/stat "cpu user nice system idle iowait irq softirq steal ...": the share of time the
    # hypervisor gave to others (steal) between the two snapshots
    | ([$b.proc_stat_cpu, $a.proc_stat_cpu] | map(. // "" | [splits("\\s+")] | .[1:9] | map(nonneg))) as $st
    | (if ($st | all(length == 8 and all(. != null))) then
         (($st[1] | add) - ($st[0] | add)) as $total | ($st[1][7] - $st[0][7]) as $steal
         | if $total > 0 and $steal >= 0 then (100 * $steal / $total | rnd(1)) else null end
       else null end) as $steal_pct
    | ([$samples | lines[] | [splits("\\s+")] | .[1] // null | pos | select(. != null)]) as $s
    | (($s | length) / 3 | floor) as $third
    | (def mean: if length > 0 then add / length else null end;
       if ($s | length) >= 3 then ($s[: $third] | mean) as $first | ($s[($s | length) - $third :] | mean) as $last
         | ($last < 0.9 * $first) else null end) as $dropped
    | ([($b.core_throttle_count | nonneg), ($b.package_throttle_count | nonneg)]) as $tb
    | ([($a.core_throttle_count | nonneg), ($a.package_throttle_count | nonneg)]) as $ta
    | (if ($tb | all(. == null)) or ($ta | all(. == null)) then null
       else (($ta[0] // 0) > ($tb[0] // 0)) or (($ta[1] // 0) > ($tb[1] // 0)) end) as $counters
    | (if $below_pct == null then $counters else ($counters // false) or $below_pct > 5 end) as $throttled
    | ([$before | lines[] | select(startswith("power_supply=")) | [splits("\\s+")] | map(capture("^(?<k>[a-z_]+)=(?<v>.*)$") | {(.k): .v}) | add // {}]
       | map(select((.scope // "") | ascii_downcase != "device"))) as $ps
    | (if ($b.power_supply_class // "") == "" then null
       elif any($ps[]; (.type == "Mains" or .type == "USB") and .online == "1") then false
       elif any($ps[]; .type == "Battery" and .status == "Discharging") then true
       else false end) as $battery
    | ($virt | lines | map(trim) | map(select(. != "")) | .[0] // null | if . != null and test("^[a-z0-9_-]+$") then . else null end) as $v
    | {
        load_avg_1m: $load[0], load_avg_5m: $load[1], load_avg_15m: $load[2],
        load_avg_1m_after: $load_after[0],
        cpu_busy_percent: $busy_pct,
        idle_wait_s: ($i.idle_wait_s | nonneg),
        cpu_steal_percent: $steal_pct,
        cpu_governor: ($b.governor | clean),
        cpu_freq_before_mhz: ($b.cpu_mhz_avg | posint),
        cpu_freq_after_mhz: ($a.cpu_mhz_avg | posint),
        cpu_freq_min_mhz: ($s | min | if . == null then null else round end),
        cpu_freq_max_mhz: ($s | max | if . == null then null else round end),
        cpu_freq_dropped: $dropped,
        cpu_throttled: $throttled,
        cpu_time_below_nominal_percent: ($below_pct | rnd(1)),
        swap_in_pages: $swap.in,
        swap_out_pages: $swap.out,
        on_battery: $battery,
        virtualization: $v,
        short_mode: (if $i.short == "1" then true elif $i.short == "0" then false else null end),
        # an extension: the schedule (bench.sh --schedule) this run is one of, else null
        scheduled: ($i.scheduled | clean),
        fio_direct_io: (if $i.fio_direct == "1" then true elif $i.fio_direct == "0" then false else null end),
        cpu_threads_multi: ($i.cpu_threads_multi | posint),
        started_at: ($i.started_at | clean),
        finished_at: ($i.finished_at | clean),
        clock_offset_s: ($i.clock_offset_s | tonumber? // null),
        run_duration_s: ($i.duration_s | nonneg)
      }'
}

frag() {
    # frag NAME FUNC DIR : run one parser into $WORK/frag-NAME.json; build_submission reads anything
    # but valid JSON as null (a parser never aborts the run)
    local name=$1 fn=$2 dir=$3
    if ! "$fn" "$dir" >"$WORK/frag-$name.json" 2>>"$WORK/parse.log"; then
        printf 'parser %s failed\n' "$name" >>"$WORK/parse.log"
    fi
}
# jq_parse JQ_ARGS... : a hardware or conditions parser's `jq -n JQ_ARGS...`, or null without
# starting jq when every file those arguments name (--rawfile/--slurpfile NAME FILE; f gives
# /dev/null for a missing one) is empty: a section the capture holds nothing for, not collected.
# The parser's own argument list is the rule, so a file added to it is counted. Replaying a
# partial capture, a support bundle's `lscpu` alone, starts jq three times rather than a dozen.
jq_parse() {
    local i args=("$@")
    for ((i = 0; i + 2 < ${#args[@]}; i++)); do
        if [[ ${args[i]} == --rawfile || ${args[i]} == --slurpfile ]] && [[ -s ${args[i + 2]} ]]; then
            jq -n "$@"
            return
        fi
    done
    printf null
}

# none_of DIR FILE... : true when the capture holds none of these files (a result is then null
# without starting jq: its tool's output alone makes a result, not the capture's other files)
none_of() {
    local d=$1 name
    shift
    for name; do [[ -f $d/$name ]] && return 1; done
    return 0
}

device_name() {
    local d=$1 n=""
    [[ -n $DEVICE ]] && { printf '%s' "$DEVICE"; return; }
    # the --device the capture was made with (a replay keeps its name: the server would rename
    # the machine otherwise), else the hostname it was made on: uname -n (bench.sh 1.2.4 on),
    # or the words of uname -a before the kernel's release, the word before its version (#1
    # SMP...), as a hostname may hold a space or be blank; without such a version, the second
    [[ -s $d/capture-info.txt ]] && n=$(sed -n 's/^device=//p' "$d/capture-info.txt" 2>/dev/null | head -n 1)
    [[ -z $n && -s $d/capture-info.txt ]] && n=$(sed -n 's/^hostname=//p' "$d/capture-info.txt" 2>/dev/null | head -n 1)
    [[ -z $n && -s $d/uname.txt ]] && n=$(awk 'NR == 1 {
        for (i = 3; i <= NF && substr($i, 1, 1) != "#"; i++) continue
        if (i > NF) { print $2; exit }
        for (k = 2; k < i - 1; k++) printf "%s%s", (k > 2 ? " " : ""), $k
        print "" }' "$d/uname.txt" 2>/dev/null)
    [[ -z $n && -z $FROM_DIR ]] && n=$HOST_NAME
    [[ -n $n ]] || n=unknown
    printf '%s' "${n:0:255}"
}

submission_id_of() {
    # the id the capture's run was made with; a capture not made by bench.sh gets a new one
    local sid=""
    [[ -s $1/capture-info.txt ]] &&
        sid=$(sed -n 's/^submission_id=\([0-9a-f-]\{36\}\)$/\1/p' "$1/capture-info.txt" 2>/dev/null | head -n 1)
    printf '%s' "${sid:-$(new_uuid)}"
}

build_submission() {
    local d=$1 out=$2 name
    for name in cpu ram system motherboard gpu storage network os; do frag "$name" "parse_$name" "$d"; done
    for name in cpu memory disk network gpu; do frag "r_$name" "parse_results_$name" "$d"; done
    frag conditions parse_conditions "$d"
    local skips="{\"cpu\": $SKIP_CPU, \"memory\": $SKIP_MEMORY, \"disk\": $SKIP_DISK, \"network\": $SKIP_NETWORK, \"gpu\": $SKIP_GPU}"
    local args=() n
    for n in cpu ram system motherboard gpu storage network os r_cpu r_memory r_disk r_network r_gpu conditions; do
        args+=(--rawfile "$n" "$WORK/frag-$n.json")
    done
    jq -n "${args[@]}" --arg device "$(device_name "$d")" --arg version "$BENCH_SCRIPT_VERSION" \
        --arg sid "$(submission_id_of "$d")" --argjson skips "$skips" --argjson weights "$WEIGHTS_JSON" "$JQ_LOOPBACK"'
    # a fragment is one JSON object; empty or broken output of a parser counts as null
    def obj($x): ($x | try fromjson catch null) as $v | if ($v | type) == "object" then $v else null end;
    {cpu: $r_cpu, memory: $r_memory, disk: $r_disk, network: $r_network, gpu: $r_gpu}
    | with_entries(.value = (if $skips[.key] == 1 then null else obj(.value) end)) as $res
    | ([$res | to_entries[] | select(.value != null and (.value.score | type) == "number")
        | select(.key != "network" or (.value.target | loopback | not)) | {w: $weights[.key], s: .value.score}]) as $present
    | {
        device_identifier: $device,
        bench_script_version: $version,
        submission_id: $sid,
        hardware: {
          system: obj($system), cpu: obj($cpu), ram: obj($ram), gpu: obj($gpu),
          storage: obj($storage), network: obj($network), motherboard: obj($motherboard), os: obj($os)
        },
        results: ($res + {
          global_score: (if ($present | length) == 0 then null
                         else (($present | map(.w * .s) | add) / ($present | map(.w) | add) * 100 | round / 100) end),
          conditions: obj($conditions)
        })
      }
    # every string printable and within the lengths the server stores (a broken capture must not
    # turn the whole submission into a 400)
    | {"system_serial": 128, "chassis_type": 100, "virtualization_type": 100, "smart_health": 100,
       "machine_id": 64, "system_uuid": 64, "mac": 64, "type": 50, "fs_type": 50, "architecture": 50,
       "bench_script_version": 50, "bios_date": 50, "mount_point": 4096} as $limits
    | reduce paths(type == "string") as $p (.;
        setpath($p; getpath($p) | explode | map(select(. >= 32 and . != 127)) | implode
          | .[0:(if ($p[-1] | type) == "string" then ($limits[$p[-1]] // 255)
                 elif ($p | length) >= 2 and $p[-2] == "flags" then 64
                 elif ($p | length) >= 2 and $p[-2] == "api_support" then 100 else 255 end)]))' >"$out"
}

new_uuid() {
    local u=""
    [[ -r /proc/sys/kernel/random/uuid ]] && u=$(cat /proc/sys/kernel/random/uuid 2>/dev/null)
    [[ -z $u ]] && have uuidgen && u=$(uuidgen 2>/dev/null)
    if [[ -z $u ]]; then     # RFC 4122 version 4 from /dev/urandom
        u=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n' |
            sed -E 's/^(.{8})(.{4}).(.{3})(.)(.{3})(.{12})$/\1-\2-4\3-\4\5-\6/')
        local v=${u:19:1}
        u="${u:0:19}$(printf '%x' $(((0x$v & 3) | 8)))${u:20}"
    fi
    printf '%s' "$u" | tr 'A-F' 'a-f'
}

# ------------------------------------------------------------------------------ report & submit

# The server's loopback rule (CONTRACT Part 2, benchmarks/validity.py is_loopback): a network
# measured against localhost, 127.0.0.0/8 or ::1 (brackets and port aside, and the other forms
# the resolver takes: ::ffff:127.0.0.1, 127.1, 2130706433; 0.0.0.0 and ::, which connect to the
# machine itself) is kept but left out of the global score. The submission's informative
# global_score and the summary follow it, so they say what the server will answer.
JQ_LOOPBACK='
def loopback:
  (. // "" | tostring | ascii_downcase) as $t
  | (if ($t | startswith("[")) then ($t[1:] | split("]")[0])
     elif ($t | split(":") | length) == 2 then ($t | split(":")[0]) else $t end | rtrimstr(".")) as $h
  | any(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "::1", "0:0:0:0:0:0:0:1",
         "::", "0:0:0:0:0:0:0:0"][]; . == $h)
    or ($h | test("^0(\\.0){0,3}$"))
    or ($h | test("^(::ffff:)?127(\\.(0|[1-9][0-9]*)){1,3}$"))
    or (($h | test("^[1-9][0-9]{0,9}$")) and ($h | tonumber) >= 2130706432 and ($h | tonumber) < 2147483648);'

print_summary() {
    local json=$1
    jq -r --rawfile nc "$(f "$CAP/not-collected.txt")" "$JQ_LOOPBACK"'
    def n($x; $d): if $x == null then "-" else ($x * pow(10; $d) | round / pow(10; $d) | tostring) end;
    def yn($x): if $x == null then "n/a" elif $x then "yes" else "no" end;
    .results as $r
    | "",
      "== Linux BenchTools: \(.device_identifier) ==",
      "  cpu      \(.hardware.cpu.model // "?") - \(.hardware.cpu.cores // "?") cores / \(.hardware.cpu.threads // "?") threads",
      "  ram      \(.hardware.ram.total_mb // "?") MB, os \(.hardware.os.name // "?") \(.hardware.os.version // "")",
      "",
      "  category  score     repeats  cv %    measured",
      (["cpu", "memory", "disk", "network", "gpu"][] as $c | $r[$c] as $x
       # no result: "not run" when the list below says why (a tool missing, iperf3 failing)
       | ($nc | split("\n") | any(startswith("\($c) benchmark"))) as $why
       | "  \($c + "          " | .[0:9]) \((if $x != null then n($x.score; 1) elif $why then "not run" else "skipped" end) + "          " | .[0:9]) "
         + "\((if $x == null then "" else ($x.samples // [] | length | tostring) end) + "         " | .[0:8]) "
         + "\((if $x == null then "" else n($x.cv_pct; 2) end) + "        " | .[0:7]) "
         + (if $x == null then ""
            elif $c == "cpu" then "\(n($x.events_per_sec_single; 1)) events/s single, \(n($x.events_per_sec_multi; 1)) multi"
            elif $c == "memory" then "\(n($x.throughput_mib_s; 0)) MiB/s"
            elif $c == "disk" then "read \(n($x.read_mb_s; 0)) MB/s, write \(n($x.write_mb_s; 0)) MB/s, 4k \(n($x.iops_read; 0))/\(n($x.iops_write; 0)) IOPS, \(n($x.latency_ms; 3)) ms"
            elif $c == "network" then "up \(n($x.upload_mbps; 0)) Mbit/s, down \(n($x.download_mbps; 0)) Mbit/s, ping \(n($x.ping_ms; 3)) ms"
            else "glmark2 \(n($x.glmark2_score; 0))" end)),
      "  global    \(n($r.global_score; 2))",
      ($r.conditions // {} | "  conditions: busy before \(if .cpu_busy_percent == null then "not sampled" else "\(n(.cpu_busy_percent; 1)) %" end), steal \(if .cpu_steal_percent == null then "not sampled" else "\(n(.cpu_steal_percent; 1)) %" end), swap in/out \(n(.swap_in_pages; 0))/\(n(.swap_out_pages; 0)) pages, run \(n(.run_duration_s; 0)) s"),
      ($r.conditions // {} | "              load \(n(.load_avg_1m; 2)), governor \(.cpu_governor // "n/a"), throttled \(yn(.cpu_throttled)), freq dropped \(yn(.cpu_freq_dropped)), on battery \(yn(.on_battery)), virt \(.virtualization // "n/a")"),
      (if ($r.network.target // null) != null then "  network measured against \($r.network.target)"
         + (if ($r.network.target | loopback) then ": this machine itself, so not in the global score" else "" end) else empty end),
      ($nc | split("\n") | map(select(length > 0) | split("\t")) | if length == 0 then empty else
         "", "  not collected:", (.[] | "    - \(.[0]): \(.[1] // "")") end),
      ""' "$json" >&2
}

keep_json() {
    # keep_json JSON : a persistent copy of the submission; prints its path
    local src=$1 dir dest stamp safe n
    # (return 0: a bare return in a trap's handler would give the signal's status)
    # not the --output file: a cron job's fixed --output is overwritten by its next run, and
    # with it a submission never sent
    if [[ -n $RESEND ]]; then printf '%s' "$RESEND"; return 0; fi   # kept already
    stamp=$(date +%Y%m%d-%H%M%S)
    safe=$(device_name "$CAP" | tr -c 'A-Za-z0-9._-' '_')
    while IFS= read -r dir; do
        # never over another kept submission: replays of one machine's captures failing in a
        # loop (the server down) make several in one second
        for n in "" -2 -3 -4 -5 -6 -7 -8 -9 random; do
            if [[ $n == random ]]; then
                # every name taken (another user may plant them in a shared /tmp, the run's
                # minute being in the schedule's files): a name of its own
                dest=$(umask 077 && mktemp --suffix=.json -- "$dir/bench-$safe-$stamp-XXXXXX" 2>/dev/null) || break
                if cat -- "$src" >"$dest" 2>/dev/null; then printf '%s' "$dest"; return 0; fi
                rm -f -- "$dest"; break
            fi
            dest="$dir/bench-$safe-$stamp$n.json"
            [[ -e $dest || -L $dest ]] && continue  # a link, dangling too: taken
            # this account's alone: it names the machine's serials, addresses and machine-id
            if (umask 077 && set -C && cat -- "$src" >"$dest") 2>/dev/null; then printf '%s' "$dest"; return 0; fi
            # made and cut short (the disk full): never left to be offered for --resend, empty
            if [[ -f $dest && -O $dest ]] && ! cmp -s -- "$src" "$dest"; then rm -f -- "$dest"; fi
            break  # not writable here: the next directory
        done
    done < <(keep_dirs)
    return 1
}

keep_dirs() {
    # where a submission is kept, in turn: the working directory, TMPDIR (/tmp), the place of
    # the work directory (/var/tmp when /tmp is read-only); never / (a systemd unit's working
    # directory)
    local dir seen=" "
    for dir in "$PWD" "${TMPDIR:-/tmp}" "${WORK%/*}"; do
        dir=${dir%/}
        [[ -n $dir && $seen != *" $dir "* ]] || continue
        seen+="$dir "
        printf '%s\n' "$dir"
    done
}

RESEND_SERVER=""  # where to send it again, where that is not --server (the one it redirects to)
say_resend() {
    local self server=${RESEND_SERVER:-$SERVER}
    # this script where it is a file; else (curl ... | bash -s) the server's copy
    if [[ -f $0 && $0 == *bench*.sh ]]; then self="bash $(printf '%q' "$0")"; else self="curl -fsSL $(printf '%q' "${server%/api/benchmark}/bench.sh") | bash -s --"; fi
    # run with sudo: the kept file is root's alone, so the command to send it needs sudo too
    if ((IS_ROOT)) && [[ -n ${SUDO_USER:-} ]]; then
        if [[ $self == curl* ]]; then self="${self/| bash/| sudo bash}"; else self="sudo $self"; fi
    fi
    log "The submission is kept in $1. To send it again (the server stores it once, however often it is sent):"
    # the file given, where it is one (not <(echo …), which is gone by then)
    local token_file=FILE_WITH_THE_TOKEN
    if [[ -n $TOKEN_FILE && -f $TOKEN_FILE ]]; then token_file=$(realpath -- "$TOKEN_FILE" 2>/dev/null || printf '%s' "$TOKEN_FILE"); fi
    log "  $self --resend $(printf '%q' "$1") --server $(printf '%q' "$server") --token-file $(printf '%q' "$token_file")"
    log "or with curl alone (read -rs takes the token without showing it):"
    log "  read -rs TOKEN; curl -sS -X POST -H \"Authorization: Bearer \$TOKEN\" -H 'Content-Type: application/json' --data-binary @$(printf '%q' "$1") $(printf '%q' "$server")"
}

KEPT_GLOB='bench-*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]*.json'

mark_sent() {
    # a kept submission now stored: renamed FILE.sent, so that it is no longer said unsent
    # (the copy stays: nothing of the user's is deleted)
    local file=$1
    # shellcheck disable=SC2053 # the glob is the pattern
    [[ ${file##*/} == $KEPT_GLOB ]] || return 0
    if mv -f -- "$file" "$file.sent" 2>/dev/null; then log "$file is stored: renamed $file.sent"; fi
    return 0
}

say_unsent() {
    # the submissions earlier runs kept where keep_json keeps them and that were never sent
    # again (a cron job's failures, never looked at): now that the server answers, said, with
    # the command that sends them
    local dir file found=() seen=" "
    while IFS= read -r dir; do
        [[ -n $dir && $seen != *" $dir "* ]] || continue
        seen+="$dir "
        for file in "$dir"/$KEPT_GLOB; do
            [[ -f $file && -s $file && -O $file ]] && found+=("$file")
        done
        # root's run also lists the scheduled runs' (a run by hand with sudo, from a home
        # directory, was never told of them), in bench-run's directory and in root's home, where
        # a cron job before bench.sh 1.3.6 kept them
    done < <(keep_dirs; ((IS_ROOT)) && printf '%s\n' "$SCHED_ROOT$SCHED_STATE" "$(getent passwd 0 | cut -d: -f6)")
    ((${#found[@]})) || return 0
    log "${#found[@]} submission(s) kept by earlier runs have not been sent:"
    printf '  %s\n' "${found[@]}" >&2
    say_resend "${found[0]}" 2>&1 | sed 's/^/  /' >&2
    log "(each one with --resend; a file sent is renamed FILE.sent)"
}

token_header() {
    # the Authorization header in a file only this account reads, for curl's -H @FILE: the
    # token stays out of ps (removed once curl is done)
    (umask 077 && printf 'Authorization: Bearer %s\n' "$TOKEN" >"$WORK/auth.header")
}

check_server() {
    # before any benchmark: OPTIONS on the endpoint with the token, which the server answers 200
    # when the token may submit. A wrong token, path or scheme stops now, not after minutes of
    # measuring; a server that does not answer now is let be (it may be restarting: the result
    # is sent at the end, with retries, or kept to send again).
    ((DRY_RUN)) && return 0
    have curl || return 0
    local rc=0 code detail
    code=$(options_request) || rc=$?
    if ((rc != 0)); then
        case $rc in
            # a URL curl cannot use, a name that does not resolve, https:// to a plain HTTP
            # server or a certificate refused: sending at the end fails the same way
            1 | 3 | 6 | 35 | 51 | 58 | 60 | 77)
                proxy_said
                die 1 "$SERVER cannot be reached as given: $(tr '\n' ' ' <"$WORK/curl.err")(curl exit $rc)$(tls_hint "$rc"): nothing was measured" ;;
        esac
        warn "$SERVER does not answer now: $(tr '\n' ' ' <"$WORK/curl.err")(curl exit $rc); benchmarking anyway: the result is sent at the end, or kept to send again"
        proxy_said
        # a run measured now: its clock is checked again before it is sent
        [[ -z $FROM_DIR ]] && CLOCK_RECHECK=1
        return 0
    fi
    # a run measured now is dated now, on the server's clock when this one is far off (a
    # capture given with --from-dir keeps the times it was made at)
    [[ -z $FROM_DIR ]] && clock_check "$WORK/check.headers"
    # the server's own refusals are JSON with a "detail"; a proxy's (one that lets no OPTIONS
    # through) are not, and say nothing of the token: warned of, and the run goes on
    detail=$(jq -r 'if type == "object" then (.detail // empty) else empty end' "$WORK/check.json" 2>/dev/null)
    case $code:${detail:+api} in
        2??:*) return 0 ;;
        401:api) die 1 "the server refused the token (HTTP 401: $detail): nothing was measured. The token is the server's API_TOKEN (its .env) or one made in Admin > API tokens" ;;
        403:api) die 1 "this token may not submit (HTTP 403: $detail): nothing was measured; give a token with the submit scope" ;;
        404:*) die 1 "no Linux BenchTools API at $SERVER (HTTP 404): nothing was measured; give the server's endpoint, e.g. http://HOST:8007/api/benchmark" ;;
        30[12378]:*)
            # the POST is not followed (its body would be lost): the address it moved to
            local moved endpoint
            moved=$(check_header location)
            endpoint=$(endpoint_for "$moved")
            [[ -n $endpoint || -z $moved ]] || die 1 "the server redirects $SERVER (HTTP $code) to $moved, not the API (a login page in front of the server?): nothing was measured; give the server's own address as --server, the login leaving /api/ to the token"
            die 1 "the server redirects $SERVER (HTTP $code) to ${moved:-another address}: nothing was measured; give --server ${endpoint:-with that address}" ;;
        *)
            # a page that takes no POST (the one-liner's /bench.sh given as --server) says so
            # in its Allow; a proxy that refuses OPTIONS alone (nginx's limit_except) does not
            local allowed
            allowed=$(check_header allow)
            if [[ $code == 405 && -n $allowed && ! ${allowed^^} =~ (^|[^A-Z])POST([^A-Z]|$) ]]; then
                die 1 "$SERVER takes no submission (HTTP 405: it allows $allowed): nothing was measured; give --server $(endpoint_for "$SERVER")"
            fi
            warn "the server answered HTTP $code to a check of $SERVER${detail:+ ($detail)}: benchmarking anyway"
            proxy_said ;;
    esac
}

check_header() {
    # a header of the check's answer by its lowercase name (the last one given), its value
    tr -d '\r' <"$WORK/check.headers" | awk -v name="$1" 'tolower($0) ~ "^" name ":" { sub(/^[^:]*: */, ""); v = $0 } END { print v }'
}

origin_of() {
    # a URL's scheme, host (lowercase, brackets kept) and port, the scheme's own written out
    [[ $1 =~ ^(https?)://([^/?#@]*@)?(\[[^]]*\]|[^/?#:]+)(:([0-9]+))? ]] || return 0
    local scheme=${BASH_REMATCH[1]} port=${BASH_REMATCH[5]}
    [[ -n $port ]] || if [[ $scheme == https ]]; then port=443; else port=80; fi
    printf '%s %s %s' "$scheme" "${BASH_REMATCH[3],,}" "$port"
}

same_server() {
    # an address on --server's host and port: a login service on another port of that host
    # (Authelia's :9091) is another server, the token not for it; http:// sent to the https://
    # of the same name (a proxy in front, on its own port) is the server
    local to from
    read -r -a to <<<"$(origin_of "$1")"
    read -r -a from <<<"$(origin_of "$SERVER")"
    ((${#to[@]} == 3 && ${#from[@]} == 3)) && [[ ${to[1]} == "${from[1]}" ]] || return 1
    [[ ${to[2]} == "${from[2]}" ]] || [[ ${from[0]} == http && ${to[0]} == https && ${to[2]} == 443 ]]
}

endpoint_for() {
    # the --server to give for an address: itself where it is an endpoint (a redirect from
    # http:// to https://, a server moved), else that server's /api/benchmark: a --server
    # naming a page of the admin is sent to the login page (a path on this server), and the
    # one-liner's /bench.sh takes no submission. Nothing for a page of another host or port (a
    # login page in front of the server, oauth2-proxy's "/oauth2/start?rd=…"): the token is
    # not for it
    local moved path endpoint
    moved=$(absolute_url "$1")
    [[ -n $moved ]] || return 0
    path=${moved%%[?#]*} path=${path%/}
    if [[ $path == */api/benchmark ]]; then
        printf '%s' "$path"
    elif ! same_server "$moved"; then
        return 0
    elif [[ $moved =~ ^https?://[^/?#]+ ]]; then
        endpoint="${BASH_REMATCH[0]}/api/benchmark"
        # the server's own endpoint sent elsewhere on its host (a login page on the server's
        # host, oauth2-proxy's relative "/oauth2/start?rd=…"): no --server to offer but itself
        [[ $endpoint == "${SERVER%/}" ]] || printf '%s' "$endpoint"
    fi
}

absolute_url() {
    # a Location as the address it names, made from --server where it is relative: "/login",
    # "//host/…" (the scheme's), "?next=1", "login/" (beside the endpoint's path)
    local url=$1 origin
    [[ $SERVER =~ ^https?://[^/?#]+ ]] && origin=${BASH_REMATCH[0]}
    case $url in
        "") return 0 ;;
        http://* | https://*) printf '%s' "$url" ;;
        //*) printf '%s:%s' "${SERVER%%:*}" "$url" ;;
        /*) printf '%s%s' "$origin" "$url" ;;
        \?*) printf '%s%s' "${SERVER%%[?#]*}" "$url" ;;
        *) local base=${SERVER%%[?#]*}; printf '%s/%s' "${base%/*}" "$url" ;;
    esac
}

options_request() {
    # OPTIONS on the endpoint with the token, which the server answers 200 when the token may
    # submit: its status on stdout, its body and headers in $WORK/check.json and check.headers;
    # curl's exit status
    local rc=0
    token_header
    timeout 30 curl -sS -o "$WORK/check.json" -D "$WORK/check.headers" -w '%{http_code}' -X OPTIONS \
        -H @"$WORK/auth.header" --connect-timeout 5 --max-time 20 "$SERVER" 2>"$WORK/curl.err" </dev/null || rc=$?
    rm -f -- "$WORK/auth.header"
    return "$rc"
}

proxy_said() {
    # where a request failed or was answered by something that is not the server: the proxy
    # of the environment it went through (http_proxy set for a company's web, in
    # /etc/environment, which cron reads), a LAN server reached through it most often by
    # mistake. Asked of curl itself (a request without the token), which reads http_proxy,
    # https_proxy, all_proxy and no_proxy by rules of its own version.
    local used host
    [[ -n ${http_proxy:-}${https_proxy:-}${HTTPS_PROXY:-}${all_proxy:-}${ALL_PROXY:-} ]] || return 0
    # the proxy's line (curl names no_proxy first, read whether or not it left the host out);
    # without the proxy's user and password, which cron mails and the journal would keep
    used=$(timeout 5 curl -sv -o /dev/null --connect-timeout 2 --max-time 3 -X OPTIONS "$SERVER" 2>&1 </dev/null |
        sed -n "s/^\* Uses proxy env variable \([A-Za-z_]*_[Pp][Rr][Oo][Xx][Yy]\) == '\(.*\)'\$/\1=\2/p" |
        grep -vi '^no_proxy=' | head -n 1 | sed 's#^\([^=]*=\([A-Za-z0-9+.-]*://\)\{0,1\}\)[^@/]*@#\1#')
    [[ -n $used ]] || return 0
    host=${SERVER#*://}; host=${host%%[/?#]*}; host=${host##*@}
    if [[ $host == \[* ]]; then host=${host%%]*}; host=${host#[}; else host=${host%%:*}; fi
    log "bench.sh: curl sent this through the proxy of the environment ($used): a server on the LAN is reached without it with no_proxy=$host (in the environment of bench.sh, or /etc/environment)"
}

tls_hint() {
    # curl 35 "wrong version number": https:// to a server that speaks plain HTTP
    [[ $1 == 35 ]] && grep -qi 'wrong version number' "$WORK/curl.err" 2>/dev/null &&
        printf ' (the server speaks plain HTTP: give --server http://...)'
    # 60 and 77: a certificate of a private CA, or self-signed, not in this machine's store
    [[ $1 == 60 || $1 == 77 ]] &&
        printf " (the server's certificate is not trusted here: put its CA in /usr/local/share/ca-certificates/ and run update-ca-certificates, README \"Behind a reverse proxy (TLS)\")"
    return 0
}

post_once() {
    # post_once JSON : one POST; sets POST_RC (curl's exit), POST_CODE (the HTTP status),
    # REDIRECT (where a redirect points) and RETRY_AFTER (the seconds a busy server asked for)
    local json=$1 rc=0 code
    rm -f -- "$WORK/response.json" "$WORK/response.headers"
    # in the background and waited for, as run_timed does, so that Ctrl-C is handled at once
    # (interrupted() keeps the JSON); the redirections on curl alone, not on a function whose
    # `wait` the trap would run inside of, its messages sent to curl.err
    token_header
    CHILD_BEFORE=${!:-} CHILD_PID=pending
    timeout 130 curl -sS -o "$WORK/response.json" -D "$WORK/response.headers" -w '%{http_code} %{redirect_url}' -X POST \
        -H @"$WORK/auth.header" -H 'Content-Type: application/json' --data-binary @"$json" \
        --connect-timeout 10 --max-time 120 "$SERVER" >"$WORK/curl.code" 2>"$WORK/curl.err" </dev/null &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    rm -f -- "$WORK/auth.header"
    code=$(cat -- "$WORK/curl.code" 2>/dev/null)
    POST_RC=$rc REDIRECT=${code#* } POST_CODE=${code%% *}
    RETRY_AFTER=$(tr -d '\r' <"$WORK/response.headers" 2>/dev/null |
        awk -F': *' 'tolower($1) == "retry-after" && $2 ~ /^[0-9]+$/ { v = $2 } END { print v }')
}

worth_retrying() {
    # refused, reset, no answer in time, or an answer that the server is busy or restarting;
    # not a wrong name, a TLS mismatch, a refusal of the token or of the document
    case $POST_RC in
        0) [[ $POST_CODE == 429 || $POST_CODE == 50[234] ]] ;;
        7 | 28 | 52 | 55 | 56 | 124) return 0 ;;
        *) return 1 ;;
    esac
}

submit() {
    local json=$1 resp="$WORK/response.json" status kept attempt=0 delay
    if ! have curl; then
        kept=$(keep_json "$json")
        warn "curl is not installed: cannot submit; the JSON is kept in ${kept:-(nowhere)}"
        return 3
    fi
    while :; do
        post_once "$json"
        if ((attempt >= RETRIES)) || ! worth_retrying; then break; fi
        attempt=$((attempt + 1))
        delay=$((10 * 3 ** (attempt - 1)))
        [[ -n $RETRY_AFTER ]] && delay=$((RETRY_AFTER > 600 ? 600 : RETRY_AFTER))
        if ((POST_RC == 0)); then
            # the server's own reason where it gives one (429: too many failed authentications
            # from this address), not a guess
            local why
            why=$(jq -r 'if type == "object" then (.detail // empty) else empty end' "$WORK/response.json" 2>/dev/null)
            log "the server answered HTTP $POST_CODE (${why:-busy or restarting}): sending again in $delay s ($attempt of $RETRIES)"
        else
            log "$SERVER: $(tr '\n' ' ' <"$WORK/curl.err")(curl exit $POST_RC): sending again in $delay s ($attempt of $RETRIES)"
        fi
        sleep "$delay" &
        CHILD_PID=$!
        wait "$CHILD_PID"
        CHILD_PID=""
    done
    local rc=$POST_RC code=$POST_CODE
    status=$(jq -r 'if type == "object" then (.status // "") else "" end' "$resp" 2>/dev/null)
    if ((rc == 0)) && [[ $status == ok ]]; then
        local url
        url=$(jq -r '.device_url // empty' "$resp" 2>/dev/null)
        if [[ -n $url && $url == /* && $SERVER =~ ^(https?://[^/]+) ]]; then url="${BASH_REMATCH[1]}$url"; fi
        local stored
        # which device it was filed under: a new one, or one found by its hardware and renamed
        # to this name (a reinstalled machine); an older server answers neither
        stored=$(jq -r '"global score \(.global_score // "-") ("
            + (if .device_created == true then "new device" else "device" end)
            + " \(.device_id // "?")"
            + (if (.renamed_from | type) == "string" then ", renamed from \(.renamed_from)" else "" end)
            + ", benchmark \(.benchmark_id // "?"))"' "$resp" 2>/dev/null)
        # 200: its submission_id is stored already, sent before (a retry, a resend), not twice
        if [[ $code == 200 ]]; then log "already stored, sent before: $stored"; else log "submitted: $stored"; fi
        # the server's verdict on the run, where it gives one
        # (with what was measured: "repeats disagree (memory 9.42 %)", where the server says it)
        jq -r 'select(.validity == "suspect")
            | "the server marks this run suspect ("
              + (if (.validity_detail | type) == "string" and .validity_detail != ""
                 then .validity_detail else (.validity_reasons // [] | join(", ")) end)
              + "): it stays in the history; the machine is ranked by its latest valid run,"
              + " if it has one"' "$resp" >&2 2>/dev/null
        [[ -n $url ]] && log "device page: $url"
        if [[ -n $RESEND ]]; then
            mark_sent "$RESEND"
        else
            say_unsent
        fi
        return 0
    fi
    kept=$(keep_json "$json")
    if ((rc == 28 || rc == 124)); then
        # connected, or trying to, and no answer in time: not the same as a refused connection
        log "bench.sh: error: no answer from $SERVER in time (curl exit $rc): the server is overloaded or hung; send it again later"
    elif ((rc != 0)); then
        log "bench.sh: error: could not reach $SERVER: $(tr '\n' ' ' <"$WORK/curl.err")(curl exit $rc)$(tls_hint "$rc")"
    else
        if [[ -s $resp ]] && jq -e 'type == "object"' "$resp" >/dev/null 2>&1; then
            log "bench.sh: error: the server answered HTTP $code:"
            head -c 4000 "$resp" >&2; printf '\n' >&2
        elif [[ $code == 30[12378] ]]; then
            # before the page test: a redirect often comes with one (nginx's http -> https)
            # sent again where it points (http:// to https://), not where it was refused; never
            # to a page that is not the API (a login page in front of the server): not the token's
            RESEND_SERVER=$(endpoint_for "$REDIRECT")
            if [[ -n $REDIRECT && -z $RESEND_SERVER ]]; then
                log "bench.sh: error: the server answered HTTP $code, a redirect to $REDIRECT, not the API (a login page in front of the server?): give the server's own address as --server, the login leaving /api/ to the token"
            else
                log "bench.sh: error: the server answered HTTP $code, a redirect${REDIRECT:+ to $REDIRECT}: give --server as it redirects (https://…?)"
            fi
        elif [[ $code == 50[234] ]]; then
            # a proxy's own page: the server behind it is down, starting or too slow
            log "bench.sh: error: the server answered HTTP $code (a proxy in front of it: the server behind it is down, starting or too slow); send it again later"
        elif [[ $code == 413 ]]; then
            # the server answers its own 413 in JSON (MAX_SUBMISSION_KB): a proxy's body limit
            log "bench.sh: error: the server answered HTTP 413 with a page: a proxy in front of it refuses a body this large (nginx: raise client_max_body_size)"
        elif [[ $code == 5[0-9][0-9] ]]; then
            log "bench.sh: error: the server answered HTTP $code with a page: an error of the server or of a proxy in front of it; send it again later"
        elif [[ -s $resp ]]; then
            # a web page (a proxy's, another site's): no Linux BenchTools API at that address
            log "bench.sh: error: the server answered HTTP $code with a page, not the API's JSON: is $SERVER a Linux BenchTools server's /api/benchmark?"
        else
            log "bench.sh: error: the server answered HTTP $code (empty body)"
        fi
    fi
    proxy_said
    if [[ -n $kept ]] && ((rc == 0)) && [[ $code == 400 ]] && jq -e 'type == "object"' "$resp" >/dev/null 2>&1; then
        # the server read it and refused it as it is: sending it again is refused again, so it
        # is neither offered to send nor listed unsent by the next runs (kept for a look)
        if mv -f -- "$kept" "$kept.refused" 2>/dev/null; then kept="$kept.refused"; fi
        log "The server refused this submission as it is (HTTP 400, above): it is kept in $kept, not to be sent again (report it with bench.sh's version, $BENCH_SCRIPT_VERSION)"
    elif [[ -n $kept ]]; then
        say_resend "$kept"
    else
        log "bench.sh: error: could not keep a copy of the submission (no writable directory)"
    fi
    return 1
}

# ------------------------------------------------------------------------------ schedule

# --schedule daily|weekly|monthly: after a run that the server stored, this machine runs bench.sh
# on its own, with this run's options, by a systemd timer (where systemd runs) or a cron job:
#   /usr/local/sbin/bench.sh       the script (this one, or the server's /bench.sh when piped)
#   /usr/local/sbin/bench-run      the scheduled command, its options quoted by bash (run it by
#                                  hand to run the scheduled job now)
#   /etc/benchtools/token          the token (root's alone; never on a command line)
#   /etc/benchtools/ca.pem         the CA of CURL_CA_BUNDLE, when the run had one
#   /var/lib/benchtools/           where it runs: a submission it could not send is kept there
#   benchtools-bench.timer/.service in /etc/systemd/system, or /etc/cron.d/benchtools-bench
# at a time of night taken from the machine-id (01:00-05:59), so that a fleet's machines do not
# all measure (one iperf3 server, one storage pool) at once. --unschedule removes them all.
# For the tests only, BENCH_TEST_ROOT (a directory) stands for / in every one of these paths,
# and systemctl is given --root; unset, it is not read.
SCHEDULE="" UNSCHEDULE=0
SCHED_ROOT=""
SCHED_STATE=/var/lib/benchtools  # the scheduled run's working directory: its unsent submissions
[[ -n ${BENCH_TEST_ROOT:-} && -d ${BENCH_TEST_ROOT:-} ]] && SCHED_ROOT=$BENCH_TEST_ROOT
readonly SCHED_ROOT
readonly SCHED_UNIT=benchtools-bench
SCHEDULER=""                       # systemd or cron (schedule_checked)

scheduler_found() {
    # systemd when it runs the machine (sd_booted: /run/systemd/system), else cron when installed
    if [[ -d $SCHED_ROOT/run/systemd/system ]] && have systemctl; then
        SCHEDULER=systemd
    elif [[ -d $SCHED_ROOT/etc/cron.d ]] && { have cron || have crond; }; then
        SCHEDULER=cron
    else
        return 1
    fi
}

schedule_checked() {
    # before anything runs: what --schedule or --unschedule cannot do is said now
    local option=--schedule
    ((UNSCHEDULE)) && option=--unschedule
    [[ -n $SCHEDULE ]] && ((UNSCHEDULE)) && usage_error "--schedule and --unschedule cannot be used together"
    if [[ -n $SCHEDULE ]]; then
        [[ $SCHEDULE =~ ^(daily|weekly|monthly)$ ]] || usage_error "--schedule WHEN must be daily, weekly or monthly (got '$SCHEDULE')"
        ((DRY_RUN)) && usage_error "--schedule installs runs that submit: it cannot be used with --dry-run"
        [[ -z $FROM_DIR$RESEND ]] || usage_error "--schedule schedules this machine's runs: it cannot be used with --from-dir or --resend"
    elif [[ -n $SERVER$TOKEN_FILE$DEVICE$IPERF_SERVER$OUTPUT$CAPTURE$FROM_DIR$RESEND$REPEATS$WAIT_IDLE_MAX ]] ||
        ((DRY_RUN || SHORT || SKIP_CPU || SKIP_MEMORY || SKIP_DISK || SKIP_NETWORK || SKIP_GPU || !WAIT_IDLE)); then
        usage_error "--unschedule runs nothing: it takes no other option"
    fi
    local does="writes"
    ((UNSCHEDULE)) && does="removes"
    ((IS_ROOT)) || die 3 "$option needs root (it $does a systemd timer or a cron job): run it with sudo"
    if [[ -n $SCHEDULE ]] && ! scheduler_found; then
        die 3 "--schedule: neither systemd (not running here) nor cron (apt-get install cron) can run bench.sh on a schedule: nothing was measured"
    fi
    return 0
}

schedule_time() {
    # "MINUTE HOUR" of the night for this machine: the same at every --schedule, another for
    # another machine (its machine-id, else its hostname)
    local id sum
    id=$(cat /etc/machine-id 2>/dev/null) || id=""
    [[ -n $id ]] || id=$(uname -n)
    sum=$(printf '%s' "$id" | cksum | awk '{ print $1 }')
    printf '%d %d' $((sum % 60)) $((1 + sum / 60 % 5))
}

schedule_command() {
    # the scheduled run's command line: this run's options, bar what belongs to this run only
    # (--dry-run, --output, --capture) and the iperf3 server taken from the server (asked again
    # at each run)
    local args=(bash /usr/local/sbin/bench.sh --server "$SERVER" --token-file /etc/benchtools/token)
    [[ -n $DEVICE ]] && args+=(--device "$DEVICE")
    [[ -n $IPERF_SERVER && $IPERF_SAID == --iperf-server ]] && args+=(--iperf-server "$IPERF_SERVER")
    [[ -n $REPEATS ]] && args+=(--repeats "$REPEATS")
    [[ $RETRIES != 3 ]] && args+=(--retries "$RETRIES")
    ((SHORT)) && args+=(--short)
    # nobody waits for a scheduled run: it waits out a nightly job (a backup, updatedb) up to
    # 10 min rather than be measured busy, and suspect
    if ((WAIT_IDLE)); then args+=(--wait-idle-max "${WAIT_IDLE_MAX:-600}"); else args+=(--no-wait-idle); fi
    local cat
    for cat in cpu memory disk network gpu; do
        local skip="SKIP_${cat^^}"
        ((${!skip})) && args+=(--skip-"$cat")
    done
    # paths under the tests' root (SCHED_ROOT) are those of the machine's /
    args[1]=$SCHED_ROOT${args[1]} args[5]=$SCHED_ROOT${args[5]}
    local line
    printf -v line '%q ' "${args[@]}"
    printf '%s' "${line% }"
}

schedule_install() {
    # after a run the server stored: the script, the token, the command and the timer or cron
    # job, replacing an earlier --schedule's. A failure is said; the run stays stored.
    local minute hour when calendar cron_days
    read -r minute hour < <(schedule_time)
    case $SCHEDULE in
        daily) when=$(printf 'every day at %02d:%02d' "$hour" "$minute"); calendar="*-*-*"; cron_days="* * *" ;;
        weekly) when=$(printf 'every Sunday at %02d:%02d' "$hour" "$minute"); calendar="Sun *-*-*"; cron_days="* * 0" ;;
        monthly) when=$(printf 'on the 1st of every month at %02d:%02d' "$hour" "$minute"); calendar="*-*-01"; cron_days="1 * *" ;;
    esac
    schedule_files "$when" 2>>"$WORK/schedule.err" || { schedule_failed "could not install the script, its token and its command"; return 1; }
    local unit_dir="$SCHED_ROOT/etc/systemd/system" cron_file="$SCHED_ROOT/etc/cron.d/$SCHED_UNIT"
    if [[ $SCHEDULER == systemd ]]; then
        schedule_units "$unit_dir" "$when" "$calendar $(printf '%02d:%02d:00' "$hour" "$minute")" >/dev/null 2>>"$WORK/schedule.err" ||
            { schedule_failed "systemctl could not enable $SCHED_UNIT.timer"; return 1; }
        rm -f -- "$cron_file"
        log "scheduled: bench.sh runs $when (systemd timer $SCHED_UNIT.timer; its output: journalctl -u $SCHED_UNIT); stop it with: bench.sh --unschedule"
    else
        { printf '# Linux BenchTools: bench.sh --schedule %s, written %s; bench.sh --unschedule removes it\n%s\n' \
            "$SCHEDULE" "$(utc_now)" "$minute $hour $cron_days root $SCHED_ROOT/usr/local/sbin/bench-run >>$SCHED_ROOT/var/log/$SCHED_UNIT.log 2>&1" \
            >"$cron_file.new" && chmod 644 "$cron_file.new" && mv -f -- "$cron_file.new" "$cron_file"; } 2>>"$WORK/schedule.err" ||
            { schedule_failed "could not write $cron_file"; return 1; }
        schedule_logrotate
        log "scheduled: bench.sh runs $when (cron: ${cron_file#"$SCHED_ROOT"}; its output: /var/log/$SCHED_UNIT.log); stop it with: bench.sh --unschedule"
    fi
    if [[ $SCHEDULE == monthly ]]; then
        log "note: a server counts a machine quiet after 14 days without a run by default (its QUIET_AFTER_DAYS): set it to 35 there, or this machine is listed Not heard from between its monthly runs"
    fi
    # the README's manual set-up, followed before: the machine would be benchmarked twice
    if [[ -e $SCHED_ROOT/etc/cron.d/bench ]]; then
        warn "/etc/cron.d/bench runs bench.sh too (the manual set-up): remove it, or this machine is benchmarked twice"
    fi
}

schedule_files() {
    # /usr/local/sbin/bench.sh (this script if it is a file, else the server's, as piped from
    # curl), /etc/benchtools/token and /usr/local/sbin/bench-run, each written whole then moved
    local when=$1 sbin="$SCHED_ROOT/usr/local/sbin" etc="$SCHED_ROOT/etc/benchtools"
    local src="${BASH_SOURCE[${#BASH_SOURCE[@]}-1]:-}" new
    # a directory already there keeps its mode (Debian's /usr/local/sbin is root:staff 2775)
    [[ -d $sbin ]] || { mkdir -p -- "$sbin" && chmod 755 "$sbin"; } || return 1
    new="$sbin/.bench.sh.new"
    if [[ -n $src && -f $src ]]; then
        if [[ "$(realpath -- "$src")" != "$(realpath -m -- "$sbin/bench.sh")" ]]; then
            cp -- "$src" "$new" || return 1
        fi
    else
        timeout 90 curl -fsS --connect-timeout 5 --max-time 60 -o "$new" "${SERVER%/api/benchmark}/bench.sh" </dev/null || return 1
        if ! grep -q '^readonly BENCH_SCRIPT_VERSION=' "$new" || ! bash -n "$new"; then
            echo "${SERVER%/api/benchmark}/bench.sh is not bench.sh" >&2; rm -f -- "$new"; return 1
        fi
    fi
    if [[ -f $new ]]; then chmod 755 "$new" && mv -f -- "$new" "$sbin/bench.sh" || return 1; fi
    mkdir -p -- "$etc" && chmod 700 "$etc" || return 1
    printf '%s\n' "$TOKEN" >"$etc/.token.new" && mv -f -- "$etc/.token.new" "$etc/token" || return 1
    # the CA this run trusted by CURL_CA_BUNDLE (a private CA not in the system's store), kept
    # beside the token for the scheduled runs, which start in cron's or systemd's environment
    # without it: each of them failed on the server's certificate (curl exit 60). The system's
    # own store named so (some profiles export it) is not: a copy would miss its updates
    local ca=""
    if [[ -n ${CURL_CA_BUNDLE:-} && -f $CURL_CA_BUNDLE && -r $CURL_CA_BUNDLE ]] &&
        [[ "$(realpath -- "$CURL_CA_BUNDLE")" != "$(realpath -m /etc/ssl/certs/ca-certificates.crt)" ]] &&
        [[ "$(realpath -- "$CURL_CA_BUNDLE")" != "$(realpath -m /etc/pki/tls/certs/ca-bundle.crt)" ]]; then
        cp -- "$CURL_CA_BUNDLE" "$etc/.ca.pem.new" && chmod 644 "$etc/.ca.pem.new" && mv -f -- "$etc/.ca.pem.new" "$etc/ca.pem" || return 1
        ca="$etc/ca.pem"
    else
        rm -f -- "$etc/ca.pem"
    fi
    local script="$sbin/bench.sh" url="${SERVER%/api/benchmark}/bench.sh"
    {
        printf '#!/bin/bash\n# bench.sh --schedule %s (%s), written %s: this machine%ss scheduled run.\n' \
            "$SCHEDULE" "$when" "$(utc_now)" "'"
        printf '# Run it to run the scheduled job now; bench.sh --unschedule removes it.\n'
        [[ -z $ca ]] || printf '# the CA bench.sh --schedule was run with (CURL_CA_BUNDLE)\nexport CURL_CA_BUNDLE=%q\n' "$ca"
        # the server's bench.sh at each run, so that an upgraded server upgrades its fleet's
        # runs; the copy installed when it cannot be had (the server down, not a script, or
        # one from before --wait-idle-max, which would refuse this command: a server gone back)
        printf '# The server%ss bench.sh first, as the one-liner runs it; else the copy kept here.\n' "'"
        printf 'url=%q new=%q\n' "$url" "$sbin/.bench.sh.new"
        printf 'if ! fetched=$(curl -fsS --connect-timeout 5 --max-time 60 -o "$new" "$url" 2>&1); then\n'
        printf '    rm -f -- "$new"; echo "bench-run: cannot fetch $url (${fetched:-curl failed}): running the copy kept here" >&2\n'
        printf 'elif grep -q %q "$new" && grep -q -e %q "$new" && bash -n "$new"; then\n' \
            '^readonly BENCH_SCRIPT_VERSION=' '--wait-idle-max)'
        printf '    chmod 755 "$new" && mv -f -- "$new" %q\nelse\n' "$script"
        printf '    rm -f -- "$new"; echo "bench-run: no bench.sh of 1.3.0 or later at $url: running the copy kept here" >&2\nfi\n'
        # a submission it cannot send is kept where it runs: a directory that outlives a
        # reboot (a systemd unit runs in /, where it was kept in /tmp, emptied at boot)
        printf '# where a submission it could not send is kept (bench.sh lists them at its next run)\n'
        printf 'state=%q\nmkdir -p -m 700 -- "$state" 2>/dev/null; cd -- "$state" 2>/dev/null || cd /\n' "$SCHED_ROOT$SCHED_STATE"
        printf 'export BENCH_SCHEDULED=%s\nexec %s\n' "$SCHEDULE" "$(schedule_command)"
    } >"$sbin/.bench-run.new" && chmod 700 "$sbin/.bench-run.new" && mv -f -- "$sbin/.bench-run.new" "$sbin/bench-run"
}

schedule_logrotate() {
    # the cron job's log, kept from growing for years: logrotate (Debian's, daily from its own
    # timer or cron job) keeps a year of it, by month. Where logrotate is not installed there is
    # no /etc/logrotate.d, and nothing is written (the log grows by a few KB a run)
    local dir="$SCHED_ROOT/etc/logrotate.d"
    [[ -d $dir ]] || return 0
    local new="$dir/.$SCHED_UNIT.new"
    if ! { { printf '# Linux BenchTools: bench.sh --schedule, written %s; bench.sh --unschedule removes it\n' "$(utc_now)"
        printf '%s\n' "$SCHED_ROOT/var/log/$SCHED_UNIT.log {" "    monthly" "    rotate 12" "    compress" \
            "    delaycompress" "    missingok" "    notifempty" "}"; } >"$new" && chmod 644 "$new" && mv -f -- "$new" "$dir/$SCHED_UNIT"; } 2>/dev/null; then
        rm -f -- "$new"
        warn "--schedule: could not write ${dir#"$SCHED_ROOT"}/$SCHED_UNIT: the cron job's log is not rotated"
    fi
}

schedule_units() {
    # the service and its timer (Persistent: a machine off at that time runs at its next start)
    local unit_dir=$1 when=$2 calendar=$3
    mkdir -p -- "$unit_dir" || return 1
    printf '%s\n' "[Unit]" "Description=Linux BenchTools: bench.sh --schedule $SCHEDULE" \
        "Wants=network-online.target" "After=network-online.target" "" \
        "[Service]" "Type=oneshot" "ExecStart=$SCHED_ROOT/usr/local/sbin/bench-run" >"$unit_dir/$SCHED_UNIT.service" || return 1
    printf '%s\n' "[Unit]" "Description=Linux BenchTools: bench.sh $when" "" \
        "[Timer]" "OnCalendar=$calendar" "Persistent=true" "" \
        "[Install]" "WantedBy=timers.target" >"$unit_dir/$SCHED_UNIT.timer" || return 1
    chmod 644 "$unit_dir/$SCHED_UNIT.service" "$unit_dir/$SCHED_UNIT.timer" || return 1
    if [[ -n $SCHED_ROOT ]]; then
        systemctl --root="$SCHED_ROOT" enable "$SCHED_UNIT.timer"
    else
        systemctl daemon-reload && systemctl enable --now "$SCHED_UNIT.timer"
    fi
}

schedule_failed() {
    local why
    why=$(tail -n 3 -- "$WORK/schedule.err" 2>/dev/null | tr '\n' ' ')
    warn "--schedule: $1${why:+: $why}: not scheduled (this run is stored)"
}

unschedule() {
    local unit_dir="$SCHED_ROOT/etc/systemd/system" removed=()
    if [[ -e $unit_dir/$SCHED_UNIT.timer ]]; then
        if [[ -n $SCHED_ROOT ]]; then
            systemctl --root="$SCHED_ROOT" disable "$SCHED_UNIT.timer" >/dev/null 2>&1
        elif [[ -d /run/systemd/system ]] && have systemctl; then
            systemctl disable --now "$SCHED_UNIT.timer" >/dev/null 2>&1
        fi
    fi
    local path
    for path in "$unit_dir/$SCHED_UNIT.timer" "$unit_dir/$SCHED_UNIT.service" "$SCHED_ROOT/etc/cron.d/$SCHED_UNIT" \
        "$SCHED_ROOT/etc/logrotate.d/$SCHED_UNIT" "$SCHED_ROOT/usr/local/sbin/bench-run" "$SCHED_ROOT/etc/benchtools/token" \
        "$SCHED_ROOT/etc/benchtools/ca.pem"; do
        [[ -e $path ]] && rm -f -- "$path" && removed+=("${path#"$SCHED_ROOT"}")
    done
    rmdir -- "$SCHED_ROOT/etc/benchtools" 2>/dev/null
    # the script stays where the manual set-up (README) runs it
    if [[ -e $SCHED_ROOT/usr/local/sbin/bench.sh && ! -e $SCHED_ROOT/etc/cron.d/bench ]]; then
        rm -f -- "$SCHED_ROOT/usr/local/sbin/bench.sh" && removed+=(/usr/local/sbin/bench.sh)
    fi
    [[ -z $SCHED_ROOT ]] && [[ -d /run/systemd/system ]] && have systemctl && systemctl daemon-reload >/dev/null 2>&1
    if ((${#removed[@]})); then
        local IFS=" "
        log "unscheduled: removed ${removed[*]}"
    else
        log "nothing to unschedule: no --schedule is installed on this machine"
    fi
    return 0
}

# ------------------------------------------------------------------------------ main

make_work_dir() {
    # WORK, bench.sh's own directory, in TMPDIR (/tmp by default), else in /var/tmp, said: a
    # read-only /tmp (an embedded system's, a hardened one's) stopped every run at once
    local base
    for base in "${TMPDIR:-/tmp}" /var/tmp; do
        WORK=$(mktemp -d "$base/bench-work.XXXXXX" 2>/dev/null) && break
    done
    [[ -n $WORK ]] || die 3 "cannot create a temporary directory in ${TMPDIR:-/tmp} nor in /var/tmp (read-only?): set TMPDIR to a directory this user can write in"
    [[ $base == "${TMPDIR:-/tmp}" ]] || log "bench.sh: note: cannot write in ${TMPDIR:-/tmp}: working in $base (set TMPDIR to choose)"
}

main() {
    parse_args "$@"
    if ((UNSCHEDULE)); then unschedule; return; fi
    export LC_ALL=C LANG=C
    # what bench.sh writes is this account's alone, as a kept submission is: a capture holds
    # the machine-id, the serials and the addresses (--output and packages aside: 022 there)
    umask 077
    make_work_dir
    trap cleanup EXIT
    room_check "$WORK" "${WORK%/*}"
    trap 'interrupted 130' INT
    trap 'interrupted 143' TERM
    trap 'interrupted 129' HUP
    ensure_jq

    if [[ -n $RESEND ]]; then
        # a submission kept by an earlier run: sent as it is (its submission_id makes it one)
        # (an empty file is none either, which jq 1.6 reads as no document and answers true)
        if [[ ! -s $RESEND ]] || ! jq -e 'type == "object" and (.device_identifier | type == "string")' "$RESEND" >/dev/null 2>&1; then
            die 2 "--resend: '$RESEND' is not a submission (a JSON object with a device_identifier)"
        fi
        have curl || { ((IS_ROOT)) && apt_install curl; }
        have curl || die 3 "curl is needed to submit and is not installed (apt-get install curl)"
        log "sending $RESEND to $SERVER..."
        submit "$RESEND"
        return
    fi
    if [[ -n $FROM_DIR ]]; then
        CAP=$(cd -- "$FROM_DIR" && pwd) || usage_error "--from-dir: cannot read '$FROM_DIR'"
        local name problem
        name=$(device_name "$CAP")
        if ((!DRY_RUN)) && [[ $name == unknown ]]; then
            # every such bundle would be filed under one device named "unknown"
            usage_error "--from-dir: '$FROM_DIR' does not say which machine it is from (no capture-info.txt, no uname.txt): give --device NAME"
        fi
        if ((!DRY_RUN)) && problem=$(device_name_refused "$name"); then
            usage_error "--from-dir: '$FROM_DIR' names its machine $(printf '%q' "$name"), and a device name $problem: give --device NAME"
        fi
        ((DRY_RUN)) || have curl || { ((IS_ROOT)) && apt_install curl; }
        curl_checked
        check_server
        step 1 "parsing the capture in $CAP (nothing is run)"
        # made by bench.sh (started_at) and never finished: stopped while it measured
        if grep -q '^started_at=' "$CAP/capture-info.txt" 2>/dev/null && ! grep -q '^finished_at=' "$CAP/capture-info.txt"; then
            warn "this capture was cut short (capture-info.txt has no finished_at: bench.sh was stopped while it measured): what it holds is sent, a benchmark's repeat missing a test is left out"
        fi
    else
        [[ -n $DEVICE ]] || host_name_checked
        if [[ -n $CAPTURE ]]; then
            mkdir -p -- "$CAPTURE" || usage_error "--capture: cannot create '$CAPTURE'"
            CAP=$(cd -- "$CAPTURE" && pwd) || usage_error "--capture: cannot use '$CAPTURE'"
            # the machine-id, serials and addresses: this account's alone, as made (an empty
            # directory given, made by another umask, too)
            [[ -O $CAP ]] && chmod 700 -- "$CAP" 2>/dev/null
            # another user's (root given a directory someone made in /tmp): its owner could
            # swap the files this run writes there for links to any file, or for figures of
            # their own, sent as measured
            [[ -O $CAP ]] || die 3 "--capture: '$CAPTURE' is another user's directory: give a directory of your own, or a new path (it is made)"
            # a directory of another user (a stick mounted by root): every output would be lost
            { : >"$CAP/capture-info.txt"; } 2>/dev/null || die 3 "--capture: cannot write in '$CAPTURE' (read-only, or another user's directory)"
            room_check "$CAP"
        else
            CAP="$WORK/capture"
            mkdir -p -- "$CAP"
        fi
        if ((SKIP_CPU && SKIP_MEMORY && SKIP_DISK && SKIP_NETWORK && SKIP_GPU)); then
            log "bench.sh $BENCH_SCRIPT_VERSION: inventory only (every benchmark skipped)"
        elif ((SHORT)); then
            log "bench.sh $BENCH_SCRIPT_VERSION: short run (about 40 s, a minute with the network test)"
        else
            log "bench.sh $BENCH_SCRIPT_VERSION: full run (under 3 minutes; --short for about 40 s)"
        fi
        iperf_self_checked
        take_run_lock
        ensure_tools
        curl_checked
        check_server
        servers_iperf
        collect_all
        clock_recheck
    fi

    started_too_early "$CAP"
    step "$TOTAL_STEPS" "building the submission..."
    local json="$WORK/submission.json"
    # jq exits non-zero when it cannot write the document, which always names its device
    if ! build_submission "$CAP" "$json" 2>>"$WORK/parse.log" || [[ ! -s $json ]]; then
        # the work directory goes at exit: what the parsers and jq said is shown here
        tail -n 20 -- "$WORK/parse.log" >&2 2>/dev/null
        local avail
        avail=$(free_kb "$WORK")
        if [[ $avail =~ ^[0-9]+$ ]] && ((avail < MIN_FREE_KB)); then
            die 3 "could not build the submission JSON: ${avail} KB left in ${WORK%/*} (its filesystem filled up during the run)"
        fi
        die 1 "could not build the submission JSON (jq's errors above)"
    fi
    if [[ -n $OUTPUT ]]; then
        if (umask 022 && cat -- "$json" >"$OUTPUT") 2>/dev/null; then log "JSON written to $OUTPUT"; else warn "cannot write $OUTPUT"; fi
    fi
    [[ -n $CAPTURE ]] && log "raw outputs kept in $CAP"
    print_summary "$json"
    if jq -e '[.results | (.cpu, .memory, .disk, .network, .gpu)] | all(. == null)' "$json" >/dev/null 2>&1; then
        # nothing measured (every category skipped, or no benchmark tool): still worth sending
        # for the inventory, and said so; the server keeps ranking the machine by scored runs
        warn "no benchmark ran: this run carries the hardware inventory only (no score)"
    fi
    if ((DRY_RUN)); then
        cat -- "$json"    # as jq wrote it: indented, one key a line
        return 0
    fi
    # measured: another run may start while this one is sent (retries can take minutes)
    exec 9<&-
    log "submitting to $SERVER..."
    SUBMITTING=$json
    local sent=0
    submit "$json" || sent=$?
    if ((sent)); then
        # "A run the server did not store schedules nothing (said)"
        [[ -z $SCHEDULE ]] || warn "--schedule: nothing was scheduled, as the server did not store this run: run the same command again once it does"
        return "$sent"
    fi
    SUBMITTING=""
    if [[ -n $SCHEDULE ]]; then schedule_install; fi
    return 0
}

# One command, parsed before it runs: bash reads a script as it goes, so nothing may follow
# main's line (a file edited during a run would otherwise have its new bytes executed after main).
# stdin is closed for everything: when piped (curl ... | bash -s), the rest of the script is on it.
main "$@" </dev/null; exit $?
