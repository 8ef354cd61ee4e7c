#!/usr/bin/env python3
"""bench/run's start-up timer: starts COMMAND, polls http://127.0.0.1:PORT/PATH until it answers
200, prints the milliseconds from exec to that answer, then stops the process (SIGTERM).

usage: startup.py PORT PATH COMMAND [ARG...]"""
import http.client, os, signal, subprocess, sys, time

port, path, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
start = time.monotonic()
process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while True:
        if process.poll() is not None:
            sys.exit(f"startup.py: {command[0]} exited with {process.returncode} before answering")
        if time.monotonic() - start > 30:
            sys.exit(f"startup.py: no answer within 30 s")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.001)
    print(f"{(time.monotonic() - start) * 1000:.1f}")
finally:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
