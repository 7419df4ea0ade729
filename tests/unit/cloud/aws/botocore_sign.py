#!/usr/bin/env python3
"""Generates randomised requests and signs them with botocore, one JSON object per line.

Usage: botocore_sign.py SEED COUNT
Used by cloud_aws_tests (SigV4Differential): firebreak must produce the same signatures.
Each line: method, path (wire form), query (decoded pairs), headers, body (hex), service, region,
s3 (bool), presign (bool), credentials, timestamp, expires, signature, canonical_request.
"""
import datetime
import json
import random
import sys
from urllib.parse import quote

import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ODD = "abcXYZ019-_.~ !$&'()*+,;=:@%/?#[]\"<>\\^`{|}\u00e9\u4e2d\U0001f600"
HOST = "example.amazonaws.com"


def rand_text(rng, n, alphabet=ODD):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, n)))


def rand_path(rng, s3):
    segs = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if not s3 and r < 0.1:
            segs.append(rng.choice([".", "..", ""]))
        else:
            segs.append(quote(rand_text(rng, 12), safe=rng.choice(["", "!$'()*+,;=:@"])))
    path = "/" + "/".join(segs)
    if rng.random() < 0.3:
        path += "/"
    return path


def enc(s):
    return quote(s, safe="-_.~")


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    for i in range(count):
        s3 = rng.random() < 0.35
        presign = rng.random() < 0.3
        method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
        service = "s3" if s3 else rng.choice(["ec2", "iam", "sts", "ssm", "execute-api", "sqs"])
        region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"])
        path = rand_path(rng, s3)
        query = []
        keys = set()
        for _ in range(rng.randint(0, 5)):
            k = rand_text(rng, 8) or "k"
            if presign and k in keys:
                continue
            keys.add(k)
            query.append([k, rand_text(rng, 10)])
            if not presign and rng.random() < 0.2:
                query.append([k, rand_text(rng, 6)])  # repeated key
        headers = {}
        for _ in range(rng.randint(0, 5)):
            name = "X-" + "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyzABC0123456789-") for _ in range(rng.randint(1, 10)))
            if name.lower() in (h.lower() for h in headers):
                continue
            value = rand_text(rng, 20, "abc XYZ 012\t -_.:;/=+,\"'()")
            headers[name] = value
        body = b""
        if method in ("PUT", "POST") and not presign:
            body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        token = None
        if rng.random() < 0.4:
            token = "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(rng.randint(20, 80)))
        creds = Credentials("AKIDEXAMPLE%04d" % i,
                            "".join(rng.choice("ABCDEFGHabcdefgh0123456789+/") for _ in range(40)), token)
        ts = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
            seconds=rng.randint(0, 15 * 365 * 86400))
        botocore.auth.get_current_datetime = lambda ts=ts: ts.replace(tzinfo=None)
        expires = rng.choice([60, 900, 3600, 604800])

        url = "https://" + HOST + path
        if query:
            url += "?" + "&".join(enc(k) + "=" + enc(v) for k, v in query)
        req = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
        if presign:
            signer = (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(creds, service, region, expires=expires)
        else:
            signer = (S3SigV4Auth if s3 else SigV4Auth)(creds, service, region)
        captured = {}
        orig = signer.canonical_request

        def capture(r, orig=orig):
            captured["cr"] = orig(r)
            return captured["cr"]

        signer.canonical_request = capture
        signer.add_auth(req)
        if presign:
            sig = req.url.rsplit("X-Amz-Signature=", 1)[1]
        else:
            sig = req.headers["Authorization"].rsplit("Signature=", 1)[1]
        print(json.dumps({
            "method": method, "path": path, "query": query, "headers": list(headers.items()),
            "body": body.hex(), "service": service, "region": region, "s3": s3,
            "presign": presign, "access_key_id": creds.access_key, "secret_access_key": creds.secret_key,
            "session_token": token or "", "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expires": expires, "signature": sig, "canonical_request": captured["cr"],
        }))


if __name__ == "__main__":
    main()
