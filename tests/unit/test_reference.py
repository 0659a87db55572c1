"""docs/reference.md is what ansible-doc says, and every public name of the contract is documented."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACT = {
    "filter": ["invalid_spi_events", "invalid_spi_flows", "qfp_drops", "qfp_ipsec_drops", "crypto_inventory",
               "ipsec_sas", "ike_sas", "spi_desync"],
    "module": ["spi_facts", "invalid_spi_recovery", "sa_clear"],
    "role": ["check", "remediate", "report", "capture"],
}


def test_reference_is_up_to_date():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_reference.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("kind,name", [(k, n) for k, names in CONTRACT.items() for n in names])
def test_contract_names_are_in_the_reference(kind, name):
    with open(os.path.join(ROOT, "docs", "reference.md")) as handle:
        assert "### netops.ipsec_spi.%s\n" % name in handle.read()


def test_every_filter_file_is_documented():
    folder = os.path.join(ROOT, "plugins", "filter")
    with open(os.path.join(ROOT, "docs", "reference.md")) as handle:
        reference = handle.read()
    for name in os.listdir(folder):
        if name.endswith(".yml"):
            assert "### netops.ipsec_spi.%s\n" % name[:-4] in reference, name


def test_one_filter_per_file_each_with_its_documentation():
    # A filter plugin file holds one filter named as the file, documented by the .yml of the same name.
    import importlib
    folder = os.path.join(ROOT, "plugins", "filter")
    code = sorted(name[:-3] for name in os.listdir(folder) if name.endswith(".py"))
    docs = sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".yml"))
    # spi_remediation.py holds spi_clear_state until that filter goes (it is replaced by a store).
    files = {"spi_remediation": "spi_clear_state"}
    for name in code:
        module = importlib.import_module("ansible_collections.netops.ipsec_spi.plugins.filter." + name)
        assert list(module.FilterModule().filters()) == [files.get(name, name)], name
    assert docs == sorted(files.get(name, name) for name in code)
