"""Workflow and task ids: random version-4 UUIDs, never repeated, not even by a forked child."""

import os
import uuid

import pytest

from conductor_nb.engine.ids import new_id


def test_ids_are_distinct_version_4_uuids():
    ids = [new_id() for _ in range(20_000)]  # several refills of the pool
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids[:300])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_does_not_repeat_its_parents_ids():
    new_id()  # the pool holds unused random bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.close(read)
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    child_id = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child_id and child_id != new_id()
