"""A worker killed with SIGKILL in the middle of a job: the job is taken up again and its
effect happens exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from planner.store.models import MailMessage
from planner.web.config import Config
from planner.web.mail_config import MailConfig
from tests.engine.conftest import Clock, make_engine
from tests.engine.test_engine import NOW, WAIT, confirmed, couple_with_link, wait_for
from tests.mailserver import Inbox, smtp_server
from tests.services.test_sources import CalendarServer


class StallingInbox(Inbox):
    """Holds the first message at RCPT until released, telling the test it got there."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(
        self, smtp: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not self.arrived.is_set():
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def stalling() -> Iterator[tuple[StallingInbox, int]]:
    inbox = StallingInbox()
    with smtp_server(inbox) as port:
        yield inbox, port
        inbox.release.set()


def worker_env(config: Config, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNER_", "DATABASE"))}
    env |= {
        "SECRET_KEY": config.secret_key,
        "DATABASE_URL": config.database_url,
        "PLANNER_QUEUE_NAME": config.queue_name,
        "PLANNER_SMTP_HOST": "127.0.0.1",
        "PLANNER_SMTP_PORT": str(smtp_port),
        "PLANNER_SMTP_SECURITY": "none",
        "PLANNER_MAIL_FROM": "planner@example.org",
        "PLANNER_WORKERS": "1",
    }
    if config.queue_url:
        env["PLANNER_QUEUE_URL"] = config.queue_url
    else:
        env["PLANNER_QUEUE_FILE"] = config.queue_file
    return env


def test_sigkill_during_a_mail_job_sends_each_mail_exactly_once(
    engine_config: Config,
    sessions: sessionmaker[Session],
    session: Session,
    server: CalendarServer,
    stalling: tuple[StallingInbox, int],
) -> None:
    inbox, port = stalling
    couple_id, lena, sam, _ = couple_with_link(session, engine_config, server.url())
    confirmed(session, couple_id, lena, sam)  # queues proposals and a confirmation
    rows = list(session.scalars(select(MailMessage.message_id)))
    session.commit()
    assert rows

    engine = make_engine(engine_config, sessions, Clock(NOW))
    engine.jobs.deliver_mail()  # waits in the queue for a worker
    worker = subprocess.Popen(
        [sys.executable, "-m", "planner.cli", "worker"],
        env=worker_env(engine_config, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        if not inbox.arrived.wait(WAIT):
            worker.kill()
            output = worker.communicate(timeout=10)[0].decode(errors="replace")
            pytest.fail(f"the worker never reached the SMTP server:\n{output[-2000:]}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=WAIT)
    finally:
        if worker.poll() is None:
            worker.kill()
    inbox.release.set()
    assert not inbox.messages  # killed before the server took anything

    # Once the dead worker's claim runs out, the next worker sends every mail, once.
    later = Clock(datetime.now(UTC) + timedelta(minutes=16))
    mail = MailConfig(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                      sender="planner@example.org")  # fmt: skip
    retry = make_engine(replace(engine_config, mail=mail), sessions, later)
    wait_for(lambda: retry.jobs.run_mail() == 0 and len(inbox.messages) >= len(rows), "resend")
    sent_ids = sorted(m.parsed()["Message-ID"].strip("<>") for m in inbox.messages)
    assert len(sent_ids) == len(set(sent_ids)) == len(rows)
    assert retry.jobs.run_mail() == 0
