"""hanzi-synth samples straight into Python: no files, the CLI's exact bytes.

``Generator(recipe, overrides, seed, count)`` loads a recipe the way ``hanzi-synth generate``
does; ``g[i]`` is sample *i* of that run (its JPEG bytes, caption and metadata are what the CLI
writes for it). Rendering runs in Rust with the GIL released; ``g.batch(indices)`` uses all
cores. ``hanzi_synth.torch`` wraps it as PyTorch datasets (torch is imported only there, and
only when a dataset is made).
"""

from __future__ import annotations

import json
import operator
import os
from typing import Any, Iterable, Iterator, Mapping, Union

from . import _native
from ._native import RecipeError

__all__ = ["Generator", "RecipeError", "overrides_to_sets", "version"]

version = _native.version
"""``hanzi-synth`` version and JPEG encoder: the same bytes need the same."""

RecipeLike = Union[None, str, "os.PathLike[str]"]


def _default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _yaml_value(value: Any) -> str:
    """A Python value as YAML flow text for ``--set``: JSON is YAML, so JSON it is."""

    def fallback(o: Any) -> Any:
        if isinstance(o, os.PathLike):
            return os.fspath(o)
        if hasattr(o, "item"):  # numpy scalars
            return o.item()
        raise TypeError(f"cannot pass a {type(o).__name__} as a recipe value")

    return json.dumps(value, ensure_ascii=False, default=fallback)


def overrides_to_sets(overrides: Union[None, Mapping[str, Any], Iterable[str]]) -> list[str]:
    """The CLI's ``--set`` strings for ``overrides``.

    A mapping ``{"text.size": [40, 60]}`` gives ``text.size=[40, 60]`` (values are Python values,
    written as JSON, which YAML reads: a ``str`` stays a string). A list of ``"key=value"``
    strings is taken as typed on the command line (the value is YAML text).
    """
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [f"{key}={_yaml_value(value)}" for key, value in overrides.items()]
    if isinstance(overrides, str):
        raise TypeError('overrides: a mapping or a list of "key=value" strings, not one string')
    sets = list(overrides)
    for s in sets:
        if not isinstance(s, str) or "=" not in s:
            raise TypeError(f'overrides: {s!r} is not a "key=value" string')
    return sets


def _looks_like_path(recipe: str) -> bool:
    return "\n" not in recipe and (
        recipe.endswith((".yaml", ".yml")) or os.path.exists(recipe)
    )


