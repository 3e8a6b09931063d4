"""The end of a run: confusion matrix and confident mistakes (against scikit-learn and a by-hand
evaluation), and the final figures — also when a finished run is resumed."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix

from graphlab.run import events as ev
from graphlab.run.config import parse_training
from graphlab.run.datasets import build_dataset
from graphlab.run.trainer import Trainer, train

from .test_trainer import mlp


def test_confusion_matrix_and_most_confident_mistakes_on_digits():
    g = mlp(hidden=16, inp=(1, 8, 8), classes=10)
    g.training = {"dataset": "digits", "epochs": 1, "batch_size": 64, "optimizer": {"name": "sgd", "lr": 0.05},
                  "stats": {"budget": 0}}
    t = Trainer(g)
    events = list(t.events())
    (e,) = [x for x in events if isinstance(x, ev.Evaluation)]
    assert events[-2] is e and isinstance(events[-1], ev.Finished)
    data = build_dataset(parse_training(g.training))
    t.module.eval()
    with torch.no_grad():
        scores = t.module(data.x_val)
    pred, y = scores.argmax(1).numpy(), data.y_val.numpy()
    assert e.split == "val" and e.class_names == [str(i) for i in range(10)]
    assert e.confusion == confusion_matrix(y, pred, labels=range(10)).tolist()
    assert e.accuracy == pytest.approx((pred == y).mean()) == pytest.approx(events[-1].final["val_acc"])
    conf = torch.softmax(scores, 1).max(1).values.numpy()
    wrong = np.flatnonzero(pred != y)
    top = wrong[np.argsort(-conf[wrong], kind="stable")][:16]
    assert len(wrong) >= 16 and e.index == top.tolist()
    assert e.true == y[top].tolist() and e.pred == pred[top].tolist()
    np.testing.assert_allclose(e.confidence, conf[top], rtol=1e-5)
    assert e.images.shape == (16, 8, 8) and e.images.dtype == np.uint8
    img = data.x_val[top[0], 0].numpy()
    want = np.round((img - img.min()) / (img.max() - img.min()) * 255)
    assert np.abs(e.images[0].astype(int) - want).max() <= 1
    assert ev.to_json(e)["images"][0][0] == e.images[0, 0].tolist()


def test_no_images_for_vectors_and_no_evaluation_for_regression():
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 2, "stats": {"budget": 0}}
    (e,) = [x for x in train(g)[1] if isinstance(x, ev.Evaluation)]
    assert e.images is None and sum(map(sum, e.confusion)) == 60
    g = mlp(classes=1, inp=(20, 1), loss="MSELoss")
    g.training = {"dataset": {"name": "sine", "samples": 100}, "epochs": 1, "stats": {"budget": 0}}
    fin, events = train(g)
    assert fin.reason == "completed", events[-2]
    assert not [x for x in events if isinstance(x, ev.Evaluation)]


def test_resuming_a_finished_run_reports_its_figures_without_training(tmp_path):
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 3, "batch_size": 32, "stats": {"budget": 0}}
    fin, _ = train(g, out_dir=tmp_path / "a")
    again, events = train(g, out_dir=tmp_path / "b", resume_from=fin.checkpoint)
    assert again.reason == "completed" and not [e for e in events if isinstance(e, (ev.Step, ev.Epoch))]
    assert again.epochs == 3
    for k in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert again.final[k] is not None and again.final[k] == pytest.approx(fin.final[k])
