"""Installed software, one module per package source (dpkg, rpm, pip, snap, flatpak, npm, Windows, macOS).

Each source satisfies `base.SoftwareSource` and is listed once in `registry.py`; that table is the only
place the agent learns which sources exist. May import agent.facts and agent.errors.
"""
