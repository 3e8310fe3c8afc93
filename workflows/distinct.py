"""Counting distinct values (users, IP addresses) in bounded memory: exact up to a limit, then a
HyperLogLog sketch whose count is an estimate and says so.

Up to `EXACT_LIMIT` values the set itself is kept and the count is exact. Beyond it the values become
2**PRECISION one-byte registers (4 KiB, standard error about 1.6 %), so memory stays flat whatever the
input size. Values are hashed with BLAKE2b (not Python's per-process `hash`), so partial counts from
worker processes or Dask workers merge into exactly what one process would have counted.
"""

from __future__ import annotations

import hashlib
import math

EXACT_LIMIT = 50_000
PRECISION = 12
_REGISTERS = 1 << PRECISION
_ALPHA = 0.7213 / (1 + 1.079 / _REGISTERS)


class Distinct:
    __slots__ = ("_registers", "_values")

    def __init__(self) -> None:
        self._values: set[str] | None = set()
        self._registers: bytearray | None = None

    @property
    def estimated(self) -> bool:
        return self._registers is not None

    def add(self, value: str) -> None:
        if self._values is not None:
            self._values.add(value)
            if len(self._values) > EXACT_LIMIT:
                self._to_sketch()
        else:
            _register(self._registers, value)  # type: ignore[arg-type]

    def merge(self, other: Distinct) -> None:
        if other._values is not None:
            for value in other._values:
                self.add(value)
            return
        if self._values is not None:
            self._to_sketch()
        mine, theirs = self._registers, other._registers
        assert mine is not None and theirs is not None
        for index, rank in enumerate(theirs):
            if rank > mine[index]:
                mine[index] = rank

    def count(self) -> int:
        if self._values is not None:
            return len(self._values)
        registers = self._registers
        assert registers is not None
        raw = _ALPHA * _REGISTERS * _REGISTERS / sum(2.0**-rank for rank in registers)
        zeros = registers.count(0)
        if raw <= 2.5 * _REGISTERS and zeros:  # small range: linear counting
            return round(_REGISTERS * math.log(_REGISTERS / zeros))
        return round(raw)

    def _to_sketch(self) -> None:
        registers = bytearray(_REGISTERS)
        for value in self._values or ():
            _register(registers, value)
        self._registers, self._values = registers, None


def _register(registers: bytearray, value: str) -> None:
    bits = int.from_bytes(hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest())
    index = bits >> (64 - PRECISION)
    rest = (bits << PRECISION) & ((1 << 64) - 1)
    rank = 64 - PRECISION + 1 if rest == 0 else (64 - rest.bit_length()) + 1
    if rank > registers[index]:
        registers[index] = rank
