"""Faults a test arranges (rate limits, 5xx, slowness, lost answers) and the log of what was asked.

A fault applies to the next N requests that match it (a regex searched in the path, a method), or to
every matching request while `times` is None. The first fault added that matches wins.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    status: int | None = None  # answer this status instead of the route's
    retry_after: int | None = None  # with 429: the Retry-After seconds
    delay: float = 0.0  # wait this long before going on
    disconnect: bool = False  # close the connection without an answer
    after_processing: bool = False  # with disconnect: the route ran (its changes stay), the answer is lost
    path: str | None = None  # regex searched in the path (e.g. "members/all"); None: any
    method: str | None = None
    times: int | None = 1  # None: until cleared

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or re.search(self.path, path) is not None
        )

    @property
    def label(self) -> str:
        if self.disconnect:
            return "disconnect-after" if self.after_processing else "disconnect"
        return str(self.status) if self.status else f"delay {self.delay}s"


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request meets, counted as used."""
        with self.lock:
            for fault in self.faults:
                if (fault.times is None or fault.times > 0) and fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # raw, as sent (e.g. /api/v4/projects/acme-corp%2Fapi)
    query: tuple[tuple[str, str], ...]
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int | None  # None: the connection was closed without an answer
    fault: str | None  # the fault it met, if any
    at: float = field(default_factory=time.monotonic)

    def arg(self, name: str) -> str | None:
        """The last value of a query argument."""
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(pair) for pair in self.query],
            "headers": self.headers,
            "status": self.status,
            "fault": self.fault,
            "at": self.at,
        }
