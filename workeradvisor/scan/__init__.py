"""Static scanner: finds what decides a worker count (blocking calls and CPU work on the event
loop, sync endpoints, per-request clients, import-time threads) without importing the code."""

from workeradvisor.scan.engine import scan_paths, scan_rules, select_rules

__all__ = ["scan_paths", "scan_rules", "select_rules"]