class Generator:
    """Samples of one recipe and seed, made on demand.

    recipe:    None (the bundled default, as ``generate`` without ``-r``), a recipe file path
               (``str`` ending in .yaml/.yml or naming a file, or a ``pathlib.Path``), or YAML
               text (its relative paths start at the current folder, as the bundled recipe's).
               Invalid recipes raise :class:`RecipeError` with the CLI's message (file, line
               and column).
    overrides: ``{"text.size": [40, 60]}`` or ``["text.size=[40,60]"]``: the CLI's ``--set``.
    seed:      ``--seed`` (default: the recipe's).
    count:     ``-n``: the number of samples, ``len(g)`` (default: the recipe's ``count``). The
               recipe hash stored in every sample depends on it, as in the CLI.
    threads:   threads for :meth:`batch` (default: all cores this process may use).
    image:     what ``record["image"]`` holds: ``"pixels"`` (default) the H×W×3 uint8 picture
               the stored JPEG was encoded from (no decode; what the encoder saw), ``"decoded"``
               that JPEG decoded again (what a loader of the CLI's shards sees, up to the
               decoder's rounding), or None (no array; e.g. to decode on the GPU).

    ``g[i]`` (``-len(g) <= i < len(g)``) is sample *i*: for ``scenes`` recipes one record, for
    ``line_crops`` recipes the list of its line records (the CLI writes one record per line).
    :meth:`records` always gives the list. A record is a dict:

    - ``key``: the record's key (``000000042``, crops ``000000042_001``), ``index``: the sample;
    - ``jpeg`` (or ``png`` for ``output.image_format: png``): the exact bytes of ``KEY.jpg``;
    - ``image``: see ``image`` above;
    - ``caption``: ``KEY.txt`` (a crop's transcription);
    - ``metadata``: ``KEY.json`` as a dict, ``metadata_json`` its exact text;
    - with ``output.conditions``: ``glyph``, ``mask`` (H×W uint8) and ``charseg`` (H×W uint8, or
      uint16 past 255 characters) arrays, and ``extras``: the stored members' exact bytes
      (``{"glyph.png": b"..."}``).
    """

    def __init__(
        self,
        recipe: RecipeLike = None,
        overrides: Union[None, Mapping[str, Any], Iterable[str]] = None,
        seed: int | None = None,
        count: int | None = None,
        threads: int | None = None,
        image: str | None = "pixels",
    ):
        sets = overrides_to_sets(overrides)
        yaml = path = None
        if isinstance(recipe, os.PathLike) or (isinstance(recipe, str) and _looks_like_path(recipe)):
            path = os.fspath(recipe)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"recipe {path} not found")
        elif isinstance(recipe, str):
            yaml = recipe
        elif recipe is not None:
            raise TypeError(f"recipe: a path, YAML text or None, not {type(recipe).__name__}")
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1")
        self._native = _native.Generator(
            yaml=yaml,
            path=path,
            sets=sets,
            seed=seed,
            count=count,
            image="none" if image is None else image,
        )
        self.threads = threads or _default_threads()
        # What pickling (DataLoader workers started by spawn/forkserver) rebuilds from: a path
        # made absolute, so a worker elsewhere finds it; the seed and count as resolved.
        self._args = dict(
            recipe=os.path.abspath(path) if path is not None else yaml,
            overrides=sets,
            seed=self._native.seed,
            count=self._native.count,
            threads=threads,
            image=image,
        )

    # -- facts about the run ------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self._native.seed

    @property
    def count(self) -> int:
        return self._native.count

    @property
    def recipe_hash(self) -> str:
        """What ``generate`` with the same recipe, seed and count stores in every sample."""
        return self._native.recipe_hash

    @property
    def mode(self) -> str:
        """``scenes``, ``line_crops`` or ``native_crops``."""
        return self._native.mode

    @property
    def recipe(self) -> dict:
        """The full recipe after overrides (the manifest's ``recipe``)."""
        return json.loads(self._native.recipe_json)

    def with_seed(self, seed: int) -> "Generator":
        """The same recipe with another seed (assets are loaded again)."""
        return Generator(**{**self._args, "seed": seed})

    def __len__(self) -> int:
        return self._native.count

    def __repr__(self) -> str:
        return (
            f"<hanzi_synth.Generator {self.mode}, {len(self)} samples, seed {self.seed}, "
            f"recipe {self.recipe_hash}>"
        )

    def __reduce__(self):
        return (_rebuild, (self._args,))

    # -- samples ------------------------------------------------------------------------------
    def _index(self, i: Any) -> int:
        i = operator.index(i)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"sample {i} is outside 0..{n - 1}")
        return i

    def _sample(self, records: list) -> Union[dict, list]:
        return records[0] if self.mode == "scenes" else records

    def records(self, i: int) -> list[dict]:
        """Every record of sample ``i``: one for a scene, one per text line for crops."""
        return self._native.records(self._index(i))

    def __getitem__(self, i: Union[int, slice]) -> Union[dict, list]:
        if isinstance(i, slice):
            return self.batch(range(*i.indices(len(self))))
        return self._sample(self.records(i))

    def batch(self, indices: Iterable[int], threads: int | None = None) -> list:
        """``[g[i] for i in indices]``, made in parallel on ``threads`` threads (default: the
        generator's) with the GIL released, in the order given. Samples are handed to Python
        as they are finished while the threads make the rest."""
        idx = [self._index(i) for i in indices]
        return [self._sample(records) for records in self._native.batch(idx, threads or self.threads)]

    def batch_records(self, indices: Iterable[int], threads: int | None = None) -> list[dict]:
        """All records of the samples ``indices``, flattened, in order (crops: one per line)."""
        idx = [self._index(i) for i in indices]
        return [rec for records in self._native.batch(idx, threads or self.threads) for rec in records]

    def __iter__(self) -> Iterator:
        """Samples 0, 1, … in order, made a batch at a time on all threads."""
        step = max(16, 8 * self.threads)
        for start in range(0, len(self), step):
            yield from self.batch(range(start, min(start + step, len(self))))


def _rebuild(args: dict) -> Generator:
    return Generator(**args)
