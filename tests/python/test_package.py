"""The `hanzi_synth` Python package against the CLI (run by tests/loaders.rs, or by hand:
`python tests/python/test_package.py target/release/hanzi-synth`).

- sample i from Python is sample i from `generate`: JPEG bytes, caption, metadata text, condition
  members, for the default recipe (two seeds), ocr-lines (several records per sample) and a
  conditions recipe;
- the iterable dataset's split over DataLoader workers and distributed ranks makes every sample
  exactly once per epoch (several worker/rank combinations, shuffled or not), through a stand-in
  `torch` module with torch's API (torch itself is too big for CI); real torch is used too when
  it is installed;
- recipe errors arrive as Python exceptions carrying the CLI's line and column;
- the README's `datasets` streaming example runs and yields the CLI's samples.

Every check runs; the script ends with `python package: N checks passed` or exits 1.
"""

import io
import json
import multiprocessing
import os
import pickle
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import traceback
import types
from pathlib import Path

import numpy as np

CLI = sys.argv[1] if len(sys.argv) > 1 else "target/release/hanzi-synth"
ROOT = Path(__file__).resolve().parents[2]
TMP = Path(tempfile.mkdtemp(prefix="hanzi-synth-pytest-"))

import hanzi_synth  # noqa: E402
from hanzi_synth import Generator, RecipeError  # noqa: E402

SMALL = {"canvas": {"width": 160, "height": 128}, "text.size": [14, 36]}


def generate(name, args):
    """Runs the CLI into TMP/name; returns {key: {suffix: bytes}} from its shards."""
    out = TMP / name
    subprocess.run([CLI, "generate", "-q", "-o", str(out), *args], check=True)
    members = {}
    for shard in sorted(out.glob("*.tar")):
        with tarfile.open(shard) as tar:
            for m in tar.getmembers():
                key, suffix = m.name.split(".", 1)
                members.setdefault(key, {})[suffix] = tar.extractfile(m).read()
    return members


def assert_same_record(rec, stored):
    ext = "jpg" if "jpeg" in rec else "png"
    assert rec["jpeg" if ext == "jpg" else "png"] == stored[ext], f"{rec['key']}: image bytes differ"
    assert rec["caption"].encode() == stored["txt"], f"{rec['key']}: caption differs"
    assert rec["metadata_json"].encode() == stored["json"], f"{rec['key']}: metadata differs"
    assert rec["metadata"] == json.loads(stored["json"])
    extras = {k: v for k, v in stored.items() if k not in (ext, "txt", "json")}
    assert rec.get("extras", {}) == extras, f"{rec['key']}: extra members differ"


def sets(overrides):
    return [a for s in hanzi_synth.overrides_to_sets(overrides) for a in ("--set", s)]


# ---------------------------------------------------------------------------------------------


def check_default_recipe_bytes():
    for seed in (0, 7):
        stored = generate(f"default-{seed}", ["-n", "12", "--seed", str(seed)])
        g = Generator(seed=seed, count=12)
        assert len(g) == 12 and g.seed == seed
        for i in (0, 5, 11):
            assert_same_record(g[i], stored[f"{i:09d}"])
        assert g[-1]["key"] == "000000011" and g[-12]["key"] == "000000000"
        batch = g.batch([3, 1, 10])
        for i, s in zip([3, 1, 10], batch):
            assert_same_record(s, stored[f"{i:09d}"])
        manifest = json.loads((TMP / f"default-{seed}" / "manifest.json").read_text())
        assert g.recipe_hash == manifest["recipe_hash"]
        # The pixels are the picture the JPEG was encoded from.
        from PIL import Image

        s = g[5]
        decoded = np.asarray(Image.open(io.BytesIO(s["jpeg"])).convert("RGB"))
        assert s["image"].shape == (512, 512, 3) and s["image"].dtype == np.uint8
        assert s["image"].flags.writeable
        err = np.abs(s["image"].astype(int) - decoded).mean()
        assert err < 3, f"pixels vs their JPEG: mean error {err}"


