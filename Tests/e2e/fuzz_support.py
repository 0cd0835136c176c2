"""A model-driven fuzzer for Cairn (issue 18), used by test_fuzz.py.

Every operation a running `cairn` serves (found by asking it: operations it does not serve answer
UnknownOperationException / InvalidAction / NotImplemented) is called through a real boto3 client, correctly
signed, with inputs generated from the installed botocore input shapes: boundary integers, empty, over-long and
binary-hostile strings, enum values off the list, wrong JSON/query types, missing required and unknown members,
huge lists and maps, timestamps far in the past and future, deep nesting, and whole bodies that are not what the
protocol expects. The requests point at real resources (a queue, a topic, a bucket with an object and an open
multipart upload, a rule, a trail, a user, a role, a Batch queue and job, an S3 Batch Operations job), so a
mutation of one member reaches the code behind the lookups of the others.

Invariants checked for every request: the process stays alive (and /_cairn/health answers after each
operation's cases), nothing answers 5xx (S3's 501 NotImplemented aside: that is AWS's own answer), every answer is
a success or a 4xx error that botocore parses into a non-empty Error.Code. A request that is not valid HTTP (control
characters in a header, a request line or header over 8 KiB) may instead be refused by the HTTP layer with a bare
4xx. After each operation: a failed create left nothing behind (a sample of create calls, see CREATES), and the
service's list/describe calls still answer readably (a call that stored what it should have refused is found there
and pinned by replaying the operation's successful calls one at a time on a fresh server).

A crash is pinned on its request by replaying the suspects one at a time on the restarted server; the run goes on
and every finding is reported at the end, grouped by answer, each with its operation, parameters, the request as
sent and the answer.

The plan is seeded (CAIRN_FUZZ_SEED) and bounded: DEFAULT_CASES_PER_OP cases per operation (up to three times that
for operations with many members that matter), at most DEFAULT_CASES_PER_SERVICE per service, in the default run;
CAIRN_FUZZ_CASES cases per operation, no caps, and random combinations of several mutations in the long mode.

How a value reaches the wire
- Values that fit their shape go through botocore's own serializers.
- Values that do not (a string where an integer is expected, a list where a structure is, unknown members) go
  through lenient subclasses of botocore's JSON, rest-json and query serializers that write them as they are.
- What no serializer can write (invalid UTF-8, bare control characters, numbers JSON cannot hold, nesting deeper
  than Python's recursion limit) is a `Raw` value: the serializer writes a placeholder, and a `before-call` hook
  replaces it with the exact bytes before the request is signed.
- Whole-request mutations (a body that is not JSON/XML/form, truncated, a wrong Content-Type, repeated keys) are
  `Case.wire` functions applied by the same hook to botocore's request dict, so they are signed too.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import datetime as dt
import itertools
import json
import os
import random
import re
import shutil
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import botocore.handlers
import urllib3
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import JSONSerializer, QuerySerializer, RestJSONSerializer

from conftest import ENGINE, NO_RETRY, CairnServer, ServerFactory, http, trust_policy

# -- settings ---------------------------------------------------------------------------------------------------------

SEED = int(os.environ.get("CAIRN_FUZZ_SEED") or 1818)
LONG_MODE = bool(os.environ.get("CAIRN_FUZZ_CASES"))
# Half as many on the PostgreSQL run: input handling is the engine-independent gateway's and services'; what reaches
# the store is covered by half the cases there, and the other half would only repeat the SQLite run's.
DEFAULT_CASES_PER_OP = 36 if ENGINE == "sqlite" else 18
# Default run only: no service sends more than this many fuzz cases (probes and seeds not counted).
DEFAULT_CASES_PER_SERVICE = 1500
CASES_PER_OP = int(os.environ.get("CAIRN_FUZZ_CASES") or DEFAULT_CASES_PER_OP)
CASES_PER_SERVICE = None if LONG_MODE else DEFAULT_CASES_PER_SERVICE
# Default run only: how many cases with 10,000 items/entries/keys each service sends (query services parse big
# forms slowly, so they get fewer). The long mode sends every one it plans.
DEFAULT_HUGE_CASES = {"query": 1}
DEFAULT_HUGE_CASES_OTHER = 8
# Concurrent requests: Cairn commits a record per call, and concurrent calls share the commits.
WORKERS = 4
READ_TIMEOUT = 60

ACCOUNT = "000000000000"
REGION = "us-east-1"
S3_BATCH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch-operations"

DROPPED = (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError, urllib3.exceptions.HTTPError,
           ConnectionError)

HUGE = 10_000                # items in a huge list or map
HUGE_HEADERS = 1_000         # entries in a huge map sent as headers
OVERLONG = 70_000            # characters in an over-long string
JSON_MAX_DEPTH = 256         # Cairn's JSON parser refuses deeper documents

# -- values the serializers cannot write -----------------------------------------------------------------------------

_RAW_MARK = re.compile(r"\x00fzraw(\d+)\x00")
_RAW_MARK_JSON = re.compile(rb'"\\u0000fzraw(\d+)\\u0000"')
_RAW_MARK_FORM = re.compile(r"%00fzraw(\d+)%00")
_RAW_MARK_XML = re.compile(rb"\x00fzraw(\d+)\x00")


class Raw(str):
    """Bytes written to the wire exactly, where a serializer wrote this value's placeholder.

    `json` replaces a whole JSON value (quotes included), `form` a percent-encoded query/URI value, `text` a header
    value or an XML text node. A generator offers a Raw only where it has the bytes for that place.
    """

    registry: dict[int, "Raw"] = {}

    def __new__(cls, label: str, json: bytes | None = None, form: bytes | None = None, text: bytes | None = None):
        n = len(cls.registry)
        self = super().__new__(cls, f"\x00fzraw{n}\x00")
        self.label, self.json, self.form, self.text = label, json, form, text
        cls.registry[n] = self
        return self

    def __repr__(self) -> str:
        return f"Raw({self.label!r})"

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


def _raw_of(match: re.Match) -> "Raw":
    return Raw.registry[int(match.group(1))]


def _deep_json(depth: int, kind: str = "array") -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


RAW_INVALID_UTF8 = Raw("invalid UTF-8 (ff fe)", json=b'"\xff\xfeA"', form=b"%FF%FEA", text=b"\xff\xfeA")
RAW_OVERLONG_UTF8 = Raw("overlong UTF-8 for '/' (c0 af)", json=b'"\xc0\xaf"', form=b"%C0%AF", text=b"\xc0\xaf")
RAW_BARE_CONTROL = Raw("unescaped control characters in a JSON string", json=b'"a\x01\x1fb\tc"')
RAW_BAD_PERCENT = Raw("invalid percent-encoding %zz", form=b"%zz")
RAW_LONE_PERCENT = Raw("lone % at the end", form=b"abc%")
RAW_XML_CHARREF_NUL = Raw("XML character reference &#0;", text=b"&#0;")
RAW_XML_ENTITY = Raw("undefined XML entity &fz;", text=b"&fz;")
RAW_XML_TAG = Raw("an element where text is expected", text=b"<fz>1</fz>")
RAW_NUM_OVERFLOW = Raw("number 1e999", json=b"1e999")
RAW_NUM_LEADING_ZEROS = Raw("number 007 (leading zeros)", json=b"007")
RAW_NUM_NEG_ZERO = Raw("number -0", json=b"-0")
RAW_NUM_HUGE_INT = Raw("integer of 400 digits", json=b"9" * 400)
RAW_NUM_TINY = Raw("number 1e-400", json=b"1e-400")
RAW_INVALID_BASE64 = Raw("string that is not base64", json=b'"!!!not base64***"')
RAW_DEEP_ARRAY = Raw("array nested 100,000 deep", json=_deep_json(100_000))
RAW_DEEP_OBJECT_EDGE = Raw(f"object nested {JSON_MAX_DEPTH + 1} deep", json=_deep_json(JSON_MAX_DEPTH + 1, "object"))
RAW_DEEP_OBJECT_OK = Raw(f"object nested {JSON_MAX_DEPTH - 8} deep", json=_deep_json(JSON_MAX_DEPTH - 8, "object"))
RAW_DUPLICATE_KEYS = Raw("object with a duplicate key", json=b'{"a":1,"a":2}')
RAW_DEEP_XML = Raw("XML nested 10,000 deep", text=b"<a>" * 10_000 + b"</a>" * 10_000)


def short_repr(value: Any, limit: int = 900) -> str:
    """repr() that stays readable for 70k strings and 10k lists, and can be pasted back into a test."""
    text = _short(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _short(value: Any) -> str:
    if isinstance(value, Raw):
        return repr(value)
    if isinstance(value, (str, bytes)) and len(value) > 80:
        unit = value[:1]
        if value == unit * len(value):
            return f"{unit!r} * {len(value)}"
        for size in (2, 3, 4, 5, 6):
            piece = value[:size]
            if len(value) % size == 0 and piece * (len(value) // size) == value:
                return f"{piece!r} * {len(value) // size}"
        return f"{value[:60]!r} + ... ({len(value)} {'chars' if isinstance(value, str) else 'bytes'})"
    if isinstance(value, list):
        if len(value) > 6:
            if all(v == value[0] for v in value):
                return f"[{_short(value[0])}] * {len(value)}"
            return "[" + ", ".join(_short(v) for v in value[:3]) + f", ... ({len(value)} items)]"
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        items = list(value.items())
        body = ", ".join(f"{_short(k)}: {_short(v)}" for k, v in items[:8])
        if len(items) > 8:
            body += f", ... ({len(items)} keys)"
        return "{" + body + "}"
    if isinstance(value, dt.datetime):
        return f"datetime({value.year}, {value.month}, {value.day}, {value.hour}, {value.minute}, {value.second})"
    return repr(value)


def fits(value: Any, shape: Shape) -> bool:
    """Whether botocore's serializer can write `value` for `shape` as it is meant to."""
    if isinstance(value, Raw):
        return shape.type_name == "string"
    t = shape.type_name
    if t == "structure":
        return isinstance(value, dict)
    if t == "map":
        return isinstance(value, dict)
    if t == "list":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if t in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "timestamp":
        return isinstance(value, dt.datetime)
    if t == "blob":
        return isinstance(value, (bytes, bytearray))
    return True


# -- lenient serializers ---------------------------------------------------------------------------------------------

class _LenientJSON:
    """botocore's JSON serializer, except that a value that does not fit its shape, or a member the shape does not
    have, is written as the JSON value it is."""

    def _serialize(self, serialized, value, shape, key=None):
        if not fits(value, shape):
            if key is None:                       # a whole request that is not an object: nothing to merge into
                return
            serialized[key] = _jsonable(value)
            return
        if shape.type_name == "structure" and not shape.is_document_type:
            known = {k: v for k, v in value.items() if k in shape.members}
            super()._serialize(serialized, known, shape, key)
            target = serialized if key is None else serialized[key]
            for k, v in value.items():
                if k not in shape.members:
                    target[k] = _jsonable(v)
            return
        super()._serialize(serialized, value, shape, key)


class LenientJSONSerializer(_LenientJSON, JSONSerializer):
    pass


class LenientRestJSONSerializer(_LenientJSON, RestJSONSerializer):
    def _partition_parameters(self, partitioned, param_name, param_value, shape_members):
        if param_name not in shape_members:
            partitioned["body_kwargs"][param_name] = param_value
            return
        super()._partition_parameters(partitioned, param_name, param_value, shape_members)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


