"""The credentials a sweep tries on each device, in order, named by position only.

Credentials never appear in a status or log line: a Credential's `label` ("v2c community #2")
is what is printed; its secrets are kept out of repr().
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.scan.options import SnmpV3User, SweepOptions


@dataclass(frozen=True, slots=True)
class Credential:
    """One way to talk to an agent; `label` is safe to print, the rest is not."""

    label: str
    version: str  # "1", "2c" or "3"
    community: str = field(default="", repr=False)
    user: SnmpV3User | None = field(default=None, repr=False)


def credentials(options: SweepOptions) -> tuple[Credential, ...]:
    """Every credential to try, in order: v2c communities, v3 users, then v1 communities.

    v1 comes last because a v1-only agent silently drops v2c packets: it is only worth the
    extra round trips once v2c has failed.
    """
    out = [Credential(f"v2c community #{i}", "2c", community=c) for i, c in enumerate(options.communities, 1)]
    out += [Credential(f"v3 user #{i} ({u.level})", "3", user=u) for i, u in enumerate(options.v3_users, 1)]
    out += [Credential(f"v1 community #{i}", "1", community=c) for i, c in enumerate(options.communities, 1)]
    return tuple(out)