def check_crop_recipe_bytes():
    recipe = ROOT / "recipes" / "ocr-lines.yaml"
    stored = generate("crops", ["-r", str(recipe), "-n", "6", *sets(SMALL)])
    g = Generator(recipe, overrides=SMALL, count=6)
    assert g.mode == "line_crops"
    made = [rec for i in range(6) for rec in g.records(i)]
    assert [r["key"] for r in made] == sorted(stored), "records differ from the shard's"
    for rec in made:
        assert_same_record(rec, stored[rec["key"]])
    # g[i] of a line-crop recipe is the sample's list of records; batch_records flattens.
    assert [r["key"] for r in g[2]] == [r["key"] for r in g.records(2)]
    assert [r["key"] for r in g.batch_records(range(6))] == [r["key"] for r in made]


def check_conditions_bytes():
    over = {**SMALL, "output.conditions": {"glyph": True, "mask": True, "charseg": True}}
    stored = generate("cond", ["-n", "5", "--seed", "3", *sets(over)])
    g = Generator(overrides=over, seed=3, count=5, image="decoded")
    from PIL import Image

    for s in g.batch(range(5)):
        assert_same_record(s, stored[s["key"]])
        assert set(s["extras"]) == {"glyph.png", "mask.png", "charseg.png"}
        for name in ("glyph", "mask", "charseg"):
            png = np.asarray(Image.open(io.BytesIO(s["extras"][f"{name}.png"])))
            assert np.array_equal(s[name], png), name
        assert s["image"].shape == (128, 160, 3)
        # image="decoded" is the stored JPEG decoded (decoders may round differently).
        pil = np.asarray(Image.open(io.BytesIO(s["jpeg"])).convert("RGB"))
        assert np.abs(s["image"].astype(int) - pil).max() <= 4
    assert "image" in Generator(overrides=SMALL, count=2, image=None)[0]
    assert Generator(overrides=SMALL, count=2, image=None)[0]["image"] is None


def check_png_recipe():
    over = {**SMALL, "output.image_format": "png"}
    stored = generate("png", ["-n", "2", *sets(over)])
    s = Generator(overrides=over, count=2)[1]
    assert_same_record(s, stored["000000001"])
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(s["png"]))), s["image"])


def check_overrides_as_cli_strings():
    a = Generator(overrides=["text.size=[20,30]", "canvas={width: 96, height: 96}"], count=3)
    b = Generator(overrides={"text.size": [20, 30], "canvas": {"width": 96, "height": 96}}, count=3)
    assert a.recipe_hash == b.recipe_hash and a[2]["jpeg"] == b[2]["jpeg"]
    assert a.recipe["text"]["size"] == [20.0, 30.0]


def check_indexing():
    g = Generator(overrides=SMALL, count=4)
    for bad in (4, -5, 100):
        try:
            g[bad]
        except IndexError:
            pass
        else:
            raise AssertionError(f"g[{bad}] did not raise IndexError")
    assert g[np.int64(1)]["key"] == "000000001"
    assert [s["key"] for s in g[1:3]] == ["000000001", "000000002"]
    assert [s["key"] for s in g] == [f"{i:09d}" for i in range(4)]


def expect_recipe_error(fn, *needles):
    try:
        fn()
    except RecipeError as e:
        assert isinstance(e, ValueError)
        for n in needles:
            assert n in str(e), f"{n!r} not in {e}"
        return str(e)
    raise AssertionError("no RecipeError")


def check_recipe_errors():
    msg = expect_recipe_error(
        lambda: Generator("text:\n  size: [60, 20]\n"),
        "line 2 column 9",
        "range min 60 is greater than max 20",
    )
    bad = TMP / "bad.yaml"
    bad.write_text("canvas:\n  width: 512\n  colour: red\n")
    expect_recipe_error(lambda: Generator(bad), "bad.yaml", "line 3 column 3", "colour")
    # The CLI says the same for the same file.
    cli = subprocess.run([CLI, "recipe", "check", str(bad)], capture_output=True, text=True)
    assert cli.returncode == 1 and "line 3 column 3" in cli.stderr
    expect_recipe_error(lambda: Generator(overrides={"text.size": [60, 20]}), "text.size")
    expect_recipe_error(lambda: Generator(overrides={"text.sise": 3}), "unknown key `sise`")
    expect_recipe_error(lambda: Generator(count=0), "count must be at least 1")
    try:
        Generator(TMP / "missing.yaml")
    except FileNotFoundError:
        pass
    else:
        raise AssertionError("a missing recipe file must raise FileNotFoundError")
    assert "invalid recipe" in msg


