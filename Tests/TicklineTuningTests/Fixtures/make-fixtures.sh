#!/usr/bin/env bash
# gen.sh DIR KIND  (tuned-8 | untuned-8)
set -euo pipefail
d=$1; kind=$2
rm -rf "$d"; mkdir -p "$d"
w() { mkdir -p "$(dirname "$d/$1")"; printf '%s\n' "$2" > "$d/$1"; }
if [ "$kind" = tuned-8 ]; then
  w proc/cmdline "BOOT_IMAGE=/vmlinuz-6.12.48-amd64 root=UUID=3f1c2a9e-0b7d-4c55-9a61-2f4de0c1b7aa ro quiet isolcpus=managed_irq,domain,2-6 nohz_full=2-6 rcu_nocbs=2-6 irqaffinity=0-1,7 skew_tick=1 tsc=reliable nosoftlockup intel_idle.max_cstate=1 processor.max_cstate=1"
  w proc/self/limits "$(printf '%-26s%-21s%-21s%s\n' 'Limit' 'Soft Limit' 'Hard Limit' 'Units' 'Max cpu time' unlimited unlimited seconds 'Max locked memory' unlimited unlimited bytes 'Max open files' 1048576 1048576 files)"
  w proc/self/timerslack_ns 1000
  w proc/self/mounts "/dev/nvme0n1p2 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /run tmpfs rw,nosuid,nodev,size=3260476k,mode=755 0 0
/dev/nvme1n1p1 /var/lib/tickline xfs rw,noatime,attr2,inode64,logbufs=8,noquota 0 0"
  w proc/1/comm systemd
  w proc/640/comm sshd
  w proc/irq/default_smp_affinity 83
  allowed=0-7; gov=performance; thp=never; swap=10; mmc=262144; numab=0; tmig=0; rmem=16777216; busy=50; uring=0; nt=1
  irqaff=0-1,7
  smt_active=0; smt_control=off
  c6dis=1
  w sys/devices/system/cpu/isolated 2-6
  w sys/devices/system/cpu/nohz_full 2-6
else
  w proc/cmdline "BOOT_IMAGE=/vmlinuz-6.12.48-amd64 root=UUID=3f1c2a9e-0b7d-4c55-9a61-2f4de0c1b7aa ro quiet"
  w proc/self/limits "$(printf '%-26s%-21s%-21s%s\n' 'Limit' 'Soft Limit' 'Hard Limit' 'Units' 'Max cpu time' unlimited unlimited seconds 'Max locked memory' 65536 65536 bytes 'Max open files' 1024 524288 files)"
  w proc/self/timerslack_ns 50000
  w proc/self/mounts "/dev/sda2 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
filer01:/export/tickline /var/lib/tickline nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,hard,proto=tcp 0 0"
  w proc/1/comm systemd
  w proc/702/comm irqbalance
  w proc/irq/default_smp_affinity ff
  allowed=0-7; gov=powersave; thp=always; swap=60; mmc=65530; numab=1; tmig=1; rmem=212992; busy=0; uring=2; nt=0
  irqaff=0-7
  smt_active=1; smt_control=on
  c6dis=0
  w sys/devices/system/cpu/isolated ""
fi
w proc/self/status "Name:	tickline
State:	R (running)
Cpus_allowed:	ff
Cpus_allowed_list:	$allowed
Mems_allowed_list:	0"
w proc/interrupts "            CPU0       CPU1       CPU2       CPU3       CPU4       CPU5       CPU6       CPU7
   0:         44          0          0          0          0          0          0          0  IR-IO-APIC    2-edge      timer
   8:          0          0          0          0          0          0          0          1  IR-IO-APIC    8-edge      rtc0
   9:          0          3          0          0          0          0          0          0  IR-IO-APIC    9-fasteoi   acpi
 124:      88213          0          0          0          0          0          0          0  IR-PCI-MSIX-0000:01:00.0    0-edge      nvme0q0
 125:     301552          0          0          0          0          0          0          0  IR-PCI-MSIX-0000:01:00.0    1-edge      nvme0q1
 126:          0    2204711          0          0          0          0          0          0  IR-PCI-MSIX-0000:02:00.0    0-edge      eth0-TxRx-0
 127:          0          0          0          0          0          0          0    1893320  IR-PCI-MSIX-0000:02:00.0    1-edge      eth0-TxRx-1
 LOC:     912234     833112     250011     250009     250013     250010     250012     801221   Local timer interrupts"
for n in 0 8 9 124 125 126 127; do
  w proc/irq/$n/smp_affinity_list "$irqaff"
done
if [ "$kind" = tuned-8 ]; then
  for n in 0 8 9 124 125 126; do w proc/irq/$n/effective_affinity_list 0; done
  w proc/irq/127/effective_affinity_list 7
else
  for n in 0 8 9 124 125; do w proc/irq/$n/effective_affinity_list 0; done
  w proc/irq/126/effective_affinity_list 1; w proc/irq/127/effective_affinity_list 3
fi
w proc/sys/kernel/osrelease 6.12.48-amd64
w proc/sys/vm/swappiness $swap
w proc/sys/kernel/sched_rt_runtime_us 950000
w proc/sys/net/core/rmem_max $rmem
w proc/sys/net/core/wmem_max $rmem
w proc/sys/net/ipv4/tcp_rmem "4096	131072	$([ $rmem -gt 1000000 ] && echo 16777216 || echo 6291456)"
w proc/sys/net/ipv4/tcp_wmem "4096	16384	4194304"
w proc/sys/net/core/busy_read $busy
w proc/sys/net/core/busy_poll $busy
w proc/sys/vm/max_map_count $mmc
w proc/sys/kernel/io_uring_disabled $uring
w proc/sys/kernel/numa_balancing $numab
w proc/sys/kernel/timer_migration $tmig
c=sys/devices/system/cpu
w $c/online 0-7
w $c/possible 0-7
w $c/present 0-7
w $c/smt/active $smt_active
w $c/smt/control $smt_control
w $c/intel_pstate/no_turbo $nt
w $c/cpuidle/current_driver intel_idle
w $c/cpuidle/current_governor_ro menu
for i in 0 1 2 3 4 5 6 7; do
  if [ "$kind" = tuned-8 ]; then sib=$i; else sib="$((i % 4)),$((i % 4 + 4))"; fi
  w $c/cpu$i/topology/thread_siblings_list "$sib"
  w $c/cpu$i/cpufreq/scaling_governor $gov
  w $c/cpu$i/cpuidle/state0/name POLL;  w $c/cpu$i/cpuidle/state0/latency 0;   w $c/cpu$i/cpuidle/state0/disable 0
  w $c/cpu$i/cpuidle/state1/name C1;    w $c/cpu$i/cpuidle/state1/latency 2;   w $c/cpu$i/cpuidle/state1/disable 0
  w $c/cpu$i/cpuidle/state2/name C6;    w $c/cpu$i/cpuidle/state2/latency 133; w $c/cpu$i/cpuidle/state2/disable $c6dis
done
w sys/devices/system/node/online 0
w sys/devices/system/node/node0/cpulist 0-7
if [ "$thp" = never ]; then
  w sys/kernel/mm/transparent_hugepage/enabled "always madvise [never]"
  w sys/kernel/mm/transparent_hugepage/defrag "always defer defer+madvise [madvise] never"
else
  w sys/kernel/mm/transparent_hugepage/enabled "[always] madvise never"
  w sys/kernel/mm/transparent_hugepage/defrag "always defer defer+madvise [madvise] never"
fi
