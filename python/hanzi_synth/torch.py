"""PyTorch datasets over :class:`hanzi_synth.Generator`.

Importing this module does not import torch. Making a dataset does, if torch is installed: the
dataset is then a ``torch.utils.data.Dataset`` / ``IterableDataset`` (DataLoader treats an
iterable dataset as one only through ``isinstance``). Without torch the same classes work as a
plain sequence / iterable.

- :class:`SyntheticDataset` (map-style): ``ds[i]`` is sample *i*; a DataLoader's batches are
  made in one call on all threads (``__getitems__``).
- :class:`SyntheticIterableDataset`: every DataLoader worker of every distributed rank makes its
  own share of the epoch's samples, so each sample is made exactly once per epoch; yields one
  record at a time (line-crop recipes: one per line).

Seeds: with ``seed_per_epoch=True`` epoch *e* uses seed ``seed + e`` (``seed``: the given or the
recipe's), so epoch 0 is exactly ``hanzi-synth generate --seed SEED`` and every sample's
metadata names the seed that ``generate --seed`` reproduces it with. Call ``set_epoch(e)`` before
iterating each epoch, in the process that makes the DataLoader (as with ``DistributedSampler``);
with ``persistent_workers=True`` the workers keep the epoch they started with.
"""

from __future__ import annotations

import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator, Optional

import numpy as np

from . import Generator, _default_threads

__all__ = ["SyntheticDataset", "SyntheticIterableDataset", "collate", "split_indices"]

_VARIANTS: dict = {}


def _torch_variant(cls: type, base_name: str) -> type:
    """``cls`` with torch's dataset class as a second base, made once; ``cls`` itself when torch
    is not installed."""
    if cls not in _VARIANTS:
        try:
            import torch.utils.data as tud
        except ImportError:
            return cls
        base = getattr(tud, base_name)
        variant = types.new_class(cls.__name__, (cls, base))
        variant.__module__, variant.__qualname__ = cls.__module__, cls.__qualname__
        _VARIANTS[cls] = variant
    return _VARIANTS[cls]


def _worker() -> tuple[int, int]:
    """(worker id, number of workers) of the DataLoader worker this runs in; (0, 1) outside."""
    try:
        from torch.utils.data import get_worker_info
    except ImportError:
        return 0, 1
    info = get_worker_info()
    return (0, 1) if info is None else (info.id, info.num_workers)


def _distributed() -> Optional[tuple[int, int]]:
    """(rank, world size) of an initialised ``torch.distributed`` group, else None. DataLoader
    workers are processes of their own where the group is not initialised: ask in the process
    that makes the DataLoader."""
    try:
        import torch.distributed as dist
    except ImportError:
        return None
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return None


def split_indices(order: list, rank: int, world_size: int, worker: int, workers: int) -> list:
    """The part of ``order`` that ``worker`` (of ``workers``) on ``rank`` (of ``world_size``)
    makes: every ``world_size * workers``-th item, from its global worker number on. The parts
    of all (rank, worker) pairs partition ``order``."""
    if not (0 <= rank < world_size and 0 <= worker < workers):
        raise ValueError(f"rank {rank} of {world_size}, worker {worker} of {workers}")
    return order[rank * workers + worker :: world_size * workers]


