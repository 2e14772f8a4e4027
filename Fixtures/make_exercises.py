#!/usr/bin/env python3
"""Generate templated math and code exercises (textbook-style STEM text) for the demo.

Deterministic (fixed seeds, standard library only). Writes
  Fixtures/exercises/exercises.jsonl   training documents (seed 1)
  Fixtures/heldout/exercises.jsonl     held-out documents (seed 2), never in any mixture stage;
                                       `make demo` tokenizes them for the trainer's eval loss

The templates are regular on purpose: a tiny model can learn them, so its eval loss on the
held-out set falls well below the unigram entropy, and MTP drafts are often accepted.

    python3 Fixtures/make_exercises.py
"""
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def gcd_steps(a, b):
    steps = []
    while b:
        steps.append(f"${a} = {a // b} \\times {b} + {a % b}$")
        a, b = b, a % b
    return steps, a


def math_doc(r, n):
    kind = r.randrange(6)
    if kind == 0:
        a, b = r.randrange(10, 100), r.randrange(10, 100)
        return (f"Exercise {n}. Compute ${a} + {b}$.\n"
                f"Solution. Add the tens and the ones: ${a} + {b} = {a + b}$.\n"
                f"Answer: {a + b}.")
    if kind == 1:
        a, b = r.randrange(2, 20), r.randrange(2, 20)
        return (f"Exercise {n}. Compute ${a} \\times {b}$.\n"
                f"Solution. Multiply: ${a} \\times {b} = {a * b}$.\n"
                f"Answer: {a * b}.")
    if kind == 2:
        a, x, b = r.randrange(2, 10), r.randrange(1, 20), r.randrange(1, 30)
        c = a * x + b
        return (f"Exercise {n}. Solve ${a}x + {b} = {c}$.\n"
                f"Solution. Subtract {b} from both sides: ${a}x = {c - b}$. "
                f"Divide both sides by {a}: $x = {x}$.\n"
                f"Answer: $x = {x}$.")
    if kind == 3:
        w, h = r.randrange(2, 30), r.randrange(2, 30)
        return (f"Exercise {n}. A rectangle has sides {w} cm and {h} cm. Find its area and perimeter.\n"
                f"Solution. The area is $A = {w} \\times {h} = {w * h}$ cm$^2$ and the perimeter is "
                f"$P = 2({w} + {h}) = {2 * (w + h)}$ cm.\n"
                f"Answer: {w * h} cm$^2$ and {2 * (w + h)} cm.")
    if kind == 4:
        a, b = r.randrange(20, 200), r.randrange(2, 60)
        steps, g = gcd_steps(max(a, b), min(a, b))
        return (f"Exercise {n}. Find $\\gcd({a}, {b})$.\n"
                f"Solution. By the Euclidean algorithm, " + ", ".join(steps) + ".\n"
                f"Answer: $\\gcd({a}, {b}) = {g}$.")
    a, k = r.randrange(2, 10), r.randrange(2, 6)
    return (f"Exercise {n}. Differentiate $f(x) = {a}x^{k}$.\n"
            f"Solution. By the power rule, $f'(x) = {k} \\cdot {a} x^{k - 1} = {a * k}x^{k - 1}$.\n"
            f"Answer: $f'(x) = {a * k}x^{k - 1}$.")


NAMES = ["total", "count", "value", "result", "acc", "score", "items", "data"]


def code_doc(r, n):
    kind = r.randrange(5)
    v = r.choice(NAMES)
    if kind == 0:
        k = r.randrange(1, 50)
        x = r.randrange(0, 20)
        return (f"Task {n}. Write a function that adds {k} to a number.\n"
                f"```python\ndef add_{k}(x):\n    return x + {k}\n```\n"
                f"Check: add_{k}({x}) returns {x + k}.")
    if kind == 1:
        xs = [r.randrange(0, 10) for _ in range(r.randrange(3, 6))]
        return (f"Task {n}. Write a function that sums a list.\n"
                f"```python\ndef sum_list({v}):\n    s = 0\n    for x in {v}:\n        s += x\n    return s\n```\n"
                f"Check: sum_list({xs}) returns {sum(xs)}.")
    if kind == 2:
        m = r.randrange(2, 8)
        return (f"Task {n}. Write a function that computes the factorial.\n"
                f"```python\ndef factorial(n):\n    {v} = 1\n    for i in range(2, n + 1):\n        {v} *= i\n    return {v}\n```\n"
                f"Check: factorial({m}) returns {math.factorial(m)}.")
    if kind == 3:
        k = r.randrange(2, 10)
        x = r.randrange(0, 100)
        return (f"Task {n}. Write a function that tests divisibility by {k}.\n"
                f"```python\ndef divisible_by_{k}(x):\n    return x % {k} == 0\n```\n"
                f"Check: divisible_by_{k}({x}) returns {x % k == 0}.")
    w = r.choice(["apple", "banana", "level", "quarry", "token", "matrix"])
    return (f"Task {n}. Write a function that reverses a string.\n"
            f"```python\ndef reverse(s):\n    return s[::-1]\n```\n"
            f"Check: reverse(\"{w}\") returns \"{w[::-1]}\".")


def write(path, seed, count, prefix):
    r = random.Random(seed)
    with open(path, "w") as f:
        for i in range(count):
            text = math_doc(r, i + 1) if i % 2 == 0 else code_doc(r, i + 1)
            doc = {"id": f"{prefix}-{i:04d}", "text": text,
                   "metadata": {"source": "generated-exercises", "seed": seed}}
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    write(os.path.join(HERE, "exercises", "exercises.jsonl"), 1, 600, "ex")
    write(os.path.join(HERE, "heldout", "exercises.jsonl"), 2, 80, "ho")
