#!/usr/bin/env bash
# irq-affinity.sh: move device interrupts onto the housekeeping CPUs, off the CPUs where
# Tickline's threads busy-spin.
#
# Usage: Tuning/host/irq-affinity.sh [--apply] [--root DIR] HOUSEKEEPING_CPULIST
#   HOUSEKEEPING_CPULIST  the CPUs that may take interrupts: every online CPU except the
#                         layout's busy-spinning ones (dedicated: 0-1,7; cores-4: 0-1; cores-2: 0).
#   --apply               write the new affinities (needs root). Without it: a dry run that only
#                         prints what it would write. Nothing else is ever changed.
#   --root DIR            read (and write) /proc under DIR instead of / (tests use a fixture tree).
#
# What it does: for every /proc/irq/N it writes HOUSEKEEPING_CPULIST to smp_affinity_list, and
# writes the same set as a hex mask to /proc/irq/default_smp_affinity (for interrupts registered
# later). Driver-managed interrupts (per-queue NVMe/NIC vectors) refuse the write (EIO): they are
# listed as "managed"; boot with isolcpus=managed_irq,... to keep them off the isolated CPUs.
# The settings last until reboot; run it from a oneshot unit before tickline.service to keep them.
#
# irqbalance re-spreads interrupts every 10 s and would undo this: stop it
# (systemctl disable --now irqbalance) or ban the isolated CPUs in /etc/default/irqbalance
# (IRQBALANCE_BANNED_CPULIST=2-6). Recent irqbalance already skips isolcpus/nohz_full CPUs.
#
# Cost: the housekeeping CPUs take all interrupt load, so network and disk throughput are bounded
# by what they can handle (RSS spreading across all cores is lost); a busy housekeeping core adds
# interrupt latency for the side threads and the control plane that run there.
set -euo pipefail

apply=0
root=""
housekeeping=""
while [ $# -gt 0 ]; do
  case "$1" in
    --apply) apply=1 ;;
    --root) root="${2:?--root needs a directory}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "irq-affinity.sh: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$housekeeping" ] || { echo "irq-affinity.sh: one CPU list only" >&2; exit 2; }
       housekeeping="$1" ;;
  esac
  shift
done
[ -n "$housekeeping" ] || { echo "usage: irq-affinity.sh [--apply] [--root DIR] HOUSEKEEPING_CPULIST" >&2; exit 2; }
root="${root%/}"
proc="$root/proc"
[ -d "$proc/irq" ] || { echo "irq-affinity.sh: $proc/irq not found" >&2; exit 1; }

# Expands a cpulist (0-1,7) to one CPU per line; exits on anything else.
expand() {
  local part lo hi
  IFS=',' read -ra parts <<< "$1"
  for part in "${parts[@]}"; do
    if [[ "$part" =~ ^([0-9]+)-([0-9]+)$ ]]; then
      lo=${BASH_REMATCH[1]}; hi=${BASH_REMATCH[2]}
      [ "$lo" -le "$hi" ] || { echo "irq-affinity.sh: bad range $part" >&2; exit 2; }
      seq "$lo" "$hi"
    elif [[ "$part" =~ ^[0-9]+$ ]]; then
      echo "$part"
    else
      echo "irq-affinity.sh: not a CPU list: $1" >&2; exit 2
    fi
  done
}
cpus=$(expand "$housekeeping")

# The same set as the kernel's hex mask: comma-separated 32-bit groups, most significant first.
hexmask() {
  local max=0 c groups i word out=""
  for c in $cpus; do [ "$c" -gt "$max" ] && max=$c; done
  groups=$(( max / 32 + 1 ))
  for (( i = groups - 1; i >= 0; i-- )); do
    word=0
    for c in $cpus; do
      [ $(( c / 32 )) -eq "$i" ] && word=$(( word | (1 << (c % 32)) ))
    done
    if [ -z "$out" ]; then out=$(printf '%x' "$word"); else out="$out,$(printf '%08x' "$word")"; fi
  done
  echo "$out"
}
mask=$(hexmask)

# Refuse CPUs that are not online: the kernel would reject the write anyway.
if [ -r "$root/sys/devices/system/cpu/online" ]; then
  online=$(expand "$(cat "$root/sys/devices/system/cpu/online")")
  for c in $cpus; do
    grep -qx "$c" <<< "$online" || { echo "irq-affinity.sh: CPU $c is not online" >&2; exit 2; }
  done
fi

mode="dry run (pass --apply to write)"
[ "$apply" -eq 1 ] && mode="applying"
echo "irq-affinity.sh: $mode: IRQs -> CPUs $housekeeping (mask $mask) under ${root:-/}"

name_of() {  # device name of IRQ $1 from /proc/interrupts (last column)
  awk -v n="$1:" '$1 == n { print $NF; exit }' "$proc/interrupts" 2>/dev/null || true
}

changed=0; same=0; managed=0
for irq in $(ls "$proc/irq" | grep -E '^[0-9]+$' | sort -n); do
  file="$proc/irq/$irq/smp_affinity_list"
  [ -e "$file" ] || continue
  current=$(cat "$file")
  label="IRQ $irq"
  name=$(name_of "$irq"); [ -n "$name" ] && label="$label ($name)"
  if [ "$current" = "$housekeeping" ]; then
    same=$((same + 1)); continue
  fi
  if [ "$apply" -eq 1 ]; then
    if ( echo "$housekeeping" > "$file" ) 2>/dev/null; then
      echo "  $label: $current -> $housekeeping"; changed=$((changed + 1))
    else
      echo "  $label: $current (managed: the kernel refused the change)"; managed=$((managed + 1))
    fi
  else
    echo "  $label: $current -> $housekeeping"; changed=$((changed + 1))
  fi
done

default="$proc/irq/default_smp_affinity"
if [ -e "$default" ]; then
  current=$(cat "$default")
  if [ "$apply" -eq 1 ]; then
    echo "$mask" > "$default"
  fi
  echo "  default_smp_affinity: $current -> $mask"
fi

verb="would change"; [ "$apply" -eq 1 ] && verb="changed"
echo "irq-affinity.sh: $verb $changed, $same already on $housekeeping, $managed managed"
if pgrep -x irqbalance >/dev/null 2>&1 && [ -z "$root" ]; then
  echo "irq-affinity.sh: warning: irqbalance is running and will move them again (see the header)" >&2
fi
