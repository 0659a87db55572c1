#!/usr/bin/env bash
# Molecule scenarios (extensions/molecule/) against the simulated fleet:
#   scripts/molecule.sh [check|remediate ...]   (default: both)
. "$(dirname "$0")/env.sh"
cd "$ROOT" || exit 1
export IPSEC_SPI_MOLECULE_DIR="$TMPROOT/molecule"
export IPSEC_SPI_MOLECULE_INVENTORY="$IPSEC_SPI_MOLECULE_DIR/lab/inventory.yml"
status=0
for scenario in "${@:-check remediate}"; do
    for s in $scenario; do
        rm -rf "$IPSEC_SPI_MOLECULE_DIR"
        mkdir -p "$IPSEC_SPI_MOLECULE_DIR"
        python lab/labctl.py --dir "$IPSEC_SPI_MOLECULE_DIR/lab" up
        (cd extensions && molecule test -s "$s") || status=1
        python lab/labctl.py --dir "$IPSEC_SPI_MOLECULE_DIR/lab" down
    done
done
exit $status
