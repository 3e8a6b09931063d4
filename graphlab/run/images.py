"""Pictures of a node made from the current weights: feature maps, filters, class templates.

Made in the training process, only for a node someone asked about (``Request("images")`` or the
selected node, at most once a second), and sent as small float32 numpy arrays in
:class:`~graphlab.run.events.Images` events. Which pictures a node has is decided from the
analysis (shapes) and the module's parameters, never from type names:

* ``feature_maps`` — any node whose output is an image [C, H, W] (a convolution, and the
  activations, norms and pools after it): its channels for the run's probe sample (fixed at the
  start: the first validation sample, else the first training sample), at most 64 tiles; sent with
  ``probe``, the probe sample itself as the network sees it (one tile: RGB for 3 channels, grey for
  1, the channels' mean otherwise), on which a view draws a unit's receptive field.
* ``filters`` — the first node in forward order with a 4-D ``weight`` (the first convolution): its
  filters, RGB tiles when it sees 3 input channels, grey ones for 1 (the mean over the input
  channels otherwise), at most 64.
* ``templates`` — a node with a 2-D ``weight`` [K, D] whose input comes straight from a node that
  flattens an image of D values (Flatten): each row reshaped to the image, one tile per output
  (per class for the classifier's last layer), at most 64.

Every tile is scaled to 0..1 on its own (min → 0, max → 1; a constant tile is 0.5); each tile's raw
(min, max) travels with it, so a view can undo the scaling (e.g. to colour templates around zero).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from .events import Images

MAX_TILES = 64


def tile_ranges(t: torch.Tensor) -> list[tuple[float, float]]:
    """Each t[i]'s (min, max) before scaling: raw = min + tile · (max − min)."""
    flat = t.detach().float().cpu().reshape(len(t), -1)
    return list(zip(flat.min(1).values.tolist(), flat.max(1).values.tolist()))


def norm_tiles(t: torch.Tensor) -> np.ndarray:
    """Each t[i] scaled to 0..1 on its own, as a float32 C-contiguous array."""
    t = t.detach().float().cpu()
    flat = t.reshape(len(t), -1)
    lo = flat.min(1).values.view(-1, *[1] * (t.dim() - 1))
    hi = flat.max(1).values.view(-1, *[1] * (t.dim() - 1))
    span = hi - lo
    out = torch.where(span > 0, (t - lo) / span.clamp_min(1e-30), torch.full_like(t, 0.5))
    return np.ascontiguousarray(out.numpy(), dtype=np.float32)


def feature_maps(out: torch.Tensor) -> tuple[np.ndarray, list[str], list[tuple[float, float]]]:
    """``out``: one sample's [C, H, W] output -> (tiles [k, H, W], labels, raw ranges)."""
    k = min(out.shape[0], MAX_TILES)
    return norm_tiles(out[:k]), [f"channel {i}" for i in range(k)], tile_ranges(out[:k])


def probe_image(probe: torch.Tensor) -> tuple[np.ndarray, list[str], list[tuple[float, float]]]:
    """The probe sample [1, C, H, W] as one tile: [1, H, W, 3] for C == 3, else [1, H, W]."""
    x = probe.detach()[:1]
    x = x.permute(0, 2, 3, 1) if x.shape[1] == 3 else x.mean(1)
    return norm_tiles(x), ["probe sample"], tile_ranges(x)


def filters(weight: torch.Tensor) -> tuple[np.ndarray, list[str], list[tuple[float, float]]]:
    """A conv weight [O, I, kh, kw] -> (tiles [k, kh, kw, 3] for I == 3, else [k, kh, kw], labels, raw
    ranges)."""
    w = weight.detach()[:MAX_TILES]
    w = w.permute(0, 2, 3, 1) if w.shape[1] == 3 else w.mean(1)
    return norm_tiles(w), [f"filter {i}" for i in range(len(w))], tile_ranges(w)


def templates(weight: torch.Tensor, image_shape: tuple[int, ...],
              names: list[str]) -> tuple[np.ndarray, list[str], list[tuple[float, float]]]:
    """A Linear weight [K, C·H·W] -> each row as an image: [k, H, W, 3] for C == 3, else [k, H, W]
    (the mean over channels when C is neither 1 nor 3); labels; raw ranges."""
    c, h, w_ = image_shape
    rows = weight.detach()[:MAX_TILES].reshape(-1, c, h, w_)
    rows = rows.permute(0, 2, 3, 1) if c == 3 else rows.mean(1)
    labels = [names[i] if i < len(names) else f"unit {i}" for i in range(len(rows))]
    return norm_tiles(rows), labels, tile_ranges(rows)


