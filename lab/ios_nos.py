"""fakenos NOS plugin for the lab's IOS / IOS XE routers, loaded by file path (`nos: {plugin: <this file>}`).

fakenos executes this file once per host.  The command handlers are stateful: the device object binds the
host to its router in the running fleet (labsim.sim.Fleet), whose IOS command line is labsim.cli.Session.
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from labsim.server import LabDevice  # noqa: E402  pylint: disable=wrong-import-position

NAME = "netops_lab_ios"
INITIAL_PROMPT = "{base_prompt}>"
ENABLE_PROMPT = "{base_prompt}#"
CONFIG_PROMPT = "{base_prompt}(config)#"
DEVICE_NAME = "LabIOSDevice"
LabIOSDevice = LabDevice

# fakenos' own command table (used by its stock shell); the lab's shell answers every line through the device.
commands = {
    "_default_": {
        "output": "% Invalid input detected at '^' marker.",
        "help": "Output to print for unknown commands",
        "prompt": [INITIAL_PROMPT, ENABLE_PROMPT],
    },
}
