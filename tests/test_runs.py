"""Cached experiments: one training shared by the book and the tests, retrained on any change."""

from __future__ import annotations

import pytest
import torch

from zerohero.build import runs
from zerohero.experiments import Experiment

CALLS = []


def toy(steps: int = 3, seed: int = 0):
    """A stand-in training run: deterministic, counts its calls."""
    CALLS.append((steps, seed))
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(4, generator=g)
    return {"loss": float(w.sum()) * steps, "weights": w}


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv(runs.RUNS_DIR_ENV, str(tmp_path / "runs"))
    monkeypatch.setattr(runs, "REGISTRY", {})
    # Importing the package's modules now would register the real experiments in this
    # throw-away registry (and never again in the real one).
    monkeypatch.setattr(runs, "discover", lambda: None)
    runs.register(Experiment("toy-short", toy, dict(steps=2)))
    runs.register(Experiment("toy-long", toy, dict(steps=5)))
    monkeypatch.setitem(runs.MEASURED_SECONDS, "toy-long", 10)
    CALLS.clear()
    return tmp_path / "runs"


def test_run_trains_once_then_reads_the_cache(registry):
    first = runs.run("toy-short")
    second = runs.run("toy-short")
    assert CALLS == [(2, 0)]
    assert second["loss"] == first["loss"]
    assert torch.equal(second["weights"], first["weights"])
    assert second["_meta"]["config"] == {"steps": 2, "seed": 0}
    assert len(list(registry.glob("toy-short-*.pt"))) == 1


def test_overrides_are_a_different_run(registry):
    runs.run("toy-short")
    runs.run("toy-short", seed=1)
    assert CALLS == [(2, 0), (2, 1)]
    assert runs.is_cached("toy-short") and runs.is_cached("toy-short", seed=1)
    assert not runs.is_cached("toy-short", seed=2)


def test_presets_of_one_function_are_separate_experiments(registry):
    assert runs.run("toy-long")["loss"] == pytest.approx(runs.run("toy-short")["loss"] * 5 / 2)


def test_a_change_in_the_experiments_code_changes_the_key(registry, monkeypatch):
    key = runs.cache_key("toy-short", {"steps": 2, "seed": 0})
    monkeypatch.setitem(runs._source_hashes, toy.__module__, "something else")
    assert runs.cache_key("toy-short", {"steps": 2, "seed": 0}) != key


def test_dependencies_follow_imports_transitively():
    deps = {p.relative_to(runs.PACKAGE_DIR).as_posix() for p in
            runs.dependencies("zerohero.makemore.mlp")}
    # mlp imports words and sampling; words imports data inside a function
    assert {"makemore/mlp.py", "makemore/words.py", "makemore/sampling.py", "data.py",
            "makemore/__init__.py", "__init__.py"} <= deps
    assert "gpt/model.py" not in deps and "micrograd/engine.py" not in deps
    assert not any(d.startswith(("build/", "experiments/")) for d in deps)


def test_source_hash_changes_with_a_dependency(tmp_path, monkeypatch):
    pkg = tmp_path / "zerohero"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from zerohero.sub import b\n")
    (pkg / "sub" / "b.py").write_text("X = 1\n")
    (pkg / "other.py").write_text("Y = 1\n")
    monkeypatch.setattr(runs, "PACKAGE_DIR", pkg)
    monkeypatch.setattr(runs, "_source_hashes", {})
    h1 = runs.source_hash("zerohero.sub.a")
    (pkg / "other.py").write_text("Y = 2\n")  # not imported by a: same hash
    runs._source_hashes.clear()
    assert runs.source_hash("zerohero.sub.a") == h1
    (pkg / "sub" / "b.py").write_text("X = 2\n")  # imported by a: new hash
    runs._source_hashes.clear()
    assert runs.source_hash("zerohero.sub.a") != h1


