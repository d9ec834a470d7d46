"""The namespace lab: hosts in Linux network namespaces for tests, benchmarks and the demo.

Never imported by the agent's report or scan paths; needs root and iproute2.
"""