class LenientQuerySerializer(QuerySerializer):
    """botocore's query serializer, except that a value that does not fit its shape, or an unknown member, is
    flattened by what it is: a dict into `prefix.key`, a list into `prefix.member.N`, anything else by str()."""

    def _serialize(self, serialized, value, shape, prefix=""):
        if not fits(value, shape):
            self._wild(serialized, value, prefix)
            return
        if shape.type_name == "structure":
            known = {k: v for k, v in value.items() if k in shape.members}
            super()._serialize(serialized, known, shape, prefix=prefix)
            for k, v in value.items():
                if k not in shape.members:
                    self._wild(serialized, v, f"{prefix}.{k}" if prefix else str(k))
            return
        super()._serialize(serialized, value, shape, prefix=prefix)

    def _wild(self, serialized, value, prefix):
        if isinstance(value, dict):
            if not value:
                serialized[prefix] = ""
            for k, v in value.items():
                self._wild(serialized, v, f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(value, list):
            if not value:
                serialized[prefix] = ""
            for i, v in enumerate(value, 1):
                self._wild(serialized, v, f"{prefix}.member.{i}")
        elif value is None:
            serialized[prefix] = ""
        elif isinstance(value, (bytes, bytearray)):
            serialized[prefix] = base64.b64encode(value).decode()
        elif isinstance(value, dt.datetime):
            serialized[prefix] = value.isoformat()
        else:
            serialized[prefix] = str(value)


LENIENT_SERIALIZERS = {"json": LenientJSONSerializer, "rest-json": LenientRestJSONSerializer,
                       "query": LenientQuerySerializer}


def _form_bytes(body: dict) -> bytes:
    """A query body dict as botocore would encode it, but with Raw values written byte for byte."""
    parts = []
    for k, v in body.items():
        values = v if isinstance(v, list) else [v]
        for one in values:
            one = "" if one is None else str(one)
            m = _RAW_MARK.fullmatch(one)
            encoded = (_raw_of(m).form or b"") if m else urllib.parse.quote_plus(one, safe="").encode()
            parts.append(urllib.parse.quote_plus(str(k), safe="").encode() + b"=" + encoded)
    return b"&".join(parts)


def substitute_raw(request_dict: dict) -> None:
    """Replaces every Raw placeholder a serializer wrote with its bytes (body, URL, headers)."""
    body = request_dict.get("body")
    if isinstance(body, dict):
        if any(_RAW_MARK.search(str(v)) for v in body.values()):
            request_dict["body"] = _form_bytes(body)
    elif isinstance(body, (bytes, bytearray)) and b"fzraw" in body:
        body = _RAW_MARK_JSON.sub(lambda m: _raw_of(m).json or b'""', bytes(body))
        request_dict["body"] = _RAW_MARK_XML.sub(lambda m: _raw_of(m).text or b"", body)
    url = request_dict.get("url", "")
    if "fzraw" in url:
        request_dict["url"] = _RAW_MARK_FORM.sub(lambda m: (_raw_of(m).form or b"").decode("latin-1"), url)
    headers = request_dict.get("headers", {})
    for name in list(headers):
        value = headers[name]
        if isinstance(value, str) and _RAW_MARK.search(value):
            headers[name] = _RAW_MARK.sub(lambda m: (_raw_of(m).text or b"").decode("latin-1"), value)


# -- hostile values, one generator per shape type ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Variant:
    label: str
    value: Any


@dataclasses.dataclass(frozen=True)
class Site:
    """One place in a request: the path of member names, list indexes and map keys from the input structure."""
    path: tuple
    shape: Shape
    required: bool
    where: str          # "json" | "form" | "header" | "xml": how the value travels
    parent_type: str = "structure"

    @property
    def name(self) -> str:
        out = ""
        for p in self.path:
            out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
        return out

    @property
    def member(self) -> str:
        """The member name when the site is a structure member; "" for a list item or a map value."""
        return self.path[-1] if self.path and isinstance(self.path[-1], str) and self.parent_is_structure else ""

    @property
    def parent_is_structure(self) -> bool:
        return self.parent_type == "structure"


UTC = dt.timezone.utc
CONTROL = "".join(chr(i) for i in range(1, 32)) + "\x7f"
NUMERIC_STRINGS = ["-1", "0", "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
                   "1e309", "NaN", "-0", "0x10", "1.5", " 1", "99999999999999999999999999999999"]
JSONISH = re.compile(r"Policy|Pattern|Document|Detail$|^Event$|Input|Filter|Json|Transformer|Template|Attributes?Value"
                     r"|Message$|Body$|parameters", re.I)
WRONG_FOR_SCALAR = [Variant("null", None), Variant("list ['a']", ["a"]), Variant("object {'a': 1}", {"a": 1}),
                    Variant("empty list", []), Variant("empty object", {})]


def _v(label: str, value: Any) -> Variant:
    return Variant(label, value)


def string_variants(site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
    """(head, tail): the head is always tried first, the tail in seeded order."""
    shape, where = site.shape, site.where
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    head = [_v("empty string", ""), _v("NUL", "\x00"), _v("'-1'", "-1")]
    if site.parent_type == "map":          # map values are mostly settings a service parses (queue attributes)
        head = [_v(f"numeric string {x!r}", x) for x in ("-1", "9223372036854775808", "1e309")] + head[:2]
    head.append(_v(f"one over max length ({hi + 1})", "a" * (hi + 1)) if hi else
                _v(f"over-long ({OVERLONG} chars)", "a" * OVERLONG))
    tail = [_v(f"over-long ({OVERLONG} chars)", "a" * OVERLONG), _v("NUL inside", "a\x00b"),
            _v("control characters", CONTROL), _v("RTL override, emoji, combining mark", "\u202e\U0001F986e\u0301"),
            _v("path traversal", "../../../etc/passwd"), _v("percent and backslash", "%00%ff%\\"),
            _v("quotes and markup", "'\"<>&]]>"), _v("spaces only", "   "), _v("wildcards", "*?[]{}"),
            _v("line separators", "a\u2028b\u2029c\r\nd")]
    tail += [_v(f"numeric string {s!r}", s) for s in NUMERIC_STRINGS]
    if lo and lo > 1:
        head.append(_v(f"one under min length ({lo - 1})", "a" * (lo - 1)))
    if hi:
        tail.append(_v(f"max length in 2-byte characters ({hi})", "\u00e9" * hi))
    if shape.enum:
        head.append(_v("value off the enum", "NOT_AN_ENUM_VALUE"))
        tail += [_v("enum value lower-cased", shape.enum[0].lower()),
                 _v("enum value with a space", shape.enum[0] + " ")]
    if JSONISH.search(site.member):
        head.append(_v("JSON text nested 100,000 deep", "[" * 100_000 + "]" * 100_000))
        tail += [_v(f"JSON text nested {JSON_MAX_DEPTH + 1} deep", _deep_json(JSON_MAX_DEPTH + 1, "object").decode()),
                 _v("JSON null", "null"), _v("JSON array", "[]"), _v("truncated JSON", '{"a":'),
                 _v("JSON with a duplicate key", '{"a":1,"a":2}'), _v("JSON number 1e999", "1e999"),
                 _v("JSON with a lone surrogate escape", '{"a":"\\ud800"}'),
                 _v("JSON with huge numbers", '{"a":[{"numeric":[">",1e309,"<",-1e309]}],"b":-9223372036854775809}')]
    if where == "json":
        tail += [_v("lone surrogate", "\ud800"), _v("reversed surrogate pair", "\udc00\ud800"),
                 _v("raw: invalid UTF-8", RAW_INVALID_UTF8), _v("raw: overlong UTF-8", RAW_OVERLONG_UTF8),
                 _v("raw: unescaped control characters", RAW_BARE_CONTROL),
                 _v("number instead of string", 1), _v("boolean instead of string", True),
                 _v("float instead of string", 1.5)] + WRONG_FOR_SCALAR
    elif where in ("form", "rest-form"):
        tail += [_v("raw: invalid UTF-8 %FF%FE", RAW_INVALID_UTF8), _v("raw: overlong UTF-8", RAW_OVERLONG_UTF8),
                 _v("raw: %zz", RAW_BAD_PERCENT), _v("raw: trailing %", RAW_LONE_PERCENT),
                 _v("list instead of string", ["a", "b"]), _v("structure instead of string", {"a": "1"})]
    elif where == "header":
        tail = [v for v in tail if _latin1(v.value)]
        tail += [_v("raw: invalid UTF-8 bytes", RAW_INVALID_UTF8)]
    elif where == "xml":
        tail += [_v("raw: invalid UTF-8", RAW_INVALID_UTF8), _v("raw: &#0;", RAW_XML_CHARREF_NUL),
                 _v("raw: undefined entity", RAW_XML_ENTITY), _v("raw: element inside", RAW_XML_TAG),
                 _v("raw: XML nested 10,000 deep", RAW_DEEP_XML)]
    if where == "header":
        head = [v for v in head if _latin1(v.value) and len(v.value) < 9000]
    return head, tail


def _latin1(value: Any) -> bool:
    try:
        str(value).encode("latin-1")
        return "\n" not in str(value) and "\r" not in str(value)
    except UnicodeEncodeError:
        return False


def integer_variants(site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
    lo, hi = site.shape.metadata.get("min"), site.shape.metadata.get("max")
    head = [_v("-1", -1), _v("2^63-1", 2**63 - 1), _v("-2^63", -2**63)]
    if lo is not None:
        head.append(_v(f"min-1 ({lo - 1})", lo - 1))
    if hi is not None:
        head.append(_v(f"max+1 ({hi + 1})", hi + 1))
    tail = [_v("0", 0), _v("2^31-1", 2**31 - 1), _v("2^31", 2**31), _v("-2^31-1", -2**31 - 1),
            _v("2^64", 2**64), _v("-42", -42), _v("string 'abc'", "abc"), _v("numeric string '7'", "7"),
            _v("empty string", "")]
    if site.where == "json":
        tail += [_v("1.5", 1.5), _v("1e300", 1e300), _v("-1e300", -1e300), _v("NaN", float("nan")),
                 _v("Infinity", float("inf")), _v("true", True), _v("raw: 1e999", RAW_NUM_OVERFLOW),
                 _v("raw: 007", RAW_NUM_LEADING_ZEROS), _v("raw: -0", RAW_NUM_NEG_ZERO),
                 _v("raw: 400 digits", RAW_NUM_HUGE_INT), _v("raw: 1e-400", RAW_NUM_TINY)] + WRONG_FOR_SCALAR
    else:
        tail += [_v(f"string {s!r}", s) for s in ("1.5", "1e3", "0x10", " 1", "+1", "9" * 30, "-0")]
        if site.where in ("form", "rest-form"):
            tail += [_v("raw: %zz", RAW_BAD_PERCENT), _v("raw: invalid UTF-8", RAW_INVALID_UTF8),
                     _v("list instead of integer", [1, 2])]
    return head, tail


def float_variants(site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
    head = [_v("-1.0", -1.0), _v("1e308", 1e308), _v("NaN", float("nan"))]
    tail = [_v("-0.0", -0.0), _v("Infinity", float("inf")), _v("-Infinity", float("-inf")), _v("5e-324", 5e-324),
            _v("2^63", 2**63), _v("string 'abc'", "abc")]
    if site.where == "json":
        tail += [_v("raw: 1e999", RAW_NUM_OVERFLOW), _v("true", True)] + WRONG_FOR_SCALAR
    return head, tail


def boolean_variants(site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
    head = [_v("string 'true'", "true"), _v("string 'yes'", "yes")]
    tail = [_v("string 'TRUE'", "TRUE"), _v("string '1'", "1"), _v("empty string", "")]
    if site.where == "json":
        tail += [_v("number 1", 1), _v("number 0", 0)] + WRONG_FOR_SCALAR
    return head, tail


def timestamp_variants(site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
    head = [_v("year 1", dt.datetime(1, 1, 1, tzinfo=UTC)),
            _v("year 9999", dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))]
    tail = [_v("epoch 0", dt.datetime(1970, 1, 1, tzinfo=UTC)), _v("string 'not a date'", "not a date"),
            _v("empty string", ""), _v("February 30th", "2020-02-30T00:00:00Z"),
            _v("year 10000", "10000-01-01T00:00:00Z")]
    if site.where == "json":
        head.append(_v("epoch 1e300", 1e300))
        tail += [_v("epoch -1e300", -1e300), _v("epoch 2^63", 2**63), _v("epoch -2^63-1", -2**63 - 1),
                 _v("epoch NaN", float("nan")), _v("epoch Infinity", float("inf")),
                 _v("raw: epoch 1e999", RAW_NUM_OVERFLOW),
                 _v("epoch -62135596801 (before year 1)", -62135596801), _v("true", True)] + WRONG_FOR_SCALAR
    else:
        tail += [_v("string '1e300'", "1e300"), _v("string '-1'", "-1"), _v("year 0", "0000-01-01T00:00:00Z")]
    return head, tail


def blob_variants(site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
    head = [_v("empty bytes", b""), _v("NUL and 0xff bytes", b"\x00\xff" * 8)]
    tail = [_v(f"{OVERLONG} random bytes", rng.randbytes(OVERLONG)), _v("invalid UTF-8 bytes", b"\xc0\xaf\xff")]
    if site.where == "json":
        tail += [_v("raw: invalid base64", RAW_INVALID_BASE64), _v("number instead of blob", 1)] + WRONG_FOR_SCALAR
    return head, tail


class Values:
    """Valid values (from the world's known resources, else from the shape) and the hostile variants of a site."""

    def __init__(self, world: "World", service: str, op: str):
        self.world, self.service, self.op = world, service, op

    # valid values: what a well-behaved client sends

    def valid(self, shape: Shape, member: str = "", depth: int = 0) -> Any:
        known = self.world.known(self.service, self.op, member)
        if known is not MISSING and fits(known, shape):     # the same name can mean another shape elsewhere
            return known
        return getattr(self, "valid_" + shape.type_name, self.valid_string)(shape, depth)

    def valid_structure(self, shape: Shape, depth: int) -> dict:
        if depth > 6:
            return {}
        names = list(shape.required_members) + [m for m in NESTED_OPTIONAL.get(shape.name, []) if m in shape.members]
        return {m: self.valid(shape.members[m], m, depth + 1) for m in dict.fromkeys(names)}

    def valid_list(self, shape: Shape, depth: int) -> list:
        count = max(1, shape.metadata.get("min", 1))
        return [self.valid(shape.member, "", depth + 1) for _ in range(count)]

    def valid_map(self, shape: Shape, depth: int) -> dict:
        key = shape.key.enum[0] if shape.key.enum else "fz"
        return {key: self.valid(shape.value, "", depth + 1)}

    def valid_string(self, shape: Shape, depth: int = 0) -> str:
        if shape.enum:
            return shape.enum[0]
        lo, hi = shape.metadata.get("min", 1), shape.metadata.get("max", 64)
        text = "fz" + "x" * max(0, lo - 2)
        return text[:hi] if hi else text

    def valid_integer(self, shape: Shape, depth: int = 0) -> int:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        value = max(1, lo if lo is not None else 1)
        return min(value, hi) if hi is not None else value

    valid_long = valid_integer

    def valid_float(self, shape: Shape, depth: int = 0) -> float:
        return 1.0

    valid_double = valid_float

    def valid_boolean(self, shape: Shape, depth: int = 0) -> bool:
        return True

    def valid_timestamp(self, shape: Shape, depth: int = 0) -> dt.datetime:
        return dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    def valid_blob(self, shape: Shape, depth: int = 0) -> bytes:
        return b"fuzz bytes"

    # hostile variants

    def variants(self, site: Site, rng: random.Random) -> list[Variant]:
        t = site.shape.type_name
        generator = {"string": string_variants, "integer": integer_variants, "long": integer_variants,
                     "float": float_variants, "double": float_variants, "boolean": boolean_variants,
                     "timestamp": timestamp_variants, "blob": blob_variants,
                     "list": self.list_variants, "map": self.map_variants,
                     "structure": self.structure_variants}.get(t, string_variants)
        head, tail = generator(site, rng)
        extra = MEMBER_EXTRAS.get(site.member, [])
        rng.shuffle(tail)
        seen, out = set(), []
        for v in [*head, *extra, *tail]:
            key = (v.label, type(v.value).__name__)
            if key not in seen and self.carried(site, v.value):
                seen.add(key)
                out.append(v)
        return out

    @staticmethod
    def carried(site: Site, value: Any) -> bool:
        """Whether botocore's REST serializers can put the value in a path, query string or header at all."""
        if site.where not in ("header", "rest-form"):
            return True
        if value is None or (isinstance(value, (dict, list)) and site.shape.type_name not in ("list", "map")):
            return False
        return not (site.shape.type_name == "timestamp" and isinstance(value, str))

    def list_variants(self, site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
        shape = site.shape
        item = self.valid(shape.member, "", len(site.path))
        hi = shape.metadata.get("max")
        head = [_v("empty list", []), _v(f"{HUGE} items", [item] * HUGE)]
        if hi and hi + 1 < HUGE:
            head.append(_v(f"max+1 items ({hi + 1})", [item] * (hi + 1)))
        tail = [_v("the same item twice", [item, item]), _v("null item", [None]),
                _v("list inside the list", [[item]]), _v("string instead of list", "fz")]
        if site.where in ("json", "form"):
            tail += [_v("object instead of list", {"a": item}), _v("null instead of list", None),
                     _v("number instead of list", 0)]
        if site.where == "json":
            tail += [_v("raw: array nested 100,000 deep", RAW_DEEP_ARRAY)]
        return head, tail

    def map_variants(self, site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
        shape = site.shape
        value = self.valid(shape.value, "", len(site.path))
        # A map of headers (S3 metadata): botocore's signer is quadratic in the header count, so 1,000.
        count = HUGE_HEADERS if site.where == "header" else HUGE
        head = [_v("empty map", {}), _v(f"{count} entries", {f"k{i}": value for i in range(count)}),
                _v("empty key", {"": value})]
        tail = [_v("NUL key", {"\x00": value}), _v(f"key of {OVERLONG} chars", {"k" * OVERLONG: value}),
                _v("null value", {"k": None}), _v("list value", {"k": [value]})]
        if shape.key.enum:
            tail += [_v("key off the enum", {"NOT_AN_ENUM_KEY": value}),
                     _v("enum key lower-cased", {shape.key.enum[0].lower(): value})]
        if site.where in ("json", "form"):
            tail += [_v("list instead of map", [value]), _v("string instead of map", "fz"),
                     _v("null instead of map", None)]
        if site.where == "json":
            tail += [_v("raw: object with a duplicate key", RAW_DUPLICATE_KEYS)]
        return head, tail

    def structure_variants(self, site: Site, rng: random.Random) -> tuple[list[Variant], list[Variant]]:
        shape = site.shape
        valid = self.valid(shape, site.member, len(site.path))
        head = [_v("empty structure", {})]
        tail = [_v("unknown member", {**valid, "FuzzUnknownMember": "x"})]
        for m in shape.required_members:
            tail.append(_v(f"without required member {m}", {k: v for k, v in valid.items() if k != m}))
        if site.where in ("json", "form"):
            head.append(_v("list instead of structure", [valid]))
            tail += [_v("string instead of structure", "fz"), _v("null instead of structure", None),
                     _v("number instead of structure", 7)]
        if site.where == "json":
            head.append(_v("raw: array nested 100,000 deep", RAW_DEEP_ARRAY))
            tail += [_v(f"raw: object nested {JSON_MAX_DEPTH + 1} deep", RAW_DEEP_OBJECT_EDGE),
                     _v(f"raw: object nested {JSON_MAX_DEPTH - 8} deep", RAW_DEEP_OBJECT_OK),
                     _v("raw: object with a duplicate key", RAW_DUPLICATE_KEYS)]
        return head, tail


# Values that mean something to one member (a range header, a copy source, a queue URL), tried early.
MEMBER_EXTRAS: dict[str, list[Variant]] = {
    "Range": [_v(f"range {r!r}", r) for r in ("bytes=0-", "bytes=-0", "bytes=5-1", "bytes=9223372036854775807-",
                                               "bytes=-9223372036854775808", "bytes=0-99999999999999999999",
                                               "bytes=0-0,1-1", "bytes=", "bytes=--1", "items=0-1")],
    "CopySource": [_v(f"copy source {c!r}", c) for c in ("/", "fz-bucket", "fz-bucket/", "/fz-bucket/fz-key?versionId=",
                                                         "fz-bucket/%", "fz-bucket/%ff", "fz-bucket/" + "k" * 2000)],
    "CopySourceRange": [_v(f"copy range {r!r}", r) for r in ("bytes=5-1", "bytes=-1", "bytes=0-9223372036854775807")],
    "QueueUrl": [_v(f"queue URL {u!r}", u) for u in ("/", "http://x/", f"/{ACCOUNT}/", f"/{ACCOUNT}/fz-queue/extra",
                                                      "fz-queue", "http://127.0.0.1:1/" + "q" * 5000)],
    "ReceiptHandle": [_v(f"receipt handle {h!r}", h) for h in ("!!!", "AAAA", "eyJ9", "=" * 40, "A" * 100_000)],
    "NextToken": [_v(f"token {t!r}", t) for t in ("-1", "9" * 30, "!!!", "eyJ9", "AAAA")],
    "nextToken": [_v(f"token {t!r}", t) for t in ("-1", "9" * 30, "!!!", "eyJ9")],
    "Marker": [_v(f"marker {t!r}", t) for t in ("-1", "9" * 30, "!!!")],
    "ContinuationToken": [_v(f"token {t!r}", t) for t in ("-1", "9" * 30, "!!!", "AAAA")],
    "UploadId": [_v(f"upload id {u!r}", u) for u in ("-1", "9" * 30, "../x")],
    "EventPattern": [_v(f"pattern {p!r}", p) for p in (
        '{"source":[{"numeric":[">",1e309]}]}', '{"source":[{"numeric":["<",-1e400,">",1e400]}]}',
        '{"source":[{"prefix":""}]}', '{"source":[{"wildcard":"' + "*" * 2000 + '"}]}',
        '{"source":[{"anything-but":{"prefix":[]}}]}', '{"source":[{"cidr":"10.0.0.0/99"}]}',
        '{"source":[{"numeric":[">",5,"<",1]}]}', '{"source":[]}', '{"$or":[]}',
        '{"source":[{"equals-ignore-case":1}]}')],
    "Attributes": [],
}

TOPIC_ATTRIBUTES = ["DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig",
                    "FifoTopic", "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"]
SUBSCRIPTION_ATTRIBUTES = ["RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy",
                           "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy"]
# Keys that mean something in maps whose key shape has no enum: (operation, member) -> keys, each a site.
MAP_KEYS: dict[tuple[str, str], list[str]] = {
    ("CreateTopic", "Attributes"): TOPIC_ATTRIBUTES, ("Subscribe", "Attributes"): SUBSCRIPTION_ATTRIBUTES,
}
# Name/value pairs set one at a time: (service, operation) -> (name member, value member, names).
ATTRIBUTE_PAIRS: dict[tuple[str, str], tuple[str, str, list[str]]] = {
    ("sns", "SetTopicAttributes"): ("AttributeName", "AttributeValue", TOPIC_ATTRIBUTES),
    ("sns", "SetSubscriptionAttributes"): ("AttributeName", "AttributeValue", SUBSCRIPTION_ATTRIBUTES),
}
ATTRIBUTE_VALUES = [*NUMERIC_STRINGS[:7], "", "\x00", "[" * 100_000 + "]" * 100_000, '{"a":', "[]", "null",
                    *(v.value for v in MEMBER_EXTRAS["EventPattern"])]

# Optional members a well-formed request carries anyway (by shape name), so that a base request does something.
NESTED_OPTIONAL: dict[str, list[str]] = {
    "PutEventsRequestEntry": ["Source", "DetailType", "Detail"],
    "PutRuleRequest": ["EventPattern"],
    "SubscribeInput": ["Endpoint"],
    "PublishInput": ["TopicArn"],
    "SetTopicAttributesInput": ["AttributeValue"],
    "SetSubscriptionAttributesInput": ["AttributeValue"],
    "CreateJobRequest": ["Manifest", "ConfirmationRequired"],
    "CreateJobQueueRequest": ["computeEnvironmentOrder", "state"],
    "CreateComputeEnvironmentRequest": ["computeResources", "state"],
    "RegisterJobDefinitionRequest": ["containerProperties"],
    "PutEventSelectorsRequest": ["EventSelectors"],
    "ListJobsRequest": ["jobQueue"],
    "EventSelector": ["ReadWriteType", "IncludeManagementEvents"],
    "CompletedMultipartUpload": ["Parts"],
    "CompletedPart": ["ETag", "PartNumber"],
    "PutObjectRequest": ["Body"],
    "UploadPartRequest": ["Body"],
    "Delete": ["Objects"],
    "ReceiveMessageRequest": ["MaxNumberOfMessages"],
    "UpdateJobStatusRequest": ["StatusUpdateReason"],
}


class _Missing:
    def __repr__(self):
        return "MISSING"

    def __deepcopy__(self, memo):
        return self


MISSING = _Missing()


# -- the resources requests point at ------------------------------------------------------------------------------

class World:
    """Real resources on the server under test, re-created after calls that may have removed or changed them.

    Seed names start as fz-<key> ("fz-queue", "fz-rule"); when a service's resources cannot be re-created or read
    back (a fuzz call may have stored something unreadable: that is a finding), the service moves on to new names.
    `known(service, op, member)` is the value a member takes in a well-formed request (MISSING when the shape's
    generic valid value will do)."""

    def __init__(self, harness: "Harness"):
        self.h = harness
        self.ids: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self.counter = itertools.count()
        self.seeded: set[str] = set()

    def fresh(self, prefix: str = "fz") -> str:
        return f"{prefix}{SEED % 10000}-{next(self.counter)}"

    def n(self, key: str) -> str:
        """The current name of a seed resource."""
        return self.names.get(key, f"fz-{key}")

    def rename(self, service: str) -> None:
        for key in SEED_NAMES.get(service, []):
            self.names[key] = self.fresh(f"fz-{key}-")
        self.seeded.discard(service)

    # seeds ----------------------------------------------------------------------------------------------------------

    def refresh(self, service: str) -> None:
        for dep in SEED_DEPENDENCIES.get(service, []):
            if dep not in self.seeded:
                self.refresh(dep)
        getattr(self, f"_seed_{service}")(self.h.plain(service))
        self.seeded.add(service)

    def _seed_sqs(self, c) -> None:
        try:
            url = c.get_queue_url(QueueName=self.n("queue"))["QueueUrl"]
        except ClientError:
            try:
                url = c.create_queue(QueueName=self.n("queue"))["QueueUrl"]
            except ClientError:               # deleted within the last 60 seconds: the name is not free yet
                self.names["queue"] = self.fresh("fz-queue-")
                url = c.create_queue(QueueName=self.n("queue"))["QueueUrl"]
        # A queue that answers at once: no long polling, no delay, messages visible again immediately.
        c.set_queue_attributes(QueueUrl=url, Attributes={
            "VisibilityTimeout": "0", "ReceiveMessageWaitTimeSeconds": "0", "DelaySeconds": "0",
            "MaximumMessageSize": "262144", "RedrivePolicy": "", "Policy": ""})
        c.send_message(QueueUrl=url, MessageBody="seed message")
        received = c.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        arn = c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.ids.update(queue_url=url, queue_arn=arn,
                        receipt_handle=received[0]["ReceiptHandle"] if received else "fz-no-message")

    def _seed_sns(self, c) -> None:
        topic = c.create_topic(Name=self.n("topic"))["TopicArn"]
        sub = c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=self.ids["queue_arn"],
                          ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.ids.update(topic_arn=topic, subscription_arn=sub)

    def _seed_events(self, c) -> None:
        _ignore_exists(lambda: c.create_event_bus(Name=self.n("bus")))
        _ignore_exists(lambda: c.create_connection(Name=self.n("conn"), AuthorizationType="API_KEY",
                                                   AuthParameters=CONNECTION_AUTH))
        conn = c.describe_connection(Name=self.n("conn"))["ConnectionArn"]
        _ignore_exists(lambda: c.create_api_destination(Name=self.n("dest"), ConnectionArn=conn, HttpMethod="POST",
                                                        InvocationEndpoint="https://example.com/fz"))
        rule = c.put_rule(Name=self.n("rule"), EventPattern='{"source":["fz.source"]}')["RuleArn"]
        c.put_targets(Rule=self.n("rule"), Targets=[{"Id": "fz-target", "Arn": self.ids["queue_arn"]}])
        bus = c.describe_event_bus(Name=self.n("bus"))["Arn"]
        self.ids.update(rule_arn=rule, bus_arn=bus, connection_arn=conn)

    def _seed_s3(self, c) -> None:
        bucket = self.n("bucket")
        for name in (bucket, self.n("trail-bucket")):
            _ignore_exists(lambda: c.create_bucket(Bucket=name))
        c.put_object(Bucket=bucket, Key="fz-key", Body=b"fuzz object body")
        manifest = c.put_object(Bucket=bucket, Key="manifest.csv", Body=f"{bucket},fz-key\n".encode())["ETag"]
        upload = self.ids.get("upload_id")
        try:
            if not upload:
                raise KeyError("no upload yet")
            etag = c.list_parts(Bucket=bucket, Key="fz-key", UploadId=upload)["Parts"][0]["ETag"]
        except (ClientError, KeyError, IndexError):
            upload = c.create_multipart_upload(Bucket=bucket, Key="fz-key")["UploadId"]
            etag = c.upload_part(Bucket=bucket, Key="fz-key", UploadId=upload, PartNumber=1, Body=b"part one")["ETag"]
        c.put_bucket_policy(Bucket=self.n("trail-bucket"), Policy=trail_bucket_policy(self.n("trail-bucket")))
        self.ids.update(upload_id=upload, part_etag=etag, manifest_etag=manifest)

    def _seed_cloudtrail(self, c) -> None:
        try:
            c.create_trail(Name=self.n("trail"), S3BucketName=self.n("trail-bucket"))
        except ClientError:
            c.update_trail(Name=self.n("trail"), S3BucketName=self.n("trail-bucket"))
        self.ids["trail_arn"] = c.get_trail(Name=self.n("trail"))["Trail"]["TrailARN"]

    def _seed_s3control(self, c) -> None:
        job = self.ids.get("s3_job")
        try:
            status = c.describe_job(AccountId=ACCOUNT, JobId=job)["Job"]["Status"] if job else "none"
        except ClientError:
            status = "gone"
        if status not in ("New", "Preparing", "Suspended", "Ready", "Active"):
            job = c.create_job(AccountId=ACCOUNT, ConfirmationRequired=True, Operation=S3_JOB_OPERATION,
                               Report={"Enabled": False}, ClientRequestToken=self.fresh("tok"),
                               Manifest=self.manifest(), Priority=10, RoleArn=S3_BATCH_ROLE)["JobId"]
        self.ids["s3_job"] = job

    def _seed_iam(self, c) -> None:
        _ignore_exists(lambda: c.create_user(UserName=self.n("user")))
        _ignore_exists(lambda: c.create_role(RoleName=self.n("role"), AssumeRolePolicyDocument=trust_policy(ACCOUNT)))
        keys = c.list_access_keys(UserName=self.n("user"))["AccessKeyMetadata"]
        if not keys:
            keys = [c.create_access_key(UserName=self.n("user"))["AccessKey"]]
        key = keys[0]["AccessKeyId"]
        self.ids.update(access_key=key, role_arn=c.get_role(RoleName=self.n("role"))["Role"]["Arn"])

    def _seed_sts(self, c) -> None:
        pass

    def _seed_scheduler(self, c) -> None:
        _ignore_exists(lambda: c.create_schedule_group(Name=self.n("sgroup")))
        # A year ahead: nothing fires while the fuzzer runs.
        _ignore_exists(lambda: c.create_schedule(Name=self.n("schedule"), GroupName=self.n("sgroup"),
                                                 ScheduleExpression="at(2099-01-01T00:00:00)",
                                                 FlexibleTimeWindow={"Mode": "OFF"}, Target=self.schedule_target()))
        self.ids.update(schedule_group_arn=c.get_schedule_group(Name=self.n("sgroup"))["Arn"])

    def schedule_target(self) -> dict:
        return {"Arn": self.ids["queue_arn"], "RoleArn": self.ids["role_arn"], "Input": "fz"}

    def _seed_batch(self, c) -> None:
        ce, jq, jd = self.n("ce"), self.n("jq"), self.n("jd")
        if not c.describe_compute_environments(computeEnvironments=[ce])["computeEnvironments"]:
            c.create_compute_environment(computeEnvironmentName=ce, type="MANAGED", state="ENABLED",
                                         computeResources=BATCH_RESOURCES)
        else:
            c.update_compute_environment(computeEnvironment=ce, state="ENABLED")
        queues = c.describe_job_queues(jobQueues=[jq])["jobQueues"]
        if not queues:
            arn = c.create_job_queue(jobQueueName=jq, state="ENABLED", priority=1,
                                     computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}])["jobQueueArn"]
        else:
            arn = queues[0]["jobQueueArn"]
            c.update_job_queue(jobQueue=jq, state="ENABLED")
        active = c.describe_job_definitions(jobDefinitionName=jd, status="ACTIVE")["jobDefinitions"]
        jd_arn = active[0]["jobDefinitionArn"] if active else c.register_job_definition(
            jobDefinitionName=jd, type="container", containerProperties=BATCH_CONTAINER)["jobDefinitionArn"]
        job = self.ids.get("batch_job")
        described = c.describe_jobs(jobs=[job])["jobs"] if job else []
        if not described or described[0]["status"] in ("SUCCEEDED", "FAILED"):
            job = c.submit_job(jobName="fz-job", jobQueue=jq, jobDefinition=jd)["jobId"]
        self.ids.update(job_queue_arn=arn, job_definition_arn=jd_arn, batch_job=job)

    def manifest(self) -> dict:
        return {"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                "Location": {"ObjectArn": f"arn:aws:s3:::{self.n('bucket')}/manifest.csv",
                             "ETag": self.ids["manifest_etag"]}}

    # reading back what the fuzz calls left ----------------------------------------------------------------------------

    def read_back(self, service: str) -> list[tuple[str, bool, Callable[[], Any]]]:
        """Calls a well-behaved client makes after the fuzz calls: every one must still answer, readably.
        (name, lists everything, call): a read of the seed resources starts afresh when the seeds get new names;
        a read of everything keeps failing once something unreadable is stored, so it is reported once."""
        c, i, n = self.h.plain(service), self.ids, self.n
        seed = {
            "sqs": [("GetQueueAttributes",
                     lambda: c.get_queue_attributes(QueueUrl=i["queue_url"], AttributeNames=["All"])),
                    ("ListQueueTags", lambda: c.list_queue_tags(QueueUrl=i["queue_url"]))],
            "sns": [("GetTopicAttributes", lambda: c.get_topic_attributes(TopicArn=i["topic_arn"])),
                    ("GetSubscriptionAttributes",
                     lambda: c.get_subscription_attributes(SubscriptionArn=i["subscription_arn"])),
                    ("ListSubscriptionsByTopic", lambda: c.list_subscriptions_by_topic(TopicArn=i["topic_arn"]))],
            "events": [("DescribeRule", lambda: c.describe_rule(Name=n("rule"))),
                       ("ListTargetsByRule", lambda: c.list_targets_by_rule(Rule=n("rule"))),
                       ("DescribeEventBus", lambda: c.describe_event_bus(Name=n("bus"))),
                       ("DescribeConnection", lambda: c.describe_connection(Name=n("conn"))),
                       ("DescribeApiDestination", lambda: c.describe_api_destination(Name=n("dest"))),
                       ("ListTagsForResource", lambda: c.list_tags_for_resource(ResourceARN=i["rule_arn"]))],
            "cloudtrail": [("GetTrail", lambda: c.get_trail(Name=n("trail"))),
                           ("GetTrailStatus", lambda: c.get_trail_status(Name=n("trail"))),
                           ("GetEventSelectors", lambda: c.get_event_selectors(TrailName=n("trail"))),
                           ("ListTags", lambda: c.list_tags(ResourceIdList=[i["trail_arn"]]))],
            "s3": [("ListObjectsV2", lambda: c.list_objects_v2(Bucket=n("bucket"))),
                   ("GetObjectTagging", lambda: c.get_object_tagging(Bucket=n("bucket"), Key="fz-key")),
                   ("GetObject", lambda: c.get_object(Bucket=n("bucket"), Key="fz-key")["Body"].read()),
                   ("ListParts", lambda: c.list_parts(Bucket=n("bucket"), Key="fz-key", UploadId=i["upload_id"]))],
            "s3control": [("DescribeJob", lambda: c.describe_job(AccountId=ACCOUNT, JobId=i["s3_job"])),
                          ("GetJobTagging", lambda: c.get_job_tagging(AccountId=ACCOUNT, JobId=i["s3_job"]))],
            "batch": [("DescribeComputeEnvironments",
                       lambda: c.describe_compute_environments(computeEnvironments=[n("ce")])),
                      ("DescribeJobQueues", lambda: c.describe_job_queues(jobQueues=[n("jq")])),
                      ("DescribeJobDefinitions", lambda: c.describe_job_definitions(jobDefinitionName=n("jd"))),
                      ("ListJobs", lambda: c.list_jobs(jobQueue=n("jq"))),
                      ("DescribeJobs", lambda: c.describe_jobs(jobs=[i["batch_job"]])),
                      ("ListTagsForResource", lambda: c.list_tags_for_resource(resourceArn=i["job_queue_arn"]))],
            "iam": [("GetUser", lambda: c.get_user(UserName=n("user"))),
                    ("GetRole", lambda: c.get_role(RoleName=n("role"))),
                    ("ListAccessKeys", lambda: c.list_access_keys(UserName=n("user")))],
            "sts": [("GetCallerIdentity", lambda: c.get_caller_identity())],
            "scheduler": [("GetSchedule", lambda: c.get_schedule(Name=n("schedule"), GroupName=n("sgroup"))),
                          ("GetScheduleGroup", lambda: c.get_schedule_group(Name=n("sgroup"))),
                          ("ListTagsForResource", lambda: c.list_tags_for_resource(ResourceArn=i["schedule_group_arn"]))],
        }
        everything = {
            "sqs": [("ListQueues", lambda: c.list_queues(MaxResults=1000))],
            "sns": [("ListTopics", lambda: c.list_topics()), ("ListSubscriptions", lambda: c.list_subscriptions())],
            "events": [("ListEventBuses", lambda: c.list_event_buses()), ("ListRules", lambda: c.list_rules()),
                       ("ListConnections", lambda: c.list_connections()),
                       ("ListApiDestinations", lambda: c.list_api_destinations())],
            "cloudtrail": [("DescribeTrails", lambda: c.describe_trails()), ("ListTrails", lambda: c.list_trails())],
            "s3": [("ListBuckets", lambda: c.list_buckets())],
            "s3control": [("ListJobs", lambda: c.list_jobs(AccountId=ACCOUNT))],
            "batch": [("DescribeComputeEnvironments (all)", lambda: c.describe_compute_environments()),
                      ("DescribeJobQueues (all)", lambda: c.describe_job_queues()),
                      ("DescribeJobDefinitions (all)", lambda: c.describe_job_definitions())],
            "iam": [("ListUsers", lambda: c.list_users()), ("ListRoles", lambda: c.list_roles())],
            "sts": [],
            "scheduler": [("ListSchedules", lambda: c.list_schedules()), ("ListScheduleGroups", lambda: c.list_schedule_groups())],
        }
        return ([(name, False, call) for name, call in seed[service]]
                + [(name, True, call) for name, call in everything[service]])

    # what members take --------------------------------------------------------------------------------------------

    def known(self, service: str, op: str, member: str) -> Any:
        table = getattr(self, f"_known_{service}")(op)
        value = table.get(member, MISSING)
        return copy.deepcopy(value() if callable(value) else value)

    def _known_sqs(self, op: str) -> dict:
        i = self.ids
        return {"QueueUrl": i["queue_url"],
                "QueueName": (lambda: self.fresh("q")) if op == "CreateQueue" else self.n("queue"),
                "QueueNamePrefix": "fz", "ReceiptHandle": i["receipt_handle"], "MessageBody": "fuzz message",
                "Id": "e1", "AttributeNames": ["All"], "Tags": {"fz": "1"}, "TagKeys": ["fz"], "tags": {"fz": "1"},
                "VisibilityTimeout": 0, "DataType": "String", "StringValue": "v", "MaxNumberOfMessages": 1,
                "Attributes": {"VisibilityTimeout": "0"} if op == "SetQueueAttributes" else {}}

    def _known_sns(self, op: str) -> dict:
        i = self.ids
        attribute = {"SetSubscriptionAttributes": ("RawMessageDelivery", "true")}.get(op, ("DisplayName", "fz"))
        return {"TopicArn": i["topic_arn"], "TargetArn": i["topic_arn"], "SubscriptionArn": i["subscription_arn"],
                "Name": (lambda: self.fresh("t")) if op == "CreateTopic" else self.n("topic"), "Protocol": "sqs",
                "Endpoint": i["queue_arn"], "Token": "fz-token", "Message": "fuzz message",
                "AttributeName": attribute[0], "AttributeValue": attribute[1], "DataType": "String",
                "StringValue": "v", "Key": "fz", "Value": "1"}

    def _known_events(self, op: str) -> dict:
        i, n = self.ids, self.n
        names = {"CreateEventBus": lambda: self.fresh("bus"), "DescribeEventBus": n("bus"), "DeleteEventBus": n("bus"),
                 "PutRule": lambda: self.fresh("rule"), "CreateConnection": lambda: self.fresh("conn"),
                 "DescribeConnection": n("conn"), "DeleteConnection": n("conn"),
                 "CreateApiDestination": lambda: self.fresh("dest"), "DescribeApiDestination": n("dest"),
                 "DeleteApiDestination": n("dest")}
        return {"Name": names.get(op, n("rule")), "Rule": n("rule"), "EventPattern": '{"source":["fz.source"]}',
                "Event": json.dumps(SAMPLE_EVENT), "Targets": [{"Id": "fz-target", "Arn": i["queue_arn"]}],
                "Id": "fz-target", "Arn": i["queue_arn"], "Ids": ["fz-target"], "TargetArn": i["queue_arn"],
                "Source": "fz.source", "DetailType": "fuzz", "Detail": '{"a":1}', "ResourceARN": i["rule_arn"],
                "Tags": [{"Key": "fz", "Value": "1"}], "TagKeys": ["fz"], "Key": "fz", "Value": "1",
                "AuthorizationType": "API_KEY", "AuthParameters": CONNECTION_AUTH,
                "ConnectionArn": i["connection_arn"], "InvocationEndpoint": "https://example.com/fz",
                "HttpMethod": "POST", "NamePrefix": "fz"}

    def _known_cloudtrail(self, op: str) -> dict:
        i, n = self.ids, self.n
        return {"Name": (lambda: self.fresh("trail")) if op == "CreateTrail" else n("trail"), "TrailName": n("trail"),
                "S3BucketName": n("trail-bucket"), "ResourceId": i["trail_arn"], "ResourceIdList": [i["trail_arn"]],
                "TagsList": [{"Key": "fz", "Value": "1"}], "Key": "fz", "Value": "1", "trailNameList": [n("trail")],
                "AttributeKey": "EventName", "AttributeValue": "CreateQueue", "ReadWriteType": "All",
                "IncludeManagementEvents": True}

    def _known_s3(self, op: str) -> dict:
        i, bucket = self.ids, self.n("bucket")
        return {"Bucket": (lambda: self.fresh("bkt")) if op == "CreateBucket" else bucket, "Key": "fz-key",
                "UploadId": i["upload_id"], "PartNumber": 1, "CopySource": f"{bucket}/fz-key", "Body": b"fuzz body",
                "Objects": [{"Key": "fz-gone"}], "Policy": trail_bucket_policy(bucket),
                "Tagging": {"TagSet": [{"Key": "fz", "Value": "1"}]}, "Value": "1", "ETag": i["part_etag"],
                "Parts": [{"ETag": i["part_etag"], "PartNumber": 1}]}

    def _known_s3control(self, op: str) -> dict:
        return {"AccountId": ACCOUNT, "JobId": self.ids["s3_job"], "Priority": 10, "RequestedJobStatus": "Ready",
                "Operation": S3_JOB_OPERATION, "Report": {"Enabled": False},
                "ClientRequestToken": lambda: self.fresh("tok"), "Manifest": self.manifest,
                "ConfirmationRequired": True, "RoleArn": S3_BATCH_ROLE, "Key": "fz", "Value": "1",
                "Tags": [{"Key": "fz", "Value": "1"}], "StatusUpdateReason": "fuzz"}

    def _known_iam(self, op: str) -> dict:
        return {"UserName": (lambda: self.fresh("u")) if op == "CreateUser" else self.n("user"),
                "RoleName": (lambda: self.fresh("r")) if op == "CreateRole" else self.n("role"),
                "AssumeRolePolicyDocument": trust_policy(ACCOUNT), "AccessKeyId": self.ids["access_key"],
                "Path": "/", "PathPrefix": "/", "Key": "fz", "Value": "1"}

    def _known_sts(self, op: str) -> dict:
        return {"RoleArn": self.ids["role_arn"], "RoleSessionName": "fz-session", "Key": "fz", "Value": "1"}

    def _known_scheduler(self, op: str) -> dict:
        n = self.n
        name = (lambda: self.fresh("s")) if op == "CreateSchedule" else n("schedule")
        return {"Name": (lambda: self.fresh("g")) if op == "CreateScheduleGroup" else
                        (n("sgroup") if "Group" in op else name),
                "GroupName": n("sgroup"), "ScheduleExpression": "at(2099-01-01T00:00:00)",
                "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": self.schedule_target(),
                "ResourceArn": self.ids["schedule_group_arn"], "Tags": [{"Key": "fz", "Value": "1"}], "TagKeys": ["fz"],
                "NamePrefix": "fz"}

    def _known_batch(self, op: str) -> dict:
        i, n = self.ids, self.n
        return {"computeEnvironmentName": lambda: self.fresh("ce"), "computeEnvironment": n("ce"),
                "type": "MANAGED" if op == "CreateComputeEnvironment" else "container",
                "computeResources": BATCH_RESOURCES if op == "CreateComputeEnvironment" else {"maxvCpus": 4},
                "state": "ENABLED", "jobQueueName": lambda: self.fresh("jq"), "jobQueue": n("jq"), "priority": 1,
                "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": n("ce")}],
                "jobDefinitionName": (lambda: self.fresh("jd")) if op == "RegisterJobDefinition" else n("jd"),
                "jobDefinition": i["job_definition_arn"] if op == "DeregisterJobDefinition" else n("jd"),
                "containerProperties": BATCH_CONTAINER, "jobName": "fz-job", "jobId": i["batch_job"],
                "jobs": [i["batch_job"]], "reason": "fuzz", "resourceArn": i["job_queue_arn"],
                "tags": {"fz": "1"}, "tagKeys": ["fz"]}


def _ignore_exists(call: Callable[[], Any]) -> None:
    """Creates a seed resource unless it exists (any client error means: it is there, or the next call will say)."""
    try:
        call()
    except ClientError:
        pass


def trail_bucket_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]})