def check_pickle_and_fork():
    g = Generator(overrides=SMALL, seed=4, count=6, threads=2)
    first = g.batch(range(6))  # starts this process's pool
    h = pickle.loads(pickle.dumps(g))
    assert h.recipe_hash == g.recipe_hash and h[5]["jpeg"] == first[5]["jpeg"]
    # A forked child (DataLoader workers) must get a pool of its own, not wait on the parent's.
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=lambda: q.put([s["jpeg"] for s in g.batch(range(6))]), daemon=True)
    p.start()
    got = q.get(timeout=60)  # a hung child fails here (daemon: never waited for)
    p.join(timeout=30)
    assert p.exitcode == 0 and got == [s["jpeg"] for s in first]
    # … and load a recipe of its own (loading runs on threads too), e.g. a datasets generator
    # function that makes its Generator inside each worker.
    p = ctx.Process(target=lambda: q.put(Generator(overrides=SMALL, seed=4, count=6)[5]["jpeg"]), daemon=True)
    p.start()
    got = q.get(timeout=60)  # a hung child fails here (daemon: never waited for)
    p.join(timeout=30)
    assert p.exitcode == 0 and got == first[5]["jpeg"]


def check_gil_released():
    g = Generator(overrides=SMALL, count=200, threads=1)
    ticks = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    before = ticks[0]
    start = time.perf_counter()
    g._native.batch(list(range(200)), 1)  # the native call alone
    took = time.perf_counter() - start
    during = ticks[0] - before
    stop.set()
    t.join()
    # Holding the GIL for the whole batch would leave the spinner a few switch intervals.
    assert during > 1000 * took, f"{during} spins in {took:.2f} s: the GIL was held"


def check_ctrl_c_stops_a_batch():
    import signal

    g = Generator(overrides=SMALL, count=20000, threads=1)
    first = g[0]["jpeg"]
    # SIGINT every 0.1 s until the batch gives up (one signal can land before the batch has
    # started on a slow, busy machine); the handler raises once, later signals are ignored.
    raised = threading.Event()
    done = threading.Event()

    def handler(signum, frame):
        if not raised.is_set():
            raised.set()
            raise KeyboardInterrupt

    def ring():
        while not done.wait(0.1):
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, handler)
    ringer = threading.Thread(target=ring)
    start = time.perf_counter()
    ringer.start()
    try:
        g.batch(range(20000))  # tens of seconds of work on one thread
    except KeyboardInterrupt:
        took = time.perf_counter() - start
    else:
        raise AssertionError("the batch ran to its end")
    finally:
        done.set()
        ringer.join()
        signal.signal(signal.SIGINT, previous)
    assert took < 10, f"stopped after {took:.1f} s"
    assert g[0]["jpeg"] == first  # still usable


# -- dataset splitting, through a stand-in torch ----------------------------------------------


class FakeTorch:
    """Installs a `torch` module with the parts of torch's API the datasets use."""

    def __init__(self):
        self.worker = None  # (id, num_workers) or None
        self.dist = None  # (rank, world_size) or None

    def __enter__(self):
        torch = types.ModuleType("torch")
        utils = types.ModuleType("torch.utils")
        data = types.ModuleType("torch.utils.data")
        dist = types.ModuleType("torch.distributed")

        class Dataset:
            pass

        class IterableDataset(Dataset):
            pass

        def get_worker_info():
            if self.worker is None:
                return None
            return types.SimpleNamespace(id=self.worker[0], num_workers=self.worker[1])

        data.Dataset, data.IterableDataset, data.get_worker_info = Dataset, IterableDataset, get_worker_info
        dist.is_available = lambda: True
        dist.is_initialized = lambda: self.dist is not None
        dist.get_rank = lambda: self.dist[0]
        dist.get_world_size = lambda: self.dist[1]
        torch.utils, utils.data, torch.distributed = utils, data, dist
        self.saved = {k: sys.modules.get(k) for k in ("torch", "torch.utils", "torch.utils.data", "torch.distributed")}
        sys.modules.update({"torch": torch, "torch.utils": utils, "torch.utils.data": data, "torch.distributed": dist})
        import hanzi_synth.torch as ht

        ht._VARIANTS.clear()
        self.data = data
        return self

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        import hanzi_synth.torch as ht

        ht._VARIANTS.clear()


