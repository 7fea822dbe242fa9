"""The listener under faults: the database gone, a block over the size limit, a stop signal."""

from __future__ import annotations

import os
import socket

import pytest

from tests.interop.conftest import EB, SB, Listener, ack_of, adt, free_port, send

pytestmark = pytest.mark.postgres


def _env(tmp_path, **extra) -> dict:
    env = dict(os.environ, VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1", **extra)
    env.pop("CI", None)
    return env


def test_without_a_database_every_message_is_ar_and_the_listener_keeps_serving(tmp_path):
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/nothing_here"
    proc = Listener(_env(tmp_path, DATABASE_URL=dead, CONN_MAX_AGE="0"), tmp_path / "l.log")
    try:
        proc.wait_ready()
        with proc.client() as client:
            for n in range(3):
                code, control, text = ack_of(send(client, adt(f"DOWN{n}", f"MRN-D{n}")))
                assert (code, control) == ("AR", f"DOWN{n}")
                assert "send it again" in text
        assert proc.alive
    finally:
        assert proc.stop() == 0


def test_a_block_over_the_limit_is_ar_and_closes_only_that_connection(tmp_path, listener_env):
    proc = Listener({**listener_env, "HL7_MAX_MESSAGE_BYTES": "4000"}, tmp_path / "l.log")
    try:
        proc.wait_ready()
        with proc.client() as big:
            big.socket.sendall(SB + adt("BIG1", "MRN-BIG").encode() + b"Z" * 10000 + EB + b"\r")
            data = b""
            while not data.endswith(EB + b"\r"):
                chunk = big.socket.recv(4096)
                assert chunk, "closed without an answer"
                data += chunk
            code, _, text = ack_of(data)
            assert code == "AR" and "larger than 4000 bytes" in text
            big.socket.settimeout(5)
            assert big.socket.recv(4096) == b""  # that connection is closed
        with proc.client() as client:
            assert ack_of(send(client, adt("SMALL1", "MRN-SMALL")))[0] == "AA"
    finally:
        assert proc.stop() == 0


def test_sigterm_stops_it_cleanly(tmp_path, listener_env):
    proc = Listener(listener_env, tmp_path / "l.log")
    proc.wait_ready()
    idle = socket.create_connection(("127.0.0.1", proc.port))  # an idle sender does not hold it up
    try:
        assert proc.stop() == 0
    finally:
        idle.close()
    assert b"stopped after" in (tmp_path / "l.log").read_bytes()
