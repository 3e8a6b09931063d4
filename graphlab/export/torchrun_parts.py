"""Source snippets of the torchrun training script (see :mod:`graphlab.export.torchrun`).

What the script shares with GraphLab is copied from GraphLab's own source with inspect.getsource, never
rewritten as text: the built-in dataset recipes (:func:`dataset_source`, from
``graphlab.run.datasets``; a test compares the script's tensors with ``build_dataset``'s), the
preprocessing (:func:`preprocess_source`), the optimizer and schedule table
(:func:`optimizer_source`, ``graphlab.run.optimizers``), the regularization term
(:func:`regularization_source`), augmentation (:func:`augment_source`) and loading weights
(``graphlab.export.model_source.LOAD_WEIGHTS_SOURCE``, from ``graphlab.run.weights``). The other
snippets are :class:`graphlab.export.codegen.Template` objects whose slots (``@@NAME@@``) the exporter
fills in one pass, data only as literals.
"""
from __future__ import annotations

import functools
import inspect

from ..run import augment, datasets, optimizers, runstate
from .codegen import Template, literal


@functools.cache  # GraphLab's own source: the same for the whole process
def dataset_source(name: str) -> str:
    """The script's ``make_dataset``: the very recipe :mod:`graphlab.run.datasets` uses for a built-in
    dataset, copied with inspect.getsource (its imports are local, so it stands alone)."""
    return inspect.getsource(getattr(datasets, name)).strip("\n") + f"\n\n\nmake_dataset = {name}\n"


DATASET_ARGS = {"spiral": ("classes", "points", "noise", "seed"), "digits": ("size",),
                "adding": ("samples", "length", "seed"),
                "sine": ("samples", "length", "noise", "seed")}

GENERATED_DATA = Template('''
def load_data():
    """(x_train, y_train, x_val, y_val): the dataset, split and preprocessed as GraphLab does it."""
    x, y = make_dataset(@@DATASET_ARGS@@)
    n = len(x)
    n_val = int(round(n * CONFIG["val_fraction"]))
    if CONFIG["val_fraction"] > 0 and n_val == 0:
        n_val = 1
    n_test = int(round(n * CONFIG["test_fraction"]))  # held out for the final test: never trained on
    if CONFIG["test_fraction"] > 0 and n_test == 0:
        n_test = 1
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))  # the same split for every seed
    train, val = perm[n_val:n - n_test], perm[:n_val]
    x_train, x_val = preprocess(CONFIG["preprocess"], x[train], x[val])
    return x_train.contiguous(), y[train].contiguous(), x_val.contiguous(), y[val].contiguous()
''')

SAVED_DATA = Template('''
DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), @@DATA_NAME@@)
DATA_ORIGIN = @@DATA_ORIGIN@@  # the dataset (and graph file) it was made from


def load_data():
    """(x_train, y_train, x_val, y_val), split and preprocessed by GraphLab when it exported this script
    (from DATA_ORIGIN); tensors only, read with weights_only=True."""
    data = torch.load(DATA_FILE, map_location="cpu", weights_only=True)
    return data["x_train"], data["y_train"], data["x_val"], data["y_val"]
''')



@functools.cache  # GraphLab's own source: the same for the whole process
def augment_source() -> str:
    """The script's ``augment_batch``: GraphLab's own (:mod:`graphlab.run.augment`), copied with
    inspect.getsource; the script passes it ``AUGMENT``, a namespace with the same three fields."""
    return inspect.getsource(augment.augment_batch)


@functools.cache  # GraphLab's own source: the same for the whole process
def preprocess_source() -> str:
    """``preprocess(kind, x_train, x_val)``: GraphLab's own (:func:`graphlab.run.datasets.preprocess`),
    copied with inspect.getsource, with the helper it calls."""
    return "\n\n\n".join(inspect.getsource(f).strip("\n")
                            for f in (datasets.preprocess, datasets._channel_reduce_dims))


@functools.cache  # GraphLab's own source: the same for the whole process
def optimizer_source() -> str:
    """The optimizer and schedule table as literals, and ``build_optimizer`` / ``build_schedule``
    copied from :mod:`graphlab.run.optimizers`."""
    table = (f"OPTIMIZERS = {literal(optimizers.OPTIMIZERS, multiline=True)}\n"
             f"SCHEDULES = {literal(optimizers.SCHEDULES, multiline=True)}")
    return "\n\n\n".join([table] + [inspect.getsource(f).strip("\n")
                                      for f in (optimizers.build_optimizer, optimizers.build_schedule)])


@functools.cache  # GraphLab's own source: the same for the whole process
def regularization_source() -> str:
    """``regularization(l2, l1, weights)``: the trainer's term (:func:`graphlab.run.runstate.regularization`)."""
    return inspect.getsource(runstate.regularization).strip("\n")
