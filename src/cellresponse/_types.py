"""Shared type aliases."""

from __future__ import annotations

import os
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

PathLike: TypeAlias = str | os.PathLike[str]
IdArray: TypeAlias = npt.NDArray[np.object_]
IndexArray: TypeAlias = npt.NDArray[np.intp]
FloatArray: TypeAlias = npt.NDArray[np.floating]
#: a task name: "response", "expression", "dependency" or one registered by a plug-in
Task: TypeAlias = str
PerturbationKind: TypeAlias = Literal["drug", "compound", "gene"]

__all__ = ["FloatArray", "IdArray", "IndexArray", "PathLike", "PerturbationKind", "Task"]
