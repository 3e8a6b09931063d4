"""A folder of images with one subfolder per class, read lazily (through a DataLoader).

``root/<class name>/<file>``; classes are the subfolder names in sorted order. Files: ``.npy``
(an [H, W] or [C, H, W] or [H, W, C] array), binary ``.pgm``/``.ppm`` (read here), and ``.png``/
``.jpg``/``.jpeg``/``.bmp`` through Pillow when it is installed. ``size`` [H, W] resizes (bilinear);
without it every image must have the size of the first one. Pixel values are scaled to 0..1 for
8-bit images. Preprocessing statistics are computed in one pass over the training split.

Sizes are read before pixels: an image whose header promises more than :data:`MAX_PIXELS` pixels
(a decompression bomb: a 97 KB PNG can decode to 3.3 GB) is refused naming the file, and Pillow's
own DecompressionBombWarning never prints. A FIFO or a device among the files is refused, never
read (:mod:`graphlab.io.readfile`).

A file that cannot be read (corrupt, truncated, not an image, not a regular file) raises
:class:`graphlab.run.datasets.DataError` naming it and the field — also mid-epoch, when a lazily read
file turns out bad; the trainer ends the run with that one line.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.text import error_line
from ..io.readfile import open_regular, read_limited
from .datasets import Data, DataError, split_indices

NATIVE = (".npy", ".pgm", ".ppm")
PILLOW = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
#: the most pixels (height × width) one image may have: 2^25, a 5,792 × 5,792 picture
MAX_PIXELS = 2 ** 25
#: and the most values (pixels × channels): an RGBA picture of MAX_PIXELS
MAX_VALUES = 4 * MAX_PIXELS


def _too_many_pixels(path: Path, h: int, w: int, c: int = 1) -> None:
    if h * w > MAX_PIXELS or h * w * c > MAX_VALUES:
        raise DataError(f"{path}: a {w} × {h} image{f' of {c} channels' if c > 1 else ''} is larger than "
                        f"GraphLab reads ({MAX_PIXELS:,} pixels, {MAX_VALUES:,} values); shrink it or leave it "
                        f"out (training.dataset.path)")


def _read_pnm(path: Path) -> np.ndarray:
    raw = read_limited(path, MAX_PIXELS * 3 + 4096)
    tokens: list[bytes] = []
    pos = 0
    while len(tokens) < 4:
        while pos < len(raw) and raw[pos:pos + 1].isspace():
            pos += 1
        if raw[pos:pos + 1] == b"#":
            while pos < len(raw) and raw[pos:pos + 1] != b"\n":
                pos += 1
            continue
        start = pos
        while pos < len(raw) and not raw[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise DataError(f"{path}: truncated header (training.dataset.path)")
        tokens.append(raw[start:pos])
    magic, w, h, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic not in (b"P5", b"P6") or not 0 < maxval <= 255 or w <= 0 or h <= 0:
        raise DataError(f"{path}: only binary 8-bit P5/P6 files are read natively (training.dataset.path)")
    c = 3 if magic == b"P6" else 1
    _too_many_pixels(path, h, w)
    data = np.frombuffer(raw, dtype=np.uint8, offset=pos + 1, count=w * h * c)
    return data.reshape(h, w, c).transpose(2, 0, 1)


def read_image(path: Path, grayscale: bool) -> torch.Tensor:
    """One image as float32 [C, H, W]."""
    suf = path.suffix.lower()
    try:
        if suf == ".npy":
            a = _read_npy(path)
            if a.ndim == 2:
                a = a[None]
            elif a.ndim == 3 and a.shape[-1] in (1, 3, 4) and a.shape[0] not in (1, 3, 4):
                a = a.transpose(2, 0, 1)
            elif a.ndim != 3:
                raise DataError(f"{path}: expected an [H, W] or [C, H, W] array, got shape {a.shape}")
        elif suf in (".pgm", ".ppm"):
            a = _read_pnm(path)
        else:
            try:
                from PIL import Image
            except ImportError:
                raise DataError(f"{path}: reading {suf} files needs Pillow (pip install pillow); "
                                ".npy, .pgm and .ppm are read without it") from None
            a = _read_with_pillow(Image, path, grayscale)
            a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    except DataError:
        raise
    except OSError as e:
        if e.strerror and e.filename:  # not a regular file, too large (graphlab.io.readfile), unreadable
            raise DataError(f"{path}: cannot read: {e.strerror} (training.dataset.path)") from None
        raise DataError(f"{path}: cannot read image ({error_line(e, with_type=True)}) "
                        f"(training.dataset.path)") from None
    except MemoryError:
        raise DataError(f"{path}: the image does not fit in memory (training.dataset.path)") from None
    except Exception as e:  # noqa: BLE001 - Pillow and numpy raise OSError, ValueError, SyntaxError, EOFError,
        # struct.error, DecompressionBombError... for a corrupt file; each is one line naming the file
        raise DataError(f"{path}: cannot read image ({error_line(e, with_type=True)}) "
                        f"(training.dataset.path)") from None
    if a.dtype.kind not in "biuf" or a.size == 0:
        raise DataError(f"{path}: expected numeric pixels, got dtype {a.dtype} and shape {list(a.shape)} "
                        f"(training.dataset.path)")
    t = torch.from_numpy(np.ascontiguousarray(a).astype(np.float32))
    if a.dtype == np.uint8:
        t = t / 255.0
    if grayscale and t.shape[0] == 3:
        t = (t * torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(0, keepdim=True)
    return t


def _read_npy(path: Path) -> np.ndarray:
    """An .npy image, its shape checked from its header before its pixels are read."""
    from .filedata import npy_header

    with open_regular(path) as f:
        try:
            shape, _ = npy_header(f)
        except ValueError as e:
            raise DataError(f"{path}: {e} (training.dataset.path)") from None
        if len(shape) == 2:
            _too_many_pixels(path, shape[0], shape[1])
        elif len(shape) == 3 and shape[-1] in (1, 3, 4) and shape[0] not in (1, 3, 4):  # [H, W, C]
            _too_many_pixels(path, shape[0], shape[1], shape[2])
        elif len(shape) == 3:  # [C, H, W]
            _too_many_pixels(path, shape[1], shape[2], shape[0])
        f.seek(0)
        return np.load(f, allow_pickle=False)


def _read_with_pillow(Image: Any, path: Path, grayscale: bool) -> np.ndarray:
    """Pixels through Pillow, its size read (lazily, from the header) and checked first; Pillow's
    DecompressionBombWarning is silenced (our own bound is lower) and its error is one line."""
    with open_regular(path) as f, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(f)
        except Image.DecompressionBombError:
            raise DataError(f"{path}: the image is larger than GraphLab reads ({MAX_PIXELS:,} pixels); "
                            f"shrink it or leave it out (training.dataset.path)") from None
        with im:
            w, h = im.size
            _too_many_pixels(path, h, w, len(im.getbands()))
            return np.asarray(im.convert("L" if grayscale else "RGB"))


class ImageFolder(Dataset):
    def __init__(self, files: list[tuple[Path, int]], size: tuple[int, int] | None, grayscale: bool) -> None:
        self.files, self.size, self.grayscale = files, size, grayscale
        self.mean: torch.Tensor | None = None
        self.std: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        path, label = self.files[i]
        x = read_image(path, self.grayscale)
        if self.size is not None and tuple(x.shape[1:]) != self.size:
            x = torch.nn.functional.interpolate(x[None], size=self.size, mode="bilinear", align_corners=False)[0]
        if self.mean is not None:
            x = x - self.mean
        if self.std is not None:
            x = x / self.std
        return x, label


def build_image_folder(root: Path, p: dict[str, Any], cfg: Any, with_test: bool = False) -> Data:
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (training.dataset.path)")
    try:
        classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        if len(classes) < 2:
            raise DataError(f"{root}: needs one subfolder per class (at least 2); found {len(classes)} "
                            f"(training.dataset.path)")
        files: list[tuple[Path, int]] = []
        for k, c in enumerate(classes):
            files += [(f, k) for f in sorted((root / c).iterdir()) if f.suffix.lower() in NATIVE + PILLOW]
    except OSError as e:
        raise DataError(f"{e.filename or root}: cannot list the folder: {e.strerror or e} "
                        f"(training.dataset.path)") from None
    if not files:
        raise DataError(f"{root}: no image files (.npy, .pgm, .ppm, .png, .jpg) in the class folders")
    size = tuple(p["size"]) if p["size"] else None
    first = read_image(files[0][0], p["grayscale"])
    shape = (first.shape[0], *(size or first.shape[1:]))
    n = len(files)
    tr, va, te = split_indices(n, cfg, str(root))
    train = ImageFolder([files[i] for i in tr.tolist()], size, p["grayscale"])
    val = ImageFolder([files[i] for i in va.tolist()], size, p["grayscale"])
    test = ImageFolder([files[i] for i in te.tolist()], size, p["grayscale"]) if with_test else None
    if size is None:
        for f, _ in files:
            s = read_image(f, p["grayscale"]).shape
            if tuple(s) != shape:
                raise DataError(f"{f}: image is {list(s)}, the first one is {list(shape)}; set training.dataset.size")
    if cfg.preprocess != "none":
        xs = torch.stack([train[i][0] for i in range(len(train))])
        dims = (0,) if cfg.preprocess == "mean_image" else (0, 2, 3)
        mean = xs.mean(dims)
        std = xs.std(dims).clamp_min(1e-8) if cfg.preprocess == "standardize" else None
        for ds in (train, val, test):
            if ds is not None:
                ds.mean, ds.std = mean, std
    return Data("image_folder", "classification", tuple(shape), len(classes), (), train_set=train, val_set=val,
                class_names=classes, test_set=test)
