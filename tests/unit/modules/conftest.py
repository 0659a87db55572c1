"""Run a module's main() in-process against fake_cliconf.FakeCliconf (no router, no ansible-playbook).

`run_module(module, args, connection, check_mode, diff)` returns the module's result dict
(``failed`` and ``msg`` set when it called fail_json).
"""
from __future__ import annotations

import contextlib
import json

import pytest
from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    @contextlib.contextmanager
    def patch_module_args(args):
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old


class _Exit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


@pytest.fixture
def run_module(monkeypatch):
    def exit_json(self, **kwargs):
        raise _Exit(kwargs)

    def fail_json(self, msg, **kwargs):
        raise _Exit(dict(kwargs, failed=True, msg=msg))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(module, args, connection=None, check_mode=False, diff=False):
        monkeypatch.setattr(module, "Connection", lambda _path: connection, raising=False)
        full = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_socket="/nonexistent")
        with patch_module_args(full):
            with pytest.raises(_Exit) as info:
                module.main()
        return info.value.result

    return run