SEED_DEPENDENCIES = {"sns": ["sqs"], "events": ["sqs"], "cloudtrail": ["s3"], "s3control": ["s3"], "sts": ["iam"],
                     "scheduler": ["sqs", "iam"]}
SEED_NAMES = {"sqs": ["queue"], "sns": ["topic"], "events": ["bus", "rule", "conn", "dest"], "cloudtrail": ["trail"],
              "s3": ["bucket", "trail-bucket"], "iam": ["user", "role"], "batch": ["ce", "jq", "jd"],
              "scheduler": ["sgroup", "schedule"]}
CONNECTION_AUTH = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "fz-secret"}}
BATCH_RESOURCES = {"type": "FARGATE", "maxvCpus": 4, "subnets": ["subnet-0abc"]}
BATCH_CONTAINER = {"image": "busybox", "command": ["true"],
                   "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}]}
S3_JOB_OPERATION = {"S3PutObjectTagging": {"TagSet": [{"Key": "fz", "Value": "1"}]}}
SAMPLE_EVENT = {"id": "1", "source": "fz.source", "detail-type": "fuzz", "account": ACCOUNT, "region": REGION,
                "time": "2024-01-02T03:04:05Z", "resources": [], "detail": {}}

# Calls that may remove or change the resources others point at: the world is re-seeded after them.
DESTRUCTIVE = re.compile(r"^(Delete|Remove|Purge|Abort|Complete|Deregister|Cancel|Terminate|Unsubscribe|Untag|"
                         r"Disable|Stop|Update|Set|Put)")

# A failed create must leave nothing behind: (member holding the new name, how to list what exists).
CREATES: dict[tuple[str, str], tuple[str, Callable[[Any], set[str]]]] = {
    ("sqs", "CreateQueue"): ("QueueName", lambda c: {u.rsplit("/", 1)[-1] for u in
                                                     c.list_queues(MaxResults=1000).get("QueueUrls", [])}),
    ("sns", "CreateTopic"): ("Name", lambda c: {t["TopicArn"].rsplit(":", 1)[-1] for p in
                                                c.get_paginator("list_topics").paginate() for t in p["Topics"]}),
    ("events", "PutRule"): ("Name", lambda c: {r["Name"] for p in c.get_paginator("list_rules").paginate()
                                               for r in p["Rules"]}),
    ("events", "CreateEventBus"): ("Name", lambda c: {b["Name"] for b in c.list_event_buses()["EventBuses"]}),
    ("s3", "CreateBucket"): ("Bucket", lambda c: {b["Name"] for b in c.list_buckets()["Buckets"]}),
    ("iam", "CreateUser"): ("UserName", lambda c: {u["UserName"] for p in c.get_paginator("list_users").paginate()
                                                   for u in p["Users"]}),
    ("iam", "CreateRole"): ("RoleName", lambda c: {r["RoleName"] for p in c.get_paginator("list_roles").paginate()
                                                   for r in p["Roles"]}),
    ("cloudtrail", "CreateTrail"): ("Name", lambda c: {t["Name"] for t in c.describe_trails()["trailList"]}),
    ("batch", "CreateJobQueue"): ("jobQueueName", lambda c: {q["jobQueueName"] for p in
                                                              c.get_paginator("describe_job_queues").paginate()
                                                              for q in p["jobQueues"]}),
    ("batch", "CreateComputeEnvironment"): ("computeEnvironmentName", lambda c: {
        e["computeEnvironmentName"] for p in c.get_paginator("describe_compute_environments").paginate()
        for e in p["computeEnvironments"]}),
}


# -- planning ---------------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    service: str
    op: str
    label: str
    params: dict
    wire: Callable[[dict], None] | None = None     # a whole-request mutation, applied before signing
    created: str | None = None                      # the fresh name a create call was asked to create

    def describe(self) -> str:
        return f"{self.service} {self.op}: {self.label}"


def wire_location(protocol: str, top_member: Shape | None) -> str:
    """How a member travels: "json" or "xml" in a body, "form" in a query body, "rest-form" in a REST path or
    query string, "header" in a header."""
    if protocol == "query":
        return "form"
    loc = top_member.serialization.get("location") if top_member is not None else None
    body = "json" if protocol in ("json", "rest-json") else "xml"
    return {"header": "header", "headers": "header", "uri": "rest-form", "querystring": "rest-form"}.get(loc, body)


# Members left alone: ContentLength (changing it desynchronises the HTTP framing itself: a hang, not a finding) and
# S3 Control's AccountId (botocore puts it in the host name and refuses anything but a host label; the framing test
# sends odd x-amz-account-id headers by hand).
UNTOUCHED = {"ContentLength", "AccountId"}
MAX_SITE_DEPTH = 5


def sites(op_model: OperationModel, protocol: str, base: dict) -> list[Site]:
    """Every member reachable from the input shape (to MAX_SITE_DEPTH), top level first."""
    out: list[Site] = []
    shape = op_model.input_shape
    if shape is None:
        return out

    def walk(s: Shape, path: tuple, value: Any, top: Shape | None, required: bool, parent: str = "structure"):
        where = wire_location(protocol, top)
        if path:
            out.append(Site(path, s, required, where, parent))
        if len(path) >= MAX_SITE_DEPTH or s.serialization.get("location") == "headers":
            return
        if s.type_name == "structure":
            for name, member in s.members.items():
                if name in UNTOUCHED:
                    continue
                child = value.get(name) if isinstance(value, dict) else None
                walk(member, path + (name,), child, top if path else member, name in s.required_members)
        elif s.type_name == "list":
            child = value[0] if isinstance(value, list) and value else None
            walk(s.member, path + (0,), child, top, True, "list")
        elif s.type_name == "map":
            keys = (s.key.enum[:40] if s.key.enum else MAP_KEYS.get((op_model.name, path[-1] if path else ""))
                    or [next(iter(value)) if isinstance(value, dict) and value else "fz"])
            for key in keys:
                walk(s.value, path + (key,), value.get(key) if isinstance(value, dict) else None, top, False, "map")

    walk(shape, (), base, None, True)
    out.sort(key=lambda site: len(site.path))
    return out


def place(params: dict, shape: Shape, path: tuple, value: Any, values: Values) -> None:
    """Sets `value` at `path`, creating valid parents where the base request has none."""
    container, s = params, shape
    for step in path[:-1]:
        child_shape = _child_shape(s, step)
        if isinstance(container, dict):
            if not isinstance(container.get(step), (dict, list)):
                container[step] = values.valid(child_shape, step if isinstance(step, str) else "")
        elif isinstance(container, list):
            while len(container) <= step:
                container.append(values.valid(child_shape))
        container, s = container[step], child_shape
    last = path[-1]
    if isinstance(container, list):
        while len(container) <= last:
            container.append(None)
    container[last] = value


def _child_shape(s: Shape, step) -> Shape:
    if s.type_name == "structure":
        return s.members[step]
    if s.type_name == "list":
        return s.member
    return s.value


class Planner:
    """The seeded list of cases for one operation: whole-request cases, then each site's variants round-robin
    (the shape's head variants first), then random combinations of several mutations in the long mode."""

    def __init__(self, world: World, service: str, op_model: OperationModel, protocol: str,
                 huge_budget: list[int] | None = None):
        self.world, self.service, self.op_model, self.protocol = world, service, op_model, protocol
        self.huge_budget = huge_budget          # [cases left] shared by a service's planners; None: no limit
        self.op = op_model.name
        self.values = Values(world, service, self.op)
        self.rng = random.Random(f"{SEED}/{service}/{self.op}")

    def base(self) -> dict:
        shape = self.op_model.input_shape
        return self.values.valid(shape, "", 0) if shape is not None else {}

    def case(self, label: str, params: dict, wire=None, mutated: tuple = ()) -> Case:
        created = None
        spec = CREATES.get((self.service, self.op))
        if spec and (not mutated or mutated[0] != spec[0]) and isinstance(params.get(spec[0]), str):
            created = params[spec[0]]
        return Case(self.service, self.op, label, params, wire, created)

    def plan(self, n: int, cap: int | None = None) -> list[Case]:
        """About n cases (up to 3n for an operation with many members that matter, never more than cap): a few
        whole-request cases, then every busy site's variants round-robin (optional plain strings get two), then
        the rest of the whole-request cases; in the long mode, random combinations fill up to n."""
        shape = self.op_model.input_shape
        base = self.base()
        per_site = [(site, self.values.variants(site, self.rng)) for site in sites(self.op_model, self.protocol, base)]
        busy = [(s, v) for s, v in per_site if self.busy(s, base)]
        quiet = [(s, v[:2]) for s, v in per_site if not self.busy(s, base)]
        for group in (busy, quiet):
            self.rng.shuffle(group)
            group.sort(key=lambda sv: len(sv[0].path))
        if not LONG_MODE:
            n = min(3 * n, max(n, 2 * len(busy)))
        if cap is not None:
            n = min(n, cap)
        ordered: list[tuple[Site, Variant]] = []
        for r in range(max(2, max((len(v) for _, v in busy), default=0))):
            ordered += [(s, v[r]) for s, v in busy if r < len(v)]
            if r == 1:
                ordered += [(s, v[r2]) for s, v in quiet for r2 in range(len(v))]

        def site_case(site: Site, variant: Variant) -> Case:
            params = self.base()
            place(params, shape, site.path, variant.value, self.values)
            return self.case(f"{site.name} = {variant.label}", params, mutated=site.path)

        whole = self.whole_request_cases()
        first = max(4, n // 4)
        candidates = [(c.label, lambda c=c: c) for c in whole[:first]]
        candidates += [(f"{s.name} = {v.label}", lambda s=s, v=v: site_case(s, v)) for s, v in ordered]
        candidates += [(c.label, lambda c=c: c) for c in whole[first:]]
        cases: list[Case] = []
        for label, build in candidates:
            if len(cases) >= n:
                break
            if self.affordable(label):
                cases.append(build())
        while LONG_MODE and len(cases) < n and per_site:       # several mutations at once
            cases.append(self.combination(per_site))
        return cases

    def busy(self, site: Site, base: dict) -> bool:
        """A site worth every variant: used by the base request, not a plain string, or known to matter."""
        return (site.path[0] in base or site.shape.type_name != "string" or site.member in MEMBER_EXTRAS
                or bool(JSONISH.search(site.member)) or site.parent_type == "map")

    def combination(self, per_site: list[tuple[Site, list[Variant]]]) -> Case:
        params, labels, first = self.base(), [], None
        for site, variants in self.rng.sample(per_site, min(len(per_site), self.rng.randint(2, 4))):
            variant = self.rng.choice(variants)
            try:
                place(params, self.op_model.input_shape, site.path, variant.value, self.values)
            except (TypeError, KeyError, IndexError, AttributeError):
                continue                      # an earlier mutation replaced this site's parent
            labels.append(f"{site.name} = {variant.label}")
            first = first or site.path
        return self.case(" & ".join(labels), params, mutated=first or ())

    def affordable(self, label: str) -> bool:
        """Whether a case with HUGE items may still be planned (the default run caps them per service)."""
        if str(HUGE) not in label or self.huge_budget is None:
            return True
        if self.huge_budget[0] <= 0:
            return False
        self.huge_budget[0] -= 1
        return True

    def whole_request_cases(self) -> list[Case]:
        shape = self.op_model.input_shape
        base = self.base()
        out = [self.case("well-formed request", base),
               self.case("empty request", {}, mutated=("*",))]
        if shape is not None:
            for m in shape.required_members:
                if shape.members[m].serialization.get("location") == "uri":
                    continue                        # botocore cannot build the path without it
                out.append(self.case(f"without required member {m}",
                                     {k: v for k, v in self.base().items() if k != m}, mutated=(m,)))
            if self.protocol != "rest-xml":         # botocore's XML serializer has no way to write one
                out.append(self.case("unknown member", {**self.base(), "FuzzUnknownMember": "x"}))
            pair = ATTRIBUTE_PAIRS.get((self.service, self.op))
            if pair:
                name_member, value_member, names = pair
                for name in names:
                    for value in self.rng.sample(ATTRIBUTE_VALUES, 2):
                        params = {**self.base(), name_member: name, value_member: value}
                        out.append(self.case(f"{name_member}={name}, {value_member} = {short_repr(value, 60)}",
                                             params, mutated=(value_member,)))
            rich = self.base()
            for name, member in shape.members.items():
                if name not in rich and name not in UNTOUCHED and member.serialization.get("location") != "headers":
                    rich[name] = self.values.valid(member, name, 1)
            out.append(self.case("every member, well-formed", rich))
        out += [self.case(label, self.base(), wire=fn) for label, fn in WIRE_MUTATIONS[self.protocol](self.op_model)]
        head, tail = out[:2], out[2:]
        self.rng.shuffle(tail)
        return head + tail


# -- whole-request mutations, per protocol -------------------------------------------------------------------------

def _set_body(body: bytes) -> Callable[[dict], None]:
    def apply(req: dict) -> None:
        req["body"] = body
    return apply


def _edit_body(fn: Callable[[bytes], bytes]) -> Callable[[dict], None]:
    def apply(req: dict) -> None:
        body = req.get("body") or b""
        if isinstance(body, dict):
            body = _form_bytes(body)
        elif isinstance(body, str):
            body = body.encode()
        req["body"] = fn(bytes(body))
    return apply


def _set_header(name: str, value: str | None) -> Callable[[dict], None]:
    def apply(req: dict) -> None:
        for existing in [h for h in req["headers"] if h.lower() == name.lower()]:
            del req["headers"][existing]
        if value is not None:
            req["headers"][name] = value
    return apply


def _add_query(extra: str) -> Callable[[dict], None]:
    def apply(req: dict) -> None:
        req["url"] += ("&" if "?" in req["url"] else "?") + extra
    return apply


def _wide_json(body: bytes) -> bytes:
    members = ",".join(f'"fz{i}":{i}' for i in range(HUGE))
    return b"{" + members.encode() + (b"," + body.strip()[1:] if body.strip() not in (b"", b"{}") else b"}")


def _duplicate_first_key(body: bytes) -> bytes:
    doc = json.loads(body or b"{}")
    if not doc:
        return b'{"a":1,"a":2}'
    key = next(iter(doc))
    return body.rstrip()[:-1] + b"," + json.dumps({key: "fz duplicate"}).encode()[1:]


def json_wire(op_model: OperationModel) -> list[tuple[str, Callable]]:
    return [
        ("body: not JSON", _set_body(b"this is not json")),
        ("body: a JSON array", _set_body(b"[]")), ("body: JSON null", _set_body(b"null")),
        ("body: a JSON string", _set_body(b'"fz"')), ("body: a JSON number", _set_body(b"1e999")),
        ("body: truncated", _edit_body(lambda b: b[: max(1, len(b) // 2)])),
        ("body: invalid UTF-8 byte",
         _edit_body(lambda b: b'{"\xff":1,' + b.strip()[1:] if len(b.strip()) > 2 else b'{"\xff":1}')),
        ("body: byte-order mark first", _edit_body(lambda b: b"\xef\xbb\xbf" + b)),
        ("body: trailing garbage", _edit_body(lambda b: b + b"}}]]garbage")),
        ("body: NUL bytes", _edit_body(lambda b: b + b"\x00" * 16)),
        (f"body: {HUGE} unknown members", _edit_body(_wide_json)),
        ("body: duplicate key", _edit_body(_duplicate_first_key)),
        ("body: array nested 100,000 deep", _set_body(_deep_json(100_000))),
        (f"body: object nested {JSON_MAX_DEPTH + 1} deep", _set_body(_deep_json(JSON_MAX_DEPTH + 1, "object"))),
        ("Content-Type: text/plain", _set_header("Content-Type", "text/plain")),
        ("Content-Type: application/xml", _set_header("Content-Type", "application/xml")),
        ("no Content-Type", _set_header("Content-Type", None)),
        ("Content-Encoding: gzip (body is not)", _set_header("Content-Encoding", "gzip")),
    ] + ([("X-Amz-Target: operation name empty", _x_amz_target(lambda t: t.split(".")[0] + ".")),
          ("X-Amz-Target: no dot", _x_amz_target(lambda t: t.replace(".", ""))),
          ("X-Amz-Target: lower-cased", _x_amz_target(str.lower)),
          ("X-Amz-Target: NUL in the name", _x_amz_target(lambda t: t + "\x00")),
          ("X-Amz-Target: 70k characters", _x_amz_target(lambda t: t + "A" * OVERLONG)),
          ("no X-Amz-Target", _set_header("X-Amz-Target", None))]
         if op_model.metadata.get("protocol") == "json" else [])


def _x_amz_target(fn: Callable[[str], str]) -> Callable[[dict], None]:
    def apply(req: dict) -> None:
        req["headers"]["X-Amz-Target"] = fn(req["headers"].get("X-Amz-Target", ""))
    return apply


def _repeat_keys(body: bytes) -> bytes:
    pairs = [p for p in body.split(b"&") if p and not p.startswith((b"Action=", b"Version="))]
    return body + b"".join(b"&" + p.split(b"=")[0] + b"=fz-repeated" for p in pairs)


def query_wire(op_model: OperationModel) -> list[tuple[str, Callable]]:
    return [
        ("every key repeated with another value", _edit_body(_repeat_keys)),
        ("Action repeated", _edit_body(lambda b: b + b"&Action=ListUsers")),
        ("Version repeated", _edit_body(lambda b: b + b"&Version=1999-01-01")),
        ("Version unknown", _edit_body(lambda b: re.sub(rb"Version=[^&]*", b"Version=1999-01-01", b))),
        ("invalid percent-encoding", _edit_body(lambda b: b + b"&Fz=%zz%")),
        ("invalid UTF-8", _edit_body(lambda b: b + b"&Fz=%FF%FE")),
        ("raw invalid UTF-8 bytes", _edit_body(lambda b: b + b"&Fz=\xff\xfe")),
        ("keys without values", _edit_body(lambda b: b + b"&&&=&Fz&=fz")),
        ("NUL in a key", _edit_body(lambda b: b + b"&F%00z=1")),
        (f"{HUGE} extra keys", _edit_body(lambda b: b + b"".join(b"&Fz%d=%d" % (i, i) for i in range(HUGE)))),
        ("member index 0, -1 and 2^63", _edit_body(lambda b: b + b"&Tags.member.0.Key=a&Tags.member.-1.Key=b"
                                                                 b"&Tags.member.9223372036854775808.Key=c")),
        ("member index 10^9", _edit_body(lambda b: b + b"&Attributes.entry.1000000000.key=a")),
        ("body: not a form", _set_body(b"\x00\x01\x02 not a form")),
        ("body: JSON", _set_body(b'{"Action": "ListUsers"}')),
        ("body: truncated", _edit_body(lambda b: b[: max(1, len(b) // 2)])),
        ("Content-Type: application/json", _set_header("Content-Type", "application/json")),
        ("no Content-Type", _set_header("Content-Type", None)),
        ("Content-Type with an unknown charset", _set_header("Content-Type",
                                                              "application/x-www-form-urlencoded; charset=fz-8")),
    ]


def _xml_root(op_model: OperationModel) -> str | None:
    shape = op_model.input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload and shape.members[payload].type_name == "structure":
        return shape.members[payload].serialization.get("name", payload)
    if shape is not None and shape.serialization.get("name") and any(
            "location" not in m.serialization for m in shape.members.values()):
        return shape.serialization["name"]
    return None


def rest_xml_wire(op_model: OperationModel) -> list[tuple[str, Callable]]:
    out = [("unknown query parameter", _add_query("fz-unknown=1")),
           ("query parameter with invalid percent-encoding", _add_query("fz=%zz%")),
           ("query parameter repeated", _add_query("fz=1&fz=2&fz")),
           ("header with control characters", _set_header("x-amz-meta-fz", "a\x01\x7fb")),
           ("header of 16 KiB", _set_header("x-amz-meta-fz", "h" * 16384))]
    root = _xml_root(op_model)
    if root:
        r = root.encode()
        out += [
            ("body: not XML", _set_body(b"this is not xml")),
            ("body: empty", _set_body(b"")),
            ("body: truncated", _edit_body(lambda b: b[: max(1, len(b) // 2)])),
            ("body: wrong root element", _set_body(b"<FzWrongRoot><a>1</a></FzWrongRoot>")),
            ("body: text where elements go", _set_body(b"<%s>just text</%s>" % (r, r))),
            ("body: nested 10,000 deep", _set_body(b"<%s>" % r + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</%s>" % r)),
            (f"body: {HUGE} unknown children", _set_body(b"<%s>" % r + b"<Fz>1</Fz>" * HUGE + b"</%s>" % r)),
            ("body: DTD with an entity", _set_body(b'<?xml version="1.0"?><!DOCTYPE %s [<!ENTITY e "fz">]><%s>&e;</%s>'
                                                   % (r, r, r))),
            ("body: invalid UTF-8", _set_body(b"<%s>\xff\xfe</%s>" % (r, r))),
            ("body: NUL character reference", _set_body(b"<%s>&#0;</%s>" % (r, r))),
            ("body: unclosed element", _set_body(b"<%s><a>" % r)),
            ("body: two roots", _set_body(b"<%s/><%s/>" % (r, r))),
            ("body: UTF-16 declared, UTF-8 sent", _set_body(b'<?xml version="1.0" encoding="UTF-16"?><%s/>' % r)),
            ("Content-Type: application/json", _set_header("Content-Type", "application/json")),
        ]
    return out


def rest_json_wire(op_model: OperationModel) -> list[tuple[str, Callable]]:
    return json_wire(op_model) + [("unknown query parameter", _add_query("fz=%zz"))]


WIRE_MUTATIONS = {"json": json_wire, "query": query_wire, "rest-xml": rest_xml_wire, "rest-json": rest_json_wire}


# -- sending and judging --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    kind: str                 # ok | error | unsent | dropped | bad
    detail: str = ""
    sent: str = ""            # the request as it went out
    answer: str = ""          # the response as it came back
    seconds: float = 0.0


@dataclasses.dataclass
class Finding:
    kind: str                 # crash | 5xx | unparsed | dropped | unhealthy | partial-write
    case: Case | None
    outcome: Outcome | None
    note: str = ""

    def render(self) -> str:
        lines = [f"[{self.kind}] " + (self.case.describe() if self.case else self.note.splitlines()[0][:160])]
        if self.case:
            lines.append(f"    params: {short_repr(self.case.params)}")
            if self.case.wire:
                lines.append(f"    wire:   {self.case.label}")
        if self.outcome:
            if self.outcome.sent:
                lines.append(f"    sent:   {self.outcome.sent}")
            lines.append(f"    answer: {self.outcome.detail}")
            if self.outcome.answer:
                lines.append(f"            {self.outcome.answer}")
        if self.note:
            lines += ["    " + line for line in self.note.splitlines()]
        return "\n".join(lines)


def render_findings(findings: list[Finding]) -> str:
    """Findings with the same kind and the same answer (digits aside) shown once in full, then the other cases
    that produced it, one line each."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        detail = f.outcome.detail if f.outcome else f.note
        answer = f.outcome.answer[:80] if f.outcome else ""
        groups.setdefault((f.kind, re.sub(r"\d+", "N", detail[:160] + answer)), []).append(f)
    out = []
    for same in groups.values():
        text = same[0].render()
        if len(same) > 1:
            text += f"\n    the same answer for {len(same) - 1} more cases:"
            text += "".join(f"\n      {f.case.describe() if f.case else f.note[:100]}" for f in same[1:16])
            if len(same) > 16:
                text += f"\n      ... and {len(same) - 16} more"
        out.append(text)
    return f"{len(findings)} findings in {len(groups)} groups\n\n" + "\n\n".join(out)


def describe_request(method: str, url: str, headers: Any, body: Any) -> str:
    path = urllib.parse.urlsplit(url)
    target = path.path + (("?" + path.query) if path.query else "")
    wanted = {"x-amz-target", "content-type", "x-amz-copy-source", "range", "x-amz-account-id", "content-encoding"}
    shown = {k: v for k, v in dict(headers or {}).items()
             if str(k).lower() in wanted or str(k).lower().startswith("x-amz-meta")}
    if hasattr(body, "read"):
        body = b"<stream>"
    return f"{method} {short_repr(target, 300)} {short_repr(shown, 300)} body={short_repr(body, 600)}"


class Harness:
    """One server under test (the module's), its clients, and what happens when it dies."""

    def __init__(self, server: CairnServer):
        self.server = server
        self.world = World(self)
        self.local = threading.local()
        self._clients: dict[tuple[str, int, bool], Any] = {}
        self.restarts = 0

    # clients -------------------------------------------------------------------------------------------------------

    def _config(self, service: str, fuzz: bool) -> Config:
        cfg = NO_RETRY.merge(Config(read_timeout=READ_TIMEOUT, connect_timeout=10,
                                    parameter_validation=not fuzz, max_pool_connections=WORKERS * 2))
        if service == "s3control":
            cfg = cfg.merge(Config(proxies={"http": self.server.endpoint}))
        return cfg

    def _client(self, service: str, fuzz: bool):
        key = (service, self.server.starts, fuzz)
        if key not in self._clients:
            c = self.server.session().client(service, endpoint_url=self.server.endpoint,
                                             config=self._config(service, fuzz))
            if fuzz:
                lenient = LENIENT_SERIALIZERS.get(c.meta.service_model.protocol)
                if lenient:
                    c._serializer = lenient()
                if service == "s3":
                    c.meta.events.unregister("before-parameter-build.s3", botocore.handlers.validate_bucket_name)
                c.meta.events.register("before-call", self._before_call)
                c.meta.events.register("before-send", self._before_send)
                # First, so that it sees the status as sent (botocore turns S3's unreadable 200s into 500s).
                c.meta.events.register_first("before-parse", self._before_parse)
                self._record_raw_status(c)
            self._clients[key] = c
        return self._clients[key]

    def fuzz_client(self, service: str):
        return self._client(service, True)

    def plain(self, service: str):
        """A well-behaved client (validation on) for seeding and checking."""
        return self._client(service, False)

    def _before_call(self, params, **kwargs):
        substitute_raw(params)
        case = getattr(self.local, "case", None)
        if case is not None and case.wire is not None:
            case.wire(params)

    def _before_send(self, request, **kwargs):
        # S3 Control puts the account id in the host (the client reaches the server as its proxy).
        netloc = urllib.parse.urlsplit(request.url).netloc
        proxied = self.local.case is not None and self.local.case.service == "s3control"
        ours = f"127.0.0.1:{self.server.port}"
        if netloc != ours and not (proxied and netloc.endswith("." + ours)):
            raise Unsendable(f"botocore would send this to {request.url[:200]}")
        self.local.sent = describe_request(request.method, request.url, request.headers, request.body)
        self.local.invalid_http = not_plain_http(request.url, request.headers)

    def _before_parse(self, response_dict, **kwargs):
        body = response_dict.get("body")
        body = bytes(body) if isinstance(body, (bytes, bytearray)) else b"<stream>"
        self.local.status = response_dict.get("status_code")
        self.local.answer = short_repr(body[:700], 800)
        self.local.empty = not body
        self.local.content_type = (response_dict.get("headers") or {}).get("content-type", "")

    def _record_raw_status(self, client) -> None:
        """Keeps the status as it came off the wire: botocore's S3 handlers turn an unreadable 200 into a 500
        before any event handler sees the response, so this wraps the endpoint's send."""
        endpoint = client._endpoint
        send = endpoint._send

        def recording_send(request):
            response = send(request)
            self.local.raw_status = response.status_code
            return response

        endpoint._send = recording_send

    def _answer(self) -> str:
        """The response as it came back: the status off the wire, then the body."""
        status = self.local.raw_status if self.local.raw_status is not None else self.local.status
        return f"HTTP {status} {self.local.answer}" if status is not None else ""

    def _unreadable_success(self, error: str) -> Outcome:
        """A 2xx botocore could not read. If the answer says it is XML or JSON, the server sent a document its
        clients cannot parse; any other type is the success of another operation (a mutation that drops the member
        that selects the operation, as S3's uploadId does, sends another call) and is fine."""
        kind = self.local.content_type.lower()
        if "xml" in kind or "json" in kind:
            return Outcome("bad", f"a {self.local.raw_status} answer ({kind}) botocore cannot read: {error}"[:600],
                           self.local.sent, self._answer())
        return Outcome("ok", f"{self.local.raw_status} {kind or 'no Content-Type'}: the success of another operation",
                       self.local.sent)

    # one request ---------------------------------------------------------------------------------------------------

    def send(self, case: Case) -> Outcome:
        started = time.monotonic()
        outcome = self._send(case)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _send(self, case: Case) -> Outcome:
        client = self.fuzz_client(case.service)
        op_model = client.meta.service_model.operation_model(case.op)
        self.local.case, self.local.sent, self.local.answer, self.local.invalid_http = case, "", "", False
        self.local.status, self.local.raw_status, self.local.empty, self.local.content_type = None, None, False, ""
        try:
            getattr(client, _python_name(client, case.op))(**case.params)
            return Outcome("ok", "success", self.local.sent, "")
        except ClientError as e:
            return self._judge_error(e.response, op_model)
        except Unsendable as e:
            return Outcome("unsent", str(e))
        except DROPPED as e:
            if not self.local.sent:
                return Outcome("unsent", f"client-side: {e!r}"[:300])
            return Outcome("dropped", f"no answer: {type(e).__name__}: {e}"[:500], self.local.sent)
        except Exception as e:  # noqa: BLE001 - anything else botocore raised
            if not self.local.sent:
                return Outcome("unsent", f"client-side: {type(e).__name__}: {e}"[:300])
            if self.local.invalid_http and self.local.empty and 400 <= (self.local.status or 0) < 500:
                return Outcome("error", f"{self.local.status} refused as HTTP", self.local.sent)
            if self.local.raw_status is not None and self.local.raw_status < 300:
                return self._unreadable_success(f"{type(e).__name__}: {e}")
            return Outcome("bad", f"botocore could not read the answer: {type(e).__name__}: {e}"[:600],
                           self.local.sent, self._answer())
        finally:
            self.local.case = None

    def _judge_error(self, response: dict, op_model: OperationModel) -> Outcome:
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = response.get("Error", {}).get("Code") or ""
        detail = f"{status} {code}: {response.get('Error', {}).get('Message', '')}"[:500]
        sent, answer = self.local.sent, self._answer()
        if status >= 500 and (self.local.raw_status or 500) < 300:
            return self._unreadable_success(f"botocore reports {detail}")
        head = op_model.http.get("method") == "HEAD"
        # 501 NotImplemented is AWS's own answer for S3 features (a HEAD answer carries no code to check).
        if status >= 500 and not (status == 501 and (code == "NotImplemented" or head)):
            return Outcome("bad", "5xx " + detail, sent, answer)
        # HEAD answers have no body; a header with control characters is not HTTP, and may be refused as such.
        bare_ok = head or (self.local.invalid_http and self.local.empty)
        if status >= 400 and (not code or (code.isdigit() and not bare_ok)):
            return Outcome("bad", "error without an AWS error code botocore can read: " + detail, sent, answer)
        return Outcome("error", detail, sent)

    # liveness ------------------------------------------------------------------------------------------------------

    def healthy(self, timeout: float = 10) -> bool:
        if not self.server.alive:
            return False
        try:
            return http("GET", self.server.endpoint + "/_cairn/health", timeout=timeout).status_code == 200
        except DROPPED:
            return False

    def settle(self, timeout: float = 45) -> bool:
        """After a dropped connection: True if the server still answers, False once it has died. A trap's
        backtrace keeps a dying process alive for a while, so this waits for one or the other."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.server.alive:
                return False
            if self.healthy(timeout=5):
                return True
            time.sleep(0.5)
        return self.server.alive and self.healthy()

    def crash_summary(self) -> str:
        path = self.server.stderr_path
        text = path.read_text(errors="replace") if path and path.exists() else ""
        lines = [f"process: {self.server.status()}"]
        lines += [line.strip() for line in text.splitlines()
                  if re.search(r"Fatal error|runtime failure|Precondition failed|Program crashed|Assertion failed",
                               line)][:6]
        crashed = re.search(r"crashed:\n\n(.*?)\n\n", text, re.S)
        if crashed:
            lines += [re.sub(r"^\s*\d+ .*?0x[0-9a-f]+ ", "", f).strip()
                      for f in crashed.group(1).splitlines() if "/Sources/" in f][:4]
        return "\n".join(lines)

    def restart(self) -> None:
        """A fresh process on the same data directory; the world is re-seeded lazily by the next service."""
        if self.server.alive:
            self.server.kill9()
        self.server.proc = None
        self.server.start()
        self.restarts += 1
        self.world.seeded.clear()


def _python_name(client, op: str) -> str:
    return next(py for py, api in client.meta.method_to_api_mapping.items() if api == op)


_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
HTTP_LINE_LIMIT = 8192


def not_plain_http(url: str, headers: Any) -> bool:
    """A request an HTTP server may refuse before any AWS code sees it (so a bare 400/414/431 is a fair answer):
    a header value with control characters (RFC 9110 forbids them), or a request line or header longer than
    HTTP servers accept (8 KiB)."""
    values = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in dict(headers or {}).values()]
    return (any(_CTL.search(v) for v in values) or len(url) > HTTP_LINE_LIMIT
            or any(len(v) > HTTP_LINE_LIMIT for v in values))


class Unsendable(Exception):
    """botocore built a request for somewhere other than the server under test (a host prefix, an endpoint rule)."""


# -- the run ---------------------------------------------------------------------------------------------------------

UNSERVED_CODES = {"UnknownOperationException", "InvalidAction", "NotImplemented", "MethodNotAllowed",
                  "MissingAuthenticationToken"}
UNSERVED_MESSAGE = re.compile(r"does not implement|serves the S3 Control Batch Operations job calls only")
# Probes point at resources that do not exist, so probing a served call changes nothing.
PROBE_NAMES = {"Bucket": "fz-probe-missing", "Key": "fz-probe", "AccountId": ACCOUNT, "JobId": "fz-probe-missing",
               "resourceArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/fz-probe-missing"}


@dataclasses.dataclass
class ServiceReport:
    service: str
    served: list[str] = dataclasses.field(default_factory=list)
    unserved: int = 0
    sent: int = 0
    unsent: int = 0
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    slowest: list[tuple[float, str]] = dataclasses.field(default_factory=list)

    def timed(self, case: Case, outcome: Outcome) -> None:
        self.slowest = sorted([*self.slowest, (outcome.seconds, case.describe())], reverse=True)[:3]

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        slow = "; ".join(f"{s:.1f}s {d}" for s, d in self.slowest)
        return (f"{self.service}: {len(self.served)} operations served ({self.unserved} of the model's not served), "
                f"{self.sent} fuzz requests sent [{counts}], {self.unsent} not sendable by botocore, "
                f"{len(self.findings)} findings, {self.seconds:.0f}s; slowest: {slow}")


class ServiceFuzzer:
    """Discovers the operations one service serves, then sends each one's planned cases, WORKERS at a time, and
    checks after each operation that the server is healthy, that failed creates left nothing behind, and that a
    well-behaved client can still read the service's state."""

    def __init__(self, harness: Harness, service: str):
        self.h, self.service = harness, service
        self.report = ServiceReport(service)
        self.model = harness.fuzz_client(service).meta.service_model
        self.unreadable: set[str] = set()          # read-back calls that failed once (reported once)

    def run(self) -> ServiceReport:
        start = time.monotonic()
        self.reseed()
        self.report.served = self.discover()
        huge = None if LONG_MODE else [DEFAULT_HUGE_CASES.get(self.model.protocol, DEFAULT_HUGE_CASES_OTHER)]
        left = CASES_PER_SERVICE
        for i, op in enumerate(self.report.served):
            if self.service not in self.h.world.seeded:
                self.reseed()
            planner = Planner(self.h.world, self.service, self.model.operation_model(op), self.model.protocol, huge)
            # The service's cap, shared fairly: an operation may take up to twice its share of what is left.
            cap = None if left is None else max(8, 2 * left // (len(self.report.served) - i))
            cases = planner.plan(CASES_PER_OP, cap)
            if left is not None:
                left = max(0, left - len(cases))
            results = self.run_batch(cases)
            self.check_read_back(op, results)
            if DESTRUCTIVE.match(op):
                self.reseed()
        self.report.seconds = time.monotonic() - start
        return self.report

    def reseed(self) -> None:
        """Re-creates the resources requests point at; if that fails (something a fuzz call stored cannot be read
        back, say), reports it and moves the service to new names."""
        try:
            self.h.world.refresh(self.service)
            return
        except Exception as e:  # noqa: BLE001 - a parse error as much as a client error
            self.report.findings.append(Finding(
                "unreadable", None, None, f"re-creating the {self.service} resources failed: {type(e).__name__}: "
                f"{str(e)[:400]}\n(the state an earlier call stored cannot be read back; moving on to new names)"))
        self.h.world.rename(self.service)
        self.h.world.refresh(self.service)

    def discover(self) -> list[str]:
        """The operations of the botocore model that the server serves: each is probed once (json/query with an
        empty request, REST with its path members pointing at resources that do not exist), and counts as served
        unless the answer is one of the "not served" codes."""
        served = []
        rest = self.model.protocol.startswith("rest")
        for op in self.model.operation_names:
            op_model = self.model.operation_model(op)
            params = {}
            if rest and op_model.input_shape is not None:
                values = Values(self.h.world, self.service, op)
                for name in op_model.input_shape.required_members:
                    member = op_model.input_shape.members[name]
                    if member.type_name == "string":
                        params[name] = PROBE_NAMES.get(name) or values.valid_string(member)
                    else:
                        params[name] = values.valid(member, "", 1)
            case = Case(self.service, op, "probe: is this operation served?", params)
            outcome = self.h.send(case)
            if outcome.kind == "unsent":
                self.report.unserved += 1
                continue
            self.judge(case, outcome, count=False)           # a probe's answer must be well-formed too
            code = outcome.detail.split(":")[0].split(" ")[-1] if outcome.kind == "error" else ""
            text = f"{outcome.detail} {outcome.answer}"
            if code in UNSERVED_CODES or UNSERVED_MESSAGE.search(text) or "UnknownServiceException" in text:
                self.report.unserved += 1
                continue
            served.append(op)
        if not self.h.healthy():
            self.handle_death([])
        return served

    # one operation's cases --------------------------------------------------------------------------------------------

    def run_batch(self, cases: list[Case]) -> list[tuple[Case, Outcome]]:
        """Sends the cases; after a crash, pins it and sends the cases that were not sent yet."""
        pending, done = cases, []
        for _ in range(4):                                   # at most a few crashes per operation
            results = self.send_all(pending)
            dropped = [(c, o) for c, o in results if o is not None and o.kind == "dropped"]
            not_run = [c for c, o in results if o is None]
            for c, o in results:
                if o is not None and o.kind != "dropped":
                    self.count(c, o)
                    done.append((c, o))
            if not dropped and not not_run and self.h.healthy():
                self.check_partial_writes(done)
                return done
            self.handle_death(dropped)
            pending = not_run
            if not pending:
                return done
        self.report.findings.append(Finding("crash", None, None, f"gave up on {cases[0].op}: it kept crashing"))
        return done

    def send_all(self, cases: list[Case]) -> list[tuple[Case, Outcome | None]]:
        """Sends concurrently; once the server has died the rest are not sent (None)."""
        dead = threading.Event()

        def one(case: Case):
            if dead.is_set() or not self.h.server.alive:
                dead.set()
                return case, None
            outcome = self.h.send(case)
            if outcome.kind == "dropped" and not self.h.server.alive:
                dead.set()
            return case, outcome

        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(one, cases))

    def count(self, case: Case, outcome: Outcome) -> None:
        if outcome.kind == "unsent":
            self.report.unsent += 1
            return
        self.report.sent += 1
        self.report.timed(case, outcome)
        self.judge(case, outcome)

    def judge(self, case: Case, outcome: Outcome, count: bool = True) -> None:
        if count:
            self.report.outcomes[outcome.kind] = self.report.outcomes.get(outcome.kind, 0) + 1
        if outcome.kind == "bad":
            kind = "5xx" if outcome.detail.startswith("5xx") else "unparsed"
            self.report.findings.append(Finding(kind, case, outcome))

    def handle_death(self, dropped: list[tuple[Case, Outcome]]) -> None:
        """A dropped connection or a failed health check: wait to see whether the server died, then replay each
        suspect alone on a restarted server to find the request that kills it (or drops its connection)."""
        alive = self.h.settle()
        summary = ""
        if not alive:
            summary = self.h.crash_summary()
            self.h.restart()
            if not dropped:
                self.report.findings.append(Finding("crash", None, None,
                                                    "the server died between requests\n" + summary))
                self.reseed()
                return
        self.reseed()
        pinned = False
        for case, _ in dropped:
            outcome = self.h.send(case)
            if outcome.kind != "dropped":
                self.count(case, outcome)
                continue
            pinned = True
            self.report.sent += 1
            if self.h.settle():
                self.report.findings.append(Finding("dropped", case, outcome,
                                                    "the connection was dropped without an answer; the server lived"))
            else:
                self.report.findings.append(Finding("crash", case, outcome, self.h.crash_summary()))
                self.h.restart()
                self.reseed()
        if not alive and not pinned:
            self.report.findings.append(Finding(
                "crash", None, None, "the server died, and no single suspect kills it when replayed alone:\n"
                + "\n".join("    " + c.describe() + " " + short_repr(c.params, 300) for c, _ in dropped)
                + "\n" + summary))

    # what the calls left behind ---------------------------------------------------------------------------------------

    def check_partial_writes(self, results: list[tuple[Case, Outcome]]) -> None:
        spec = CREATES.get((self.service, results[0][0].op)) if results else None
        failed = [(c, o) for c, o in results if o.kind == "error" and c.created]
        if not spec or not failed:
            return
        try:
            existing = spec[1](self.h.plain(self.service))
        except Exception:  # noqa: BLE001 - an unreadable listing is the read-back check's finding
            return
        for case, outcome in failed:
            if case.created in existing:
                self.report.findings.append(Finding(
                    "partial-write", case, outcome, f"the call failed, yet {spec[0]}={case.created!r} now exists"))

    def check_read_back(self, op: str, results: list[tuple[Case, Outcome]]) -> None:
        """After an operation's cases, the service's list/describe calls must still answer readably: a call that
        stored what it should have refused shows up here, and is pinned by replaying the operation's successful
        cases one at a time on a fresh server."""
        for name, lists_all, call in self.h.world.read_back(self.service):
            if name in self.unreadable:
                continue
            problem = self.read_problem(name, call)
            if not problem:
                continue
            if lists_all:
                self.unreadable.add(name)
            suspects = [c for c, o in results if o.kind == "ok"]
            culprit = self.pinpoint(suspects, name)
            if culprit:
                self.report.findings.append(Finding(
                    "unreadable", culprit, None,
                    f"this call succeeds, and afterwards {problem}\n(replayed alone on a fresh server)"))
            else:
                self.report.findings.append(Finding(
                    "unreadable", None, None,
                    f"after the {self.service} {op} cases, {problem}\n"
                    f"no single call reproduces it on a fresh server; the {len(suspects)} {op} calls that succeeded:\n"
                    + "\n".join(f"    {c.label}: {short_repr(c.params, 300)}" for c in suspects[:12])))
            self.h.world.rename(self.service)
            return

    @staticmethod
    def read_problem(name: str, call: Callable[[], Any]) -> str:
        """"" if the read answers (or fails with a readable 4xx), else what went wrong."""
        try:
            call()
            return ""
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            code = e.response.get("Error", {}).get("Code") or ""
            if status < 500 and code and not code.isdigit():
                return ""                            # the seed resource is gone: re-seeding deals with it
            return f"{name} answers {status} {e.response.get('Error')}"
        except Exception as e:  # noqa: BLE001 - a parse error is the finding
            return f"{name} cannot be read any more: {type(e).__name__}: {str(e)[:300]}"

    def pinpoint(self, suspects: list[Case], read: str) -> Case | None:
        """The first suspect that, sent alone to a fresh server, leaves `read` unreadable."""
        with scratch_harness() as scratch:
            scratch.world.names = dict(self.h.world.names)      # the suspects name the same seed resources
            fuzzer = ServiceFuzzer(scratch, self.service)
            fuzzer.reseed()
            check = {name: call for name, _, call in scratch.world.read_back(self.service)}[read]
            for case in suspects:
                if scratch.send(case).kind == "ok" and self.read_problem(read, check):
                    return case
        return None


@contextlib.contextmanager
def scratch_harness():
    """A harness on a server of its own (fresh data directory), stopped afterwards."""
    factory = ServerFactory(Path(tempfile.mkdtemp(prefix="cairn-fuzz-scratch-")))
    try:
        yield Harness(factory.new())
    finally:
        factory.close()
        shutil.rmtree(factory.base, ignore_errors=True)


# -- malformed framing at the HTTP level ----------------------------------------------------------------------------

@dataclasses.dataclass
class Frame:
    """One hand-made request: signed with botocore's SigV4 signer, sent with urllib3."""
    label: str
    signing: str              # signing name
    protocol: str             # the protocol whose parser reads the answer
    body: bytes
    headers: dict
    method: str = "POST"
    path: str = "/"
    error_shape_from: tuple[str, str] | None = None   # (service, operation) whose output shape botocore parses


def json_frames(service: str, target: str, version: str, op: str) -> list[Frame]:
    h = {"Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": f"{target}.{op}"}
    valid = b"{}"

    def f(label, body, headers=None):
        return Frame(f"{service} json {version}: {label}", service, "json", body, {**h, **(headers or {})},
                     error_shape_from=(service, op))

    return [
        f("not JSON", b"not json at all"), f("truncated", b'{"a": "b'), f("a bare string", b'"x"'),
        f("an array", b"[1,2,3]"), f("null", b"null"), f("invalid UTF-8", b'{"a":"\xff\xfe"}'),
        f("NUL bytes", b"\x00" * 64), f("deep array", _deep_json(200_000)),
        f("deep object", _deep_json(5_000, "object")),
        f("a number too big for any type", b'{"MaxResults": ' + b"9" * 5000 + b"}"),
        f("unterminated escape", b'{"a":"\\u12'), f("lone surrogate escape", b'{"a":"\\udfff\\ud800"}'),
        f("BOM then JSON", b"\xef\xbb\xbf{}"), f("form body", b"Action=ListQueues&Version=2012-11-05",
                                                {"Content-Type": "application/x-www-form-urlencoded"}),
        f("wrong Content-Type", valid, {"Content-Type": "text/plain"}),
        f("Content-Type of the other JSON version", valid,
          {"Content-Type": "application/x-amz-json-" + ("1.1" if version == "1.0" else "1.0")}),
        f("no X-Amz-Target", valid, {"X-Amz-Target": ""}),
        f("X-Amz-Target of another service", valid, {"X-Amz-Target": "AWSCognitoIdentityService.ListPools"}),
        f("X-Amz-Target with only a dot", valid, {"X-Amz-Target": "."}),
        f("gzip Content-Encoding, plain body", valid, {"Content-Encoding": "gzip"}),
        f("empty body", b""),
    ]


def query_frames(service: str, version: str, op: str) -> list[Frame]:
    h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    good = f"Action={op}&Version={version}".encode()

    def f(label, body, headers=None):
        return Frame(f"{service} query: {label}", service, "query", body, {**h, **(headers or {})},
                     error_shape_from=(service, op))

    return [
        f("not a form", b"\x00\x01\x02\xff"), f("only separators", b"&&&===&&"),
        f("no Action", b"Version=" + version.encode()),
        f("empty Action", b"Action=&Version=" + version.encode()), f("Action twice", good + b"&Action=GetUser"),
        f("invalid percent-encoding", good + b"&A=%zz%"), f("percent-encoded invalid UTF-8", good + b"&A=%FF%FE"),
        f("raw invalid UTF-8", good + b"&A=\xff"), f("truncated percent", good + b"&A=%4"),
        f("NUL in Action", b"Action=" + op.encode() + b"%00&Version=" + version.encode()),
        f("JSON body", b'{"Action": "%s"}' % op.encode(), {"Content-Type": "application/json"}),
        f("XML body", b"<Action>%s</Action>" % op.encode(), {"Content-Type": "application/xml"}),
        f("no Content-Type", good, {"Content-Type": ""}),
        f(f"{HUGE} keys", good + b"".join(b"&K%d=v" % i for i in range(HUGE))),
        f("a key of 70k characters", good + b"&" + b"K" * OVERLONG + b"=v"),
        f("member index 2^64", good + b"&Tags.member.18446744073709551616.Key=a"),
        f("Action in the query string, body empty", b""),
    ]


def rest_xml_frames(bucket: str) -> list[Frame]:
    xml = {"Content-Type": "application/xml"}

    def f(label, method, path, body=b"", headers=None, signing="s3", op=("s3", "ListObjects")):
        return Frame(f"s3 rest-xml: {label}", signing, "rest-xml", body, {**xml, **(headers or {})}, method, path,
                     error_shape_from=op)

    ctl = {"x-amz-account-id": ACCOUNT}
    return [
        f("DeleteObjects: not XML", "POST", f"/{bucket}?delete", b"not xml"),
        f("DeleteObjects: truncated", "POST", f"/{bucket}?delete", b"<Delete><Object><Key>a</Ke"),
        f("DeleteObjects: deep", "POST", f"/{bucket}?delete",
          b"<Delete>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</Delete>"),
        f("DeleteObjects: billion laughs", "POST", f"/{bucket}?delete",
          b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Delete><Object><Key>&c;</Key></Object></Delete>'),
        f("DeleteObjects: external entity", "POST", f"/{bucket}?delete",
          b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&x;</Key>'
          b"</Object></Delete>"),
        f("DeleteObjects: invalid UTF-8", "POST", f"/{bucket}?delete",
          b"<Delete><Object><Key>\xff</Key></Object></Delete>"),
        f("DeleteObjects: 10,000 objects", "POST", f"/{bucket}?delete",
          b"<Delete>" + b"<Object><Key>k</Key></Object>" * HUGE + b"</Delete>"),
        f("DeleteObjects: JSON Content-Type and body", "POST", f"/{bucket}?delete", b'{"Objects": []}',
          {"Content-Type": "application/json"}),
        f("PutBucketPolicy: not JSON", "PUT", f"/{bucket}?policy", b"<not json>"),
        f("PutBucketPolicy: deep JSON", "PUT", f"/{bucket}?policy", _deep_json(100_000)),
        f("PutObjectTagging: not XML", "PUT", f"/{bucket}/fz-key?tagging", b"{}"),
        f("PutObjectTagging: NUL character reference", "PUT", f"/{bucket}/fz-key?tagging",
          b"<Tagging><TagSet><Tag><Key>&#0;</Key><Value>v</Value></Tag></TagSet></Tagging>"),
        f("CreateBucket: configuration not XML", "PUT", "/fz-frame-bucket", b"\x00\x01"),
        f("CreateBucket: configuration with unknown region", "PUT", "/fz-frame-bucket2",
          b"<CreateBucketConfiguration><LocationConstraint>" + b"r" * 5000 + b"</LocationConstraint>"
          b"</CreateBucketConfiguration>"),
        f("CompleteMultipartUpload: not XML", "POST", f"/{bucket}/fz-key?uploadId=fz-missing", b"garbage"),
        f("CompleteMultipartUpload: part number 2^63", "POST", f"/{bucket}/fz-key?uploadId=fz-missing",
          b"<CompleteMultipartUpload><Part><PartNumber>9223372036854775808</PartNumber><ETag>x</ETag></Part>"
          b"</CompleteMultipartUpload>"),
        f("path with a NUL", "GET", f"/{bucket}/a%00b"),
        f("path with invalid percent-encoding", "GET", f"/{bucket}/%zz"),
        f("path with invalid UTF-8", "GET", f"/{bucket}/%ff%fe"), f("path of dots", "GET", f"/{bucket}/../../.."),
        f("double slashes", "GET", f"//{bucket}//fz-key"),
        f("key of 5,000 characters", "GET", f"/{bucket}/" + "k" * 5000),
        f("query with invalid percent-encoding", "GET", f"/{bucket}?prefix=%zz&max-keys=%"),
        f("max-keys 2^64", "GET", f"/{bucket}?max-keys=18446744073709551616"),
        f("list-type 2 with start-after of 70k", "GET", f"/{bucket}?list-type=2&start-after=" + "s" * 20000),
        f("Range garbage", "GET", f"/{bucket}/fz-key", headers={"Range": "bytes=9-1,--,=,\x01"}),
        f("S3 Control CreateJob: not XML", "POST", "/v20180820/jobs", b"not xml", ctl, op=("s3control", "CreateJob")),
        f("S3 Control CreateJob: deep XML", "POST", "/v20180820/jobs",
          b"<CreateJobRequest>" + b"<a>" * 20_000 + b"</a>" * 20_000 + b"</CreateJobRequest>", ctl,
          op=("s3control", "CreateJob")),
        f("S3 Control CreateJob: Priority 2^63", "POST", "/v20180820/jobs",
          b"<CreateJobRequest><Priority>9223372036854775808</Priority></CreateJobRequest>", ctl,
          op=("s3control", "CreateJob")),
        f("S3 Control: account id of 70k digits", "GET", "/v20180820/jobs", b"", {"x-amz-account-id": "1" * OVERLONG},
          op=("s3control", "ListJobs")),
        f("S3 Control: job id with a NUL", "GET", "/v20180820/jobs/ab%00cdef", b"", ctl,
          op=("s3control", "DescribeJob")),
        f("S3 Control: priority query 2^64", "POST", "/v20180820/jobs/fzjobid/priority?priority=18446744073709551616",
          b"", ctl, op=("s3control", "UpdateJobPriority")),
    ]


def rest_json_frames() -> list[Frame]:
    j = {"Content-Type": "application/json"}

    def f(label, path, body, method="POST", headers=None, op="ListJobs"):
        return Frame(f"batch rest-json: {label}", "batch", "rest-json", body, {**j, **(headers or {})}, method, path,
                     error_shape_from=("batch", op))

    return [
        f("not JSON", "/v1/listjobs", b"not json"), f("truncated", "/v1/submitjob", b'{"jobName": "a'),
        f("an array", "/v1/createjobqueue", b"[]"), f("null", "/v1/describejobs", b"null"),
        f("invalid UTF-8", "/v1/registerjobdefinition", b'{"jobDefinitionName":"\xff"}'),
        f("deep", "/v1/submitjob", _deep_json(200_000)), f("huge number", "/v1/listjobs", b'{"maxResults":1e999}'),
        f("wrong Content-Type", "/v1/listjobs", b"{}", headers={"Content-Type": "text/xml"}),
        f("GET on a POST operation", "/v1/listjobs", b"", method="GET"),
        f("unknown operation path", "/v1/fuzzoperation", b"{}"),
        f("operation path with a trailing segment", "/v1/listjobs/extra", b"{}"),
        f("tags path with invalid percent-encoding", "/v1/tags/%zz%", b"{}", op="TagResource"),
        f("tags path with invalid UTF-8", "/v1/tags/%ff%fe", b"", method="GET", op="ListTagsForResource"),
        f("tags path of 70k characters", "/v1/tags/" + "a" * OVERLONG, b"", method="GET", op="ListTagsForResource"),
        f("untag with repeated tagKeys", "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A000000000000%3Ajob-queue%2Ffz-jq"
                                         "?tagKeys=&tagKeys=%zz", b"", method="DELETE", op="UntagResource"),
    ]


FRAME_PROTOCOLS = ["json-1.0", "json-1.1", "query", "rest-xml", "rest-json"]


def all_frames(bucket: str = "fz-bucket") -> dict[str, list[Frame]]:
    """Each protocol's hand-made requests; the S3 ones use `bucket` (the world's seed bucket)."""
    return {
        "json-1.0": json_frames("sqs", "AmazonSQS", "1.0", "ListQueues"),
        "json-1.1": json_frames("events", "AWSEvents", "1.1", "ListRules")
        + json_frames("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "1.1", "LookupEvents"),
        "query": query_frames("sns", "2010-03-31", "ListTopics") + query_frames("iam", "2010-05-08", "ListUsers")
        + query_frames("sts", "2011-06-15", "GetCallerIdentity")
        + [Frame("sqs query protocol: a form-encoded ListQueues", "sqs", "json",
                 b"Action=ListQueues&Version=2012-11-05", {"Content-Type": "application/x-www-form-urlencoded"},
                 error_shape_from=("sqs", "ListQueues"))],
        "rest-xml": rest_xml_frames(bucket),
        "rest-json": rest_json_frames(),
    }


class FrameFuzzer:
    def __init__(self, harness: Harness):
        self.h = harness
        self.findings: list[Finding] = []
        self.sent = 0

    def send(self, frame: Frame) -> Outcome:
        server = self.h.server
        creds = server.admin
        url = server.endpoint + frame.path
        req = AWSRequest(method=frame.method, url=url, data=frame.body, headers=dict(frame.headers))
        signer_cls = S3SigV4Auth if frame.signing == "s3" else SigV4Auth
        signer_cls(Credentials(creds.access_key, creds.secret_key), frame.signing, REGION).add_auth(req)
        prepared = req.prepare()
        sent = describe_request(frame.method, prepared.url, prepared.headers, frame.body)
        try:
            r = http(frame.method, prepared.url, body=frame.body, headers=dict(prepared.headers), timeout=READ_TIMEOUT)
        except DROPPED as e:
            return Outcome("dropped", f"no answer: {type(e).__name__}: {e}"[:400], sent)
        answer = f"HTTP {r.status_code} {short_repr(r.content[:700], 800)}"
        if r.status_code >= 500:
            return Outcome("bad", f"5xx: HTTP {r.status_code}", sent, answer)
        if r.status_code < 300:
            return Outcome("ok", f"HTTP {r.status_code}", sent, answer)
        if not r.content and not_plain_http(prepared.url, prepared.headers):
            return Outcome("error", f"{r.status_code} refused as HTTP", sent)
        service, op = frame.error_shape_from
        op_model = self.h.plain(service).meta.service_model.operation_model(op)
        try:
            parsed = create_parser(frame.protocol).parse(
                {"status_code": r.status_code, "headers": r.headers, "body": r.content}, op_model.output_shape)
        except Exception as e:  # noqa: BLE001 - whatever the parser raises, the answer is unreadable
            return Outcome("bad", f"HTTP {r.status_code}: botocore cannot parse the answer: {type(e).__name__}: "
                           f"{str(e)[:200]}", sent, answer)
        code = parsed.get("Error", {}).get("Code") or ""
        if not code or code.isdigit():
            return Outcome("bad", f"HTTP {r.status_code}: botocore finds no AWS error code in the answer", sent, answer)
        return Outcome("error", f"{r.status_code} {code}", sent)

    def run(self, frames: list[Frame]) -> None:
        for frame in frames:
            case = Case(frame.signing, frame.error_shape_from[1], frame.label, {})
            outcome = self.send(frame)
            self.sent += 1
            if outcome.kind == "bad":
                self.findings.append(Finding("5xx" if outcome.detail.startswith("5xx") else "unparsed", case, outcome))
            elif outcome.kind == "dropped" or not self.h.healthy():
                alive = self.h.settle()
                note = ("the connection was dropped without an answer; the server lived" if alive
                        else self.h.crash_summary())
                self.findings.append(Finding("dropped" if alive else "crash", case, outcome, note))
                if not alive:
                    self.h.restart()