def check_split_exactly_once():
    from hanzi_synth.torch import SyntheticDataset, SyntheticIterableDataset

    with FakeTorch() as fake:
        count = 23
        ds = SyntheticIterableDataset(overrides=SMALL, count=count, seed=2)
        assert isinstance(ds, fake.data.IterableDataset) and isinstance(ds, SyntheticIterableDataset)
        assert isinstance(SyntheticDataset(overrides=SMALL, count=3), fake.data.Dataset)
        # Index split for many combinations, via distributed ranks and via explicit ranks.
        for world in (1, 2, 3, 4):
            for workers in (1, 2, 3, 5):
                for shuffle in (False, True):
                    seen = []
                    for rank in range(world):
                        fake.dist = (rank, world)
                        for w in range(workers):
                            fake.worker = (w, workers) if workers > 1 else None
                            ds.shuffle = shuffle
                            seen += ds.indices()
                    assert sorted(seen) == list(range(count)), (world, workers, shuffle, seen)
        fake.dist = fake.worker = None
        # DataLoader workers are processes where the group is not initialised: the rank seen
        # where the dataset was made (or set_epoch was called) holds there, pickled too.
        seen = []
        for rank in range(3):
            fake.dist = (rank, 3)
            made_here = SyntheticIterableDataset(ds.generator)
            spawned = pickle.loads(pickle.dumps(made_here))
            fake.dist = None
            for w in range(2):
                fake.worker = (w, 2)
                seen += made_here.indices()
            assert spawned.indices() == made_here.indices()
        fake.worker = None
        assert sorted(seen) == list(range(count)), seen
        # Real iteration: 2 ranks × 3 workers yield each record once, the CLI's bytes.
        stored = generate("split", ["-n", str(count), "--seed", "2", *sets(SMALL)])
        keys = []
        for rank in range(2):
            ranked = SyntheticIterableDataset(ds.generator, rank=rank, world_size=2, chunk_size=3)
            for w in range(3):
                fake.worker = (w, 3)
                for rec in ranked:
                    assert_same_record(rec, stored[rec["key"]])
                    keys.append(rec["key"])
            fake.worker = None
            assert len(ranked) in (11, 12)
        assert sorted(keys) == sorted(stored), "not every sample exactly once"
        # Epochs: shuffled order changes with the epoch, the set does not; epoch 0 is seed 2.
        sh = SyntheticIterableDataset(overrides=SMALL, count=count, seed=2, shuffle=True, seed_per_epoch=True)
        o0 = sh.order()
        sh.set_epoch(1)
        assert sh.order() != o0 and sorted(sh.order()) == sorted(o0)
        assert sh.seed == 3
        e1 = list(sh)
        assert sorted(r["key"] for r in e1) == sorted(stored)
        assert {r["metadata"]["seed"] for r in e1} == {3}
        sh.set_epoch(0)
        assert sh.seed == 2
        for rec in list(sh)[:4]:
            assert_same_record(rec, stored[rec["key"]])
        # Map-style: batches through __getitems__, epochs reseed too.
        m = SyntheticDataset(ds.generator, seed_per_epoch=True, transform=lambda s: s["key"])
        assert len(m) == count and m[4] == "000000004" and m.__getitems__([7, 2]) == ["000000007", "000000002"]
        m.set_epoch(5)
        assert m.seed == 7 and m.generator[0]["metadata"]["seed"] == 7
        # Pickled (spawn workers) as the public class, rebuilt as the torch variant, same epoch.
        p = pickle.loads(pickle.dumps(sh))
        assert type(p) is type(sh) and p.epoch == 0 and p.order() == sh.order()
        fake.worker = (1, 2)
        p.set_epoch(1)
        assert p.indices() == p.order()[1::2]


