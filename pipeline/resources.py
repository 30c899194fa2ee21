"""The one loader of chithi's data files and trained models.

Data files (gazetteers, tables, the Directive 20 reference) sit beside the stage that reads
them, in a `data/` folder of its package (`pipeline/extract/data/countries.json`), and are
read through `importlib.resources`, so they are found the same way in a checkout, an
editable install and an installed wheel.

Trained models live in the project's top-level `models/` folder (one folder per model, each
with its MODEL_CARD.md). A wheel carries that folder as the package `pipeline.models`
(see pyproject.toml); a checkout run without installing finds it beside `pipeline/`.
The environment variable CHITHI_MODELS points at another models folder (same layout)
instead, for models trained elsewhere.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

MODELS_ENV = "CHITHI_MODELS"


@cache
def data(package: str, name: str) -> Any:
    """The JSON file `name` of the `data/` folder of `package` (e.g. "pipeline.extract"), read once."""
    return json.loads(data_text(package, name))


def data_text(package: str, name: str) -> str:
    """The text of a file of the `data/` folder of `package`."""
    return resources.files(package).joinpath("data").joinpath(name).read_text("utf-8")


def models_dir() -> Path:
    """The folder holding the trained models: $CHITHI_MODELS, else the installed or checkout `models/`."""
    configured = os.environ.get(MODELS_ENV)
    if configured:
        return Path(configured)
    return _default_models_dir()


@cache
def _default_models_dir() -> Path:
    try:
        installed = resources.files("pipeline.models")
    except ModuleNotFoundError:
        installed = None
    if installed is not None and isinstance(installed, Path) and installed.joinpath("lm").is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "models"


def model_path(*parts: str) -> Path:
    """A path inside the models folder, e.g. model_path("lm", "lm.npz")."""
    return models_dir().joinpath(*parts)
