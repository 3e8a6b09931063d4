"""Source snippets of the torchrun training script (see :mod:`graphlab.export.torchrun`).

Each dataset recipe here is written to produce exactly the tensors ``graphlab.run.datasets`` builds
(the same generator calls in the same order); a test compares them. Markers such as ``@@NAME@@`` are
filled in by the exporter; the snippets are otherwise plain Python.
"""
from __future__ import annotations

DATASETS: dict[str, str] = {
    "spiral": '''
def make_dataset(classes: int, points: int, noise: float, seed: int):
    """CS231n's spiral: arm k has radius linspace(0, 1, N) and angle linspace(4k, 4(k+1), N) + noise."""
    g = torch.Generator().manual_seed(seed)
    radius = torch.linspace(0.0, 1.0, points, dtype=torch.float64)
    xs, ys = [], []
    for k in range(classes):
        angle = torch.linspace(4.0 * k, 4.0 * (k + 1), points, dtype=torch.float64)
        angle = angle + torch.randn(points, generator=g, dtype=torch.float64) * noise
        xs.append(torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], 1))
        ys.append(torch.full((points,), k, dtype=torch.long))
    return torch.cat(xs).float(), torch.cat(ys)
''',
    "digits": '''
def make_dataset(size: int):
    """scikit-learn's bundled 8x8 digits (1,797 images), scaled from 0..16 to 0..1 and, for size > 8,
    resized (bilinear) to size x size."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x, torch.tensor(digits.target, dtype=torch.long)
''',
    "adding": '''
def make_dataset(samples: int, length: int, seed: int):
    """The adding problem: T steps of (value, marker); the target is the sum of the 2 marked values."""
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(samples, length, generator=g)
    half = length // 2
    first = torch.randint(0, half, (samples,), generator=g)
    second = torch.randint(half, length, (samples,), generator=g)
    rows = torch.arange(samples)
    markers = torch.zeros(samples, length)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = (values[rows, first] + values[rows, second]).unsqueeze(1)
    return torch.stack([values, markers], 2), target
''',
    "sine": '''
def make_dataset(samples: int, length: int, noise: float, seed: int):
    """Noisy sine windows of T steps; the target is the next clean value."""
    g = torch.Generator().manual_seed(seed)
    freq = 0.5 + torch.rand(samples, 1, generator=g) * 1.5
    phase = torch.rand(samples, 1, generator=g) * 2 * math.pi
    t = torch.arange(length + 1, dtype=torch.float32) * 0.3
    clean = torch.sin(freq * t + phase)
    x = clean[:, :length] + torch.randn(samples, length, generator=g) * noise
    return x.unsqueeze(2), clean[:, length:]
''',
}
DATASET_ARGS = {"spiral": ("classes", "points", "noise", "seed"), "digits": ("size",),
                "adding": ("samples", "length", "seed"),
                "sine": ("samples", "length", "noise", "seed")}

GENERATED_DATA = '''
def load_data():
    """(x_train, y_train, x_val, y_val): the dataset, split and preprocessed as GraphLab does it."""
    x, y = make_dataset(@@DATASET_ARGS@@)
    n = len(x)
    n_val = int(round(n * CONFIG["val_fraction"]))
    if CONFIG["val_fraction"] > 0 and n_val == 0:
        n_val = 1
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))  # the same split for every seed
    train, val = perm[n_val:], perm[:n_val]
    x_train, x_val = preprocess(CONFIG["preprocess"], x[train], x[val])
    return x_train.contiguous(), y[train].contiguous(), x_val.contiguous(), y[val].contiguous()


def preprocess(kind: str, x_train: torch.Tensor, x_val: torch.Tensor):
    """Centre (and scale) both splits with statistics of the training split only."""
    if kind == "none":
        return x_train, x_val
    if kind == "mean_image":
        mean = x_train.mean(0, keepdim=True)
        return x_train - mean, x_val - mean
    dims = {4: (0, 2, 3), 3: (0, 1)}.get(x_train.dim(), (0,))  # per channel / per feature
    mean = x_train.mean(dims, keepdim=True)
    if kind == "per_channel_mean":
        return x_train - mean, x_val - mean
    std = x_train.std(dims, keepdim=True).clamp_min(1e-8)
    return (x_train - mean) / std, (x_val - mean) / std
'''

SAVED_DATA = '''
DATA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), @@DATA_NAME@@)


def load_data():
    """(x_train, y_train, x_val, y_val), split and preprocessed by GraphLab when it exported this script
    (from @@DATA_ORIGIN@@); tensors only, read with weights_only=True."""
    data = torch.load(DATA_FILE, map_location="cpu", weights_only=True)
    return data["x_train"], data["y_train"], data["x_val"], data["y_val"]
'''

AUGMENT = '''
def augment(x: torch.Tensor) -> torch.Tensor:
    """Random flips, padded crops and brightness/contrast jitter, per image, from torch's global RNG."""
    n = x.shape[0]
    if AUGMENT["hflip"]:
        flip = torch.rand(n, device=x.device) < 0.5
        x = torch.where(flip.view(n, 1, 1, 1), x.flip(3), x)
    pad = AUGMENT["crop_padding"]
    if pad > 0:
        c, h, w = x.shape[1:]
        padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (n,), device=x.device)
        dx = torch.randint(0, 2 * pad + 1, (n,), device=x.device)
        rows = (dy.view(n, 1) + torch.arange(h, device=x.device)).view(n, 1, h, 1).expand(n, c, h, w + 2 * pad)
        cols = (dx.view(n, 1) + torch.arange(w, device=x.device)).view(n, 1, 1, w).expand(n, c, h, w)
        x = padded.gather(2, rows).gather(3, cols)
    jitter = AUGMENT["color_jitter"]
    if jitter > 0:
        brightness = 1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * jitter
        contrast = 1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * jitter
        x = x * brightness
        mean = x.mean((1, 2, 3), keepdim=True)
        x = (x - mean) * contrast + mean
    return x
'''
