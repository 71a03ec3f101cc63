"""Checks a running `recur serve --http-port` against docs/openapi.yaml: every request given on stdin
(one JSON object per line: method, path, optional body) is sent, and its response validated with
openapi-core against the operation's schema for that status. Prints one line per request and
exits 1 when any response breaks the contract.
usage: openapi_check.py SPEC BASE_URL < requests.jsonl"""
import json
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit, parse_qs

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

spec_path, base = sys.argv[1], sys.argv[2].rstrip("/")
api = OpenAPI.from_file_path(spec_path)
server = api.spec["servers"][0]["url"]
failed = 0
for line in sys.stdin:
    if not line.strip():
        continue
    ask = json.loads(line)
    method, path, body = ask["method"], ask["path"], ask.get("body")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request) as r:
            status, payload, kind = r.status, r.read(), r.headers.get_content_type()
    except urllib.error.HTTPError as e:
        status, payload, kind = e.code, e.read(), e.headers.get_content_type()
    parts = urlsplit(path)
    args = {k: v[0] for k, v in parse_qs(parts.query).items()}
    mock = MockRequest(server, method.lower(), parts.path, args=args, data=data, content_type="application/json" if data else None)
    try:
        api.validate_response(mock, MockResponse(data=payload, status_code=status, content_type=kind))
        print(f"ok {method} {path} {status}")
    except Exception as error:
        failed += 1
        detail = getattr(error, "__cause__", None) or error
        print(f"BROKEN {method} {path} {status}: {type(error).__name__}: {detail} :: {payload[:300]!r}")
sys.exit(1 if failed else 0)
