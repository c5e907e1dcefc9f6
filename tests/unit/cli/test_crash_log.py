"""`keel serve`'s crash.log (every thread's stack on a native crash) is readable by its owner only.

The stacks it records can quote the user's code: on a shared machine it must not be 0644
in a 0755 folder, also when an older Keel already created them so.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes; Windows profile folders are private")

def record(tmp_path) -> None:
    """Run ``_record_native_crashes`` in a fresh interpreter (it takes over faulthandler's file)."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-I", "-c", "from keel.cli.serve import _record_native_crashes\n"
                                    "_record_native_crashes()\n"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def log_dir(tmp_path):
    return tmp_path / "state" / "keel" / "log"


@pytest.mark.parametrize("older_keel", [False, True], ids=["first start", "made open by an older keel"])
def test_crash_log_is_0600_in_a_0700_folder(tmp_path, older_keel):
    folder = log_dir(tmp_path)
    if older_keel:
        folder.mkdir(parents=True, mode=0o755)
        os.chmod(folder, 0o755)
        (folder / "crash.log").write_text("an old crash\n")
        os.chmod(folder / "crash.log", 0o644)
    record(tmp_path)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / "crash.log").st_mode) == 0o600
    if older_keel:
        assert (folder / "crash.log").read_text() == "an old crash\n"  # appended to, not replaced


def test_a_planted_symlink_in_place_of_crash_log_is_not_followed(tmp_path):
    folder = log_dir(tmp_path)
    folder.mkdir(parents=True)
    target = tmp_path / "elsewhere.txt"
    (folder / "crash.log").symlink_to(target)
    record(tmp_path)  # crashes go unrecorded rather than into someone else's file
    assert not target.exists()
