"""KeyHub's own checks for Schemathesis, loaded by scripts/api-fuzz.sh."""

import os
import zlib

import schemathesis

# The secret of the key the script stores before the run; only `resolve` may ever answer with it.
STORED_SECRET = os.environ["KEYHUB_FUZZ_SECRET"]
# Its id: path parameters named `id` point at it half of the time, so the operations on a key reach
# a real one instead of only ever answering 404 (the same ones in every run with the same seed).
STORED_KEY_ID = os.environ["KEYHUB_FUZZ_KEY_ID"]


@schemathesis.check
def no_key_in_the_answer(ctx, response, case):
    """No answer repeats a key the request carried, nor the stored key (but `resolve`'s)."""
    text = response.content.decode("utf-8", "replace")
    body = case.body if isinstance(case.body, dict) else {}
    sent = body.get("api_key")
    if isinstance(sent, str) and len(sent.strip()) >= 8 and sent.strip() in text:
        raise AssertionError("The answer repeats the key sent in the request.")
    if STORED_SECRET in text and not case.path.endswith("/resolve"):
        raise AssertionError("The answer holds the stored key's secret.")


@schemathesis.hook
def map_path_parameters(ctx, parameters):
    if parameters and "id" in parameters and zlib.crc32(str(parameters["id"]).encode()) % 2 == 0:
        parameters["id"] = STORED_KEY_ID
    return parameters
