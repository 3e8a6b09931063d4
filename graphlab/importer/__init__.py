"""Import a PyTorch model the user wrote into a GraphLab graph (``graphlab import``, *File ▸ Import*).

``import_model("model.py:make_net", input_shape=(3, 32, 32))`` runs the user's file (their own code,
by their explicit choice; a graph file is still never executed), builds the model on the meta device
(no memory for weights, nothing downloaded), traces it with ``torch.fx`` — or, when that trace fails,
with ``torch.export`` in non-strict mode — and maps each traced operation onto a palette layer:

* a module (``nn.Conv2d``, ``nn.LSTM``, ...) becomes the node of the same layer, its id the module's
  path with dots as ``_`` (``layer1.0.conv1`` → ``layer1_0_conv1``); the path itself is kept as the
  name of the groups the node sits in (``layer1``, ``layer1.0``);
* a function or method (``F.relu``, ``x + y``, ``torch.cat``, ``torch.flatten``,
  ``x.view(x.size(0), -1)``, ...) becomes a node named after the module whose ``forward`` called it;
* anything else is refused with one line naming the operation and its source line: the graph is the
  model exactly, or there is no graph.

The graph is checked against the trace (every node's shape equals PyTorch's, the parameter count the
module's) before it is returned, laid out with :mod:`graphlab.core.layout`, and groups taller than the
window are folded (collapsed). :mod:`.weights` maps a ``state_dict`` onto the nodes by name.

Torch is imported here; nothing in this package imports Qt (contract ``no-qt-outside-ui``).
"""
from __future__ import annotations

from .errors import ImportRefused
from .pipeline import ImportResult, import_model

__all__ = ["ImportRefused", "ImportResult", "import_model"]
