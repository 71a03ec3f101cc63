#!/usr/bin/env python3
"""Recounts Recur's rollups and sessions from the stored events, independently of Recur's SQL.

Usage: check-rollups.py CONNINFO [SCHEMA]

Reads the events and the registered definitions (rollup_definitions) with psql, computes every
rollup and the sessions in Python from the definitions as docs/analytics.md states them, and compares
them with the tables row for row. Prints one line per table; exits 1 if any differs. Standard library
only, so it runs on any machine with python3 and psql, against any store (real data included).
"""
import csv
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def psql(conninfo, schema, query):
    env = dict(os.environ, PGOPTIONS=f"-c search_path={schema} -c TimeZone=UTC")
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo, "-c", f"\\copy ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def micros(text):
    """'2025-03-04 10:00:00.25+00' -> microseconds since the epoch."""
    if not text:
        return None
    value = text.replace(" ", "T")
    if value.endswith("+00"):
        value += ":00"
    moment = datetime.fromisoformat(value)
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def rollup_rows(events, definition):
    width = definition["window"]["microseconds"]
    watermark = definition["watermark"]["microseconds"]
    group = {"user": "user_id", "product": "product_id", "category": "category", "device": "device", "all": None}[definition["group"]]
    windows = defaultdict(lambda: {"events": 0, "views": 0, "carts": 0, "purchases": 0, "refunds": 0, "revenue": Decimal(0),
                                   "refunded": Decimal(0), "quantity": 0, "users": set(), "late": 0})
    for e in events:
        if group and not e[group]:
            continue
        start = e["ts"] // width * width
        w = windows[(e[group] if group else None, start)]
        w["events"] += 1
        kind = e["event_type"]
        w[{"view": "views", "cart": "carts", "purchase": "purchases", "refund": "refunds"}[kind]] += 1
        if kind == "purchase":
            w["revenue"] += e["amount"] or Decimal(0)
            w["quantity"] += e["quantity"]
        if kind == "refund":
            w["refunded"] += e["amount"] or Decimal(0)
        w["users"].add(e["user_id"])
        if e["high_water"] is not None and e["high_water"] >= start + width + watermark:
            w["late"] += 1
    rows = {}
    for (key, start), w in windows.items():
        row = {}
        for measure in definition["measures"]:
            if measure == "users":
                row[measure] = len(w["users"])
            elif measure == "conversion":
                row[measure] = w["purchases"] / w["views"] if w["views"] else None
            else:
                row[measure] = w[measure]
        rows[(key, start)] = row
    return rows


def stored_rollup(conninfo, schema, definition):
    group = {"user": "user_id", "product": "product_id", "category": "category", "device": "device", "all": None}[definition["group"]]
    rows = {}
    for r in psql(conninfo, schema, f"SELECT * FROM {definition['name']}"):
        row = {}
        for measure in definition["measures"]:
            text = r[measure]
            if measure in ("revenue", "refunded"):
                row[measure] = Decimal(text)
            elif measure == "conversion":
                row[measure] = float(text) if text else None
            else:
                row[measure] = int(text)
        rows[(r[group] if group else None, micros(r[definition["timeColumn"]]))] = row
    return rows


def sessions(events, gap):
    by_user = defaultdict(list)
    for e in events:
        by_user[e["user_id"]].append(e)
    rows = {}
    for user, mine in by_user.items():
        mine.sort(key=lambda e: e["ts"])
        current = []
        for e in mine + [None]:
            if e is None or (current and e["ts"] - current[-1]["ts"] > gap):
                kinds = [x["event_type"] for x in current]
                rows[(user, current[0]["ts"])] = {
                    "session_end": current[-1]["ts"], "events": len(current), "views": kinds.count("view"), "carts": kinds.count("cart"),
                    "purchases": kinds.count("purchase"), "refunds": kinds.count("refund"),
                    "revenue": sum((x["amount"] or Decimal(0) for x in current if x["event_type"] == "purchase"), Decimal(0)),
                    "converted": "purchase" in kinds, "abandoned_cart": "cart" in kinds and "purchase" not in kinds,
                }
                current = []
            if e is not None:
                current.append(e)
    return rows


def stored_sessions(conninfo, schema, name):
    rows = {}
    for r in psql(conninfo, schema, f"SELECT * FROM {name}"):
        rows[(r["user_id"], micros(r["session_start"]))] = {
            "session_end": micros(r["session_end"]), "events": int(r["events"]), "views": int(r["views"]), "carts": int(r["carts"]),
            "purchases": int(r["purchases"]), "refunds": int(r["refunds"]), "revenue": Decimal(r["revenue"]),
            "converted": r["converted"] == "t", "abandoned_cart": r["abandoned_cart"] == "t",
        }
    return rows


def compare(name, expected, stored):
    missing = [k for k in expected if k not in stored]
    extra = [k for k in stored if k not in expected]
    different = [k for k in expected if k in stored and expected[k] != stored[k]]
    ok = not (missing or extra or different)
    print(f"{name}\t{len(expected)} rows\t{'equal' if ok else f'{len(missing)} missing, {len(extra)} extra, {len(different)} different'}")
    for k in (different + missing + extra)[:3]:
        print(f"  {k}: expected {expected.get(k)}, stored {stored.get(k)}")
    return ok


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    conninfo, schema = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "public")
    events = []
    for r in psql(conninfo, schema, "SELECT user_id, ts, event_type, amount, quantity, product_id, category, device, high_water FROM events"):
        events.append({"user_id": r["user_id"], "ts": micros(r["ts"]), "event_type": r["event_type"],
                       "amount": Decimal(r["amount"]) if r["amount"] else None, "quantity": int(r["quantity"]),
                       "product_id": r["product_id"], "category": r["category"], "device": r["device"], "high_water": micros(r["high_water"])})
    ok = True
    for d in psql(conninfo, schema, "SELECT name, kind, definition FROM rollup_definitions WHERE NOT dropped ORDER BY name"):
        definition = json.loads(d["definition"])
        if d["kind"] == "sessions":
            ok &= compare(d["name"], sessions(events, definition["gap"]["microseconds"]), stored_sessions(conninfo, schema, d["name"]))
        else:
            ok &= compare(d["name"], rollup_rows(events, definition), stored_rollup(conninfo, schema, definition))
    print(f"{len(events)} events")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
