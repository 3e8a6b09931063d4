"""Evaluating a model on a split: loss and accuracy, and at the end of a run the confusion matrix and
the most confidently misclassified samples.

The model is put in eval mode (dropout off, BatchNorm on its running statistics) and gradients are
off; ``train_mode()`` restores the training state afterwards. The loss is the data loss only (no
regularisation term). An exception a batch raises (a shape error, an allocation that fails) comes
out as :class:`EvaluationError` holding that batch, so the caller can name the node that raised.
Confidence is the softmax probability of the predicted class (also for a
hinge-loss classifier, whose scores are not probabilities: it then only ranks).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .datasets import Data
from .events import Evaluation

EVAL_BATCH = 1024
#: misclassified samples shown at the end of a run
TOP_MISTAKES = 16


class EvaluationError(Exception):
    """``cause`` (a RuntimeError, MemoryError, IndexError or ValueError) raised on input ``batch``."""

    def __init__(self, cause: BaseException, batch: torch.Tensor) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.batch = batch


@dataclass
class Result:
    loss: float
    acc: float | None
    pred: torch.Tensor | None = None  # per sample, when detail was asked for
    conf: torch.Tensor | None = None
    true: torch.Tensor | None = None


def _batches(data: Data, split: str) -> Any:
    if data.in_memory:
        x, y = data.tensors(split)
        return ((x[i:i + EVAL_BATCH], y[i:i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH))
    ds = data.train_set if split == "train" else data.val_set
    return iter(torch.utils.data.DataLoader(ds, batch_size=256))


def evaluate(gm: nn.Module, loss_fn: nn.Module, data: Data, device: torch.device, split: str,
             train_mode: Callable[[], None], *, detail: bool = False,
             tensors: tuple[torch.Tensor, torch.Tensor] | None = None) -> Result:
    """Data loss (and accuracy for classification) on ``split``, or on ``tensors`` (inputs, targets)
    when given. ``detail``: also each sample's prediction, confidence and label."""
    cls = data.task == "classification"
    gm.eval()
    total, correct, count = 0.0, 0, 0
    preds, confs, trues = [], [], []
    try:
        with torch.no_grad():
            batches = [tensors] if tensors is not None else _batches(data, split)
            for xb, yb in batches:
                xb, yb = xb.to(device), yb.to(device)
                try:
                    out = gm(xb)
                    total += float(loss_fn(out, yb)) * len(xb)
                except (RuntimeError, MemoryError, IndexError, ValueError) as e:
                    raise EvaluationError(e, xb) from e
                if cls:
                    p = out.argmax(1)
                    correct += int((p == yb).sum())
                    if detail:
                        preds.append(p.cpu())
                        confs.append(torch.softmax(out.float(), 1).amax(1).cpu())
                        trues.append(yb.cpu())
                count += len(xb)
    finally:
        train_mode()
    r = Result(total / max(count, 1), (correct / count if cls and count else None))
    if detail and preds:
        r.pred, r.conf, r.true = torch.cat(preds), torch.cat(confs), torch.cat(trues)
    return r


def _sample(data: Data, split: str, i: int) -> torch.Tensor:
    if data.in_memory:
        return data.tensors(split)[0][i]
    return (data.train_set if split == "train" else data.val_set)[i][0]


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """One image [C, H, W] -> uint8 [H, W] (C == 1) or [H, W, 3] (C == 3; else the channel mean),
    scaled to 0..255 on its own."""
    img = img.detach().float().cpu()
    img = img.permute(1, 2, 0) if img.shape[0] == 3 else img.mean(0)
    lo, hi = float(img.min()), float(img.max())
    scaled = (img - lo) / (hi - lo) if hi > lo else torch.full_like(img, 0.5)
    return (scaled * 255).round().clamp(0, 255).to(torch.uint8).numpy()


def evaluation_event(data: Data, split: str, r: Result, top: int = TOP_MISTAKES) -> Evaluation | None:
    """The confusion matrix and the most confident mistakes from a detailed :func:`evaluate`."""
    pred, true, confidence = r.pred, r.true, r.conf
    if pred is None or true is None or confidence is None or data.num_classes is None:
        return None
    c = data.num_classes
    conf = torch.bincount(true * c + pred, minlength=c * c).reshape(c, c)
    names = list(data.class_names) if len(data.class_names) >= c else [str(i) for i in range(c)]
    wrong = torch.ne(pred, true).nonzero().flatten()
    order = wrong[confidence[wrong].argsort(descending=True)][:top].tolist()
    images = None
    if len(data.sample_shape) == 3 and order:
        images = np.stack([to_uint8(_sample(data, split, i)) for i in order])
    return Evaluation(split, names, conf.tolist(), r.acc if r.acc is not None else 0.0, r.loss, images,
                      [int(true[i]) for i in order], [int(pred[i]) for i in order],
                      [float(confidence[i]) for i in order], order)
