#!/usr/bin/env bash
# Instructions per push+pop for the Swift SPSCRing and the C baseline ring of the same design,
# counted by valgrind's callgrind (timing-free, so it does not care how the host places vCPUs).
#
#   scripts/ring-instructions.sh            (N_SMALL=100000 N_LARGE=1100000 by default)
#
# Each implementation runs `RingCompare callgrind <impl> N` (N single-thread push+pop pairs and
# nothing else) for two N; the difference divided by the difference in N removes start-up cost:
# instructions per pair = (Ir(N_LARGE) - Ir(N_SMALL)) / (N_LARGE - N_SMALL). The consumer reads all
# eight words of each 64-byte message on both sides. Also reported: the Swift ring read in place
# through drain() (swift-drain), the mutex-guarded queue (locked), and how many instructions
# swift_retain / swift_release / malloc / free gained between the two runs (0 = none in the loop).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg="$root/Benchmarks"
n_small="${N_SMALL:-100000}"
n_large="${N_LARGE:-1100000}"

if ! command -v valgrind >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "ring-instructions: installing valgrind" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind >/dev/null
  else
    echo "ring-instructions: valgrind is missing (apt-get install -y valgrind)" >&2
    exit 1
  fi
fi

echo "ring-instructions: building RingCompare (release)" >&2
swift build -c release --package-path "$pkg" --product RingCompare >&2
bin="$(swift build -c release --package-path "$pkg" --show-bin-path)/RingCompare"

work="$(mktemp -d "${TMPDIR:-/tmp}/ring-instructions.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF Swift 6.3 emits (PLATFORM-NOTES G7); symbols stay.
cp "$bin" "$work/RingCompare"
objcopy --strip-debug "$work/RingCompare"

# Total Ir of one run.
count() { # impl n
  local out="$work/callgrind.$1.$2"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$work/RingCompare" callgrind "$1" "$2" \
    >"$out.stdout" 2>"$out.stderr" || { cat "$out.stderr" >&2; exit 1; }
  awk '/^summary:/ { print $2 }' "$out"
}

# Self Ir of the runtime functions that would mean ARC or allocation in the loop.
runtime_ir() { # impl n
  callgrind_annotate --threshold=100 "$work/callgrind.$1.$2" 2>/dev/null \
    | awk '/:(swift_retain|swift_release|swift_bridgeObjectRetain|swift_bridgeObjectRelease|malloc|free|swift_allocObject|swift_beginAccess) / \
           { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}

per_pair() { # small large
  awk -v a="$1" -v b="$2" -v d="$((n_large - n_small))" 'BEGIN { printf "%.2f", (b - a) / d }'
}

declare -A ipp extra
for impl in swift c swift-drain locked; do
  small="$(count "$impl" "$n_small")"
  large="$(count "$impl" "$n_large")"
  ipp[$impl]="$(per_pair "$small" "$large")"
  extra[$impl]=$(( $(runtime_ir "$impl" "$n_large") - $(runtime_ir "$impl" "$n_small") ))
  printf 'ring-instructions: %-12s Ir(%s)=%s Ir(%s)=%s -> %s instructions per push+pop; ARC/malloc Ir added: %s\n' \
    "$impl" "$n_small" "$small" "$n_large" "$large" "${ipp[$impl]}" "${extra[$impl]}" >&2
done

ratio="$(awk -v s="${ipp[swift]}" -v c="${ipp[c]}" 'BEGIN { printf "%.3f", s / c }')"
echo "Instructions per push+pop (callgrind, (Ir($n_large) - Ir($n_small)) / $((n_large - n_small))):"
echo "  Swift SPSCRing tryPush + tryPop(into:)   ${ipp[swift]}"
echo "  C ring (clang -O2)                       ${ipp[c]}"
echo "  Swift / C                                $ratio"
echo "  Swift SPSCRing tryPush + drain (in place) ${ipp[swift-drain]}"
echo "  Locked queue (Synchronization.Mutex)     ${ipp[locked]}"
echo "  ARC/malloc instructions added by the extra iterations: swift ${extra[swift]}, swift-drain ${extra[swift-drain]}, c ${extra[c]}"
printf '{"swift_instructions_per_pushpop":%s,"c_instructions_per_pushpop":%s,"swift_c_ratio":%s,"swift_drain_instructions_per_pushpop":%s,"locked_instructions_per_pushpop":%s,"swift_arc_malloc_instructions_added":%s}\n' \
  "${ipp[swift]}" "${ipp[c]}" "$ratio" "${ipp[swift-drain]}" "${ipp[locked]}" "${extra[swift]}"
