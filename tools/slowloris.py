#!/usr/bin/env python3
"""Slowloris against a running `serve`, with a normal client timed alongside.

    python3 tools/slowloris.py --port 8080 --slow 1000 --seconds 30
    python3 tools/slowloris.py --port 8080 --slow 1000 --seconds 45 --body

Opens --slow connections that each send a request head one byte every --drip seconds and never
finish it, while a normal client sends `GET /` on a fresh connection every 100 ms. With --body,
each slow connection sends a whole head at once (`POST /` with `Content-Length: 1000000`) and
then its body one byte every --drip seconds, never finishing it. Prints how many slow
connections the server accepted and when it closed them (and how many were answered, e.g. with
408, before closing), and the normal client's latencies (p50, p99, max) and failures. Standard
library only.
"""
import argparse
import asyncio
import statistics
import time

HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096
BODY_HEAD = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 1000000\r\n\r\n")
BODY = b"a" * 4096


async def slow_client(port, drip, stats, stop, body):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats["refused"] += 1
        return
    stats["open"] += 1
    opened = time.monotonic()
    try:
        if body:
            writer.write(BODY_HEAD)
            await writer.drain()
        for byte in BODY if body else HEAD:
            if stop.is_set():
                break
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                # The server closing the connection shows as EOF (or a reset) here.
                data = await asyncio.wait_for(reader.read(1024), timeout=drip)
                if not data:
                    raise ConnectionResetError
                stats["answered"] += 1  # e.g. a 408 before closing
                status = data.split(b"\r\n", 1)[0].decode(errors="replace")
                stats["statuses"][status] = stats["statuses"].get(status, 0) + 1
                raise ConnectionResetError
            except asyncio.TimeoutError:
                pass
    except (ConnectionResetError, BrokenPipeError, OSError):
        stats["closed_by_server"] += 1
        stats["held_s"].append(time.monotonic() - opened)
    finally:
        writer.close()


async def normal_client(port, stats, stop):
    while not stop.is_set():
        start = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), timeout=30)
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), timeout=30)
            await reader.read()
            writer.close()
            if status.startswith(b"HTTP/1.1 2"):
                stats["latency_ms"].append((time.monotonic() - start) * 1000)
            else:
                stats["failed"] += 1
        except (OSError, asyncio.TimeoutError):
            stats["failed"] += 1
        await asyncio.sleep(0.1)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--slow", type=int, default=1000)
    p.add_argument("--drip", type=float, default=5.0)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--body", action="store_true",
                   help="send whole heads and drip the bodies instead of dripping the heads")
    a = p.parse_args()
    slow = dict(open=0, refused=0, answered=0, closed_by_server=0, held_s=[], statuses={})
    normal = dict(latency_ms=[], failed=0)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(slow_client(a.port, a.drip, slow, stop, a.body)) for _ in range(a.slow)]
    await asyncio.sleep(1)  # let the slow connections take their places first
    tasks.append(asyncio.create_task(normal_client(a.port, normal, stop)))
    await asyncio.sleep(a.seconds)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    lat = sorted(normal["latency_ms"])
    held = sorted(slow["held_s"])
    q = lambda xs, f: xs[min(len(xs) - 1, int(f * len(xs)))] if xs else float("nan")
    print(f"slow connections: {a.slow} started, {slow['open']} opened, {slow['refused']} refused, "
          f"{slow['closed_by_server']} closed by the server, {slow['answered']} of them answered first "
          f"(held min {q(held, 0):.1f} s, median {q(held, .5):.1f} s, max {q(held, 1):.1f} s; "
          f"answers: {dict(sorted(slow['statuses'].items()))})")
    print(f"normal client: {len(lat)} ok, {normal['failed']} failed; latency ms p50 {q(lat, .5):.1f} "
          f"p99 {q(lat, .99):.1f} max {q(lat, 1):.1f}"
          + (f" mean {statistics.mean(lat):.1f}" if lat else ""))


asyncio.run(main())