def test_unknown_option_and_unknown_experiment_are_clear_errors(registry):
    with pytest.raises(TypeError, match="no option.*learning_rate"):
        runs.run("toy-short", learning_rate=0.1)
    with pytest.raises(KeyError, match="no experiment named 'nope'"):
        runs.run("nope")
    with pytest.raises(TypeError, match="has no parameter"):
        runs.register(Experiment("bad", toy, dict(lr=1)))


def test_damaged_cache_file_is_retrained(registry):
    runs.run("toy-short")
    path = runs.result_path("toy-short")
    path.write_bytes(b"not a torch file")
    assert "loss" in runs.run("toy-short")
    assert len(CALLS) == 2
    assert "loss" in runs.run("toy-short") and len(CALLS) == 2  # and the cache is whole again


def test_results_must_be_a_dict(registry):
    runs.register(Experiment("not-a-dict", lambda: 1.0))
    with pytest.raises(TypeError, match="not a dict"):
        runs.run("not-a-dict")


def test_train_all_trains_missing_runs_in_order_of_cost(registry, capsys):
    runs.run("toy-short")
    timings = runs.train_all(["toy-short", "toy-long"], jobs=1)
    assert list(timings) == ["toy-long"]  # toy-short was cached
    assert "1 of 2 experiments cached" in capsys.readouterr().err


def test_training_is_single_threaded_and_restores_threads(registry):
    seen = []
    runs.register(Experiment(
        "threads", lambda: {"threads": seen.append(torch.get_num_threads()) or 0}))
    before = torch.get_num_threads()
    runs.run("threads")
    assert seen == [1] and torch.get_num_threads() == before


def test_every_registered_experiment_is_well_formed():
    runs.discover()
    assert runs.REGISTRY, "no experiments registered"
    for name, exp in runs.REGISTRY.items():
        assert exp.module.startswith("zerohero.experiments."), name
        runs.full_config(exp, {})  # presets name real parameters


def test_measured_seconds_name_real_experiments():
    """A renamed experiment would keep a stale entry: the queue order would silently degrade."""
    runs.discover()
    assert set(runs.MEASURED_SECONDS) <= set(runs.REGISTRY)
    assert all(seconds > 0 for seconds in runs.MEASURED_SECONDS.values())


def _reader(base: dict, steps: int = 1):
    """An experiment that reads another's result (as gpt-finetune-names reads gpt-small's)."""
    CALLS.append(("reader", steps))
    return {"base": base["loss"] + steps}


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_experiment_starts_after_the_ones_it_reads(registry, monkeypatch, jobs):
    from concurrent.futures import ThreadPoolExecutor
    # the pool's processes would import the real registry: threads share this test's toy one
    monkeypatch.setattr(runs, "ProcessPoolExecutor",
                        lambda n, mp_context=None: ThreadPoolExecutor(n))
    runs.register(Experiment("reader", _reader, reads={"base": "toy-long"}))
    monkeypatch.setitem(runs.MEASURED_SECONDS, "reader", 1000)  # "longest": first, if
    timings = runs.train_all(["reader", "toy-long", "toy-short"], jobs=jobs)  # it could be
    assert set(timings) == {"reader", "toy-long", "toy-short"}
    assert CALLS.index((5, 0)) < CALLS.index(("reader", 1))  # toy-long, then the reader
    assert CALLS.count((5, 0)) == 1  # and toy-long was trained once, not again for the reader


def test_reads_must_name_experiments_and_must_not_go_round(registry):
    runs.register(Experiment("orphan", _reader, reads={"base": "no-such-run"}))
    with pytest.raises(KeyError, match="no-such-run"):
        runs.train_all(["orphan"], jobs=1)
    runs.register(Experiment("chicken", _reader, reads={"base": "egg"}))
    runs.register(Experiment("egg", _reader, reads={"base": "chicken"}))
    with pytest.raises(RuntimeError, match="cycle"):
        runs.train_all(["chicken", "egg"], jobs=1)


