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
    vigil.stop_all(started)


@pytest.fixture
def master(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    return node
