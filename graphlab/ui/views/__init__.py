"""Reusable view widgets for training and stepping: plots, heatmaps, images, tensors, datasets.

They take plain numpy arrays and Python numbers (never torch tensors, never a trainer or stepper)
and know nothing about where data come from; the training and stepper docks assemble them. Each
widget follows the application palette (light and dark) and documents its API in its module.

- :class:`LossPlot` (``loss_plot``), :class:`AccuracyPlot`, :class:`LearningRatePlot`
  (``metric_plots``), :class:`SeriesPlot` (``series_plot``): line plots on :class:`PlotPanel`
  (``plot_base``: named appendable series, log-y toggle, hover readout, NaN markers, overlays).
- :class:`HeatmapView` (``heatmap``): step × fixed bins + one step's histogram.
- :class:`GradientFlowView` (``gradient_flow``): nodes × steps of log10 ‖∂L/∂out‖ and update ratio.
- :class:`ImageMosaic` (``image_mosaic``), :class:`ConfusionMatrixView` (``confusion``),
  :class:`TensorView` (``tensor_view``), :class:`DatasetPreview` (``dataset_preview``).

Imports are lazy so ``import graphlab.ui.views`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "PlotPanel": "plot_base", "LossPlot": "loss_plot", "AccuracyPlot": "metric_plots",
    "LearningRatePlot": "metric_plots", "SeriesPlot": "series_plot", "MatrixPlot": "matrix_plot",
    "HeatmapView": "heatmap", "GradientFlowView": "gradient_flow", "ImageMosaic": "image_mosaic",
    "ConfusionMatrixView": "confusion", "TensorView": "tensor_view", "DatasetPreview": "dataset_preview",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(name)
