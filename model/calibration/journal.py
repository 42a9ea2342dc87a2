"""The study's folder: its Optuna journal (storage), the lock that keeps one calibration per folder,
and the repairs a killed calibration needs before `--resume`."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .. import results
from ..scenario import ScenarioError

STUDY = "calibration"
JOURNAL = "study.journal"
MANIFEST = "calibration.json"
LOCK = ".calibrate.lock"


def storage(folder: str | Path):
    """The study's JournalStorage in `folder/study.journal`."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    return JournalStorage(JournalFileBackend(str(Path(folder) / JOURNAL)))


def counted(trial) -> bool:
    """Trials that count towards --trials: all but those interrupted by a kill or Ctrl-C and the
    enqueued starting point not yet asked for."""
    from optuna.trial import TrialState
    return not (trial.state == TrialState.WAITING
                or trial.state == TrialState.FAIL and trial.user_attrs.get("interrupted"))


def check_folder(folder: Path, resume: bool) -> None:
    """Refuse, before anything starts, a folder this calibration must not write into."""
    if not str(folder).strip():
        raise ScenarioError("--out '': give a folder name (an empty one would write into the current folder)")
    if not results.check_output_folder(folder):
        return
    has = (folder / MANIFEST).is_file()
    if resume:
        if not has and any(not p.name.startswith(".") for p in folder.iterdir()):
            raise ScenarioError(f"{folder}: --resume: the folder holds no calibration (no {MANIFEST}) and is not "
                                "empty; choose another --out")
        return
    if has:
        raise ScenarioError(f"{folder}: already holds a calibration; pass --resume to continue it, or choose "
                            "another --out")
    if any(folder.iterdir()):
        raise ScenarioError(f"{folder}: folder exists and is not empty; choose another --out")


@contextlib.contextmanager
def folder_lock(folder: Path):
    """Hold `folder/.calibrate.lock` while this calibration runs: a second `ptsim calibrate` on the
    same folder is refused (the lock goes with the process, so a killed one leaves none)."""
    try:
        import fcntl
    except ImportError:                        # not POSIX: no lock
        yield
        return
    with results.writing(folder / LOCK):
        fh = open(folder / LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ScenarioError(f"{folder}: another ptsim calibrate is running on this folder; wait for it or "
                                "choose another --out") from None
        yield
    finally:
        fh.close()


def repair_journal(path: Path) -> None:
    """Cut a last line a kill left half-written (the journal's lines must each end with a newline)."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        data = fh.read()
        if not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)


def fail_interrupted(study) -> int:
    """Mark trials left running by a killed calibration as failed and interrupted (not counted)."""
    from optuna.trial import TrialState
    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_user_attr(t._trial_id, "interrupted", True)
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        n += 1
    return n
