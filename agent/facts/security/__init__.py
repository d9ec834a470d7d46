"""Security posture collectors: listening ports, endpoint protection, disk encryption, host
firewall and pending security updates. Each is a FactCollector (agent/facts/base.py).

Imports agent.facts (model, file helpers, the software sources' registry) and agent.errors only.
"""
