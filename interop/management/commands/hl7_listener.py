"""manage.py hl7_listener: receive HL7 v2 (ORU^R01, ADT^A04/A08/A31) over MLLP."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from interop.listener import Listener


class Command(BaseCommand):
    help = "Listen for HL7 v2 messages over MLLP (HL7_MLLP_HOST:HL7_MLLP_PORT) and ACK each."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.HL7_MLLP_HOST)
        parser.add_argument("--port", type=int, default=settings.HL7_MLLP_PORT)
        parser.add_argument("--workers", type=int, default=settings.HL7_WORKERS)

    def handle(self, *args, host, port, workers, **options):
        asyncio.run(self._run(host, port, workers))

    async def _run(self, host, port, workers):
        listener = Listener(
            host=host, port=port, workers=workers, max_bytes=settings.HL7_MAX_MESSAGE_BYTES
        )
        bound = await listener.start()
        self.stdout.write(f"HL7 MLLP listener ready on {host}:{bound} ({workers} workers)")
        self.stdout.flush()
        await listener.serve_forever()
        self.stdout.write(f"HL7 MLLP listener stopped after {listener.served} messages")