def check_no_torch_import():
    code = (
        "import sys, hanzi_synth, hanzi_synth.torch; "
        "assert 'torch' not in sys.modules, 'importing hanzi_synth imported torch'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def check_real_torch():
    """Only where torch is installed (not in CI): a real DataLoader with 2 workers."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch not installed: real DataLoader check not run"
    from torch.utils.data import DataLoader

    from hanzi_synth.torch import SyntheticDataset, SyntheticIterableDataset, collate

    count = 20
    stored = generate("torch", ["-n", str(count), *sets(SMALL)])
    it = SyntheticIterableDataset(overrides=SMALL, count=count, chunk_size=4)
    keys = []
    for batch in DataLoader(it, batch_size=4, num_workers=2, collate_fn=collate):
        assert batch["image"].shape[1:] == (128, 160, 3) and batch["image"].dtype == torch.uint8
        for k, jpeg in zip(batch["key"], batch["jpeg"]):
            assert jpeg == stored[k]["jpg"]
            keys.append(k)
    assert sorted(keys) == sorted(stored)
    mp = SyntheticDataset(overrides=SMALL, count=count)
    got = [k for b in DataLoader(mp, batch_size=5, num_workers=2, collate_fn=collate) for k in b["key"]]
    assert got == sorted(stored)
    spawn = DataLoader(it, batch_size=4, num_workers=1, collate_fn=collate, multiprocessing_context="spawn")
    assert sorted(k for b in spawn for k in b["key"]) == sorted(stored)
    return "real torch DataLoader (fork and spawn workers): ok"


def check_readme_examples():
    """Runs the README's Python blocks marked `<!-- tested -->` (the package's quick start and
    the `datasets` streaming recipe), then checks what they made."""
    from PIL import Image

    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- tested -->\n```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 2, "the README's tested Python blocks are missing"
    scope = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for code in blocks:
            exec(compile(code, "README.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    ds = scope["ds"]  # the datasets.IterableDataset of the streaming recipe
    # Its rows are the Generator's samples, which check_default_recipe_bytes holds to the CLI's
    # (a CLI run of the example's 1,000 samples would cost more than the rest of this script).
    g = Generator(count=scope["count"])
    rows = list(ds.take(12))
    assert [r["key"] for r in rows] == [f"{i:09d}" for i in range(12)]
    for r, s in zip(rows, g.batch(range(12))):
        assert r["caption"] == s["caption"]
        assert r["image"].size == (512, 512) and r["image"].format == "JPEG"
        assert np.array_equal(np.asarray(r["image"].convert("RGB")), np.asarray(Image.open(io.BytesIO(s["jpeg"])).convert("RGB")))
    # The datasets Image feature keeps the bytes: read them without decoding.
    raw = ds.cast_column("image", __import__("datasets").Image(decode=False))
    assert next(iter(raw))["image"]["bytes"] == g[0]["jpeg"]
    # The quick-start block.
    assert scope["s"]["key"] == "000000042" and scope["s"]["image"].shape == (512, 768, 3)
    assert [b["key"] for b in scope["batch"]] == [f"{i:09d}" for i in range(64)]


def main():
    checks = [
        check_default_recipe_bytes,
        check_crop_recipe_bytes,
        check_conditions_bytes,
        check_png_recipe,
        check_overrides_as_cli_strings,
        check_indexing,
        check_recipe_errors,
        check_pickle_and_fork,
        check_gil_released,
        check_ctrl_c_stops_a_batch,
        check_split_exactly_once,
        check_no_torch_import,
        check_readme_examples,
    ]
    passed, failed = 0, 0
    for check in checks:
        t = time.perf_counter()
        try:
            note = check()
            passed += 1
            print(f"ok   {check.__name__} ({time.perf_counter() - t:.1f} s)")
        except Exception:
            failed += 1
            print(f"FAIL {check.__name__}")
            traceback.print_exc(file=sys.stdout)
    note = check_real_torch()
    print(f"note {note}")
    print(f"python package: {passed} checks passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
