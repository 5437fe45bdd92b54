"""Trained artifacts in the engine, on a throwaway project: stale when their code changes, their figures with
them, never trained by a build, atomic, fresh on a clone, verified on request."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from scripts.engine.build import Engine
from tests.test_engine import FIGURE, REPO, write

TRAIN = """
import json
from scripts.toy.lib import SCALE

def build_artifact(params, out_dir, cache_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / "runs.txt").open("a").write("run\\n")  # resumable state lives here, not in the output
    if params.get("fail"):
        raise RuntimeError("training diverged")
    (out_dir / "weights.json").write_text(json.dumps({"w": params["w"] * SCALE}))
    (out_dir / "snapshots").mkdir()
    (out_dir / "snapshots" / "early.json").write_text("{}")
"""

READER = FIGURE.replace("def compute(params):\n    return",
                        "def compute(params):\n    import json, pathlib\n"
                        "    w = json.loads(pathlib.Path('models/toy/weights.json').read_text())['w']\n    return"
                        ).format(imports="", value="w")


@pytest.fixture
def project(tmp_path):
    shutil.copytree(REPO / "scripts" / "engine", tmp_path / "scripts" / "engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    write(tmp_path / "scripts" / "__init__.py", "")
    write(tmp_path / "scripts" / "toy" / "__init__.py", "")
    write(tmp_path / "scripts" / "toy" / "lib.py", "SCALE = 2\n")
    write(tmp_path / "scripts" / "toy" / "train.py", TRAIN)
    write(tmp_path / "scripts" / "figs" / "reader.py", READER)
    write(tmp_path / "scripts" / "figs" / "other.py", FIGURE.format(imports="", value="5"))
    write(tmp_path / "figures" / "models.yml", """
        toy:
          train: scripts/toy/train.py
          params: {w: 3}
          output: models/toy
          minutes: 2
    """)
    write(tmp_path / "figures" / "figs.yml", """
        reader:
          script: scripts/figs/reader.py
          inputs: [models/toy/weights.json]
          caption: Reads the model.
          alt: A line.
        other:
          script: scripts/figs/other.py
          caption: Reads nothing.
          alt: A line.
    """)
    write(tmp_path / "docs" / "index.md", "# Home\n")
    return tmp_path


def cli(project, *args):
    return subprocess.run([sys.executable, "-m", "scripts.engine", *args], cwd=project, capture_output=True, text=True)


def trained(project) -> Engine:
    engine = Engine(project)
    assert engine.train().built == ["toy"]
    assert engine.build(progress=False).ok
    return engine


def test_a_build_never_trains_and_says_what_to_run(project):
    engine = Engine(project)
    report = engine.build(progress=False)
    assert report.built == ["other"]  # what does not need the model is built
    assert set(report.waiting) == {"toy", "reader"}
    assert "python -m scripts.engine train toy (about 2 min" in report.waiting["toy"]
    assert "waits for artifact 'toy'" in report.waiting["reader"]
    assert not (project / "models" / "toy").exists()
    proc = cli(project, "build")
    assert "WAITING toy" in proc.stderr and proc.returncode == 0
    assert cli(project, "check").returncode == 1


def test_train_then_build_then_everything_is_fresh(project):
    engine = trained(project)
    assert json.loads((project / "models" / "toy" / "weights.json").read_text()) == {"w": 6}
    assert engine.values("reader") == {"answer": "6"}
    assert not any(engine.status().values())
    entry = json.loads((project / "figures" / "manifest.json").read_text())["toy"]
    assert sorted(entry["outputs"]) == ["models/toy/snapshots/early.json", "models/toy/weights.json"]
    assert engine.train().fresh == ["toy"]  # nothing to do


def test_editing_the_training_code_makes_the_artifact_and_its_figures_stale(project):
    engine = trained(project)
    before = (project / "models" / "toy" / "weights.json").read_bytes()
    (project / "scripts" / "toy" / "lib.py").write_text("SCALE = 3\n")
    status = engine.status()
    assert "source scripts/toy/lib.py changed" in status["toy"]
    assert any("from artifact 'toy', which is stale" in r for r in status["reader"])
    assert status["other"] == []
    report = engine.build(progress=False)
    assert report.built == [] and set(report.waiting) == {"toy", "reader"}
    assert (project / "models" / "toy" / "weights.json").read_bytes() == before  # untouched: no implicit training
    proc = cli(project, "check")
    assert proc.returncode == 1 and "STALE  toy" in proc.stdout
    assert engine.train().built == ["toy"]
    assert engine.status()["reader"] and not engine.status()["toy"]  # the figure now rebuilds from the new model
    assert engine.build(progress=False).built == ["reader"]
    assert engine.values("reader") == {"answer": "9"}


def test_comments_in_training_code_change_nothing(project):
    engine = trained(project)
    (project / "scripts" / "toy" / "lib.py").write_text("# the scale\nSCALE = 2  # unchanged\n")
    assert not any(engine.status().values())


def test_params_and_hand_edits_are_changes(project):
    engine = trained(project)
    (project / "models" / "toy" / "snapshots" / "early.json").unlink()
    assert engine.status()["toy"] == [RESTORE.replace("weights.json", "snapshots/early.json")]
    engine.train()
    text = (project / "figures" / "models.yml").read_text().replace("{w: 3}", "{w: 4}")
    (project / "figures" / "models.yml").write_text(text)
    assert engine.status()["toy"] == ["params changed"]


RESTORE = ("models/toy/weights.json does not match what was trained (figures/manifest.json) — restore it with "
           "`git checkout models/toy`; retraining (`python -m scripts.engine train toy`, about 2 min) is the second "
           "option")


def test_a_corrupt_checkpoint_says_restore_it_from_git_before_retraining(project):
    engine = trained(project)
    weights = project / "models" / "toy" / "weights.json"
    weights.write_bytes(weights.read_bytes()[:5])  # truncated, as an interrupted copy leaves a checkpoint
    assert engine.status()["toy"] == [RESTORE]
    assert any(r.endswith(f"which is stale: {RESTORE}") for r in engine.status()["reader"])
    report = engine.build(progress=False)
    assert report.waiting == {"toy": RESTORE, "reader": f"waits for artifact 'toy': {RESTORE}"}
    assert f"WAITING toy: {RESTORE}" in cli(project, "build").stderr
    proc = cli(project, "check")
    assert proc.returncode == 1 and RESTORE in proc.stdout
    assert "Restore from git first" in proc.stderr and "commit figures/" not in proc.stderr


def test_a_corrupt_checkpoint_of_changed_training_code_says_retrain(project):
    engine = trained(project)
    (project / "models" / "toy" / "weights.json").write_text("{")
    (project / "scripts" / "toy" / "lib.py").write_text("SCALE = 3\n")  # git's copy is stale too: retrain
    reasons = engine.status()["toy"]
    assert "source scripts/toy/lib.py changed" in reasons and not any("git checkout" in r for r in reasons)
    assert "a build never trains: python -m scripts.engine train toy (about 2 min" in \
        engine.build(progress=False).waiting["toy"]
    assert "Train the stale artifacts first (`python -m scripts.engine train`" in cli(project, "check").stderr


def test_a_failed_training_keeps_the_committed_artifact(project):
    engine = trained(project)
    before = sorted(p.read_bytes() for p in (project / "models" / "toy").rglob("*") if p.is_file())
    text = (project / "figures" / "models.yml").read_text().replace("{w: 3}", "{w: 3, fail: true}")
    (project / "figures" / "models.yml").write_text(text)
    report = engine.train()
    assert "artifact 'toy'" in report.failed["toy"] and "unchanged" in report.failed["toy"]
    assert sorted(p.read_bytes() for p in (project / "models" / "toy").rglob("*") if p.is_file()) == before
    assert not list((project / "models").glob(".toy.*"))  # no half-written sibling left behind
    assert (project / ".cache" / "artifacts" / "toy" / "runs.txt").exists()  # resumable state kept


def test_a_fresh_clone_trains_nothing(project, tmp_path_factory):
    trained(project)
    clone = tmp_path_factory.mktemp("clone") / "p"
    shutil.copytree(project, clone, ignore=shutil.ignore_patterns(".cache", "__pycache__"))
    engine = Engine(clone)
    assert not any(engine.status().values())
    assert engine.build(progress=False).built == [] and not (clone / ".cache" / "artifacts").exists()


def test_verify_skips_long_artifacts_unless_asked(project):
    engine = trained(project)
    report = engine.verify(progress=False)
    assert report.ok and report.skipped == ["toy"] and "toy" not in report.reproduced
    report = engine.verify(progress=False, train_under=5)
    assert report.ok and "toy" in report.reproduced
    (project / "models" / "toy" / "weights.json").write_text('{"w": 7}')
    engine.adopt(["toy"])  # pretend the hand edit was committed as the model
    report = engine.verify(progress=False, train_under=5)
    assert report.differ["toy"] == ["models/toy/weights.json: the retrained file differs"]


@pytest.mark.parametrize("entry, message, line", [
    ("toy:\n  train: scripts/toy/train.py\n  output: models/toy\n", "an artifact needs 'minutes'", 1),
    ("toy:\n  train: scripts/toy/nope.py\n  output: models/toy\n  minutes: 1\n", "training script", 2),
    ("toy:\n  train: scripts/toy/train.py\n  output: models/toy\n  minutes: 1\n  threads: 0\n", "'threads'", 5),
])
def test_a_bad_artifact_declaration_is_one_error_with_its_line(project, entry, message, line):
    (project / "figures" / "models.yml").write_text(entry)
    decl = Engine(project).declarations()
    assert len(decl.errors) == 1
    assert message in str(decl.errors[0]) and f"figures/models.yml:{line}" in str(decl.errors[0])
    assert "other" in decl.jobs


def test_the_repository_declares_the_zoo_and_grokking_as_artifacts():
    jobs = Engine(REPO).declarations().jobs
    kinds = {jid: j.kind for jid, j in jobs.items()}
    assert kinds["attn-only-2l"] == kinds["grokking-seed0"] == "artifact"
    zoo_readers = [j for j in jobs.values() if j.kind == "figure" and any(str(p).startswith("models/attn-only-2l")
                                                                              for p in j.inputs)]
    assert zoo_readers  # the zoo figures read artifacts, so editing scripts/zoo/train.py reaches them
    from scripts.zoo.train import ZOO

    assert {jid for jid, j in jobs.items() if j.script.as_posix() == "scripts/zoo/train.py"} == set(ZOO)


def test_removing_an_artifacts_declaration_never_deletes_the_model(project):
    engine = trained(project)
    (project / "figures" / "models.yml").unlink()
    (project / "figures" / "figs.yml").write_text((project / "figures" / "figs.yml").read_text()
                                                  .replace("inputs: [models/toy/weights.json]", ""))
    engine.build(progress=False)
    assert (project / "models" / "toy" / "weights.json").exists()
    assert "toy" not in json.loads((project / "figures" / "manifest.json").read_text())


def test_resumable_state_is_kept_for_the_same_training_and_dropped_for_another(project):
    """An interrupted training resumes from its cache folder, but never from a training of other code or params."""
    engine = trained(project)
    runs = project / ".cache" / "artifacts" / "toy" / "runs.txt"
    assert runs.read_text().count("run") == 1
    models = project / "figures" / "models.yml"
    models.write_text(models.read_text().replace("{w: 3}", "{w: 3, fail: true}"))
    assert engine.train().failed and runs.read_text().count("run") == 1  # other params: the old state is gone
    assert engine.train().failed and runs.read_text().count("run") == 2  # the same training: its state is kept
    (project / "scripts" / "toy" / "lib.py").write_text("SCALE = 3\n")
    assert engine.train().failed and runs.read_text().count("run") == 1  # other code: gone again
