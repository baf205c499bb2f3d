"""The official `openai` Python SDK against token-server's OpenAI-compatible API.

    BASE=http://127.0.0.1:8001 python test_openai_sdk.py

BASE: a token-server with the built-in generator, started with
--max-tokens 60 --token-delay-ms 20 (the script checks those 60 tokens).
Unchanged SDK, pointed at BASE/v1 with any API key. Prints
"N passed, M failed" and exits 1 on any failure.
"""
import json
import os
import sys
import time
import traceback
import urllib.request

import openai

BASE = os.environ.get("BASE", "http://127.0.0.1:8001").rstrip("/")
TOKENS = 60
client = openai.OpenAI(base_url=BASE + "/v1", api_key="sk-not-checked", max_retries=0, timeout=30)
PROMPT = "How does the SDK read a stream?"
passed = failed = 0


def check(name):
    def run(fn):
        global passed, failed
        t0 = time.monotonic()
        try:
            fn()
            passed += 1
            print(f"ok   {name} ({(time.monotonic() - t0) * 1000:.0f} ms)")
        except Exception:
            failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}")
        return fn
    return run


def stats():
    with urllib.request.urlopen(BASE + "/api/stats", timeout=10) as r:
        return json.load(r)


def sse_api_text(prompt):
    """The same prompt through the token server's own SSE API."""
    req = urllib.request.Request(BASE + "/api/streams", data=json.dumps({"prompt": prompt}).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        events = json.load(r)["events"]
    text, event = [], None
    with urllib.request.urlopen(BASE + events, timeout=30) as r:
        for raw in r:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "token":
                text.append(json.loads(line[5:])["text"])
            elif line.startswith("data:") and event == "done":
                return "".join(text)
    raise AssertionError("no done event")


@check("models.list() lists the model")
def _():
    ids = [m.id for m in client.models.list()]
    assert ids == ["pushcodec-builtin"], ids


@check("non-streaming: one chat.completion with the whole answer")
def _():
    r = client.chat.completions.create(model="pushcodec-builtin", messages=[
        {"role": "system", "content": "be brief"}, {"role": "user", "content": PROMPT}])
    assert r.object == "chat.completion", r
    c = r.choices[0]
    assert c.finish_reason == "stop", c
    assert c.message.role == "assistant"
    assert c.message.content.startswith("You asked about How does the SDK read a."), c.message.content[:80]
    assert r.usage.completion_tokens == TOKENS, r.usage
    global WHOLE
    WHOLE = c.message.content


@check("streaming: chunks add up to the same text, finish_reason on the last; the SSE API agrees")
def _():
    stream = client.chat.completions.create(model="pushcodec-builtin", stream=True,
                                            messages=[{"role": "user", "content": PROMPT}])
    parts, finish, roles, n = [], None, [], 0
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        d = chunk.choices[0].delta
        if d.role:
            roles.append(d.role)
        if d.content:
            parts.append(d.content)
            n += 1
        if chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert roles == ["assistant"], roles
    assert finish == "stop", finish
    assert n == TOKENS, n
    assert "".join(parts) == WHOLE
    assert sse_api_text(PROMPT) == WHOLE, "the SSE API gives the same text for the prompt"


@check("streaming with include_usage: a usage chunk before [DONE]")
def _():
    stream = client.chat.completions.create(model="pushcodec-builtin", stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "usage please"}])
    usage = [c.usage for c in stream if c.usage]
    assert len(usage) == 1 and usage[0].completion_tokens == TOKENS, usage


@check("closing the stream early stops the generation (/api/stats)")
def _():
    before = stats()
    stream = client.chat.completions.create(model="pushcodec-builtin", stream=True,
                                            messages=[{"role": "user", "content": "stop me early"}])
    got = 0
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            got += 1
        if got == 5:
            break
    assert stats()["chat_generating"] >= 1
    stream.close()
    deadline = time.monotonic() + 5
    while True:
        s = stats()
        if s["chat_generating"] == 0 and s["chat_cancelled"] == before["chat_cancelled"] + 1:
            break
        assert time.monotonic() < deadline, f"generation still running: {s}"
        time.sleep(0.05)
    assert s["chat_completed"] == before["chat_completed"], s


@check("a bad request raises the SDK's BadRequestError with the server's message")
def _():
    try:
        client.chat.completions.create(model="pushcodec-builtin", messages=[{"role": "system", "content": "x"}])
    except openai.BadRequestError as e:
        assert "user message" in str(e), e
    else:
        raise AssertionError("no error")


print(f"openai {openai.__version__}: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
