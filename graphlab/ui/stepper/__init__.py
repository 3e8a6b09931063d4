"""Step through the forward and backward pass in the editor: a debugger for the network.

``install(document, shell)`` builds everything from the :class:`~graphlab.ui.document.Document` and
the :class:`~graphlab.ui.shell.Shell` and returns the :class:`~.controller.StepperController`:

* the "Step through" dock (objectName ``stepper``; View ▸ Panels, Ctrl+8): buttons, where the walk
  stands, the inputs/weights/mode settings, and the current node's tensors, local rule, ‖∂L/∂h_t‖
  over time and the gradient check (:mod:`.dock`, :mod:`.inputs_panel`, :mod:`.node_view`);
* the Debug menu and its actions ``action_step`` (F10), ``action_step_back`` (Shift+F10),
  ``action_run_to`` (Ctrl+F10), ``action_step_restart`` (Ctrl+Shift+F10), ``action_gradcheck``
  (Ctrl+Shift+G) (:mod:`.actions`);
* the canvas drawing, through ``scene.overlay`` only (:mod:`.canvas`);
* ``stepper``: the :class:`graphlab.step.Stepper` in use, or None (``window.stepper`` too).

The Stepper runs on the editor's worker thread (:mod:`.worker`, :mod:`.controller`); torch is
imported there, when the first step is asked for — opening the editor never imports it.
"""
from __future__ import annotations

from ..document import Document
from ..shell import Shell
from .controller import StepperController


def install(document: Document, shell: Shell) -> StepperController:
    """Build the stepper; call ``shutdown()`` on the result when the window closes."""
    return StepperController(document, shell)


__all__ = ["StepperController", "install"]