def _threads_here(threads: Optional[int]) -> int:
    """Threads per process: as given, else the cores shared out among the DataLoader workers."""
    if threads is not None:
        return threads
    _, workers = _worker()
    return max(1, _default_threads() // workers)


class _Base:
    """What both datasets share: the generator of the current epoch, the transform, pickling."""

    _public: type

    def __init__(
        self,
        recipe: Any = None,
        overrides: Any = None,
        seed: Optional[int] = None,
        count: Optional[int] = None,
        *,
        threads: Optional[int] = None,
        image: Optional[str] = "pixels",
        seed_per_epoch: bool = False,
        transform: Optional[Callable[[Any], Any]] = None,
        _extra: Optional[dict] = None,
    ):
        self._kwargs = dict(
            recipe=recipe,
            overrides=overrides,
            seed=seed,
            count=count,
            threads=threads,
            image=image,
            seed_per_epoch=seed_per_epoch,
            transform=transform,
            **(_extra or {}),
        )
        if isinstance(recipe, Generator):
            if overrides is not None or seed is not None or count is not None:
                raise TypeError("give a Generator, or recipe/overrides/seed/count, not both")
            self._base = recipe
        else:
            self._base = Generator(recipe, overrides, seed=seed, count=count, threads=threads, image=image)
        self.threads = threads
        self.seed_per_epoch = seed_per_epoch
        self.transform = transform
        self.epoch = 0
        self._gen = self._base

    def set_epoch(self, epoch: int) -> None:
        """Makes the next iteration epoch ``epoch``. With ``seed_per_epoch`` the generator for
        seed ``seed + epoch`` is made here, so forked DataLoader workers inherit it."""
        self.epoch = int(epoch)
        self._gen = self._generator_for(self.epoch)
        self._note_process()

    def _note_process(self) -> None:
        """Records what only the DataLoader's own process knows (see the iterable dataset)."""

    @property
    def seed(self) -> int:
        """The seed of the current epoch's samples."""
        return self._gen.seed

    @property
    def generator(self) -> Generator:
        """The current epoch's generator."""
        return self._gen

    def _generator_for(self, epoch: int) -> Generator:
        if not self.seed_per_epoch:
            return self._base
        seed = (self._base.seed + epoch) % 2**64
        if self._gen.seed == seed:
            return self._gen
        return self._base if seed == self._base.seed else self._base.with_seed(seed)

    def _apply(self, sample: Any) -> Any:
        return sample if self.transform is None else self.transform(sample)

    def __reduce__(self):
        # The torch variant is made at run time and cannot be pickled by name: rebuild from the
        # public class and the arguments (spawn/forkserver DataLoader workers).
        return (_rebuild, (self._public, self._kwargs, self.epoch, self._carried()))

    def _carried(self) -> dict:
        return {}


def _rebuild(cls: type, kwargs: dict, epoch: int, carried: dict):
    ds = cls(**kwargs)
    ds.set_epoch(epoch)
    ds.__dict__.update(carried)
    return ds


class SyntheticDataset(_Base):
    """Map-style dataset: ``ds[i]`` is ``transform(generator[i])`` (a record dict; for
    line-crop recipes the list of the sample's line records), ``len(ds)`` the recipe's count.

    A DataLoader fetches each batch through ``__getitems__``: the batch's samples are made in
    one call on ``threads`` threads (default: all cores, shared out among DataLoader workers)
    with the GIL released. Arguments as :class:`hanzi_synth.Generator` (or a Generator as the
    first argument), plus ``seed_per_epoch`` and ``transform`` (applied to each sample).
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        return object.__new__(_torch_variant(cls, "Dataset"))

    def __len__(self) -> int:
        return len(self._gen)

    def __getitem__(self, i: int) -> Any:
        return self._apply(self._gen[i])

    def __getitems__(self, indices: list) -> list:
        return [self._apply(s) for s in self._gen.batch(indices, _threads_here(self.threads))]


SyntheticDataset._public = SyntheticDataset


class SyntheticIterableDataset(_Base):
    """Iterable dataset that splits the epoch's samples across DataLoader workers and
    distributed ranks: worker *w* of *W* on rank *r* of *R* makes every (R·W)-th sample from
    number r·W + w on, so each sample is made exactly once per epoch. Yields
    ``transform(record)`` one record at a time (a line-crop sample gives one per line).

    rank, world_size: the distributed split; default: ``torch.distributed``'s, read when the
                 dataset is made or ``set_epoch`` is called (DataLoader workers cannot see the
                 group), else when iterating; one process if it is not initialised. Ranks'
                 shares differ by at most one sample.
    shuffle:     visit the samples in a random order, the same in every process (seeded by the
                 epoch's seed and the epoch), so the split stays exact.
    chunk_size:  samples made per call (default: 4 per thread, at least 16).
    prefetch:    make the next chunk on a background thread while this one is consumed.
    Other arguments as :class:`SyntheticDataset`.
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        return object.__new__(_torch_variant(cls, "IterableDataset"))

    def __init__(
        self,
        recipe: Any = None,
        overrides: Any = None,
        seed: Optional[int] = None,
        count: Optional[int] = None,
        *,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
        shuffle: bool = False,
        chunk_size: Optional[int] = None,
        prefetch: bool = True,
        **kwargs: Any,
    ):
        if (rank is None) != (world_size is None):
            raise TypeError("give both rank and world_size, or neither")
        extra = dict(
            rank=rank, world_size=world_size, shuffle=shuffle, chunk_size=chunk_size, prefetch=prefetch
        )
        super().__init__(recipe, overrides, seed, count, _extra=extra, **kwargs)
        if rank is not None and not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside 0..{world_size - 1}")
        self.rank, self.world_size = rank, world_size
        self.shuffle, self.chunk_size, self.prefetch = shuffle, chunk_size, prefetch
        self._group: Optional[tuple[int, int]] = None
        self._note_process()

    def _note_process(self) -> None:
        # The distributed group as seen here (made or set_epoch'd in the training process),
        # for the DataLoader's workers, which cannot see it.
        if getattr(self, "rank", None) is None:
            self._group = _distributed() or getattr(self, "_group", None)

    def _carried(self) -> dict:
        return {"_group": self._group}

    def _split(self) -> tuple[int, int]:
        if self.rank is not None:
            return self.rank, self.world_size
        return _distributed() or self._group or (0, 1)

    def order(self) -> list:
        """Every sample index of this epoch, in visiting order (the same in every process)."""
        n = len(self._gen)
        if not self.shuffle:
            return list(range(n))
        rng = np.random.default_rng([self._gen.seed, self.epoch])
        return rng.permutation(n).tolist()

    def indices(self) -> list:
        """The sample indices this process (rank and DataLoader worker) makes this epoch."""
        rank, world = self._split()
        worker, workers = _worker()
        return split_indices(self.order(), rank, world, worker, workers)

    def __len__(self) -> int:
        """Records this rank yields per epoch (all its DataLoader workers together). Line-crop
        recipes have none: a sample's line count is known only once it is made."""
        if self._gen.mode != "scenes":
            raise TypeError("a line-crop dataset has no length: each sample gives one record per line")
        rank, world = self._split()
        return len(split_indices(self.order(), rank, world, 0, 1))

    def __iter__(self) -> Iterator:
        gen, mine = self._gen, self.indices()
        threads = _threads_here(self.threads)
        size = self.chunk_size or max(16, 4 * threads)
        chunks = [mine[i : i + size] for i in range(0, len(mine), size)]
        if not self.prefetch or len(chunks) < 2:
            for chunk in chunks:
                for rec in gen.batch_records(chunk, threads):
                    yield self._apply(rec)
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hanzi-synth-prefetch")
        try:
            pending = pool.submit(gen.batch_records, chunks[0], threads)
            for k in range(len(chunks)):
                records = pending.result()
                if k + 1 < len(chunks):
                    pending = pool.submit(gen.batch_records, chunks[k + 1], threads)
                for rec in records:
                    yield self._apply(rec)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


SyntheticIterableDataset._public = SyntheticIterableDataset


def collate(batch: list) -> Any:
    """A DataLoader ``collate_fn`` for record dicts: arrays of one shape are stacked into a
    tensor (``image``: N×H×W×3 uint8), everything else (bytes, captions, metadata dicts, arrays
    of several shapes) stays a list. Lists of records (line-crop samples) are flattened first."""
    import torch

    if batch and isinstance(batch[0], list):
        batch = [rec for sample in batch for rec in sample]
    if not batch:
        return {}
    out = {}
    for key in batch[0]:
        values = [rec.get(key) for rec in batch]
        if all(isinstance(v, np.ndarray) for v in values) and len({v.shape for v in values}) == 1:
            out[key] = torch.from_numpy(np.stack(values))
        else:
            out[key] = values
    return out
