"""The methods of the core capability (RFC 8620 4): ``Core/echo``, which answers its arguments as they
came (after result references were resolved), so a client can test its connection and the envelope."""

from __future__ import annotations

from webmail.jmap.registry import CORE, Args, Call, method


@method("Core/echo", CORE)
def echo(call: Call, args: Args) -> Args:
    return args