def test_the_key_of_a_reader_follows_what_it_reads(registry, monkeypatch):
    runs.register(Experiment("reader", _reader, reads={"base": "toy-long"}))
    key = runs.result_path("reader").name
    monkeypatch.setattr(runs.REGISTRY["toy-long"], "config", dict(steps=6))
    assert runs.result_path("reader").name != key
    assert runs.run("reader")["base"] == runs.run("toy-long")["loss"] + 1


LESSONS = ["scratch", "micrograd", "makemore", "gpt", "tokenizer", "gpt2", "data",
           "plotting"]


def _package_imports(path):
    import ast
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


@pytest.mark.parametrize("lesson", LESSONS)
def test_lessons_import_nothing_from_the_floors_above(lesson):
    """build -> experiments -> lessons: a lesson never imports the cache, the book driver,
    the ledger or the experiments."""
    root = runs.PACKAGE_DIR
    files = sorted((root / lesson).rglob("*.py")) if (root / lesson).is_dir() \
        else [root / f"{lesson}.py"]
    assert files
    for path in files:
        for module in _package_imports(path):
            assert not module.startswith(("zerohero.build", "zerohero.experiments")), \
                f"{path.relative_to(root)} imports {module}"


def test_experiments_import_no_build_machinery():
    for path in sorted((runs.PACKAGE_DIR / "experiments").glob("*.py")):
        for module in _package_imports(path):
            assert not module.startswith("zerohero.build"), \
                f"{path.name} imports {module}"


def test_every_chapter_module_is_listed():
    """Experiments are listed explicitly: a chapter module left out would never train."""
    from zerohero import experiments
    files = {p.stem for p in (runs.PACKAGE_DIR / "experiments").glob("*.py")}
    assert set(experiments.MODULES) == files - {"__init__"}


def test_nothing_is_compiled_at_run_time():
    import re
    for path in sorted(runs.PACKAGE_DIR.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"ctypes|cbuild|fused_", text), path


def _broken(steps: int = 1):
    raise ValueError("the loss went to nan")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_worker_names_its_experiment_and_caches_nothing(registry, monkeypatch,
                                                                  jobs):
    from concurrent.futures import ThreadPoolExecutor
    monkeypatch.setattr(runs, "ProcessPoolExecutor",
                        lambda n, mp_context=None: ThreadPoolExecutor(n))
    runs.register(Experiment("broken", _broken))
    with pytest.raises(RuntimeError, match=r"'broken' failed.*nan.*runs broken -j 1"):
        runs.train_all(["broken", "toy-short"], jobs=jobs)
    assert not runs.is_cached("broken")
    assert not list(registry.glob(".tmp*")) if registry.exists() else True


def test_a_change_in_the_data_changes_the_key(registry, monkeypatch):
    from zerohero import data
    runs.register(Experiment("reads-names", toy, data=("names.txt",)))
    key = runs.result_path("reads-names").name
    monkeypatch.setattr(data, "sha256s", lambda names=None: {"names.txt": "0" * 64})
    assert runs.result_path("reads-names").name != key


def test_two_experiments_of_one_name_are_refused(registry):
    with pytest.raises(ValueError, match="two experiments are named 'toy-short'"):
        runs.register(Experiment("toy-short", _broken))


def test_two_chapter_modules_declaring_one_name_are_refused(monkeypatch):
    import types

    from zerohero import experiments
    a = types.SimpleNamespace(__name__="a", EXPERIMENTS=[Experiment("same", toy)])
    b = types.SimpleNamespace(__name__="b", EXPERIMENTS=[Experiment("same", _broken)])
    monkeypatch.setattr(experiments, "MODULES", ["a", "b"])
    monkeypatch.setattr(experiments.importlib, "import_module",
                        lambda name: {"zerohero.experiments.a": a,
                                      "zerohero.experiments.b": b}[name])
    with pytest.raises(ValueError, match="two experiments are named 'same'"):
        experiments.all_experiments()
