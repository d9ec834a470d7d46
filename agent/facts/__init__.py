"""What this machine is: one module per fact source (hardware, OS, network, users, security, software).

Each source satisfies a small Protocol (base.py, software/base.py), runs under collect.py's runner with a
timeout, and reports a status instead of raising. Sources take an injectable filesystem root so tests
feed recorded trees. May import agent.errors and itself; never transport/, scan/ or grpc.
"""
