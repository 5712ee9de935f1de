#!/usr/bin/env bash
# Fails on any include that runs up the layers (docs/architecture.md, "Layers"). Each folder may include
# only the folders listed for it; the simulator's headers only where SystemC is allowed.
#   layer      may include                                    SystemC/TLM
#   core       core                                           no
#   hwif       hwif core                                      no
#   models     models hwif core                               yes
#   firmware   firmware hwif core                             no
#   platform   platform models firmware hwif core             yes
#   apps       apps platform models firmware hwif core        yes
set -euo pipefail
root="$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)"
cd "$root"

declare -A allowed=(
  [core]="core"
  [hwif]="hwif core"
  [models]="models hwif core"
  [firmware]="firmware hwif core"
  [platform]="platform models firmware hwif core"
  [apps]="apps platform models firmware hwif core"
)
declare -A systemc_allowed=([models]=1 [platform]=1 [apps]=1)
project_folders=" ${!allowed[*]} "

violations=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    include=$(sed -E 's/^[^"<]*["<]([^">]*)[">].*/\1/' <<<"${rest#*:}")
    top=${include%%/*}
    if [[ "$include" == */* && "$project_folders" == *" $top "* ]]; then
      if [[ " ${allowed[$layer]} " != *" $top "* ]]; then
        echo "$file:$line: the $layer layer includes $include from the $top layer above or beside it (allowed: ${allowed[$layer]})"
        violations=$((violations + 1))
      fi
    elif [[ -z "${systemc_allowed[$layer]:-}" && "$include" =~ ^(systemc|tlm)(\.h)?$|^(tlm_utils|sysc|tlm_core)/ ]]; then
      echo "$file:$line: the $layer layer is plain C++ but includes the simulator header <$include>"
      violations=$((violations + 1))
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' "$layer" --include='*.h' --include='*.cpp' || true)
done

if [ "$violations" -gt 0 ]; then
  echo "check-layers: $violations include(s) run up the layers" >&2
  exit 1
fi
echo "check-layers: every include looks down"
