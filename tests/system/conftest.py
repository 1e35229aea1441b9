"""pytest fixtures: every process started through `procs` is stopped at the end of its test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vigil  # noqa: E402


@pytest.fixture
def procs():
    started = []
    yield started
    failure = None
    for p in reversed(started):
        try:
            p.stop()
        except Exception as e:  # cleanup must go on for the others
            p.kill()
            failure = failure or e
    if failure is not None:  # a sanitizer report at exit fails the test that ran it
        raise failure


@pytest.fixture
def master(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    return node
