"""``SummaryWriter``: log scalars, histograms and text to TensorBoard event files."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from nnlite.utils.tensorboard import summary as S


class SummaryWriter:
    """Writes ``events.out.tfevents.*`` files under ``log_dir`` that TensorBoard reads.

    Args:
        log_dir: where to write (default ``runs/<Mon DD_HH-MM-SS>_<host><comment>``).
        comment: suffix of the default ``log_dir``.
        purge_step: accepted for compatibility (events are only ever appended).
        max_queue: events buffered before a write. flush_secs: seconds between flushes.
        filename_suffix: appended to the event file's name.

    Example:
        >>> with SummaryWriter("runs/exp1") as w:
        ...     for step in range(100):
        ...         w.add_scalar("loss/train", loss, step)
    """

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step=None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = EventFileWriter(self.log_dir, max_queue, flush_secs, filename_suffix)
        self.all_writers = {self.log_dir: self.file_writer}
        self.default_bins = S.tensorflow_bins()

    def get_logdir(self) -> str:
        return self.log_dir

    def _add(self, summary, global_step, walltime, writer=None) -> None:
        event = Event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        (writer or self._writer()).add_event(event)

    def _writer(self) -> EventFileWriter:
        if self.file_writer is None:
            raise RuntimeError("SummaryWriter: the writer is closed")
        return self.file_writer

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """Log one number (a Python number or a one-element tensor) under ``tag``."""
        self._add(S.scalar(tag, scalar_value), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Several curves in one chart: each ``tag`` goes to its own sub-run
        ``log_dir/<main_tag>_<tag>`` as PyTorch does."""
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + tag)
            w = self.all_writers.get(path)
            if w is None:
                w = EventFileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[path] = w
            self._add(S.scalar(main_tag, value), global_step, walltime, writer=w)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None) -> None:
        """Log the distribution of ``values``; ``bins`` as numpy's (``"tensorflow"``: TF's
        exponential edges)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._add(S.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Log a (markdown) string, shown in TensorBoard's Text tab."""
        self._add(S.text(tag, text_string), global_step, walltime)

    def flush(self) -> None:
        for w in self.all_writers.values():
            w.flush()

    def close(self) -> None:
        if self.file_writer is None:
            return
        for w in self.all_writers.values():
            w.flush()
            w.close()
        self.file_writer = None
        self.all_writers = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