class ImageMaker:
    """Knows which pictures each node has and makes them for the probe sample."""

    def __init__(self, gm: nn.Module, ci: Any, probe: torch.Tensor | None, class_names: list[str],
                 train_mode: Any) -> None:
        """``probe``: one input sample [1, ...] on the model's device (None: no feature maps);
        ``train_mode()`` puts the module back in its training state after an eval forward."""
        self.gm, self.ci, self.probe, self.names, self._train_mode = gm, ci, probe, class_names, train_mode
        a = ci.analysis
        self.modules = {nid: gm.get_submodule(name) for nid, name in ci.module_names.items()}
        self.kinds: dict[str, list[str]] = {nid: [] for nid in self.modules}
        self._image_of: dict[str, tuple[int, ...]] = {}
        first_filters = None
        for nid in a.order:
            if nid not in self.modules:
                continue
            info = a.nodes[nid]
            w = getattr(self.modules[nid], "weight", None)
            if info.shape is not None and len(info.shape) == 3 and probe is not None:
                self.kinds[nid].append("feature_maps")
            if isinstance(w, torch.Tensor) and w.dim() == 4 and first_filters is None:
                first_filters = nid
                self.kinds[nid].append("filters")
            if isinstance(w, torch.Tensor) and w.dim() == 2 and len(info.sources) == 1:
                src = a.nodes.get(info.sources[0])
                if (src is not None and src.shape is not None and len(src.shape) == 1 and src.input_shapes
                        and len(src.input_shapes[0]) == 3 and math.prod(src.input_shapes[0]) == src.shape[0]
                        and w.shape[1] == src.shape[0]):
                    self.kinds[nid].append("templates")
                    self._image_of[nid] = tuple(src.input_shapes[0])

    def available(self, node: str) -> list[str]:
        return list(self.kinds.get(node, []))

    def make(self, node: str, epoch: int, step: int, request: int | None = None) -> list[Images]:
        out: list[Images] = []
        kinds = self.kinds.get(node, [])
        m = self.modules.get(node)
        if m is None:
            return out
        weight = getattr(m, "weight", None)
        if "feature_maps" in kinds:
            got: list[torch.Tensor] = []
            h = m.register_forward_hook(lambda mod, args, o: got.append(o.detach()))
            try:
                self.gm.eval()
                with torch.no_grad():
                    self.gm(self.probe)
            finally:
                h.remove()
                self._train_mode()
            if got:
                tiles, labels, ranges = feature_maps(got[0][0])
                out.append(Images(node, "feature_maps", tiles, labels, epoch, step, request, ranges))
                if self.probe is not None and self.probe.dim() == 4:  # an image: where the fields are drawn
                    tiles, labels, ranges = probe_image(self.probe)
                    out.append(Images(node, "probe", tiles, labels, epoch, step, request, ranges))
        if "filters" in kinds and isinstance(weight, torch.Tensor):
            tiles, labels, ranges = filters(weight)
            out.append(Images(node, "filters", tiles, labels, epoch, step, request, ranges))
        if "templates" in kinds and isinstance(weight, torch.Tensor):
            names = self.names if node == self.ci.output_id else []  # class names label the classifier's rows only
            tiles, labels, ranges = templates(weight, self._image_of[node], names)
            out.append(Images(node, "templates", tiles, labels, epoch, step, request, ranges))
        return out


def images_from_checkpoint(graph: Any, node: str, weights: str | None, base_dir: str | None = None) -> list[Images]:
    """The pictures of ``node`` made outside a run — after it ended, from its checkpoint (``weights``;
    None: the seeded initial weights) — with the run's probe sample: the first validation sample of the
    training section's dataset, preprocessed as the run did (else the first training sample). What
    the editor's Node dock shows once the training process has gone. CheckpointError (naming the node)
    when the weights do not fit the graph."""
    from ..compiler import compile_graph, info
    from ..core import analyze
    from .checkpoint import restore
    from .config import parse_training
    from .datasets import build_dataset

    cfg = parse_training(graph.training)
    a = analyze(graph)
    gm = compile_graph(graph, seed=cfg.seed, init=cfg.init, analysis=a)
    if weights:
        restore(weights, gm)
    ci = info(gm)
    probe = None
    if a.nodes.get(node) is not None and len(a.nodes[node].shape or ()) == 3:  # feature maps need a sample
        data = build_dataset(cfg, base_dir)
        if data.in_memory:
            probe = data.tensors("val" if data.n_val else "train")[0][:1]
        else:
            probe = (data.val_set if data.n_val else data.train_set)[0][0].unsqueeze(0)
    maker = ImageMaker(gm, ci, probe, [], gm.eval)
    return maker.make(node, 0, 0)
