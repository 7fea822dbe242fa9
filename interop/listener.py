"""The MLLP listener: python-hl7's asyncio MLLP server, one ACK per message, in order.

Each connection is read one block at a time (MLLP is request/response), and each message is
stored and applied in a worker thread with its own database connection, so a slow database
holds up only its own connection. Nothing a sender sends stops the listener: a block without
the MLLP start byte or an unreadable message is answered AR and the connection keeps going; a
block over HL7_MAX_MESSAGE_BYTES is answered AR and that connection is closed (its stream can
no longer be framed); an error of our own is answered AR ("send it again") and logged.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from interop import inbound
from interop.hl7v2 import ack

log = logging.getLogger("interop.listener")


def _receive(block: bytes) -> bytes:
    """One message in a worker thread -> the ACK bytes. Never raises."""
    close_old_connections()
    try:
        answer = inbound.receive(block)
        return answer.ack.encode("utf-8")
    except Exception:  # the database is down, or a bug: AR tells the sender to send again
        log.exception("could not store an inbound message")
        text = "The message could not be stored; send it again."
        return ack.build(
            None,
            ack.AR,
            text,
            error="internal",
            control_id=inbound._control_id_guess(inbound.decode(block)),
        ).encode()
    finally:
        close_old_connections()


class Listener:
    def __init__(self, *, host: str, port: int, workers: int, max_bytes: int):
        self.host, self.port, self.max_bytes = host, port, max_bytes
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hl7")
        self.server = None
        self.connections: set[asyncio.Task] = set()
        self.served = 0

    async def start(self) -> int:
        self.server = await start_hl7_server(
            self._client, self.host, self.port, limit=self.max_bytes
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def _client(self, reader, writer) -> None:
        task = asyncio.current_task()
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError:
                    break  # the sender closed the connection
                except InvalidBlockError:
                    reply = ack.build(None, ack.AR, "The block has no MLLP start character.")
                    writer.writeblock(reply.encode())
                    await writer.drain()
                    continue
                except ValueError:
                    reply = ack.build(
                        None, ack.AR, f"The message is larger than {self.max_bytes} bytes."
                    )
                    writer.writeblock(reply.encode())
                    await writer.drain()
                    break
                reply = await loop.run_in_executor(self.pool, _receive, block)
                self.served += 1
                writer.writeblock(reply)
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the sender went away mid-answer; it resends what it did not see acknowledged
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("connection from %s failed", peer)
        finally:
            self.connections.discard(task)
            writer.close()

    async def serve_forever(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        await stop.wait()
        await self.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for task in list(self.connections):
            task.cancel()
        self.pool.shutdown(wait=True)
