"""A Python port of the peer's bill math, for bench/optimiser.py to time side by side.

The peer is Lamassu's cash-out server (github.com/lamassu/lamassu-server, as of its October
2024 snapshot): lib/coin-change.js, "greedy solver of the coin change problem", which
lib/bill-math.js makeChange() uses to choose the notes, then solutionToOriginalUnits() to
spread them over the units. What it does, and this port does the same step by step:

- The units become [denomination, count] pairs, sorted with `(a, b) => a[0] < b[0]`: a boolean
  comparator is never negative, so V8 leaves the array as given (checked on node 20); the
  prepending reduce then reverses it, giving each entry the cumulative value of itself and
  every entry after it. Given the units smallest note first, as our cassettes are, the search
  therefore goes largest note first.
- A depth-first search: at each denomination, give up when the target exceeds what is left
  or no remaining denomination divides it; otherwise try the most notes of it first, then one
  fewer, and so on; the first complete solution wins. Results per (target, denomination) are
  memoised for the request.
- The notes per denomination are then given by the units in order, each up to its count.

Not ported: makeChange's cross-check against the npm subset-sum package (a second, independent
solve whose answer is only used when the two disagree). The peer knows no note limit, no
inventory health and no customer wish: it finds a largest-first mix, which is not always the
one with the fewest notes.
"""

from __future__ import annotations


def make_change(units: list[tuple[str, int, int]], amount: int) -> dict[str, int] | None:
    """Return unit id -> notes for `amount`, or None when the peer finds no solution.

    `units` are (id, denomination, count) in the order the peer is given them.
    """
    solution = solve(model([(denomination, count) for _, denomination, count in units]),
                     amount)
    if solution is False:
        return None
    return to_original_units(solution, units)


def model(denominations: list[tuple[int, int]]) -> dict:
    """coin-change.js model(): the prepared denominations and an empty memo."""
    total, prepared = 0, []
    for denomination, count in denominations:   # the sort leaves the order as given
        total += denomination * count
        prepared = [(denomination, count, total), *prepared]
    return {"denominations": prepared, "memo": {}}


def solve(state: dict, target: int) -> list[tuple[int, int]] | bool:
    """coin-change.js solve(): [(denomination, notes), ...], or False when none is found."""
    denominations, memo = state["denominations"], state["memo"]

    def memo_get(target: int, denomination: int):
        return memo.get(target, {}).get(denomination)

    def memo_set(target: int, denomination: int, solution):
        memo.setdefault(target, {})[denomination] = solution
        return solution

    def has_divisor(index: int, target: int) -> bool:
        return any(target % d == 0 for d, _, _ in denominations[index:])

    def coin_change(index: int, target: int):
        if target == 0:
            return []
        while index < len(denominations):
            denomination, count, total = denominations[index]
            if target > total or not has_divisor(index, target):
                return memo_set(target, denomination, False)
            solution = memo_get(target, denomination)
            if solution is False:
                index += 1
                continue
            if solution is not None:
                return solution
            for notes in range(min(count, target // denomination), -1, -1):
                solution = coin_change(index + 1, target - denomination * notes)
                if solution is not False:   # JavaScript: [] is truthy, false is not
                    return memo_set(target, denomination, [(denomination, notes), *solution])
            memo_set(target, denomination, False)
            index += 1
        return False

    return coin_change(0, target)


def to_original_units(solution: list[tuple[int, int]],
                      units: list[tuple[str, int, int]]) -> dict[str, int]:
    """bill-math.js solutionToOriginalUnits(): each unit in order gives up to its count."""
    left: dict[int, int] = {}
    for denomination, notes in solution:
        left[denomination] = left.get(denomination, 0) + notes
    given = {}
    for unit_id, denomination, count in units:
        notes = max(0, min(count, left.get(denomination, 0)))
        left[denomination] = left.get(denomination, 0) - notes
        given[unit_id] = notes
    return given
