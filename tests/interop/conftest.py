"""HL7 v2 test messages, the MLLP listener as a real process, and python-hl7's MLLP client."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import hl7
import pytest
from hl7.client import MLLPClient

ROOT = Path(__file__).resolve().parents[2]
SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hl7_ts(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d%H%M%S%z")
    return value.strftime("%Y%m%d")


def msh(kind: str, control_id: str, sender: str = "LAB^GENERAL_HOSPITAL") -> str:
    app, _, facility = sender.partition("^")
    return f"MSH|^~\\&|{app}|{facility}|INFUSION|CENTER|20261201083000||{kind}|{control_id}|P|2.5.1"


def adt(
    control_id: str,
    mrn: str,
    *,
    event: str = "A04",
    family: str = "Rivera",
    given: str = "Ana",
    born: str = "19790314",
    phone: str = "^PRN^CP^^1^617^5550199",
    email: str = "ana.rivera@example.org",
) -> str:
    telecom = phone
    if email:
        telecom = f"{telecom}~^NET^Internet^{email}" if telecom else f"^NET^Internet^{email}"
    return (
        "\r".join(
            [
                msh(f"ADT^{event}^ADT_A01", control_id, "ADT^GENERAL_HOSPITAL"),
                f"EVN|{event}|20261201083000",
                f"PID|1||{mrn}^^^GH^MR~123-45-6789^^^SSA^SS||{family}^{given}^M||{born}|F|||"
                f"1 Main St^^Springfield^MA^01101||{telecom}",
                "PV1|1|O",
            ]
        )
        + "\r"
    )


def oru(
    control_id: str,
    mrn: str,
    results: list[tuple],
    *,
    collected: dt.datetime,
    panel: tuple[str, str] | None = None,
    sender: str = "LAB^GENERAL_HOSPITAL",
) -> str:
    """results: (loinc, name, value, flag, status) per OBX."""
    order = f"{panel[0]}^{panel[1]}^LN" if panel else f"{results[0][0]}^{results[0][1]}^LN"
    segments = [
        msh("ORU^R01^ORU_R01", control_id, sender),
        f"PID|1||{mrn}^^^GH^MR||Patient^Test||19800101|F",
        f"OBR|1|ORD{control_id}|ACC{control_id}|{order}|||{hl7_ts(collected)}||||||||||||||"
        f"{hl7_ts(collected)}|||F",
    ]
    for n, (code, name, value, flag, status) in enumerate(results, start=1):
        kind = "NM" if value.replace(".", "", 1).isdigit() else "ST"
        segments.append(
            f"OBX|{n}|{kind}|{code}^{name}^LN||{value}|||{flag}|||{status}|||{hl7_ts(collected)}"
        )
    return "\r".join(segments) + "\r"


def send(client: MLLPClient, message: str | bytes) -> bytes:
    """python-hl7's client, reading until the whole MLLP block of the ACK is in."""
    raw = message if isinstance(message, bytes) else message.encode()
    data = client.send(SB + raw + EB + CR)
    while not data.endswith(EB + CR):
        more = client.socket.recv(4096)
        if not more:
            break
        data += more
    return data


def ack_of(data: bytes) -> tuple[str, str, str]:
    """(MSA-1 code, MSA-2 control id, MSA-3 text) of an ACK block."""
    text = data.strip(SB + EB + CR).decode()
    message = hl7.parse(text)
    msa = message.segment("MSA")
    assert str(message.segment("MSH")(9)).startswith("ACK")
    return (
        str(msa(1)),
        str(msa(2)),
        message.unescape(str(msa(3))) if len(msa) > 3 else "",
    )


class Listener:
    """`manage.py hl7_listener` as a real process on a free port."""

    def __init__(self, env: dict, log_path: Path, workers: int = 4):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "hl7_listener",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"listener exited: {self.log_path.read_text()[-3000:]}")
            if b"listener ready" in self.log_path.read_bytes():
                return
            time.sleep(0.1)
        raise AssertionError(f"listener not ready: {self.log_path.read_text()[-3000:]}")

    def client(self) -> MLLPClient:
        return MLLPClient("127.0.0.1", self.port)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def loinc_map(catalogue):
    """The seeded LOINC map (a flushed test database loses migration data)."""
    from interop.loinc import load_loinc_map

    load_loinc_map()


@pytest.fixture
def listener_env(transactional_db, loinc_map, tmp_path) -> dict:
    """The environment of a listener process on this test's (committed) database."""
    from django.db import connection

    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
            "VAR_DIR": str(tmp_path / "var"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("CI", None)
    return env


@pytest.fixture
def listener(listener_env, tmp_path):
    proc = Listener(listener_env, tmp_path / "listener.log")
    try:
        proc.wait_ready()
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def fhir_as(make_staff):
    """fhir_as("front_desk") -> an APIClient with that role's API token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            user = make_staff(role)
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
            client.user = user
        return client

    return make


def fhir(response, status: int = 200):
    """The response's resource, checked: status, media type, and parsed by its R4B model."""
    import json

    from fhir.resources.R4B import get_fhir_model_class

    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"].startswith("application/fhir+json"), response["Content-Type"]
    body = json.loads(response.content)
    model = get_fhir_model_class(body["resourceType"]).model_validate(body)
    if body["resourceType"] == "Bundle":
        for entry in model.entry or []:
            if entry.resource is not None:
                # each resource of a Bundle is parsed by its own model as well
                get_fhir_model_class(entry.resource.get_resource_type()).model_validate(
                    entry.resource.model_dump(mode="json", exclude_none=True)
                )
    return body
