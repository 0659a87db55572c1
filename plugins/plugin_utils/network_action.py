# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action behind this collection's device modules, the one cisco.ios uses for its own.

ansible.netcommon's network action imports the module and runs its main()
inside the worker that already holds the persistent connection (the
``import_modules`` connection option, on by default), instead of writing an
AnsiballZ payload and starting a second Python for it. On this project's
benchmark that is about 0.6 CPU-second per router per task, most of what a
fleet audit cost above the one-command floor. Without network_cli (captured
files read on localhost) the module takes Ansible's ordinary path.
"""

from __future__ import annotations

from ansible.plugins.action.normal import ActionModule as _NormalAction
from ansible_collections.ansible.netcommon.plugins.action.network import ActionModule as _NetworkAction


class NetworkModuleAction(_NetworkAction):
    """netcommon's network action for network_cli; the normal action for any other connection."""

    def run(self, tmp=None, task_vars=None):
        del tmp  # no effect since ansible-core 2.10
        transport = str(getattr(self._connection, "transport", "") or "")
        if transport.rsplit(".", 1)[-1] != "network_cli":
            return _NormalAction.run(self, task_vars=task_vars)
        return super().run(task_vars=task_vars)
