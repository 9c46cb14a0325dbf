"""`recchat` on the command line: JSON output, streaming, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from recchat.cli import main as cli


def run_cli(argv, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    monkeypatch.setattr(sys, "argv", ["recchat", *argv]) if monkeypatch else None
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = e.code or 0
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.slow
def test_ask_json_toy_story(home, capsys, monkeypatch):
    code, out, err = run_cli(["ask", "a funny animated movie about toys that come alive", "--json",
                              "--max-tokens", "24"], capsys, monkeypatch=monkeypatch)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["task"] == "search" and obj["catalog"] == "movies" and obj["checkpoint"] == "base"
    assert set(obj) >= {"task", "language", "query", "history", "catalog", "checkpoint", "rationale", "items", "timings"}
    assert set(obj["timings"]) >= {"ttft_s", "decode_tok_s", "gen_tokens", "retrieval_ms", "total_s"}
    assert any(i["title"].startswith("Toy Story") for i in obj["items"][:10])
    assert set(obj["items"][0]) >= {"id", "title", "score", "evidence", "metadata"}


@pytest.mark.slow
def test_ask_history_from_stdin_streams_and_prints_table(home, capsys, monkeypatch):
    hist = b"Alien (1979)\nAliens (1986)\nPredator (1987)\nThe Thing (1982)\n"
    code, out, err = run_cli(["ask", "--history", "-", "--max-tokens", "16"], capsys, stdin=hist, monkeypatch=monkeypatch)
    assert code == 0, err
    assert "rationale:" in out and "movies · recommend · base" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "   "], "empty query"),
        (["ask", "x", "--catalog", "nope"], "unknown catalog 'nope'; available: "),
        (["ask", "x", "--checkpoint", "nope"], "unknown checkpoint 'nope'; available: base"),
        (["ask", "--history", "/no/such/file.txt"], "does not exist"),
        (["ask", "x", "--task", "dance"], "--task must be"),
        (["catalog", "genres", "nope"], "no manifest for catalog 'nope'"),
        (["catalog", "genres", "news-ko"], "no genre list for domain"),  # nothing written for a domain with no list
    ],
)
def test_bad_input_is_one_line_exit_2(home, capsys, monkeypatch, argv, message):
    code, out, err = run_cli(argv, capsys, monkeypatch=monkeypatch)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) <= 2


def test_binary_and_non_utf8_history_files(home, capsys, monkeypatch, tmp_path):
    b = tmp_path / "h.bin"
    b.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    code, _, err = run_cli(["ask", "--history", str(b)], capsys, monkeypatch=monkeypatch)
    assert code == 2 and "binary" in err
    b.write_bytes("café".encode("latin-1"))
    code, _, err = run_cli(["ask", "--history", str(b)], capsys, monkeypatch=monkeypatch)
    assert code == 2 and "not UTF-8" in err


def test_corrupt_gguf_names_the_file_and_the_fix(home, capsys, monkeypatch):
    bad = home / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 10)  # truncated
    (home / "models.yaml").write_text(f"- name: broken\n  path: {bad}\n  prompt_style: chat\n")
    try:
        code, _, err = run_cli(["ask", "x", "--checkpoint", "broken"], capsys, monkeypatch=monkeypatch)
        assert code == 2
        assert str(bad) in err and "corrupt" in err and "Fix:" in err
        code, out, _ = run_cli(["models", "list", "--json"], capsys, monkeypatch=monkeypatch)
        rows = {r["name"]: r for r in json.loads(out)}
        assert rows["base"]["available"] and not rows["broken"]["available"]
        assert set(rows["base"]) == {"name", "path", "adapter", "available", "description"}
    finally:
        (home / "models.yaml").unlink()


def test_console_script_is_installed():
    r = subprocess.run([sys.executable, "-m", "recchat.cli.main", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ask" in r.stdout and "models" in r.stdout


@pytest.mark.slow
def test_ask_prints_no_llama_cpp_log_noise(home):
    """Loading a LoRA checkpoint used to print ~30 llama.cpp warnings (SWA cache, buffer fallbacks) into
    `recchat ask`'s output: llama-cpp-python reads ggml's WARN level as ERROR. A fresh process, so the
    model really loads here."""
    import os

    r = subprocess.run([sys.executable, "-m", "recchat.cli.main", "ask", "a scary movie set in space", "--checkpoint", "sft",
                        "--max-tokens", "8"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "RECCHAT_HOME": str(home)})
    assert r.returncode == 0, r.stderr
    assert "rationale:" in r.stdout
    assert "llama_" not in r.stderr + r.stdout and "buft" not in r.stderr


def test_eval_on_an_unknown_catalog_is_one_line_exit_2(home, capsys, monkeypatch):
    code, out, err = run_cli(["eval", "--catalog", "no-such", "--no-progress"], capsys, monkeypatch=monkeypatch)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and "unknown catalog 'no-such'" in err


def test_markup_in_titles_and_errors_prints_as_text(empty_home, capsys, monkeypatch, tmp_path):
    """Rich parsed '[/]' in a title or an error as a closing tag and raised MarkupError."""
    from recchat.catalog.upload import add_catalog

    (tmp_path / "m.csv").write_text("id,title\n1,Broken [/] title\n2,[bold]not bold[/bold]\n3,[red]x\n",
                                    encoding="utf-8")
    add_catalog("marks", tmp_path / "m.csv")
    code, out, err = run_cli(["catalog", "show", "marks"], capsys, monkeypatch=monkeypatch)
    assert code == 0, err
    assert "Broken [/] title" in out and "[bold]not bold[/bold]" in out
    code, out, err = run_cli(["ask", "x", "--catalog", "[/]"], capsys, monkeypatch=monkeypatch)
    assert code == 2 and "unknown catalog '[/]'" in err and err.count("\n") == 1
