#!/usr/bin/env python3
"""Reference tokens for AuthTests, made by an independent JWT implementation (PyJWT).

    python3 -m venv /tmp/jwtvenv && /tmp/jwtvenv/bin/pip install pyjwt==2.15.1
    /tmp/jwtvenv/bin/python Tests/TicklineControlTests/Scripts/make_jwt_fixtures.py

prints one `name token` line per fixture; AuthTests.swift carries the output verbatim
(`PyJWTFixtures`). PyJWT signs deterministically (HMAC, fixed claims), so rerunning gives the same
tokens.
"""
import warnings

import jwt

# The hs512 fixture exists to be refused; PyJWT warns that its key is short for SHA-512.
warnings.simplefilter("ignore")

SECRET = "tickline-test-secret-0123456789abcdef"  # 37 bytes; AuthTests.fixtureSecret
OTHER_SECRET = "some-other-secret-0123456789abcdef!!"
IAT = 1767225600  # 2026-01-01T00:00:00Z; AuthTests.fixtureIssuedAt
WEEK = 7 * 24 * 3600

fixtures = [
    ("trader", {"sub": "alice", "account": 3, "role": "trader", "iat": IAT, "exp": IAT + WEEK}, SECRET, "HS256"),
    ("viewer", {"sub": "carol", "role": "viewer", "iat": IAT, "exp": IAT + WEEK}, SECRET, "HS256"),
    ("admin", {"sub": "root", "role": "admin", "iat": IAT, "exp": IAT + WEEK}, SECRET, "HS256"),
    # Issued a week before IAT: expired at IAT.
    ("expired", {"sub": "alice", "role": "trader", "iat": IAT - WEEK, "exp": IAT}, SECRET, "HS256"),
    ("wrongSecret", {"sub": "alice", "role": "admin", "iat": IAT, "exp": IAT + WEEK}, OTHER_SECRET, "HS256"),
    ("hs512", {"sub": "alice", "role": "admin", "iat": IAT, "exp": IAT + WEEK}, SECRET, "HS512"),
    ("algNone", {"sub": "alice", "role": "admin", "iat": IAT, "exp": IAT + WEEK}, None, "none"),
]

for name, claims, key, alg in fixtures:
    print(name, jwt.encode(claims, key, algorithm=alg))
