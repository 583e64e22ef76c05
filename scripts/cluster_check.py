"""The checks of scripts/cluster.sh: three KeyHub instances on one PostgreSQL act as one.

Reads its setup from the environment (see cluster.sh); exits non-zero with the reason when a check
fails. Times are taken from when the change's request returned.
"""

import http.client
import json
import os
import sys
import time
import urllib.parse

INSTANCES = os.environ["INSTANCES"].split()
PROXY = os.environ["PROXY"]
FAKE = os.environ["FAKE"]
TOKEN, TOKEN2, TOKEN2_ID = os.environ["TOKEN"], os.environ["TOKEN2"], os.environ["TOKEN2_ID"]
PRIMARY, FALLBACK = os.environ["PRIMARY"], os.environ["FALLBACK"]
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", os.environ["ADMIN_PASSWORD"]
CHAT = json.dumps({"model": "gpt-4o-mini", "messages": []})
WITHIN = 1.0


def request(method, url, headers=None, body=None):
    """One request, redirects not followed: (status, headers, body text)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, response.headers, text


def gateway(base, token):
    status, headers, _ = request(
        "POST",
        f"{base}/gateway/acme/openai/chat/completions",
        {"authorization": f"Bearer {token}", "content-type": "application/json"},
        CHAT,
    )
    return status, headers.get("x-keyhub-key-id")


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {message}")


def last_seen_after(change_returned, still_old):
    """Calls every instance in turn for two seconds; when each last showed the old state."""
    last = {base: None for base in INSTANCES}
    while time.monotonic() - change_returned < 2 * WITHIN:
        for base in INSTANCES:
            asked = time.monotonic()
            if still_old(base):
                last[base] = asked - change_returned
    return last


def settled(last):
    return all(seen is None or seen < WITHIN for seen in last.values())


def sign_in(base, password):
    form = urllib.parse.urlencode({"email": ADMIN_EMAIL, "password": password})
    return request(
        "POST",
        f"{base}/api/auth/login",
        {"content-type": "application/x-www-form-urlencoded", "origin": base},
        form,
    )


def session_cookie(headers):
    cookies = [value.split(";", 1)[0] for value in headers.get_all("set-cookie") or []]
    return "; ".join(cookie for cookie in cookies if "session" in cookie.split("=", 1)[0])


# Re-validation: both keys were due when the three instances started; one instance validated them.
expected = int(os.environ["VALIDATIONS_BEFORE"]) + 2
deadline = time.monotonic() + 15
count = 0
while time.monotonic() < deadline:
    seen = request("GET", f"{FAKE}/_fake/seen")[2].splitlines()
    count = sum(1 for line in seen if line == "GET /openai/models")
    if count >= expected:
        break
    time.sleep(0.2)
time.sleep(2)
seen = request("GET", f"{FAKE}/_fake/seen")[2].splitlines()
count = sum(1 for line in seen if line == "GET /openai/models")
check(count == expected, f"background re-validation ran once across instances ({count - expected + 2} validations for 2 due keys)")

for base in INSTANCES:
    check(gateway(base, TOKEN) == (200, PRIMARY), f"{base} serves with the primary")

# A key disabled through instance 1 is used by nobody a second later.
status, _, _ = request(
    "PUT",
    f"{INSTANCES[0]}/api/v1/provider-keys/{PRIMARY}/deactivate",
    {"authorization": f"Bearer {TOKEN}"},
)
returned = time.monotonic()
check(status == 200, "the primary is disabled through instance 1")
last = last_seen_after(returned, lambda base: gateway(base, TOKEN)[1] == PRIMARY)
check(settled(last), f"no instance used the disabled key {WITHIN}s after the change (last use after it: {last})")
check(all(gateway(base, TOKEN) == (200, FALLBACK) for base in INSTANCES), "every instance serves with the fallback")

# A session made by instance 2 is good on instance 3 and through the proxy.
status, headers, _ = sign_in(INSTANCES[1], ADMIN_PASSWORD)
cookie = session_cookie(headers)
check(cookie != "", f"the owner signs in on instance 2 ({status})")
for base in [INSTANCES[2], PROXY]:
    status, _, page = request("GET", f"{base}/hub", {"cookie": cookie})
    check(status == 200 and "Sign out" in page, f"the session from instance 2 works on {base}")

# A token revoked through instance 2 is refused by all a second later.
check(all(gateway(base, TOKEN2)[0] == 200 for base in INSTANCES), "the second token works everywhere")
status, _, body = request(
    "POST",
    f"{INSTANCES[1]}/api/tokens/revoke",
    {"content-type": "application/x-www-form-urlencoded", "origin": INSTANCES[1], "cookie": cookie},
    urllib.parse.urlencode({"id": TOKEN2_ID}),
)
returned = time.monotonic()
check(status < 400, f"the second token is revoked through instance 2 ({status} {body[:200]})")
last = last_seen_after(returned, lambda base: gateway(base, TOKEN2)[0] != 401)
check(settled(last), f"no instance took the revoked token {WITHIN}s after the change (last: {last})")

# Sign-in failures count across instances: five wrong passwords through the proxy (round robin),
# then the right one is refused too, wherever it lands.
for _ in range(5):
    sign_in(PROXY, "a wrong password, guessed")
status, _, page = sign_in(PROXY, ADMIN_PASSWORD)
check("Too many failed sign-in attempts" in page, f"the sixth attempt is refused ({status})")
print("The three instances act as one.")
