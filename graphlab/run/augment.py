"""Image augmentation on a batch [N, C, H, W], on the batch's device, drawn from torch's global RNG
(seeded by the trainer, so a run is repeatable).

* ``hflip``: each image mirrored left-right with probability ½.
* ``crop_padding`` p: zero-pad by p pixels, then crop back to H×W at a random offset per image.
* ``color_jitter`` j: brightness × U(1−j, 1+j), then contrast (distance from the image's mean) × U(1−j, 1+j).
"""
from __future__ import annotations

import torch

from .config import AugmentConfig


def augment_batch(x: torch.Tensor, aug: AugmentConfig) -> torch.Tensor:
    n = x.shape[0]
    if aug.hflip:
        flip = torch.rand(n, device=x.device) < 0.5
        x = torch.where(flip.view(n, 1, 1, 1), x.flip(3), x)
    if aug.crop_padding > 0:
        p = aug.crop_padding
        h, w = x.shape[2], x.shape[3]
        padded = torch.nn.functional.pad(x, (p, p, p, p))
        dy = torch.randint(0, 2 * p + 1, (n,), device=x.device)
        dx = torch.randint(0, 2 * p + 1, (n,), device=x.device)
        rows = (dy.view(n, 1) + torch.arange(h, device=x.device)).view(n, 1, h, 1).expand(n, x.shape[1], h, w + 2 * p)
        padded = padded.gather(2, rows)
        cols = (dx.view(n, 1) + torch.arange(w, device=x.device)).view(n, 1, 1, w).expand(n, x.shape[1], h, w)
        x = padded.gather(3, cols)
    if aug.color_jitter > 0:
        j = aug.color_jitter
        b = 1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * j
        c = 1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * j
        x = x * b
        m = x.mean((1, 2, 3), keepdim=True)
        x = (x - m) * c + m
    return x
